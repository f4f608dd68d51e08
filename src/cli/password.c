/* Reading passwords without echo (password.h). */
#include "cli/password.h"
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

/* A line of f into buf without its newline: 0, -1 at end of input, -2 too long. */
static int read_line(FILE *f, char *buf, size_t len)
{
	if (fgets(buf, (int)len, f) == NULL)
		return -1;
	size_t n = strlen(buf);
	if (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	else if (!feof(f))
		return -2;
	if (n > 0 && buf[n - 1] == '\r')
		buf[--n] = '\0';
	return 0;
}

static int ask(FILE *tty, const char *prompt, char *buf, size_t len)
{
	struct termios old, quiet;
	int fd = fileno(tty);
	bool echo_off = tcgetattr(fd, &old) == 0;
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fd, TCSAFLUSH, &quiet);
	}
	fprintf(tty, "%s", prompt);
	fflush(tty);
	int rc = read_line(tty, buf, len);
	if (echo_off)
		tcsetattr(fd, TCSAFLUSH, &old);
	fprintf(tty, "\n");
	return rc;
}

int cli_read_password(const char *cmd, const char *prompt, bool confirm, bool from_stdin,
		      char *buf, size_t len)
{
	int rc;
	if (from_stdin) {
		rc = read_line(stdin, buf, len);
	} else {
		FILE *tty = fopen("/dev/tty", "r+");
		if (tty == NULL) {
			fprintf(stderr, "jobgrid %s: no terminal to ask for the password on (%s):"
				" give it with --password-stdin\n", cmd, strerror(errno));
			return -1;
		}
		rc = ask(tty, prompt, buf, len);
		char again[1100];
		if (rc == 0 && confirm) {
			rc = ask(tty, "again: ", again, sizeof again);
			if (rc == 0 && strcmp(again, buf) != 0) {
				fprintf(stderr, "jobgrid %s: the two passwords differ\n", cmd);
				rc = -3;
			}
			memset(again, 0, sizeof again);
		}
		fclose(tty);
	}
	if (rc == -1)
		fprintf(stderr, "jobgrid %s: no password: the input ended\n", cmd);
	else if (rc == -2)
		fprintf(stderr, "jobgrid %s: the password is longer than %zu bytes\n", cmd, len - 2);
	else if (rc == 0 && buf[0] == '\0')
		fprintf(stderr, "jobgrid %s: the password is empty\n", cmd);
	return rc == 0 && buf[0] ? 0 : -1;
}
