/* Integer-keyed open-addressing map. */
#include "base/imap.h"
#include "base/xalloc.h"
#include <string.h>

/* The smallest table a map shrinks to, and when it shrinks: a table under 1/8 full halves
 * (then about 1/4 full), a table 3/4 full doubles (then about 3/8 full), so either takes
 * a number of puts or deletes proportional to the table before it happens again: both are
 * amortised O(1). A map that held many keys once (the attempts of a finished big job) does
 * not keep their room. */
enum { IMAP_MIN_CAP = 64 };

static size_t slot_of(uint64_t key, size_t cap)
{
	key ^= key >> 33;	/* murmur3's finaliser spreads sequential keys */
	key *= 0xff51afd7ed558ccdULL;
	key ^= key >> 33;
	return (size_t)key & (cap - 1);
}

void imap_init(struct imap *m)
{
	m->slots = NULL;
	m->cap = m->len = 0;
}

void imap_free(struct imap *m)
{
	free(m->slots);
	imap_init(m);
}

static void rehash(struct imap *m, size_t cap)
{
	struct imap_slot *old = m->slots;
	size_t old_cap = m->cap;
	m->slots = xcalloc(cap, sizeof *m->slots);
	m->cap = cap;
	m->len = 0;
	for (size_t i = 0; i < old_cap; i++)
		if (old[i].key)
			imap_put(m, old[i].key, old[i].val);
	free(old);
}

void *imap_get(const struct imap *m, uint64_t key)
{
	if (m->cap == 0 || key == 0)
		return NULL;
	for (size_t i = slot_of(key, m->cap);; i = (i + 1) & (m->cap - 1)) {
		if (m->slots[i].key == key)
			return m->slots[i].val;
		if (m->slots[i].key == 0)
			return NULL;
	}
}

void imap_put(struct imap *m, uint64_t key, void *val)
{
	if ((m->len + 1) * 4 > m->cap * 3)
		rehash(m, m->cap ? m->cap * 2 : IMAP_MIN_CAP);
	size_t i = slot_of(key, m->cap);
	while (m->slots[i].key && m->slots[i].key != key)
		i = (i + 1) & (m->cap - 1);
	if (m->slots[i].key == 0)
		m->len++;
	m->slots[i].key = key;
	m->slots[i].val = val;
}

void *imap_del(struct imap *m, uint64_t key)
{
	if (m->cap == 0 || key == 0)
		return NULL;
	size_t i = slot_of(key, m->cap);
	while (m->slots[i].key != key) {
		if (m->slots[i].key == 0)
			return NULL;
		i = (i + 1) & (m->cap - 1);
	}
	void *val = m->slots[i].val;
	/* Backward-shift: pull later entries of the probe run into the hole. */
	size_t hole = i;
	for (size_t j = (i + 1) & (m->cap - 1); m->slots[j].key; j = (j + 1) & (m->cap - 1)) {
		size_t home = slot_of(m->slots[j].key, m->cap);
		if (((j - home) & (m->cap - 1)) >= ((j - hole) & (m->cap - 1))) {
			m->slots[hole] = m->slots[j];
			hole = j;
		}
	}
	m->slots[hole].key = 0;
	m->slots[hole].val = NULL;
	m->len--;
	if (m->cap > IMAP_MIN_CAP && m->len * 8 < m->cap)
		rehash(m, m->cap / 2);
	return val;
}

uint64_t imap_hash_str(const char *s)
{
	uint64_t h = 1469598103934665603ULL;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 1099511628211ULL;
	return h ? h : 1;
}
