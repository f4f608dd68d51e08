/* Passwords typed by a person (`user add`, `passwd`): from a prompt on the terminal with
 * echo off, or the first line of stdin with --password-stdin (for scripts). */
#ifndef JG_CLI_PASSWORD_H
#define JG_CLI_PASSWORD_H
#include <stdbool.h>
#include <stddef.h>

/* One password into buf (len bytes): a line of stdin when from_stdin, else asked on
 * /dev/tty with prompt (twice when confirm, the two must agree). 0, or -1 after saying
 * why on stderr (no terminal, end of input, empty, too long, a mismatch). */
int cli_read_password(const char *cmd, const char *prompt, bool confirm, bool from_stdin,
		      char *buf, size_t len);
#endif
