/* `jobgrid list`: one line a job, following the server's pages up to --limit. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int list_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_list = {
	"list", "[--state S] [--group G] [--owner U] [--limit N] [--json]", "one line a job",
	list_exec,
};

static void append_q(char *q, size_t len, const char *key, const char *val)
{
	if (val == NULL)
		return;
	char *e = client_escape(val);
	size_t n = strlen(q);
	snprintf(q + n, len - n, "&%s=%s", key, e);
	free(e);
}

static void print_line(json_t *j)
{
	char t[32];
	json_t *counts = json_object_get(j, "counts");
	long long total = json_integer_value(json_object_get(j, "joblet_count"));
	long long done = json_integer_value(json_object_get(counts, "done"));
	const char *cmd = json_string_value(json_object_get(j, "cmd"));
	printf("%-28s %-9s %3lld %5lld/%-5lld %-11s %.*s\n",
	       json_string_value(json_object_get(j, "id")),
	       json_string_value(json_object_get(j, "state")),
	       json_integer_value(json_object_get(j, "priority")), done, total,
	       out_time(json_object_get(j, "created_at"), t, sizeof t),
	       out_tty(stdout) ? 60 : 100000, cmd ? cmd : "");
	const char *why = json_string_value(json_object_get(j, "reason"));
	if (why && *why)
		printf("%-28s   why: %s\n", "", why);
}

static int list_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"state", required_argument, NULL, 's'}, {"group", required_argument, NULL, 'g'},
		{"owner", required_argument, NULL, 'o'}, {"limit", required_argument, NULL, 'l'},
		CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
	const char *state = NULL, *group = NULL, *owner = NULL;
	long long limit = 100;
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': state = optarg; break;
		case 'g': group = optarg; break;
		case 'o': owner = optarg; break;
		case 'l':
			if (cli_int(&cli_cmd_list, "limit", optarg, 1, 10000000, &limit))
				return EXIT_USAGE;
			break;
		case OPT_JSON: json = true; break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(&cli_cmd_list);
		default: return cli_usage(&cli_cmd_list);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_list, "unexpected argument '%s'", argv[optind]);
	json_t *all = json_array();
	char cursor[32] = "0";
	int rc = 0;
	while (rc == 0 && (long long)json_array_size(all) < limit) {
		char path[1200];
		long long page = limit - (long long)json_array_size(all);
		snprintf(path, sizeof path, "/v1/jobs?limit=%lld&cursor=%s", page > 10000 ? 10000 : page,
			 cursor);
		append_q(path, sizeof path, "state", state);
		append_q(path, sizeof path, "group", group);
		append_q(path, sizeof path, "owner", owner);
		json_t *reply = NULL;
		rc = client_call("GET", path, NULL, false, &reply);
		if (rc)
			break;
		json_array_extend(all, json_object_get(reply, "jobs"));
		const char *next = json_string_value(json_object_get(reply, "next_cursor"));
		if (next)
			snprintf(cursor, sizeof cursor, "%s", next);
		json_decref(reply);
		if (next == NULL)
			break;
	}
	if (rc == 0) {
		if (json) {
			json_t *doc = json_pack("{s:O}", "jobs", all);
			out_json(doc);
			json_decref(doc);
		} else {
			size_t i;
			json_t *j;
			json_array_foreach(all, i, j)
				print_line(j);
		}
	}
	json_decref(all);
	return rc;
}
