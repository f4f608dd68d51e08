/* Fuzz target for shell-like word splitting (`jobgrid server --spawn-opt "-p debug"`): a
 * refusal says why; the words of a text that splits hold no blank outside what quotes or
 * backslashes kept, and joining them single-quoted splits back to the same words. */
#include "base/words.h"
#include "base/xalloc.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	char **w = NULL, **back = NULL;
	size_t n = 0, nb = 0;
	const char *why = NULL;
	if (words_split(s, &w, &n, &why) != 0) {
		if (why == NULL || *why == '\0')
			abort();
		free(s);
		return 0;
	}
	/* Quote each word: ' becomes '\'' — the words must come back unchanged. */
	size_t cap = 1;
	for (size_t i = 0; i < n; i++)
		cap += strlen(w[i]) * 4 + 3;
	char *joined = xmalloc(cap), *p = joined;
	for (size_t i = 0; i < n; i++) {
		*p++ = '\'';
		for (const char *c = w[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
		*p++ = ' ';
	}
	*p = '\0';
	if (words_split(joined, &back, &nb, &why) != 0 || nb != n)
		abort();
	for (size_t i = 0; i < n; i++)
		if (strcmp(w[i], back[i]) != 0)
			abort();
	words_free(w);
	words_free(back);
	free(joined);
	free(s);
	return 0;
}
