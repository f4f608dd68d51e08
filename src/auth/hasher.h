/* Password hashing off the loop thread (DECISIONS pitfall 7: Argon2id costs ~84 ms). One
 * helper thread takes jobs in order and posts each result back to the loop, where the
 * callback runs. Passwords are copied in and wiped once used. */
#ifndef JG_AUTH_HASHER_H
#define JG_AUTH_HASHER_H
#include <stdbool.h>

struct event_base;
struct hasher;

/* On the loop thread. HASH: ok true with hash (malloc'd, the callee's to free) or false
 * when hashing failed (out of memory). VERIFY: ok says whether the password matches;
 * hash NULL. */
typedef void (*hasher_cb)(void *arg, bool ok, char *hash);

/* NULL with errno when the thread cannot start. */
struct hasher *hasher_new(struct event_base *base);
void hasher_hash(struct hasher *h, const char *password, hasher_cb cb, void *arg);
/* hash NULL or "": checked against a dummy hash and never matches, so an unknown user
 * costs as long as a known one. */
void hasher_verify(struct hasher *h, const char *hash, const char *password, hasher_cb cb,
		   void *arg);
/* How many jobs are queued or running (loop thread): callers refuse new ones above a
 * bound, so a flood of logins cannot queue minutes of hashing ahead of everyone. */
int hasher_pending(const struct hasher *h);
#define HASHER_MAX_PENDING 32
/* Wait for the jobs in hand, run their callbacks, stop the thread. NULL is harmless. */
void hasher_free(struct hasher *h);
#endif
