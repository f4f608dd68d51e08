/* KEY = VALUE settings files. */
#include "base/conf.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\r';
}

static bool key_char(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
}

static bool known_key(const char *const *known, const char *key)
{
	for (size_t i = 0; known[i]; i++)
		if (strcmp(known[i], key) == 0)
			return true;
	return false;
}

/* "a, b, c" of the known keys: a new string. */
static char *known_list(const char *const *known)
{
	struct buf b = BUF_INIT;
	for (size_t i = 0; known[i]; i++)
		buf_printf(&b, "%s%s", i ? ", " : "", known[i]);
	char *list = xstrdup(buf_cstr(&b));
	buf_free(&b);
	return list;
}

/* One line (p, n bytes, no newline) into c. NULL, or the rule it breaks (a new string). */
static char *parse_line(struct conf *c, const char *p, size_t n, int line,
			const char *const *known)
{
	while (n && is_space(*p)) {
		p++;
		n--;
	}
	while (n && is_space(p[n - 1]))
		n--;
	if (n == 0 || *p == '#')
		return NULL;
	if (memchr(p, '\0', n))
		return xstrdup("a settings file is text: a NUL byte is not allowed");
	size_t k = 0;
	while (k < n && key_char(p[k]))
		k++;
	if (k == 0)
		return xstrdup("a line is KEY = VALUE, KEY of a-z, 0-9 and '-'");
	size_t eq = k;
	while (eq < n && is_space(p[eq]))
		eq++;
	if (eq == n || p[eq] != '=')
		return xasprintf("a line is KEY = VALUE: '=' expected after '%.*s'", (int)k, p);
	char *key = xstrndup(p, k);
	if (!known_key(known, key)) {
		char *list = known_list(known);
		char *why = xasprintf("unknown key '%s' (known: %s)", key, list);
		free(list);
		free(key);
		return why;
	}
	for (size_t i = 0; i < c->n; i++) {
		if (strcmp(c->v[i].key, key) == 0) {
			char *why = xasprintf("'%s' is given twice (first on line %d)", key,
					      c->v[i].line);
			free(key);
			return why;
		}
	}
	size_t v = eq + 1;
	while (v < n && is_space(p[v]))
		v++;
	c->v = xrealloc(c->v, c->n + 1, sizeof *c->v);
	c->v[c->n++] = (struct conf_entry){key, xstrndup(p + v, n - v), line};
	return NULL;
}

int conf_parse(const char *path, const char *text, size_t len, const char *const *known,
	       struct conf *out, char **err)
{
	memset(out, 0, sizeof *out);
	out->path = xstrdup(path);
	int line = 1;
	for (size_t at = 0; at < len; line++) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t n = nl ? (size_t)(nl - (text + at)) : len - at;
		char *why = parse_line(out, text + at, n, line, known);
		if (why) {
			*err = xasprintf("%s:%d: %s", path, line, why);
			free(why);
			conf_free(out);
			return -1;
		}
		at += n + 1;
	}
	return 0;
}

int conf_load(const char *path, int optional, const char *const *known, struct conf *out,
	      char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL) {
		if (optional && errno == ENOENT) {
			memset(out, 0, sizeof *out);
			out->path = xstrdup(path);
			return 0;
		}
		*err = xasprintf("%s: %s", path, strerror(errno));
		return -1;
	}
	char *text = xmalloc(CONF_MAX_BYTES + 1);
	size_t len = fread(text, 1, CONF_MAX_BYTES + 1, f);
	int bad = ferror(f);
	fclose(f);
	int rc = -1;
	if (bad)
		*err = xasprintf("%s: cannot read it", path);
	else if (len > CONF_MAX_BYTES)
		*err = xasprintf("%s: larger than %d bytes, too big for a settings file", path,
				 CONF_MAX_BYTES);
	else
		rc = conf_parse(path, text, len, known, out, err);
	free(text);
	return rc;
}

const char *conf_get(const struct conf *c, const char *key)
{
	for (size_t i = 0; i < c->n; i++)
		if (strcmp(c->v[i].key, key) == 0)
			return c->v[i].value;
	return NULL;
}

void conf_free(struct conf *c)
{
	for (size_t i = 0; i < c->n; i++) {
		free(c->v[i].key);
		free(c->v[i].value);
	}
	free(c->v);
	free(c->path);
	memset(c, 0, sizeof *c);
}
