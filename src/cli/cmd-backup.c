/* `jobgrid backup FILE`: a consistent online copy of the store, written by the server. */
#include "cli/cli.h"
#include <getopt.h>
#include "cli/client.h"
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int backup_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_backup = {
	"backup", "FILE", "consistent online copy of the store (FILE on the server's machine)",
	backup_exec,
	.options = NULL,	/* the common options */
};

static int backup_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_backup, argc, argv, &json);
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_backup, "give exactly one file name%s", "");
	char path[PATH_MAX + 2];
	const char *file = argv[optind];
	if (file[0] == '/') {
		snprintf(path, sizeof path, "%s", file);
	} else {
		char cwd[PATH_MAX];
		int n = getcwd(cwd, sizeof cwd) ? snprintf(path, sizeof path, "%s/%s", cwd, file) : -1;
		if (n < 0 || (size_t)n >= sizeof path)
			return cli_usage_error(&cli_cmd_backup, "cannot make '%s' absolute", file);
	}
	json_t *body = json_pack("{s:s}", "path", path), *reply = NULL;
	int rc = client_call("POST", "/v1/backup", body, false, &reply);
	json_decref(body);
	if (rc == 0)
		printf("backup written: %s (%lld bytes)\n", path,
		       json_integer_value(json_object_get(reply, "bytes")));
	json_decref(reply);
	return rc;
}
