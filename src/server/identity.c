/* Users, tokens and the server's own credentials (identity.h). */
#include "server/identity.h"
#include "auth/hasher.h"
#include "auth/principal.h"
#include "server/batch.h"
#include "server/server.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

static int load_user(void *arg, const struct store_user_row *row, char *why, size_t whylen)
{
	struct identity *id = arg;
	unsigned role = role_parse(row->role);
	if (role != ROLE_ADMIN && role != ROLE_USER) {
		snprintf(why, whylen, "role is '%.20s', not admin or user", row->role);
		return -1;
	}
	user_put(&id->users, row->name, role, row->hash, row->created_at);
	return 0;
}

static int load_token(void *arg, const struct store_token_row *row, char *why, size_t whylen)
{
	struct identity *id = arg;
	struct token k = {.id = row->id, .name = row->name, .owner = row->owner,
			  .role = role_parse(row->role), .created_at = row->created_at,
			  .expires_at = row->expires_at, .revoked_at = row->revoked_at};
	if (k.role == 0) {
		snprintf(why, whylen, "role is '%.20s', not admin, user or worker", row->role);
		return -1;
	}
	memcpy(k.hash, row->hash, TOKEN_BYTES);
	token_load(&id->tokens, &k);
	return 0;
}

/* Is there a way in for an admin: a live admin token, or an admin with a password? */
static bool admin_exists(const struct identity *id, int64_t now)
{
	size_t n;
	bool yes = false;
	struct token **ks = token_list(&id->tokens, &n);
	for (size_t i = 0; i < n && !yes; i++)
		yes = ks[i]->role == ROLE_ADMIN && token_live(ks[i], now);
	free(ks);
	struct user **us = user_list(&id->users, &n);
	for (size_t i = 0; i < n && !yes; i++)
		yes = us[i]->role == ROLE_ADMIN && us[i]->hash[0];
	free(us);
	return yes;
}

/* Issue a token and write its text to path (0600); the token is revoked again if the file
 * cannot be written. NULL with *err. */
static struct token *issue_to_file(struct server *srv, const char *path, const char *owner,
				   const char *name, unsigned role, char **err)
{
	char text[TOKEN_TEXT_LEN + 1];
	int64_t now = clock_wall_ms();
	struct token *k = token_issue(&srv->ident->tokens, owner, name, role, now, 0, text);
	if (token_file_write(path, text) != 0) {
		*err = xasprintf("cannot write %s: %s", path, strerror(errno));
		k->revoked_at = now;
	}
	sodium_memzero(text, sizeof text);
	identity_save_token(srv, k);
	return k->revoked_at ? NULL : k;
}

int identity_start(struct server *srv, bool on, char **err)
{
	struct identity *id = xcalloc(1, sizeof *id);
	srv->ident = id;
	id->on = on;
	user_table_init(&id->users);
	token_table_init(&id->tokens);
	backoff_init(&id->backoff);
	if (srv->store->vt->load_auth(srv->store, load_user, load_token, id, err))
		return -1;
	id->hasher = hasher_new(srv->base);
	if (id->hasher == NULL) {
		*err = xasprintf("cannot start the password hasher: %s", strerror(errno));
		return -1;
	}
	if (!on || admin_exists(id, clock_wall_ms()))
		return 0;
	char *path = xasprintf("%s/admin.token", srv->data_dir);
	struct token *k = issue_to_file(srv, path, "admin", "admin", ROLE_ADMIN, err);
	if (k)
		log_info("authentication is on and no admin credential existed: wrote an admin"
			 " token (id %lld) to %s (mode 0600); use it with --token-file %s or"
			 " JOBGRID_TOKEN", (long long)k->id, path, path);
	free(path);
	return k ? 0 : -1;
}

const char *identity_local_token(struct server *srv)
{
	struct identity *id = srv->ident;
	if (!id->on)
		return NULL;
	/* Checked at every start of a local worker: an admin may have revoked it. */
	free(id->local_token_file);
	id->local_token_file = NULL;
	char *path = xasprintf("%s/local-workers.token", srv->data_dir), *err = NULL;
	char text[TOKEN_TEXT_LEN + 1];
	unsigned char raw[TOKEN_BYTES];
	const char *why;
	/* Workers adopted from an earlier server still hold the token in the file: keep it
	 * while it is live. */
	if (token_file_read(path, text, &err) == 0 &&
	    token_text_parse(text, TOKEN_TEXT_LEN, raw, &why) == 0) {
		struct token *k = token_verify(&id->tokens, raw, clock_wall_ms(), &why);
		if (k && k->role == ROLE_WORKER) {
			id->local_token_file = path;
			return path;
		}
	}
	free(err);
	err = NULL;
	if (issue_to_file(srv, path, "local-workers", "local-workers", ROLE_WORKER, &err) == NULL) {
		log_error("local workers cannot authenticate: %s", err);
		free(err);
		free(path);
		return NULL;
	}
	id->local_token_file = path;
	return path;
}

void identity_free(struct server *srv)
{
	struct identity *id = srv->ident;
	if (id == NULL)
		return;
	hasher_free(id->hasher);
	user_table_free(&id->users);
	token_table_free(&id->tokens);
	backoff_free(&id->backoff);
	free(id->local_token_file);
	free(id);
	srv->ident = NULL;
}

void identity_save_user(struct server *srv, const struct user *u)
{
	struct rec_user *r = &store_batch_add(&server_batch(srv)->sb, REC_USER)->u.user;
	r->name = u->name;
	r->role = role_name(u->role);
	r->hash = xstrdup(u->hash);
	r->created_at = u->created_at;
	server_mark_dirty(srv);
}

bool identity_del_user(struct server *srv, const char *name, int64_t now)
{
	struct identity *id = srv->ident;
	const char *iname = intern(name);
	if (!user_del(&id->users, name))
		return false;
	store_batch_add(&server_batch(srv)->sb, REC_USER_DEL)->u.user.name = iname;
	size_t n;
	struct token **ks = token_list(&id->tokens, &n);
	for (size_t i = 0; i < n; i++) {
		if (ks[i]->owner == iname && !ks[i]->revoked_at) {
			ks[i]->revoked_at = now;
			identity_save_token(srv, ks[i]);
		}
	}
	free(ks);
	server_mark_dirty(srv);
	return true;
}

void identity_save_token(struct server *srv, const struct token *k)
{
	struct rec_token *r = &store_batch_add(&server_batch(srv)->sb, REC_TOKEN)->u.token;
	r->id = k->id;
	r->name = k->name;
	r->owner = k->owner;
	r->role = role_name(k->role);
	memcpy(r->hash, k->hash, TOKEN_BYTES);
	r->created_at = k->created_at;
	r->expires_at = k->expires_at;
	r->revoked_at = k->revoked_at;
	server_mark_dirty(srv);
}
