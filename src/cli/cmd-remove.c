/* `jobgrid remove ID…`: delete jobs that are not running and not done. */
#include "cli/cli.h"

static int remove_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_remove = {
	"remove", "[--force] ID…",
	"delete jobs that are not running and not done; a job and the jobs waiting for it can go"
	" in one call, in any order",
	remove_exec,
	.options = cli_action_options,
};

static int remove_exec(int argc, char **argv)
{
	return cli_job_action(&cli_cmd_remove, argc, argv, NULL, "", "removed");
}
