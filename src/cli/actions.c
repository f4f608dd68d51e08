/* The shared body of cancel, retry and remove: one request per job id. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

int cli_job_action(const struct cli_cmd *cmd, int argc, char **argv, const char *method,
		   const char *suffix, const char *done_word)
{
	static const struct option longopts[] = {
		{"force", no_argument, NULL, 'f'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
	bool force = false, json = false;
	int ch, worst = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f':
			if (strcmp(cmd->name, "remove") != 0)
				return cli_usage_error(cmd, "--force applies to remove only%s", "");
			force = true;
			break;
		case OPT_JSON: json = true; break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(cmd);
		default: return cli_usage(cmd);
		}
	}
	if (optind >= argc)
		return cli_usage_error(cmd, "give at least one job id%s", "");
	for (int i = optind; i < argc; i++) {
		char *id = client_escape(argv[i]), path[700];
		snprintf(path, sizeof path, "/v1/jobs/%s%s%s", id, suffix, force ? "?force=1" : "");
		free(id);
		json_t *reply = NULL;
		int rc = client_call(method, path, NULL, true, &reply);
		if (rc == 0 && json)
			json_dumpf(reply, stdout, JSON_COMPACT), fputc('\n', stdout);
		else if (rc == 0)
			printf("%s %s\n", argv[i], done_word);
		json_decref(reply);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}

int cli_def_action(const struct cli_cmd *cmd, int argc, char **argv, const char *action,
		   const char *done_word)
{
	bool json = false;
	int worst = 0;
	CLI_SIMPLE(cmd, argc, argv, &json);
	if (optind >= argc)
		return cli_usage_error(cmd, "give at least one definition name%s", "");
	for (int i = optind; i < argc; i++) {
		char *name = client_escape(argv[i]), path[700];
		snprintf(path, sizeof path, "/v1/definitions/%s/%s", name, action);
		free(name);
		json_t *reply = NULL;
		int rc = client_call("POST", path, NULL, true, &reply);
		if (rc == 0 && json)
			json_dumpf(reply, stdout, JSON_COMPACT), fputc('\n', stdout);
		else if (rc == 0)
			printf("%s %s\n", argv[i], done_word);
		json_decref(reply);
		if (rc > worst)
			worst = rc;
	}
	return worst;
}
