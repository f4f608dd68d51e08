/* `jobgrid limit [NAME [N]]`: show limit groups, or change one live (0 pauses it). */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int limit_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_limit = {
	"limit", "[NAME [N|none]] [--json]",
	"show limit groups, or set NAME's limit live (0 pauses it, none lifts it)", limit_exec,
};

static void print_group(json_t *g)
{
	long long lim = json_integer_value(json_object_get(g, "limit"));
	char buf[32];
	snprintf(buf, sizeof buf, "%lld", lim);
	printf("%s: limit %s, running %lld, waiting %lld\n",
	       json_string_value(json_object_get(g, "name")), lim < 0 ? "none" : buf,
	       (long long)json_integer_value(json_object_get(g, "running")),
	       (long long)json_integer_value(json_object_get(g, "waiting")));
}

static int limit_exec(int argc, char **argv)
{
	static const struct option longopts[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(&cli_cmd_limit);
		default: return cli_usage(&cli_cmd_limit);
		}
	}
	int nargs = argc - optind;
	if (nargs > 2)
		return cli_usage_error(&cli_cmd_limit, "give NAME and at most one number%s", "");
	json_t *reply = NULL, *body = NULL;
	char path[600];
	if (nargs == 0) {
		snprintf(path, sizeof path, "/v1/limits");
	} else {
		char *name = client_escape(argv[optind]);
		snprintf(path, sizeof path, "/v1/limits/%s", name);
		free(name);
	}
	if (nargs == 2) {
		long long n = -1;
		if (strcmp(argv[optind + 1], "none") != 0 &&
		    cli_int(&cli_cmd_limit, "N", argv[optind + 1], 0, 1000000, &n))
			return EXIT_USAGE;
		body = json_pack("{s:I}", "limit", (json_int_t)n);
	}
	int rc = client_call(body ? "PUT" : "GET", path, body, body != NULL, &reply);
	if (rc == 0 && json) {
		out_json(reply);
	} else if (rc == 0 && nargs == 0) {
		size_t i;
		json_t *g;
		json_array_foreach(json_object_get(reply, "limits"), i, g)
			print_group(g);
	} else if (rc == 0) {
		print_group(reply);
	}
	json_decref(body);
	json_decref(reply);
	return rc;
}
