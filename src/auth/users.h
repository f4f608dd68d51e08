/* Users (SPEC §9): a name, a role (admin or user) and an Argon2id password hash in
 * libsodium's crypto_pwhash_str form (empty: no password, e.g. a local account that
 * authenticates through the Unix socket). The table lives on the loop thread; hashing
 * happens on the hasher's thread (auth/hasher.h), persisting in server/persist.c. */
#ifndef JG_AUTH_USERS_H
#define JG_AUTH_USERS_H
#include "base/imap.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define USER_NAME_MAX 64
#define PASSWORD_MAX 1024	/* bytes; longer ones are refused, not truncated */

struct user {
	const char *name;	/* interned */
	unsigned role;		/* ROLE_ADMIN or ROLE_USER */
	char *hash;		/* owned: crypto_pwhash_str text, or "" for none */
	int64_t created_at;	/* wall ms */
};

struct user_table {
	struct imap by_name;	/* imap_hash_str(name) → chain of struct user_slot */
	size_t n;
};

void user_table_init(struct user_table *t);
void user_table_free(struct user_table *t);
struct user *user_find(const struct user_table *t, const char *name);
/* Add or replace name's row (hash copied). */
struct user *user_put(struct user_table *t, const char *name, unsigned role, const char *hash,
		      int64_t created_at);
bool user_del(struct user_table *t, const char *name);
/* Every user in name order (malloc'd array of borrowed pointers). */
struct user **user_list(const struct user_table *t, size_t *n);

/* Role names of the wire and the CLI: "admin", "user", "worker". */
const char *role_name(unsigned role);
/* A role name into its bit; 0 if it is none of those. */
unsigned role_parse(const char *name);
#endif
