/* `jobgrid cancel ID…`: kill running joblets and cancel the jobs. */
#include "cli/cli.h"

static int cancel_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_cancel = {
	"cancel", "ID…", "kill running joblets and cancel the jobs", cancel_exec,
	.options = NULL,	/* the common options (--force is remove's) */
};

static int cancel_exec(int argc, char **argv)
{
	return cli_job_action(&cli_cmd_cancel, argc, argv, "POST", "/cancel", "cancelled");
}
