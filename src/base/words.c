/* Shell-like word splitting without a shell (words.h). */
#include "base/words.h"
#include "base/xalloc.h"
#include <stdlib.h>
#include <string.h>

void words_free(char **w)
{
	if (w == NULL)
		return;
	for (char **p = w; *p; p++)
		free(*p);
	free(w);
}

/* One word starting at *s (not a blank) into a new string; *s moves past it. NULL with
 * *why on an unclosed quote or a trailing backslash. */
static char *one_word(const char **s, const char **why)
{
	const char *p = *s;
	char *w = xmalloc(strlen(p) + 1);	/* a word is never longer than its text */
	size_t n = 0;
	while (*p && *p != ' ' && *p != '\t') {
		if (*p == '\'') {
			const char *end = strchr(p + 1, '\'');
			if (end == NULL) {
				*why = "a ' is not closed";
				free(w);
				return NULL;
			}
			memcpy(w + n, p + 1, (size_t)(end - p - 1));
			n += (size_t)(end - p - 1);
			p = end + 1;
		} else if (*p == '"') {
			for (p++; *p && *p != '"'; p++) {
				if (*p == '\\' && (p[1] == '"' || p[1] == '\\'))
					p++;
				w[n++] = *p;
			}
			if (*p != '"') {
				*why = "a \" is not closed";
				free(w);
				return NULL;
			}
			p++;
		} else if (*p == '\\') {
			if (p[1] == '\0') {
				*why = "it ends in a lone backslash";
				free(w);
				return NULL;
			}
			w[n++] = p[1];
			p += 2;
		} else {
			w[n++] = *p++;
		}
	}
	w[n] = '\0';
	*s = p;
	return w;
}

int words_split(const char *s, char ***out, size_t *n, const char **why)
{
	size_t cap = 4, len = 0;
	char **w = xcalloc(cap, sizeof *w);
	for (;;) {
		while (*s == ' ' || *s == '\t')
			s++;
		if (*s == '\0')
			break;
		char *word = one_word(&s, why);
		if (word == NULL) {
			words_free(w);
			return -1;
		}
		if (len + 2 > cap) {
			cap *= 2;
			w = xrealloc(w, cap, sizeof *w);
		}
		w[len++] = word;
		w[len] = NULL;
	}
	*out = w;
	*n = len;
	return 0;
}
