/* `jobgrid undeploy NAME`: retire a definition; its versions stay as history. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>

static int undeploy_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_undeploy = {
	"undeploy", "NAME", "retire a definition (jobs already made keep running)", undeploy_exec,
	.options = NULL,	/* the common options */
};

static int undeploy_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_undeploy, argc, argv, &json);
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_undeploy, "give exactly one name%s", "");
	char *name = client_escape(argv[optind]), path[600];
	snprintf(path, sizeof path, "/v1/definitions/%s", name);
	free(name);
	int rc = client_call("DELETE", path, NULL, true, NULL);
	if (rc == 0)
		printf("undeployed %s\n", argv[optind]);
	return rc;
}
