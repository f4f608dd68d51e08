/* Settings files of `KEY = VALUE` lines (ssh_config's and git-config's habit): blank lines
 * and lines starting with '#' are skipped, spaces around KEY and VALUE are dropped, KEY is
 * lower-case letters, digits and '-', each KEY once, and only keys the reader knows. An
 * error names the file, the line and the rule. */
#ifndef JG_CONF_H
#define JG_CONF_H
#include <stddef.h>

struct conf_entry {
	char *key, *value;	/* owned by the conf */
	int line;
};

struct conf {
	char *path;		/* owned: the file, for messages */
	struct conf_entry *v;	/* owned */
	size_t n;
};

#define CONF_MAX_BYTES 65536	/* 64 KiB: a settings file, not a data file */

/* Parse text (len bytes, not NUL-terminated) read from path; known is a NULL-ended list
 * of keys. 0 with *out filled (free with conf_free), or -1 with *err a new string. */
int conf_parse(const char *path, const char *text, size_t len, const char *const *known,
	       struct conf *out, char **err);
/* Read and parse path. A file that does not exist is an empty conf when optional. */
int conf_load(const char *path, int optional, const char *const *known, struct conf *out,
	      char **err);
/* KEY's value (borrowed), or NULL. */
const char *conf_get(const struct conf *c, const char *key);
void conf_free(struct conf *c);
#endif
