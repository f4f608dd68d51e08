/* Slowing down password guessing (SPEC §9): failed logins are counted per key (a user
 * name, a peer address); after BACKOFF_FREE failures in a row a key is blocked for 1 s,
 * doubling with each further failure up to BACKOFF_MAX_MS. A success clears the key.
 * While blocked, a login is refused (429 with Retry-After) without looking at its
 * password, so guessing costs the guesser time, not the server hashing. Loop thread only;
 * `now` is passed in. */
#ifndef JG_AUTH_BACKOFF_H
#define JG_AUTH_BACKOFF_H
#include "base/imap.h"
#include <stdint.h>

#define BACKOFF_FREE 3
#define BACKOFF_FIRST_MS 1000
#define BACKOFF_MAX_MS 300000LL	/* 5 min */
#define BACKOFF_KEYS_MAX 100000	/* beyond this, keys idle the longest are forgotten */

struct backoff {
	struct imap keys;	/* imap_hash_str(key) → chain of struct backoff_entry (owned) */
	size_t n;
};

void backoff_init(struct backoff *b);
void backoff_free(struct backoff *b);
/* How long key stays blocked at now (ms; 0: not blocked). */
int64_t backoff_wait(const struct backoff *b, const char *key, int64_t now);
/* A failure of key at now; returns how long it is blocked from now (0: not yet). */
int64_t backoff_fail(struct backoff *b, const char *key, int64_t now);
void backoff_clear(struct backoff *b, const char *key);
#endif
