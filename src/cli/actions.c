/* The shared body of cancel, retry (one request per job id), remove (one request for all)
 * and pause, resume (one per definition name). */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

/* "NAME DONE_WORD", the line a successful action prints without --json. */
struct done_line {
	const char *name, *done_word;
};

static void print_done(json_t *reply, void *arg)
{
	const struct done_line *line = arg;
	printf("%s %s\n", line->name, line->done_word);
}

/* METHOD PREFIX/NAME/SUFFIX for each name in argv[optind..]: one line each; the worst exit. */
static int for_each(int argc, char **argv, const char *method, const char *prefix,
		    const char *suffix, const char *done_word, bool json)
{
	int worst = 0;
	for (int i = optind; i < argc; i++) {
		char *name = client_escape(argv[i]), path[700];
		snprintf(path, sizeof path, "%s%s%s", prefix, name, suffix);
		free(name);
		struct done_line line = {argv[i], done_word};
		struct cli_show show = {json, true, print_done, &line};
		int rc = cli_request_show(method, path, NULL, &show);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

/* remove: one request for every id, so a job and the jobs that wait for it go together
 * in any order. One line per job; the worst exit. */
static int remove_all(int argc, char **argv, bool force, bool json)
{
	json_t *ids = json_array(), *reply = NULL, *v;
	for (int i = optind; i < argc; i++)
		json_array_append_new(ids, json_string(argv[i]));
	json_t *body = json_pack("{s:o, s:b}", "ids", ids, "force", force);
	int rc = client_call("POST", "/v1/jobs/remove", body, true, &reply);
	json_decref(body);
	size_t i;
	if (rc == 0 && json)
		json_dumpf(reply, stdout, JSON_COMPACT), fputc('\n', stdout);
	json_array_foreach(json_object_get(reply, "removed"), i, v)
		if (!json)
			printf("%s removed\n", json_string_value(v));
	json_array_foreach(json_object_get(reply, "errors"), i, v) {
		int exit = client_exit_for_code(json_string_value(json_object_get(v, "code")));
		fprintf(stderr, "jobgrid: %s\n", json_string_value(json_object_get(v, "message")));
		if (exit < 0)
			exit = EXIT_USAGE;
		if (rc < exit)
			rc = exit;
	}
	json_decref(reply);
	return rc;
}

const struct option cli_action_options[] = {
	{"force", no_argument, NULL, 'f'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

int cli_job_action(const struct cli_cmd *cmd, int argc, char **argv, const char *method,
		   const char *suffix, const char *done_word)
{
	bool force = false, json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", cli_action_options, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(cmd->name, "remove") != 0)
				return cli_usage_error(cmd, "--force applies to remove only%s", "");
			force = true;
			break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(cmd);
		default: return cli_usage(cmd);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "give at least one job id%s", "");
	if (method == NULL)
		return remove_all(argc, argv, force, json);
	return for_each(argc, argv, method, "/v1/jobs/", suffix, done_word, json);
}

int cli_def_action(const struct cli_cmd *cmd, int argc, char **argv, const char *action,
		   const char *done_word)
{
	bool json = false;
	CLI_SIMPLE(cmd, argc, argv, &json);
	if (optind >= argc)
		return cli_usage_error(cmd, "give at least one definition name%s", "");
	char suf[100];
	snprintf(suf, sizeof suf, "/%s", action);
	return for_each(argc, argv, "POST", "/v1/definitions/", suf, done_word, json);
}
