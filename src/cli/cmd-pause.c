/* `jobgrid pause NAME…`: deactivate definitions in their job networks (SPEC §7): their
 * runs are skipped when due, they are not started as successors, and they stop counting
 * as predecessors (shallow: dropped; deep: replaced by their own predecessors). */
#include "cli/cli.h"

static int pause_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_pause = {
	"pause", "NAME…", "deactivate definitions in their job networks", pause_exec,
	.options = NULL,	/* the common options */
};

static int pause_exec(int argc, char **argv)
{
	return cli_def_action(&cli_cmd_pause, argc, argv, "pause", "paused");
}
