/* Which token a client sends (credentials.h). */
#include "cli/credentials.h"
#include "base/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

/* A URL as the tokens file keys it: no trailing '/'. */
static size_t url_len(const char *url)
{
	size_t n = strlen(url);
	while (n > 0 && url[n - 1] == '/')
		n--;
	return n;
}

int cred_tokens_find(const char *text, const char *file, const char *url,
		     char out[TOKEN_TEXT_LEN + 1], char *err, size_t errlen)
{
	size_t want = url_len(url);
	int lineno = 0, found = 0;
	for (const char *p = text; *p; ) {
		const char *nl = strchr(p, '\n'), *end = nl ? nl : p + strlen(p);
		lineno++;
		const char *s = p;
		p = nl ? nl + 1 : end;
		while (s < end && (*s == ' ' || *s == '\t'))
			s++;
		const char *e = end;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t' || e[-1] == '\r'))
			e--;
		if (s == e || *s == '#')
			continue;
		size_t ulen = strcspn(s, " \t");
		const char *tok = s + ulen;
		while (tok < e && (*tok == ' ' || *tok == '\t'))
			tok++;
		unsigned char raw[TOKEN_BYTES];
		const char *why = "each line is URL TOKEN";
		if (ulen >= (size_t)(e - s) || tok >= e || memchr(tok, ' ', (size_t)(e - tok)) ||
		    memchr(tok, '\t', (size_t)(e - tok)) ||
		    token_text_parse(tok, (size_t)(e - tok), raw, &why)) {
			snprintf(err, errlen, "%s, line %d: %s", file, lineno, why);
			return -1;
		}
		if (!found && ulen == want && strncmp(s, url, want) == 0) {
			memcpy(out, tok, TOKEN_TEXT_LEN);
			out[TOKEN_TEXT_LEN] = '\0';
			found = 1;	/* the rest is still checked: a broken file is said */
		}
	}
	return found;
}

char *cred_tokens_path(void)
{
	const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
	if (xdg && *xdg)
		return xasprintf("%s/jobgrid/tokens", xdg);
	if (home && *home)
		return xasprintf("%s/.config/jobgrid/tokens", home);
	return NULL;
}

/* The tokens file's text (malloc'd), NULL when there is none; -1 in *rc on an error. */
static char *read_tokens_file(const char *path, int *rc, char *err, size_t errlen)
{
	FILE *f = fopen(path, "r");
	*rc = 0;
	if (f == NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			*rc = -1;
		}
		return NULL;
	}
	struct stat st;
	if (fstat(fileno(f), &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO))) {
		snprintf(err, errlen, "%s: others may read it (mode %04o): chmod 600 it", path,
			 (unsigned)(st.st_mode & 07777));
		fclose(f);
		*rc = -1;
		return NULL;
	}
	size_t cap = 4096, len = 0;
	char *text = xmalloc(cap);
	size_t n;
	while ((n = fread(text + len, 1, cap - len - 1, f)) > 0) {
		len += n;
		if (cap - len < 2) {
			if (cap >= (1u << 20)) {
				snprintf(err, errlen, "%s: larger than 1 MiB", path);
				*rc = -1;
				break;
			}
			cap *= 2;
			text = xrealloc(text, cap, 1);
		}
	}
	fclose(f);
	text[len] = '\0';
	if (*rc) {
		free(text);
		return NULL;
	}
	if (memchr(text, '\0', len)) {
		snprintf(err, errlen, "%s: holds a NUL byte", path);
		free(text);
		*rc = -1;
		return NULL;
	}
	return text;
}

int cred_token_for(const char *url, const char *token_file, char out[TOKEN_TEXT_LEN + 1],
		   char *err, size_t errlen)
{
	if (token_file) {
		char *why = NULL;
		if (token_file_read(token_file, out, &why) == 0)
			return 1;
		snprintf(err, errlen, "--token-file: %s", why);
		free(why);
		return -1;
	}
	const char *env = getenv("JOBGRID_TOKEN");
	if (env && *env) {
		unsigned char raw[TOKEN_BYTES];
		const char *why;
		if (token_text_parse(env, strlen(env), raw, &why)) {
			snprintf(err, errlen, "JOBGRID_TOKEN: %s", why);
			return -1;
		}
		snprintf(out, TOKEN_TEXT_LEN + 1, "%s", env);
		return 1;
	}
	char *path = cred_tokens_path();
	int rc = 0;
	char *text = path ? read_tokens_file(path, &rc, err, errlen) : NULL;
	if (text)
		rc = cred_tokens_find(text, path, url, out, err, errlen);
	free(text);
	free(path);
	return rc;
}
