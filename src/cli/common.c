/* Option parsing shared by the commands that take only --server, --json and -h. */
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>

int cli_simple_opts(const struct cli_cmd *cmd, int argc, char **argv, bool *json)
{
	static const struct option longopts[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: *json = true; break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(cmd) + 1000;	/* handled: caller returns EXIT_OK */
		default: return cli_usage(cmd);
		}
	}
	return 0;
}
