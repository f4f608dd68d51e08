/* Exponential back-off of failed logins (backoff.h). */
#include "auth/backoff.h"
#include "base/xalloc.h"
#include <stdlib.h>
#include <string.h>

struct backoff_entry {
	char *key;		/* owned */
	int fails;		/* in a row */
	int64_t until;		/* blocked before this wall ms */
	int64_t last;		/* the last failure, wall ms */
	struct backoff_entry *next;
};

void backoff_init(struct backoff *b)
{
	imap_init(&b->keys);
	b->n = 0;
}

static void free_chain(struct backoff_entry *e)
{
	for (struct backoff_entry *next; e; e = next) {
		next = e->next;
		free(e->key);
		free(e);
	}
}

void backoff_free(struct backoff *b)
{
	for (size_t i = 0; i < b->keys.cap; i++)
		if (b->keys.slots[i].key)
			free_chain(b->keys.slots[i].val);
	imap_free(&b->keys);
	b->n = 0;
}

static struct backoff_entry *find(const struct backoff *b, const char *key)
{
	struct backoff_entry *e = imap_get(&b->keys, imap_hash_str(key));
	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	return e;
}

int64_t backoff_wait(const struct backoff *b, const char *key, int64_t now)
{
	const struct backoff_entry *e = find(b, key);
	return e && e->until > now ? e->until - now : 0;
}

/* Forget the keys whose last failure is older than the longest block: they start afresh
 * anyway in spirit, and a flood of addresses cannot grow the table without bound. */
static void forget_idle(struct backoff *b, int64_t now)
{
	for (size_t i = 0; i < b->keys.cap; i++) {
		if (!b->keys.slots[i].key)
			continue;
		struct backoff_entry *head = b->keys.slots[i].val, **pp = &head;
		while (*pp) {
			struct backoff_entry *e = *pp;
			if (now - e->last > BACKOFF_MAX_MS) {
				*pp = e->next;
				free(e->key);
				free(e);
				b->n--;
			} else {
				pp = &e->next;
			}
		}
		b->keys.slots[i].val = head;	/* emptied chains are dropped below */
	}
	struct imap kept;
	imap_init(&kept);
	for (size_t i = 0; i < b->keys.cap; i++)
		if (b->keys.slots[i].key && b->keys.slots[i].val)
			imap_put(&kept, b->keys.slots[i].key, b->keys.slots[i].val);
	imap_free(&b->keys);
	b->keys = kept;
}

int64_t backoff_fail(struct backoff *b, const char *key, int64_t now)
{
	struct backoff_entry *e = find(b, key);
	if (e == NULL) {
		if (b->n >= BACKOFF_KEYS_MAX)
			forget_idle(b, now);
		uint64_t k = imap_hash_str(key);
		e = xcalloc(1, sizeof *e);
		e->key = xstrdup(key);
		e->next = imap_get(&b->keys, k);
		imap_put(&b->keys, k, e);
		b->n++;
	}
	e->fails++;
	e->last = now;
	if (e->fails <= BACKOFF_FREE - 1)
		return 0;
	int shift = e->fails - BACKOFF_FREE;
	int64_t wait = shift >= 20 ? BACKOFF_MAX_MS : (int64_t)BACKOFF_FIRST_MS << shift;
	if (wait > BACKOFF_MAX_MS)
		wait = BACKOFF_MAX_MS;
	e->until = now + wait;
	return wait;
}

void backoff_clear(struct backoff *b, const char *key)
{
	uint64_t k = imap_hash_str(key);
	struct backoff_entry *head = imap_get(&b->keys, k), **pp = &head;
	while (*pp && strcmp((*pp)->key, key) != 0)
		pp = &(*pp)->next;
	struct backoff_entry *e = *pp;
	if (e == NULL)
		return;
	*pp = e->next;
	if (head)
		imap_put(&b->keys, k, head);
	else
		imap_del(&b->keys, k);
	free(e->key);
	free(e);
	b->n--;
}
