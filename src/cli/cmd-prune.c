/* `jobgrid prune --finished-before D|TIME [--group G] [--dry-run]`: remove finished jobs
 * (with their joblets, attempts and output) that ended before a time; admins only. */
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>

static int prune_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{"finished-before", required_argument, NULL, 'b'},
	{"group", required_argument, NULL, 'g'},
	{"dry-run", no_argument, NULL, 'n'},
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_prune = {
	"prune", "--finished-before DURATION|TIME [--group G] [--dry-run]",
	"remove finished jobs that ended before a time (30d: that long ago), with their logs",
	prune_exec,
	.options = longopts,
};

static void say(json_t *reply, const char *group)
{
	long long jobs = json_integer_value(json_object_get(reply, "jobs"));
	long long joblets = json_integer_value(json_object_get(reply, "joblets"));
	long long kept = json_integer_value(json_object_get(reply, "kept"));
	const char *before = json_string_value(json_object_get(reply, "finished_before"));
	printf("%s %lld finished jobs (%lld joblets)%s%s that ended before %s", 
	       json_is_true(json_object_get(reply, "dry_run")) ? "would remove" : "removed", jobs,
	       joblets, group ? " of group " : "", group ? group : "", before ? before : "?");
	if (kept)
		printf("; %lld kept because other jobs wait for them", kept);
	putchar('\n');
}

static int prune_exec(int argc, char **argv)
{
	const char *before = NULL, *group = NULL;
	bool json = false, dry = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'b': before = optarg; break;
		case 'g': group = optarg; break;
		case 'n': dry = true; break;
		case 'h': return cli_help(&cli_cmd_prune);
		default: return cli_usage(&cli_cmd_prune);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_prune, "unexpected argument '%s'", argv[optind]);
	if (before == NULL)
		return cli_usage_error(&cli_cmd_prune, "--finished-before is required (e.g. 30d,"
				       " or 2026-11-01T00:00:00Z)%s", "");
	json_t *body = json_pack("{s:s, s:b}", "finished_before", before, "dry_run", dry), *reply = NULL;
	if (group)
		json_object_set_new(body, "group", json_string(group));
	int rc = client_call("POST", "/v1/prune", body, false, &reply);
	json_decref(body);
	if (rc == 0 && json) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
	} else if (rc == 0) {
		say(reply, group);
	}
	json_decref(reply);
	return rc;
}
