/* `jobgrid joblist`: the deployed definitions: name, version, groups, description. */
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>

static int joblist_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_joblist = {
	"joblist", "[--json]", "list the deployed definitions", joblist_exec,
	.options = NULL,	/* the common options */
};

static void print_definitions(json_t *r, void *arg)
{
	size_t i, k;
	json_t *d, *g;
	printf("%-28s %-8s %-16s %s\n", "NAME", "VERSION", "GROUPS", "DESCRIPTION");
	json_array_foreach(json_object_get(r, "definitions"), i, d) {
		char groups[128] = "";
		size_t at = 0;
		json_array_foreach(json_object_get(d, "groups"), k, g) {
			int n = snprintf(groups + at, sizeof groups - at, "%s%s", k ? "," : "",
					 json_string_value(g));
			if (n < 0 || (size_t)n >= sizeof groups - at)
				break;
			at += (size_t)n;
		}
		printf("%-28s %-8lld %-16s %.70s\n", json_string_value(json_object_get(d, "name")),
		       (long long)json_integer_value(json_object_get(d, "version")), groups,
		       json_string_value(json_object_get(d, "description")));
	}
}

static int joblist_exec(int argc, char **argv)
{
	struct cli_show show = {false, false, print_definitions, NULL};
	CLI_SIMPLE(&cli_cmd_joblist, argc, argv, &show.json);
	if (optind != argc)
		return cli_usage_error(&cli_cmd_joblist, "unexpected argument '%s'", argv[optind]);
	return cli_request_show("GET", "/v1/definitions", NULL, &show);
}
