/* `jobgrid run NAME [k=v…] [--wait]`: start a run of a definition. Arguments are text
 * here; the server checks each against its type and limits and refuses unknown ones. A
 * k=v whose k holds a dot (joblet.maxretry=5) overrides a fact. Prints the job id. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int run_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"wait", no_argument, NULL, 'w'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_run = {
	"run", "NAME [ARG=VALUE…] [FACT=VALUE…] [--wait] [--json]",
	"start a run of a definition; prints its job id", run_exec,
	.options = longopts,
};

static int run_exec(int argc, char **argv)
{
	bool json = false, wait = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'w': wait = true; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_run);
		default: return cli_usage(&cli_cmd_run);
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cli_cmd_run, "give the definition's name%s", "");
	json_t *args = json_object(), *facts = json_object();
	for (int i = optind + 1; i < argc; i++) {
		const char *eq = strchr(argv[i], '=');
		if (eq == NULL || eq == argv[i]) {
			json_decref(args);
			json_decref(facts);
			return cli_usage_error(&cli_cmd_run, "expected NAME=VALUE, got '%s'", argv[i]);
		}
		char *k = xstrndup(argv[i], (size_t)(eq - argv[i]));
		json_object_set_new(strchr(k, '.') ? facts : args, k, json_string(eq + 1));
		free(k);
	}
	char cwd[PATH_MAX] = "/tmp", path[600];
	if (getcwd(cwd, sizeof cwd) == NULL)
		snprintf(cwd, sizeof cwd, "/tmp");
	char *name = client_escape(argv[optind]);
	snprintf(path, sizeof path, "/v1/definitions/%s/runs", name);
	free(name);
	json_t *body = json_pack("{s:o, s:o, s:s}", "args", args, "facts", facts, "cwd", cwd);
	json_t *r = NULL;
	int rc = client_call("POST", path, body, true, &r);
	json_decref(body);
	if (rc)
		return rc;
	if (json)
		out_json(r);
	else
		printf("%s\n", json_string_value(json_object_get(r, "id")));
	if (wait) {
		json_t *ids = json_pack("[O]", json_object_get(r, "id"));
		rc = wait_for_ids(ids, 0, false);
		json_decref(ids);
	}
	json_decref(r);
	return rc;
}
