/* The command table and its lookup (tmux's cmd_table idea): exact name, or an unambiguous
 * prefix; an ambiguous one lists the candidates. */
#include "cli/cli.h"
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern const struct cli_cmd cli_cmd_add, cli_cmd_status, cli_cmd_list, cli_cmd_show,
	cli_cmd_log, cli_cmd_wait, cli_cmd_cancel, cli_cmd_retry, cli_cmd_remove, cli_cmd_mod,
	cli_cmd_events, cli_cmd_workers, cli_cmd_drain, cli_cmd_shutdown, cli_cmd_backup,
	cli_cmd_server, cli_cmd_worker, cli_cmd_limit, cli_cmd_deploy, cli_cmd_undeploy,
	cli_cmd_joblist, cli_cmd_jobinfo, cli_cmd_run, cli_cmd_defcheck, cli_cmd_script,
	cli_cmd_plan, cli_cmd_pause, cli_cmd_resume, cli_cmd_clock, cli_cmd_login, cli_cmd_logout,
	cli_cmd_user, cli_cmd_passwd, cli_cmd_token, cli_cmd_routes, cli_cmd_restore, cli_cmd_prune,
	cli_cmd_completion;

static const struct cli_cmd *const cli_table[] = {
	&cli_cmd_add, &cli_cmd_status, &cli_cmd_list, &cli_cmd_show, &cli_cmd_log,
	&cli_cmd_wait, &cli_cmd_cancel, &cli_cmd_retry, &cli_cmd_remove, &cli_cmd_mod,
	&cli_cmd_events, &cli_cmd_workers, &cli_cmd_limit, &cli_cmd_deploy, &cli_cmd_undeploy,
	&cli_cmd_joblist, &cli_cmd_jobinfo, &cli_cmd_run, &cli_cmd_plan, &cli_cmd_pause,
	&cli_cmd_resume, &cli_cmd_clock, &cli_cmd_defcheck, &cli_cmd_script, &cli_cmd_routes,
	&cli_cmd_drain, &cli_cmd_shutdown, &cli_cmd_backup, &cli_cmd_restore, &cli_cmd_prune,
	&cli_cmd_server, &cli_cmd_worker,
	&cli_cmd_login, &cli_cmd_logout, &cli_cmd_user, &cli_cmd_passwd, &cli_cmd_token,
	&cli_cmd_completion,
};
#define NCMDS (sizeof cli_table / sizeof cli_table[0])

const struct cli_cmd *const *cli_commands(size_t *n)
{
	*n = NCMDS;
	return cli_table;
}

const struct option *cli_options(const struct cli_cmd *cmd)
{
	return cmd->options ? cmd->options : cli_common_options;
}

const struct cli_cmd *cli_find(const char *name)
{
	const struct cli_cmd *found = NULL;
	int matches = 0;
	size_t n = strlen(name);
	for (size_t i = 0; i < NCMDS; i++) {
		if (strcmp(cli_table[i]->name, name) == 0)
			return cli_table[i];
		if (n > 0 && strncmp(cli_table[i]->name, name, n) == 0) {
			found = cli_table[i];
			matches++;
		}
	}
	if (matches == 1)
		return found;
	if (matches == 0) {
		fprintf(stderr, "jobgrid: unknown command '%s' (jobgrid help lists them)\n", name);
		return NULL;
	}
	fprintf(stderr, "jobgrid: '%s' is ambiguous:", name);
	for (size_t i = 0; i < NCMDS; i++)
		if (strncmp(cli_table[i]->name, name, n) == 0)
			fprintf(stderr, " %s", cli_table[i]->name);
	fprintf(stderr, "\n");
	return NULL;
}

void cli_usage_all(void)
{
	printf("usage: jobgrid [--server URL] [--ca FILE] [--json] COMMAND [ARGS]\n"
	       "       ($JOBGRID_URL, $JOBGRID_CA; an https:// server is trusted by --ca FILE or\n"
	       "       by the fingerprint `jobgrid login` pinned)\n"
	       "       jobgrid help [COMMAND] | --version\n\n");
	for (size_t i = 0; i < NCMDS; i++)
		printf("  %-9s %s\n            %s\n", cli_table[i]->name, cli_table[i]->summary,
		       cli_table[i]->usage);
	printf("\nexit status: 0 ok, 1 an awaited job failed, 2 usage or rejected input,\n"
	       "3 server unreachable, 4 not found, 5 not allowed, 6 timed out (wait --timeout)\n");
}

int cli_usage(const struct cli_cmd *cmd)
{
	fprintf(stderr, "usage: jobgrid %s %s\n", cmd->name, cmd->usage);
	return EXIT_USAGE;
}

int cli_usage_error(const struct cli_cmd *cmd, const char *fmt, ...)
{
	va_list ap;
	fprintf(stderr, "jobgrid %s: ", cmd->name);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fprintf(stderr, "\n");
	return cli_usage(cmd);
}

int cli_help(const struct cli_cmd *cmd)
{
	printf("usage: jobgrid %s %s\n%s\n", cmd->name, cmd->usage, cmd->summary);
	return EXIT_OK;
}

/* `help [COMMAND]`: the list, or what `COMMAND --help` says; `help --man DIR` writes
 * the manual pages (man.c). */
static int help(int argc, char **argv)
{
	if (argc < 3) {
		cli_usage_all();
		return EXIT_OK;
	}
	if (strcmp(argv[2], "--man") == 0) {
		if (argc != 4) {
			fprintf(stderr, "jobgrid help: --man: give the directory to write the pages"
					" into\n");
			return EXIT_USAGE;
		}
		return cli_write_man(argv[3]);
	}
	if (argc > 3) {
		fprintf(stderr, "jobgrid help: give one command, not '%s'\n", argv[3]);
		return EXIT_USAGE;
	}
	const struct cli_cmd *cmd = cli_find(argv[2]);
	if (cmd == NULL)
		return EXIT_USAGE;
	char *words[] = {(char *)cmd->name, "--help", NULL};
	return cmd->exec(2, words);
}

/* Global options before the command: --server URL (or =URL), --ca FILE, --token-file F
 * and --json go to the command as if written after its name; --version and --help are answered here. *n counts the
 * words taken into out (room for argc of them). Returns -1 to go on, else an exit. */
static int globals(int argc, char **argv, int *at, char **out, int *n)
{
	for (*at = 1; *at < argc && argv[*at][0] == '-'; (*at)++) {
		const char *a = argv[*at];
		if (strcmp(a, "--version") == 0 || strcmp(a, "-V") == 0) {
			printf("jobgrid %s (HTTP API v1)\n", JG_VERSION);
			return EXIT_OK;
		}
		if (strcmp(a, "--help") == 0 || strcmp(a, "-h") == 0) {
			cli_usage_all();
			return EXIT_OK;
		}
		if (strcmp(a, "--json") == 0 || strncmp(a, "--server=", 9) == 0 ||
		    strncmp(a, "--ca=", 5) == 0 || strncmp(a, "--token-file=", 13) == 0) {
			out[(*n)++] = argv[*at];
		} else if ((strcmp(a, "--server") == 0 || strcmp(a, "--ca") == 0 ||
			    strcmp(a, "--token-file") == 0) && *at + 1 < argc) {
			out[(*n)++] = argv[(*at)++];
			out[(*n)++] = argv[*at];
		} else {
			fprintf(stderr, "jobgrid: %s: before the command only --server URL, --ca FILE,"
					" --token-file F, --json, --version and --help are read\n", a);
			return EXIT_USAGE;
		}
	}
	return -1;
}

/* Does cmd read the user's client settings? Not the server and the worker (they have
 * --config FILE), nor the helpers they run (script, defcheck) in whatever account and
 * home they have, nor what never calls a server (completion, routes): a broken client
 * file must not break those. */
static bool reads_client_settings(const struct cli_cmd *cmd)
{
	static const char *const not[] = {"server", "worker", "script", "defcheck",
					  "completion", "routes", NULL};
	for (size_t i = 0; not[i]; i++)
		if (strcmp(cmd->name, not[i]) == 0)
			return false;
	return true;
}

int cli_main(int argc, char **argv)
{
	char **words = calloc((size_t)argc + 1, sizeof *words);
	int at, n = 1, rc = words ? globals(argc, argv, &at, words, &n) : EXIT_USAGE;
	if (rc < 0 && at >= argc) {
		cli_usage_all();
		rc = EXIT_USAGE;
	} else if (rc < 0 && strcmp(argv[at], "help") == 0) {
		rc = help(argc - at + 1, argv + at - 1);
	} else if (rc < 0) {
		const struct cli_cmd *cmd = cli_find(argv[at]);
		if (cmd == NULL) {
			rc = EXIT_USAGE;
		} else if (reads_client_settings(cmd) &&
			   (rc = cli_config_load()) != EXIT_OK) {
			/* said: a bad settings file stops every command */
		} else {	/* COMMAND, the global options, then the command's own words */
			words[0] = argv[at];
			for (int i = at + 1; i < argc; i++)
				words[n++] = argv[i];
			words[n] = NULL;
			rc = cmd->exec(n, words);
		}
	}
	free(words);
	return rc;
}
