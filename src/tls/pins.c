/* known_servers and tokens (pins.h). */
#include "tls/pins.h"
#include "base/xalloc.h"
#include "tls/tls.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define LINE_MAX_LEN 4096
#define PINS_FILE_MAX (1u << 20)

char *pins_path(const char *name)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg == '/')
		return xasprintf("%s/jobgrid/%s", xdg, name);
	if (home && *home)
		return xasprintf("%s/.config/jobgrid/%s", home, name);
	return NULL;
}

char *pins_url(const char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	return xasprintf("%.*s", (int)n, url);
}

static bool url_valid(const char *u)
{
	static const char *const schemes[] = {"http://", "https://", "unix:"};
	size_t n = strlen(u);
	bool scheme = false;
	for (size_t i = 0; i < sizeof schemes / sizeof schemes[0]; i++)
		if (strncmp(u, schemes[i], strlen(schemes[i])) == 0 && n > strlen(schemes[i]))
			scheme = true;
	if (!scheme || u[n - 1] == '/')
		return false;
	for (; *u; u++)
		if ((unsigned char)*u <= 0x20 || (unsigned char)*u >= 0x7f)
			return false;
	return true;
}

static bool token_valid(const char *v)
{
	return strncmp(v, "jg_", 3) == 0 && strlen(v) == 67 &&
	       strspn(v + 3, "0123456789abcdef") == 64;
}

static bool value_valid(enum pins_kind kind, const char *v)
{
	return kind == PINS_FINGERPRINT ? tls_fingerprint_valid(v) : token_valid(v);
}

static const char *value_rule(enum pins_kind kind)
{
	return kind == PINS_FINGERPRINT
		       ? "the fingerprint is sha256: and 64 lowercase hex digits"
		       : "the token is jg_ and 64 lowercase hex digits";
}

static void add_line(struct pins *p, char *text, char *url, char *value)
{
	p->lines = xrealloc(p->lines, p->n + 1, sizeof *p->lines);
	p->lines[p->n++] = (struct pins_line){text, url, value};
}

/* One line (NUL-terminated, no newline) into p; NULL or the rule it breaks. */
static const char *parse_line(struct pins *p, const char *line)
{
	const char *s = line + strspn(line, " \t");
	if (*s == '\0' || *s == '#') {
		add_line(p, xstrdup(line), NULL, NULL);
		return NULL;
	}
	if (strchr(line, '\r'))
		return "a carriage return in the line";
	size_t ul = strcspn(s, " \t");
	const char *v = s + ul + strspn(s + ul, " \t");
	size_t vl = strcspn(v, " \t");
	if (*v == '\0' || v[vl + strspn(v + vl, " \t")] != '\0')
		return "expected two fields, URL VALUE";
	char *url = xasprintf("%.*s", (int)ul, s), *value = xasprintf("%.*s", (int)vl, v);
	const char *why = !url_valid(url) ? "the URL is http://, https:// or unix: and more,"
					   " with no spaces and no trailing /"
			  : !value_valid(p->kind, value) ? value_rule(p->kind)
			  : pins_find(p, url, NULL) ? "a second line for the same URL"
						    : NULL;
	if (why) {
		free(url);
		free(value);
		return why;
	}
	add_line(p, xstrdup(line), url, value);
	return NULL;
}

int pins_parse(struct pins *p, const char *path, enum pins_kind kind, const char *text,
	       size_t len, char **err)
{
	*p = (struct pins){xstrdup(path), kind, NULL, 0};
	size_t at = 0;
	for (int lineno = 1; at < len; lineno++) {
		const char *nl = memchr(text + at, '\n', len - at);
		size_t ll = nl ? (size_t)(nl - (text + at)) : len - at;
		const char *why = NULL;
		if (ll > LINE_MAX_LEN)
			why = "the line is longer than 4096 bytes";
		else if (memchr(text + at, '\0', ll))
			why = "a NUL byte in the line";
		char *line = why ? NULL : xasprintf("%.*s", (int)ll, text + at);
		if (line)
			why = parse_line(p, line);
		free(line);
		if (why) {
			*err = xasprintf("%s line %d: %s", path, lineno, why);
			return -1;
		}
		at += ll + (nl ? 1 : 0);
	}
	return 0;
}

int pins_load(struct pins *p, const char *path, enum pins_kind kind, char **err)
{
	FILE *f = fopen(path, "r");
	if (f == NULL && errno == ENOENT) {
		*p = (struct pins){xstrdup(path), kind, NULL, 0};
		return 0;
	}
	if (f == NULL) {
		*p = (struct pins){xstrdup(path), kind, NULL, 0};
		*err = xasprintf("cannot read %s: %s", path, strerror(errno));
		return -1;
	}
	/* A tokens file holds secrets: one that others may read is refused, as ssh does with
	 * a private key, rather than used. */
	struct stat st;
	if (kind == PINS_TOKEN && fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		fclose(f);
		*p = (struct pins){xstrdup(path), kind, NULL, 0};
		*err = xasprintf("%s: others may read it (mode %04o): chmod 600 it", path,
				 (unsigned)(st.st_mode & 07777));
		return -1;
	}
	char *text = NULL;
	size_t len = 0, cap = 0, got;
	char chunk[4096];
	while (len <= PINS_FILE_MAX && (got = fread(chunk, 1, sizeof chunk, f)) > 0) {
		if (len + got > cap) {
			cap = (len + got) * 2;
			text = xrealloc(text, cap, 1);
		}
		memcpy(text + len, chunk, got);
		len += got;
	}
	bool bad = ferror(f);
	fclose(f);
	int rc;
	if (len > PINS_FILE_MAX) {
		*p = (struct pins){xstrdup(path), kind, NULL, 0};
		*err = xasprintf("%s: larger than 1 MiB", path);
		rc = -1;
	} else if (bad) {
		*p = (struct pins){xstrdup(path), kind, NULL, 0};
		*err = xasprintf("cannot read %s: %s", path, strerror(EIO));
		rc = -1;
	} else {
		rc = pins_parse(p, path, kind, text ? text : "", len, err);
	}
	free(text);
	return rc;
}

const char *pins_find(const struct pins *p, const char *url, int *line)
{
	char *u = pins_url(url);
	const char *found = NULL;
	for (size_t i = 0; i < p->n && !found; i++)
		if (p->lines[i].url && strcmp(p->lines[i].url, u) == 0) {
			found = p->lines[i].value;
			if (line)
				*line = (int)i + 1;
		}
	free(u);
	return found;
}

void pins_set(struct pins *p, const char *url, const char *value)
{
	/* Copies first: url and value may be the line's own. */
	char *u = pins_url(url), *v = xstrdup(value);
	char *text = xasprintf("%s %s", u, v);
	for (size_t i = 0; i < p->n; i++)
		if (p->lines[i].url && strcmp(p->lines[i].url, u) == 0) {
			free(p->lines[i].text);
			free(p->lines[i].value);
			p->lines[i].text = text;
			p->lines[i].value = v;
			free(u);
			return;
		}
	add_line(p, text, u, v);
}

bool pins_remove(struct pins *p, const char *url)
{
	char *u = pins_url(url);
	bool found = false;
	for (size_t i = 0; i < p->n; i++)
		if (p->lines[i].url && strcmp(p->lines[i].url, u) == 0) {
			free(p->lines[i].text);
			free(p->lines[i].url);
			free(p->lines[i].value);
			memmove(&p->lines[i], &p->lines[i + 1], (p->n - i - 1) * sizeof *p->lines);
			p->n--;
			found = true;
			break;
		}
	free(u);
	return found;
}

/* mkdir -p of path's directory, the last level 0700. */
static int make_dir(const char *path, char **err)
{
	char *dir = xstrdup(path);
	char *slash = strrchr(dir, '/');
	int rc = 0;
	if (slash && slash != dir) {
		*slash = '\0';
		for (char *c = dir + 1; *c; c++) {
			if (*c != '/')
				continue;
			*c = '\0';
			mkdir(dir, 0755);	/* ~/.config: the usual mode */
			*c = '/';
		}
		if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
			*err = xasprintf("cannot make %s: %s", dir, strerror(errno));
			rc = -1;
		}
	}
	free(dir);
	return rc;
}

int pins_save(const struct pins *p, char **err)
{
	if (make_dir(p->path, err))
		return -1;
	char *tmp = xasprintf("%s.tmp.%d", p->path, (int)getpid());
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
	FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
	bool ok = f != NULL;
	for (size_t i = 0; ok && i < p->n; i++)
		ok = fprintf(f, "%s\n", p->lines[i].text) >= 0;
	ok = ok && fflush(f) == 0 && fsync(fd) == 0;
	int e = errno;
	if (f)
		ok = fclose(f) == 0 && ok;
	else if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, p->path) != 0) {
		e = errno;
		ok = false;
	}
	if (!ok) {
		*err = xasprintf("cannot write %s: %s", p->path, strerror(e));
		unlink(tmp);
	}
	free(tmp);
	return ok ? 0 : -1;
}

void pins_free(struct pins *p)
{
	for (size_t i = 0; i < p->n; i++) {
		free(p->lines[i].text);
		free(p->lines[i].url);
		free(p->lines[i].value);
	}
	free(p->lines);
	free(p->path);
	*p = (struct pins){NULL, PINS_FINGERPRINT, NULL, 0};
}
