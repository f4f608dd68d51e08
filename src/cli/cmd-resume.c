/* `jobgrid resume NAME…`: reactivate paused definitions; their next due runs are checked
 * as usual (nothing skipped while paused is made up). */
#include "cli/cli.h"

static int resume_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_resume = {
	"resume", "NAME…", "reactivate paused definitions", resume_exec,
	.options = NULL,	/* the common options */
};

static int resume_exec(int argc, char **argv)
{
	return cli_def_action(&cli_cmd_resume, argc, argv, "resume", "resumed");
}
