/* Who may call (SPEC §9), as the server keeps it: the users and tokens tables (auth/),
 * loaded from the store at start and written back through the open batch, the failed-login
 * back-off, the password hasher's thread, and the credentials the server makes itself: the
 * first admin token (DATA/admin.token) and its local workers' token. */
#ifndef JG_IDENTITY_H
#define JG_IDENTITY_H
#include "auth/backoff.h"
#include "auth/token.h"
#include "auth/users.h"
#include <stdbool.h>

struct server;
struct hasher;

struct identity {
	bool on;			/* --auth: every call needs credentials */
	struct user_table users;
	struct token_table tokens;
	struct backoff backoff;		/* failed logins per user name and per address */
	struct hasher *hasher;		/* owned: Argon2id off the loop thread */
	char *local_token_file;		/* owned: DATA/local-workers.token, or NULL */
};

/* Load the tables (srv->store is open), start the hasher; with on and no admin
 * credential yet (a first start), issue an admin token into DATA/admin.token (0600).
 * 0, or -1 with *err (malloc'd). */
int identity_start(struct server *srv, bool on, char **err);
/* With auth on, for a local worker about to start: the file its token is in (a worker
 * token the server makes and keeps for them across restarts while it is live; a new one
 * once it is revoked or the file is gone), else NULL. Borrowed until the next call. */
const char *identity_local_token(struct server *srv);
void identity_free(struct server *srv);

/* Changes, recorded in the open batch (a reply that reveals them waits for its commit). */
void identity_save_user(struct server *srv, const struct user *u);
/* Delete name and revoke every token it owns. false if there is no such user. */
bool identity_del_user(struct server *srv, const char *name, int64_t now);
void identity_save_token(struct server *srv, const struct token *k);
#endif
