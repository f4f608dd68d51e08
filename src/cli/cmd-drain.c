/* `jobgrid drain`: stop handing out work; the server exits once nothing runs. */
#include "cli/cli.h"
#include <getopt.h>
#include "cli/client.h"
#include <stdio.h>

static int drain_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_drain = {
	"drain", "", "stop handing out work and exit when idle", drain_exec,
	.options = NULL,	/* the common options */
};

static int drain_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_drain, argc, argv, &json);
	int rc = client_call("POST", "/v1/drain", NULL, true, NULL);
	if (rc == 0)
		printf("draining: running joblets finish, nothing new starts, then the server exits\n");
	return rc;
}
