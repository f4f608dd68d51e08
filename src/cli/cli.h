/* The command table: every subcommand of the jobgrid binary is one `struct cli_cmd`,
 * defined in its own file src/cli/cmd-NAME.c (tmux's cmd-*.c), listed in cli.c. */
#ifndef JG_CLI_H
#define JG_CLI_H

/* Exit statuses of SPEC §4. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_JOB_FAILED = 1,	/* an awaited job failed, was skipped or cancelled */
	EXIT_USAGE = 2,		/* usage error or input rejected by the server */
	EXIT_UNREACHABLE = 3,	/* the server could not be reached */
	EXIT_NOT_FOUND = 4,
	EXIT_DENIED = 5,
};

struct cli_cmd {
	const char *name;
	const char *usage;	/* arguments after the name, for `jobgrid help` */
	const char *summary;	/* one line */
	/* argv[0] is the command name; returns an enum cli_exit value. */
	int (*exec)(int argc, char **argv);
};

/* Looks up NAME: exact, or an unambiguous prefix. NULL if none (prints candidates). */
const struct cli_cmd *cli_find(const char *name);
void cli_usage_all(void);
#endif
