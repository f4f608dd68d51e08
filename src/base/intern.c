/* Open-addressing hash set of immortal strings. */
#include "base/intern.h"
#include "base/xalloc.h"
#include <stdint.h>
#include <string.h>

static char **slots;	/* owned table; each non-NULL entry from xmalloc */
static size_t nslots, nused;

/* FNV-1a: small, good enough to spread short keys over a hash table. */
static uint64_t hash_bytes(const char *s, size_t n)
{
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ (unsigned char)s[i]) * 1099511628211ULL;
	return h;
}

static void grow(void)
{
	size_t old_n = nslots;
	char **old = slots;
	nslots = nslots ? nslots * 2 : 1024;
	slots = xcalloc(nslots, sizeof *slots);
	for (size_t i = 0; i < old_n; i++) {
		if (old[i] == NULL)
			continue;
		size_t j = hash_bytes(old[i], strlen(old[i])) & (nslots - 1);
		while (slots[j])
			j = (j + 1) & (nslots - 1);
		slots[j] = old[i];
	}
	free(old);
}

const char *intern_n(const char *s, size_t n)
{
	if (s == NULL)
		s = "", n = 0;
	if ((nused + 1) * 2 > nslots)
		grow();
	size_t j = hash_bytes(s, n) & (nslots - 1);
	while (slots[j]) {
		if (strncmp(slots[j], s, n) == 0 && slots[j][n] == '\0')
			return slots[j];
		j = (j + 1) & (nslots - 1);
	}
	slots[j] = xstrndup(s, n);
	nused++;
	return slots[j];
}

const char *intern(const char *s)
{
	return intern_n(s, s ? strlen(s) : 0);
}

void intern_free_all(void)
{
	for (size_t i = 0; i < nslots; i++)
		free(slots[i]);
	free(slots);
	slots = NULL;
	nslots = nused = 0;
}
