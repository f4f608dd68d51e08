/* Manual pages from the command table: jobgrid.1 lists the commands, jobgrid-CMD.1 holds
 * what `jobgrid CMD --help` says and the command's option table. Written at build time
 * (`jobgrid help --man DIR`), so a page cannot drift from the binary it ships with. */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

char *cli_help_text(const struct cli_cmd *cmd)
{
	int fds[2];
	if (pipe(fds) != 0)
		return NULL;
	fflush(stdout);
	pid_t pid = fork();
	if (pid == 0) {	/* the command's own --help, exactly as a user sees it */
		int null = open("/dev/null", O_WRONLY);
		if (dup2(fds[1], STDOUT_FILENO) < 0 || null < 0 || dup2(null, STDERR_FILENO) < 0)
			_exit(127);
		close(fds[0]);
		char *words[] = {(char *)cmd->name, "--help", NULL};
		int rc = cmd->exec(2, words);
		fflush(stdout);
		_exit(rc);
	}
	close(fds[1]);
	struct buf b = BUF_INIT;
	char chunk[4096];
	ssize_t n;
	while (pid > 0 && ((n = read(fds[0], chunk, sizeof chunk)) > 0 || (n < 0 && errno == EINTR)))
		if (n > 0)
			buf_append(&b, chunk, (size_t)n);
	close(fds[0]);
	int status = 0;
	if (pid < 0 || waitpid(pid, &status, 0) != pid || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0 || b.len == 0) {
		buf_free(&b);
		return NULL;
	}
	return b.data;
}

/* text as roff: a backslash and a minus escaped (so options copy as typed), and a line
 * that would start a request (. or ') made plain. */
static void roff_text(FILE *f, const char *text)
{
	bool bol = true;
	for (const char *p = text; *p; p++) {
		if (bol && (*p == '.' || *p == '\''))
			fputs("\\&", f);
		bol = *p == '\n';
		if (*p == '\\')
			fputs("\\e", f);
		else if (*p == '-')
			fputs("\\-", f);
		else
			fputc(*p, f);
	}
}

static void header(FILE *f, const char *title, const char *name, const char *summary)
{
	fprintf(f, ".TH %s 1 \"\" \"jobgrid %s\" \"jobgrid manual\"\n.SH NAME\n%s \\- ", title,
		JG_VERSION, name);
	roff_text(f, summary);
	fputs("\n", f);
}

static void options_section(FILE *f, const struct option *o)
{
	/* The table itself: what each does is in the synopsis, as --help shows it. */
	fputs(".SH OPTIONS\nEvery option the command reads (VALUE: it takes one):\n.PP\n.nf\n", f);
	for (; o->name; o++) {
		fputs("\\-\\-", f);
		roff_text(f, o->name);
		fputs(o->has_arg == required_argument ? " \\fIVALUE\\fR\n" : "\n", f);
	}
	fputs(".fi\n", f);
}

/* jobgrid-CMD.1; 0 or -1 after saying why. */
static int command_page(const char *dir, const struct cli_cmd *cmd)
{
	char *help = cli_help_text(cmd);
	if (help == NULL) {
		fprintf(stderr, "jobgrid help: --man: `jobgrid %s --help` failed\n", cmd->name);
		return -1;
	}
	char *path = xasprintf("%s/jobgrid-%s.1", dir, cmd->name);
	char *title = xasprintf("JOBGRID-%s", cmd->name), *name = xasprintf("jobgrid-%s", cmd->name);
	for (char *p = title; *p; p++)
		*p = (char)(*p >= 'a' && *p <= 'z' ? *p - 'a' + 'A' : *p);
	FILE *f = fopen(path, "w");
	int rc = -1;
	if (f) {
		header(f, title, name, cmd->summary);
		fputs(".SH SYNOPSIS\n.nf\n", f);
		roff_text(f, help);
		fputs(".fi\n", f);
		options_section(f, cli_options(cmd));
		fputs(".SH SEE ALSO\n.BR jobgrid (1)\n", f);
		rc = fclose(f) == 0 ? 0 : -1;
	}
	if (rc)
		fprintf(stderr, "jobgrid help: --man: cannot write %s: %s\n", path, strerror(errno));
	free(path);
	free(title);
	free(name);
	free(help);
	return rc;
}

/* jobgrid.1: the global options, the commands, the exit statuses, the files. */
static int main_page(const char *dir)
{
	char *path = xasprintf("%s/jobgrid.1", dir);
	FILE *f = fopen(path, "w");
	if (f == NULL) {
		fprintf(stderr, "jobgrid help: --man: cannot write %s: %s\n", path, strerror(errno));
		free(path);
		return -1;
	}
	header(f, "JOBGRID", "jobgrid", "a grid job orchestrator: server, workers and client");
	fputs(".SH SYNOPSIS\n.B jobgrid\n[\\-\\-server URL] [\\-\\-ca FILE] [\\-\\-token\\-file FILE]"
	      " [\\-\\-json] COMMAND [ARGS]\n.br\n.B jobgrid help\n[COMMAND]\n.SH COMMANDS\n", f);
	size_t n;
	const struct cli_cmd *const *cmds = cli_commands(&n);
	for (size_t i = 0; i < n; i++) {
		fprintf(f, ".TP\n.BR jobgrid\\-%s (1)\n", cmds[i]->name);
		roff_text(f, cmds[i]->summary);
		fputs("\n", f);
	}
	fputs(".SH ENVIRONMENT\n.TP\n.B JOBGRID_URL\nthe server (as \\-\\-server)\n"
	      ".TP\n.B JOBGRID_CA\nthe CA file (as \\-\\-ca)\n"
	      ".TP\n.B JOBGRID_TOKEN\nan API token (else \\-\\-token\\-file, or the one login saved)\n"
	      ".TP\n.B JOBGRID_CONFIG\nthe client's settings file instead of the one below"
	      " (empty: none)\n"
	      ".SH FILES\n.TP\n.I ~/.config/jobgrid/config\nthe client's settings, KEY = VALUE"
	      " lines: server, ca, token\\-file, group ($XDG_CONFIG_HOME/jobgrid/config when"
	      " set); the environment and flags win over it\n"
	      ".TP\n.I jobgrid worker \\-\\-config FILE\na worker's options as KEY = VALUE"
	      " lines (cores = 16); flags win over it\n"
	      ".TP\n.I /etc/jobgrid/server.conf\nthe server's YAML settings when no"
	      " \\-\\-config FILE is given: dependencies: and options: (its flags by name)\n"
	      ".SH EXIT STATUS\n0 ok, 1 an awaited job failed, 2 usage or rejected input,"
	      " 3 server unreachable, 4 not found, 5 not allowed, 6 timed out (wait \\-\\-timeout)\n",
	      f);
	int rc = fclose(f) == 0 ? 0 : -1;
	if (rc)
		fprintf(stderr, "jobgrid help: --man: cannot write %s\n", path);
	free(path);
	return rc;
}

int cli_write_man(const char *dir)
{
	if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
		fprintf(stderr, "jobgrid help: --man: cannot create %s: %s\n", dir, strerror(errno));
		return EXIT_USAGE;
	}
	int rc = main_page(dir);
	size_t n;
	const struct cli_cmd *const *cmds = cli_commands(&n);
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = command_page(dir, cmds[i]);
	return rc ? EXIT_USAGE : EXIT_OK;
}
