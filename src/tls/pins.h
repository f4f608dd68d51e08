/* The client's files of one line per server, in ~/.config/jobgrid/ ($XDG_CONFIG_HOME/
 * jobgrid when set; the directory 0700, the files 0600), as ssh's known_hosts:
 *
 *   known_servers   URL sha256:HEX   the fingerprint of the server's CA, pinned at login
 *   tokens          URL jg_HEX       the token login got for that server
 *
 * URL is the server's base URL as given (http://, https:// or unix:, no trailing '/').
 * Lines starting with '#' and blank lines are kept as they are; any other line that is
 * not "URL VALUE" is an error naming the file, the line and the rule. A rewrite is atomic
 * (a temporary file renamed over the old one). */
#ifndef JG_PINS_H
#define JG_PINS_H
#include <stdbool.h>
#include <stddef.h>

enum pins_kind {
	PINS_FINGERPRINT,	/* known_servers */
	PINS_TOKEN,		/* tokens */
};

struct pins_line {
	char *text;		/* owned: the line as read (comments and blanks) or written */
	char *url, *value;	/* owned, or NULL for a comment or blank line */
};

struct pins {
	char *path;		/* owned */
	enum pins_kind kind;
	struct pins_line *lines;	/* owned array */
	size_t n;
};

/* The path of file name in the config directory (malloc'd), or NULL when neither
 * $XDG_CONFIG_HOME nor $HOME is set. */
char *pins_path(const char *name);
/* Parse text (len bytes, not NUL-terminated) as the file at path. 0, or -1 with *err
 * (malloc'd): "PATH line N: RULE". *p is set either way (pins_free). */
int pins_parse(struct pins *p, const char *path, enum pins_kind kind, const char *text,
	       size_t len, char **err);
/* Read path (absent: empty; at most 1 MiB; a tokens file must not be readable by others).
 * 0, or -1 with *err. */
int pins_load(struct pins *p, const char *path, enum pins_kind kind, char **err);
/* The value stored for url (its trailing '/' ignored) and its line number (1-based), or
 * NULL. */
const char *pins_find(const struct pins *p, const char *url, int *line);
/* Store value for url: replaces its line, or appends one. */
void pins_set(struct pins *p, const char *url, const char *value);
/* Remove url's line; false when it had none. */
bool pins_remove(struct pins *p, const char *url);
/* Write the file (its directory made 0700 if missing, the file 0600). 0, or -1 with *err. */
int pins_save(const struct pins *p, char **err);
void pins_free(struct pins *p);
/* url without its trailing '/'s, malloc'd: the form the files keep. */
char *pins_url(const char *url);
#endif
