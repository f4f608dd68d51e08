/* jobgrid: one binary, the first argument picks a subcommand from the table in cli.c. */
#include "cli/cli.h"
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
	if (argc < 2 || strcmp(argv[1], "help") == 0 || strcmp(argv[1], "--help") == 0 ||
	    strcmp(argv[1], "-h") == 0) {
		cli_usage_all();
		return argc < 2 ? EXIT_USAGE : EXIT_OK;
	}
	const struct cli_cmd *cmd = cli_find(argv[1]);
	if (cmd == NULL)
		return EXIT_USAGE;
	return cmd->exec(argc - 1, argv + 1);
}
