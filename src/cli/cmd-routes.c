/* `jobgrid routes` (internal): the server's route table, one line a route, "METHOD
 * PATTERN ROLES" (ROLES: the roles it admits, comma-separated). tests/e2e/test-isolation.sh
 * walks it, so a route added without a rule there fails that test. */
#include "api/call.h"
#include "cli/cli.h"
#include <stdio.h>

static int routes_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_routes = {
	"routes", "(internal; for tests)", "list the HTTP routes and the roles each admits",
	routes_exec,
	.options = cli_help_only_options,
};

static void print_route(void *arg, const struct route *r)
{
	static const struct {
		unsigned bit;
		const char *name;
	} roles[] = {{ROLE_ANON, "anon"}, {ROLE_WORKER, "worker"}, {ROLE_USER, "user"},
		     {ROLE_ADMIN, "admin"}};
	int shown = 0;
	printf("%s %s ", r->method, r->pattern);
	for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++)
		if (r->roles & roles[i].bit)
			printf("%s%s", shown++ ? "," : "", roles[i].name);
	printf("\n");
}

static int routes_exec(int argc, char **argv)
{
	if (cli_wants_help(argc, argv))
		return cli_help(&cli_cmd_routes);
	if (argc > 1) {
		fprintf(stderr, "jobgrid routes: takes no arguments\n");
		return EXIT_USAGE;
	}
	http_route_counters(print_route, NULL);
	return EXIT_OK;
}
