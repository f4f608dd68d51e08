/* `jobgrid limit [NAME [N]]`: show limit groups, or change one live (0 pauses it). */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int limit_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_limit = {
	"limit", "[NAME [N|none]] [--json]",
	"show limit groups, or set NAME's limit live (0 pauses it, none or -1 lifts it)", limit_exec,
	.options = NULL,	/* the common options */
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

static void print_one(json_t *reply, void *arg)
{
	print_group(reply);
}

static void print_all(json_t *reply, void *arg)
{
	size_t i;
	json_t *g;
	json_array_foreach(json_object_get(reply, "limits"), i, g)
		print_group(g);
}

/* Options may stand anywhere; the word after NAME is its limit even when it starts with
 * '-' (`limit db -1` lifts the limit as the API's -1 does, rather than being an unknown
 * option). Returns 0, EXIT_USAGE, or 1000 after printing help. */
static int limit_args(int argc, char **argv, bool *json, const char **name, const char **n)
{
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "-h", cli_common_options, NULL)) != -1) {
		switch (ch) {
		case 1:
			if (*name)
				return cli_usage_error(&cli_cmd_limit, "give NAME and at most one number%s",
						       "");
			*name = optarg;
			if (optind < argc && (argv[optind][0] != '-' ||
					      isdigit((unsigned char)argv[optind][1])))
				*n = argv[optind++];	/* a number, negative ones too */
			break;
		case OPT_JSON: *json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_limit) + 1000;
		default: return cli_usage(&cli_cmd_limit);
		}
	}
	return 0;
}

static int limit_exec(int argc, char **argv)
{
	bool json = false;
	const char *name = NULL, *nval = NULL;
	int rc = limit_args(argc, argv, &json, &name, &nval);
	if (rc)
		return rc == 1000 ? EXIT_OK : rc;
	json_t *body = NULL;
	char path[600];
	if (name == NULL) {
		snprintf(path, sizeof path, "/v1/limits");
	} else {
		char *e = client_escape(name);
		snprintf(path, sizeof path, "/v1/limits/%s", e);
		free(e);
	}
	if (nval) {
		long long n = -1;
		if (strcmp(nval, "none") != 0 && strcmp(nval, "-1") != 0 &&
		    cli_int(&cli_cmd_limit, "N", nval, 0, 1000000, &n))
			return cli_usage(&cli_cmd_limit);
		body = json_pack("{s:I}", "limit", (json_int_t)n);
	}
	struct cli_show show = {json, false, name ? print_one : print_all, NULL};
	rc = cli_request_show(body ? "PUT" : "GET", path, body, &show);
	json_decref(body);
	return rc;
}
