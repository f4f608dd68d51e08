/* `jobgrid retry ID…`: re-queue failed, skipped and cancelled joblets. */
#include "cli/cli.h"

static int retry_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_retry = {
	"retry", "ID…", "re-queue failed, skipped and cancelled joblets", retry_exec,
	.options = NULL,	/* the common options (--force is remove's) */
};

static int retry_exec(int argc, char **argv)
{
	return cli_job_action(&cli_cmd_retry, argc, argv, "POST", "/retry", "re-queued");
}
