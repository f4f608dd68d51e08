/* `jobgrid shutdown`: stop the server now (its local workers report what they ran). */
#include "cli/cli.h"
#include <getopt.h>
#include "cli/client.h"
#include <stdio.h>

static int shutdown_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_shutdown = {
	"shutdown", "", "stop the server now", shutdown_exec,
	.options = NULL,	/* the common options */
};

static int shutdown_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_shutdown, argc, argv, &json);
	int rc = client_call("POST", "/v1/shutdown", NULL, false, NULL);
	if (rc == 0)
		printf("the server is shutting down\n");
	return rc;
}
