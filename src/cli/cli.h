/* The command table: every subcommand of the jobgrid binary is one `struct cli_cmd`,
 * defined in its own file src/cli/cmd-NAME.c (tmux's cmd-*.c), listed in cli.c. */
#ifndef JG_CLI_H
#define JG_CLI_H
#include <getopt.h>
#include <stdbool.h>
#include <stddef.h>

/* Exit statuses of SPEC §4. */
enum cli_exit {
	EXIT_OK = 0,
	EXIT_JOB_FAILED = 1,	/* an awaited job failed, was skipped or cancelled */
	EXIT_USAGE = 2,		/* usage error or input rejected by the server */
	EXIT_UNREACHABLE = 3,	/* the server could not be reached */
	EXIT_NOT_FOUND = 4,
	EXIT_DENIED = 5,
	EXIT_TIMEOUT = 6,	/* `wait --timeout` ran out */
	EXIT_SERVER_FAILED = 1,	/* `jobgrid server` could not start (a port in use, a store
				 * it cannot open) */
};

struct cli_cmd {
	const char *name;
	const char *usage;	/* arguments after the name, for `jobgrid help` */
	const char *summary;	/* one line */
	/* argv[0] is the command name; returns an enum cli_exit value. */
	int (*exec)(int argc, char **argv);
	/* Its getopt_long table, which `completion` and the man pages list; NULL: the
	 * common options alone (cli_common_options). */
	const struct option *options;
};

/* The whole command line: global options, `help [COMMAND]`, `--version`, then the
 * command. Returns the exit status. */
int cli_main(int argc, char **argv);
/* Looks up NAME: exact, or an unambiguous prefix. NULL if none (prints candidates). */
const struct cli_cmd *cli_find(const char *name);
/* The whole table, in the order `jobgrid help` lists it; *n its length. */
const struct cli_cmd *const *cli_commands(size_t *n);
/* cmd's option table: its own or the common one. */
const struct option *cli_options(const struct cli_cmd *cmd);
void cli_usage_all(void);
/* Print "jobgrid CMD: MESSAGE" and the usage on stderr; return EXIT_USAGE. */
int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
int cli_usage(const struct cli_cmd *cmd);	/* the usage alone on stderr; EXIT_USAGE */
int cli_help(const struct cli_cmd *cmd);	/* usage on stdout; EXIT_OK */
/* Write jobgrid.1 and jobgrid-CMD.1 for every command into DIR (man.c); an exit status. */
int cli_write_man(const char *dir);
/* What `CMD --help` prints, run in a child process: a new string, or NULL (man.c). */
char *cli_help_text(const struct cli_cmd *cmd);

/* Options every client command accepts, for getopt_long tables. */
enum { OPT_SERVER = 1000, OPT_JSON, OPT_HELP, OPT_CA, OPT_TOKEN_FILE };
#define CLI_COMMON_OPTS                                                                      \
	{"server", required_argument, NULL, OPT_SERVER}, {"json", no_argument, NULL, OPT_JSON}, \
		{"token-file", required_argument, NULL, OPT_TOKEN_FILE},                     \
		{"help", no_argument, NULL, 'h'}, {"ca", required_argument, NULL, OPT_CA}
/* The table of the common options alone (common.c), and that of cancel, retry and
 * remove (actions.c). */
extern const struct option cli_common_options[];
extern const struct option cli_help_only_options[];	/* --help alone */
/* argv is `CMD --help` or `CMD -h`, for the commands that read their words by hand. */
bool cli_wants_help(int argc, char **argv);
extern const struct option cli_action_options[];	/* remove's: --force too */
/* The cases of a getopt switch for the common options that go to the client (client.h). */
#define CLI_COMMON_CASES                                                                     \
	case OPT_SERVER: client_set_server(optarg); break;                                  \
	case OPT_CA: client_set_ca(optarg); break;                                          \
	case OPT_TOKEN_FILE: client_set_token_file(optarg); break

/* The client's settings file (config.c): read before a command runs; its server and ca
 * become $JOBGRID_URL and $JOBGRID_CA and its token-file the client's, each unless the
 * environment has it (flags win over both). EXIT_OK, or EXIT_USAGE after saying why. */
int cli_config_load(void);
/* A client setting ("group"), or NULL. */
const char *cli_config_get(const char *key);
/* Reads a settings file's option entries, each one of keys, into *out (base/conf.h). */
struct conf;
typedef int cli_conf_loader(const char *path, const char *const *keys, struct conf *out,
			    char **err);
/* `CMD --config FILE`: the file's settings (load reads them; KEY: one of cmd's long
 * options) become option words placed before argv's, so flags given win. A key with an
 * environment variable (server: JOBGRID_URL, ca: JOBGRID_CA) is skipped while it is set.
 * Without --config, default_path when it exists (NULL: none). 0 with *out (a new argv,
 * free with cli_config_argv_free), or -1 after saying why. */
int cli_config_argv(const struct cli_cmd *cmd, int argc, char **argv, cli_conf_loader *load,
		    const char *default_path, int *out_argc, char ***out_argv);
/* The KEY = VALUE loader (conf_load of a file that must exist). */
cli_conf_loader cli_conf_lines;
void cli_config_argv_free(int argc, char **argv);

/* Values of options, checked: on error print "jobgrid CMD: --OPT: rule, got 'V'" and
 * return -1. */
int cli_int(const struct cli_cmd *cmd, const char *opt, const char *val, long long min,
	    long long max, long long *out);
int cli_duration(const struct cli_cmd *cmd, const char *opt, const char *val, long long *out_ms);
/* --log-format text|json: sets the process's log format (base/log.h). */
int cli_log_format(const struct cli_cmd *cmd, const char *val);

#include <jansson.h>
/* Block until every job in ids (an array of id strings) is final; a progress bar on a
 * terminal; while the server cannot be reached it says so and tries again. timeout_ms 0:
 * no limit. Returns 0 all done, 1 any failed/skipped/cancelled, 4 one not found, 6 timed
 * out. (cmd-wait.c) */
int wait_for_ids(json_t *ids, long long timeout_ms, bool json);
/* POST on each job id, or with method NULL remove them all in one request (actions.c):
 * prints one line per job; returns the worst exit. */
int cli_job_action(const struct cli_cmd *cmd, int argc, char **argv, const char *method,
		   const char *suffix, const char *done_word);
/* POST /v1/definitions/NAME/ACTION for each name (actions.c); the worst exit status. */
int cli_def_action(const struct cli_cmd *cmd, int argc, char **argv, const char *action,
		   const char *done_word);
/* Parse only the common options (common.c). Returns 0 to go on, EXIT_USAGE on bad usage,
 * or 1000 after printing help (then exit 0). optind is left at the first argument. */
int cli_simple_opts(const struct cli_cmd *cmd, int argc, char **argv, bool *json);
/* Soft limits of an internal child process (defcheck, script): CPU seconds (then SIGXCPU)
 * and address space in bytes, the latter not under AddressSanitizer (common.c). */
void cli_child_limits(int cpu_s, long long as_bytes);
/* How a command shows a reply: with --json the reply as it is (on one line when compact,
 * for the commands that answer once per argument), else through render (NULL: nothing). */
struct cli_show {
	bool json, compact;
	void (*render)(json_t *reply, void *arg);
	void *arg;
};
/* Send METHOD PATH (body may be NULL, not stolen; every method but GET carries an
 * Idempotency-Key) and show the reply as *show says (common.c). The exit status. */
int cli_request_show(const char *method, const char *path, json_t *body,
		     const struct cli_show *show);
#define CLI_SIMPLE(cmd, argc, argv, json)                                                    \
	do {                                                                                 \
		int rc_ = cli_simple_opts(cmd, argc, argv, json);                            \
		if (rc_)                                                                     \
			return rc_ == 1000 ? EXIT_OK : rc_;                                  \
	} while (0)
#endif
