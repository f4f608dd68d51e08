/* The idempotency table (see idem.h): chains of entries under a hash of the full key. */
#include "server/idem.h"
#include "base/xalloc.h"
#include <string.h>

static void entry_free(struct idem_entry *e)
{
	free(e->key);
	free(e->body);
	free(e);
}

void idem_init(struct idem_table *t)
{
	imap_init(&t->map);
	t->hash = imap_hash_str;
	t->n = 0;
}

void idem_free(struct idem_table *t)
{
	for (size_t i = 0; i < t->map.cap; i++) {
		if (t->map.slots[i].key == 0)
			continue;
		for (struct idem_entry *e = t->map.slots[i].val, *next; e; e = next) {
			next = e->next;
			entry_free(e);
		}
	}
	imap_free(&t->map);
	t->n = 0;
}

struct idem_entry *idem_find(const struct idem_table *t, const char *key)
{
	struct idem_entry *e = imap_get(&t->map, t->hash(key));
	while (e && strcmp(e->key, key) != 0)
		e = e->next;
	return e;
}

/* A new entry at the head of its hash's chain. */
static struct idem_entry *add(struct idem_table *t, const char *key, int64_t at)
{
	uint64_t h = t->hash(key);
	struct idem_entry *e = xcalloc(1, sizeof *e);
	e->key = xstrdup(key);
	e->at = at;
	e->next = imap_get(&t->map, h);
	imap_put(&t->map, h, e);
	t->n++;
	return e;
}

void idem_open(struct idem_table *t, const char *key, int64_t at)
{
	add(t, key, at);
}

void idem_answer(struct idem_table *t, const char *key, int32_t status, const char *body,
		 int64_t at)
{
	struct idem_entry *e = idem_find(t, key);
	if (e == NULL)
		e = add(t, key, at);
	else if (e->status != 0)
		return;	/* the first answer stands */
	e->status = status;
	e->at = at;
	e->body = xstrdup(body);
}

/* Unlink and free the entries of hash h's chain that drop() picks. */
static size_t drop_from_chain(struct idem_table *t, uint64_t h,
			      bool (*drop)(const struct idem_entry *, const void *), const void *arg)
{
	struct idem_entry *head = imap_get(&t->map, h), **link = &head;
	size_t n = 0;
	while (*link) {
		struct idem_entry *e = *link;
		if (drop(e, arg)) {
			*link = e->next;
			entry_free(e);
			n++;
		} else {
			link = &e->next;
		}
	}
	if (head)
		imap_put(&t->map, h, head);
	else
		imap_del(&t->map, h);
	t->n -= n;
	return n;
}

static bool is_open_key(const struct idem_entry *e, const void *key)
{
	return e->status == 0 && strcmp(e->key, key) == 0;
}

void idem_abandon(struct idem_table *t, const char *key)
{
	drop_from_chain(t, t->hash(key), is_open_key, key);
}

static bool answered_before(const struct idem_entry *e, const void *before)
{
	return e->status != 0 && e->at < *(const int64_t *)before;
}

size_t idem_prune_before(struct idem_table *t, int64_t before)
{
	/* Hashes first: dropping a chain's last entry moves other slots of the map. */
	uint64_t *hashes = xcalloc(t->map.len + 1, sizeof *hashes);
	size_t nh = 0, n = 0;
	for (size_t i = 0; i < t->map.cap; i++) {
		if (t->map.slots[i].key == 0)
			continue;
		for (const struct idem_entry *e = t->map.slots[i].val; e; e = e->next) {
			if (answered_before(e, &before)) {
				hashes[nh++] = t->map.slots[i].key;
				break;
			}
		}
	}
	for (size_t i = 0; i < nh; i++)
		n += drop_from_chain(t, hashes[i], answered_before, &before);
	free(hashes);
	return n;
}
