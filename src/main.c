/* jobgrid: one binary, the first argument picks a subcommand from the table in cli.c.
 * Options every client command takes may also come before the command's name
 * (`jobgrid --server URL status`, as git and kubectl users type them). */
#include "cli/cli.h"

int main(int argc, char **argv)
{
	return cli_main(argc, argv);
}
