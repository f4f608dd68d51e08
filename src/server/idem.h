/* Idempotency keys: the first answer to each (owner, Idempotency-Key), so a request sent
 * again gets the same reply and changes nothing (docs/API.md). Entries live 24 h.
 *
 * An entry is found by a 64-bit hash of its full key "owner\nkey" and told apart by that
 * full key: keys whose hashes collide share one slot as a chain, so neither replaces the
 * other (a replaced key would lose its protection, and its entry would leak). The hash is
 * a field so a test can make every key collide.
 *
 * An entry is open from the moment its request is dispatched until its reply is made: a
 * second request with the key meanwhile must not run (a deferred reply, such as a deploy
 * waiting for its checker, would otherwise let a retry run the request twice). */
#ifndef JG_IDEM_H
#define JG_IDEM_H
#include "base/imap.h"
#include <stdbool.h>
#include <stdint.h>

struct idem_entry {
	char *key;			/* owned: owner\nkey */
	char *body;			/* owned: the reply first sent; NULL while open */
	int64_t at;			/* wall ms it was opened or answered */
	int32_t status;			/* the reply's HTTP status; 0 while open */
	struct idem_entry *next;	/* owned: the next entry with the same hash */
};

struct idem_table {
	struct imap map;		/* hash(key) → chain of struct idem_entry */
	uint64_t (*hash)(const char *key);	/* imap_hash_str unless a test swaps it */
	size_t n;			/* entries, open ones included */
};

void idem_init(struct idem_table *t);
void idem_free(struct idem_table *t);
/* The entry of key, or NULL. Borrowed: valid until the table changes. */
struct idem_entry *idem_find(const struct idem_table *t, const char *key);
/* Open an entry for key, which must not be in the table. */
void idem_open(struct idem_table *t, const char *key, int64_t at);
/* Record key's reply: completes its open entry, or adds an answered one (loading from the
 * store). A key already answered keeps its first reply. */
void idem_answer(struct idem_table *t, const char *key, int32_t status, const char *body,
		 int64_t at);
/* Drop key's entry if it is still open (its request ended without a reply to keep). */
void idem_abandon(struct idem_table *t, const char *key);
/* Drop the answered entries older than before; returns how many. */
size_t idem_prune_before(struct idem_table *t, int64_t before);
#endif
