/* Who calls (SPEC §9), on the HTTP side: the Authorization header into the call's
 * principal, refusals (a log line and an admin-only `auth.refused` event each), password
 * checks on the hasher's thread while the call waits, and the routes POST /v1/login,
 * POST /v1/logout and GET /v1/whoami. Expiry goes by the wall clock, never the test
 * clock: tokens are about real time. */
#include "api/auth.h"
#include "api/call.h"
#include "api/decode.h"
#include "api/handlers.h"
#include "api/render.h"
#include "auth/hasher.h"
#include "server/identity.h"
#include "server/persist.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>

#define LOGIN_TOKEN_MS (30LL * 86400 * 1000)	/* a login's token, unless it says */

void auth_identify(struct call *c)
{
	struct identity *id = c->srv->ident;
	const char *h = evhttp_find_header(evhttp_request_get_input_headers(c->req),
					   "Authorization");
	unsigned char raw[TOKEN_BYTES];
	const char *why = NULL;
	c->who.name = intern("anonymous");
	c->who.roles = ROLE_ANON;
	if (h == NULL)
		return;
	struct token *k = NULL;
	if (bearer_parse(h, raw, &why) == 0)
		k = token_verify(&id->tokens, raw, clock_wall_ms(), &why);
	sodium_memzero(raw, sizeof raw);
	if (k == NULL) {
		c->auth_why = why;
		return;
	}
	c->who.name = k->owner;
	c->who.roles = k->role;
	c->token_id = k->id;
}

void auth_refuse(struct call *c, enum api_error err, const char *why)
{
	struct server *srv = c->srv;
	const char *method = c->route ? c->route->method : "?";
	const char *uri = evhttp_request_get_uri(c->req);
	const char *peer = call_peer(c);
	int status = api_error_status(err);
	log_warn("refused %d %s: %s %.200s from %s: %s", status, c->who.name, method, uri, peer,
		 why);
	char at[40];
	persist_notice(srv, json_pack("{s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s}", "event",
				      "auth.refused", "at",
				      clock_format_rfc3339(clock_wall_ms(), at, sizeof at),
				      "status", status, "code", api_error_code(err), "user",
				      c->who.name, "method", method, "path", uri ? uri : "",
				      "peer", peer, "reason", why));
	if (err == ERR_FORBIDDEN)
		call_error(c, err, "", "%s (role %s) may not call %s %s", c->who.name,
			   role_name(c->who.roles), method, c->route ? c->route->pattern : "");
	else if (err == ERR_UNAUTHORIZED)
		call_error(c, err, "", "%s: log in or give a token (--token-file F or JOBGRID_TOKEN)",
			   why);
	else
		call_error(c, err, "", "%s", why);
}

/* ---- waiting for the hasher ---------------------------------------------------------- */

struct pw_wait {
	struct call *c;
	bool gone;			/* the client left: answered 499, the result is dropped */
	auth_pw_done done;
	void *ctx;			/* owned (malloc'd): wiped and freed after done */
	size_t ctx_size;
};

static void on_pw_close(struct evhttp_connection *evcon, void *arg)
{
	struct pw_wait *w = arg;
	w->gone = true;
	call_error(w->c, ERR_CLIENT_CLOSED, "", "the client left during the password check");
	w->c = NULL;
}

static void on_pw(void *arg, bool ok, char *hash)
{
	struct pw_wait *w = arg;
	if (!w->gone) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(w->c->req), NULL, NULL);
		w->done(w->c, ok, hash, w->ctx);
	}
	free(hash);
	sodium_memzero(w->ctx, w->ctx_size);
	free(w->ctx);
	free(w);
}

void auth_password_then(struct call *c, const char *hash, const char *password,
			auth_pw_done done, void *ctx, size_t ctx_size)
{
	if (hasher_pending(c->srv->ident->hasher) >= HASHER_MAX_PENDING) {
		sodium_memzero(ctx, ctx_size);
		free(ctx);
		c->retry_after_s = 1;
		call_error(c, ERR_UNAVAILABLE, "", "too many password checks at once: try again");
		return;
	}
	struct pw_wait *w = xcalloc(1, sizeof *w);
	w->c = c;
	w->done = done;
	w->ctx = ctx;
	w->ctx_size = ctx_size;
	c->kept = true;
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_pw_close, w);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
	if (hash)
		hasher_verify(c->srv->ident->hasher, hash, password, on_pw, w);
	else
		hasher_hash(c->srv->ident->hasher, password, on_pw, w);
}

/* ---- back-off ------------------------------------------------------------------------ */

static void backoff_keys(struct call *c, const char *user, char *ukey, char *akey, size_t len)
{
	snprintf(ukey, len, "user:%s", user);
	snprintf(akey, len, "addr:%s", call_peer(c));
}

bool auth_slowed(struct call *c, const char *user)
{
	struct identity *id = c->srv->ident;
	char ukey[128], akey[128];
	int64_t now = clock_wall_ms();
	backoff_keys(c, user, ukey, akey, sizeof ukey);
	int64_t wait = backoff_wait(&id->backoff, ukey, now), await = backoff_wait(&id->backoff, akey, now);
	if (await > wait)
		wait = await;
	if (wait <= 0)
		return false;
	c->retry_after_s = (int)((wait + 999) / 1000);
	char why[160];
	snprintf(why, sizeof why, "too many failed logins for %s or from %s: try again in %d s",
		 user, call_peer(c), c->retry_after_s);
	auth_refuse(c, ERR_TOO_MANY_TRIES, why);
	return true;
}

void auth_failed(struct call *c, const char *user)
{
	struct identity *id = c->srv->ident;
	char ukey[128], akey[128];
	int64_t now = clock_wall_ms();
	backoff_keys(c, user, ukey, akey, sizeof ukey);
	backoff_fail(&id->backoff, ukey, now);
	backoff_fail(&id->backoff, akey, now);
}

static void auth_succeeded(struct call *c, const char *user)
{
	struct identity *id = c->srv->ident;
	char ukey[128], akey[128];
	backoff_keys(c, user, ukey, akey, sizeof ukey);
	backoff_clear(&id->backoff, ukey);
	backoff_clear(&id->backoff, akey);
}

/* ---- routes -------------------------------------------------------------------------- */

json_t *auth_render_token(const struct token *k, const char *text)
{
	json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o}", "id", (json_int_t)k->id,
			      "name", k->name, "user", k->owner, "role", role_name(k->role),
			      "created_at", render_time(k->created_at), "expires_at",
			      render_time(k->expires_at), "revoked_at", render_time(k->revoked_at));
	if (text)
		json_object_set_new(o, "token", json_string(text));
	return o;
}

void auth_reply_token(struct call *c, int status, const char *owner, const char *name,
		      unsigned role, int64_t expires_ms)
{
	struct server *srv = c->srv;
	int64_t now = clock_wall_ms();
	char text[TOKEN_TEXT_LEN + 1];
	struct token *k = token_issue(&srv->ident->tokens, owner, name, role, now,
				      expires_ms ? now + expires_ms : 0, text);
	identity_save_token(srv, k);
	call_reply(c, status, auth_render_token(k, text));
	sodium_memzero(text, sizeof text);
}

struct login_ctx {
	const char *user;	/* interned */
	int64_t expires_ms;
};

static void login_checked(struct call *c, bool ok, char *hash, void *arg)
{
	struct login_ctx *l = arg;
	const struct user *u = user_find(&c->srv->ident->users, l->user);
	if (!ok || u == NULL) {
		auth_failed(c, l->user);
		auth_refuse(c, ERR_UNAUTHORIZED, "wrong user name or password");
		return;
	}
	auth_succeeded(c, l->user);
	log_info("login: %s (%s) from %s", u->name, role_name(u->role), call_peer(c));
	auth_reply_token(c, 200, u->name, "login", u->role,
			l->expires_ms ? l->expires_ms : LOGIN_TOKEN_MS);
}

/* The highest role of a set of bits. */
static unsigned top_role(unsigned roles)
{
	return roles & ROLE_ADMIN ? ROLE_ADMIN : roles & ROLE_USER ? ROLE_USER : ROLE_WORKER;
}

void api_login(struct call *c)
{
	struct identity *id = c->srv->ident;
	struct login_req req;
	struct derr e;
	if (decode_login(c->body, &req, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	if (!id->on) {
		call_reply(c, 200, json_pack("{s:b, s:s}", "auth", 0, "user", c->who.name));
		return;
	}
	if (req.user == NULL) {	/* {}: a token for who the caller already is */
		if (c->who.roles == ROLE_ANON)
			auth_refuse(c, ERR_UNAUTHORIZED, c->auth_why ? c->auth_why
				    : "give {\"user\": NAME, \"password\": PASSWORD}");
		else
			auth_reply_token(c, 200, c->who.name, "login", top_role(c->who.roles),
					req.expires_ms ? req.expires_ms : LOGIN_TOKEN_MS);
		return;
	}
	c->who.name = intern(req.user);	/* for the log of a refusal: who it claims to be */
	if (auth_slowed(c, req.user))
		return;
	const struct user *u = user_find(&id->users, req.user);
	struct login_ctx *l = xcalloc(1, sizeof *l);
	l->user = intern(req.user);
	l->expires_ms = req.expires_ms;
	auth_password_then(c, u ? u->hash : "", req.password, login_checked, l, sizeof *l);
}

void api_logout(struct call *c)
{
	struct server *srv = c->srv;
	struct token *k = token_by_id(&srv->ident->tokens, c->token_id);
	if (k == NULL) {	/* no token made this call: nothing to revoke */
		call_reply(c, 200, json_pack("{s:n}", "revoked"));
		return;
	}
	k->revoked_at = clock_wall_ms();
	identity_save_token(srv, k);
	log_info("logout: token %lld of %s revoked", (long long)k->id, k->owner);
	call_reply(c, 200, json_pack("{s:I}", "revoked", (json_int_t)k->id));
}

void api_whoami(struct call *c)
{
	/* Open to anyone, but a bad token is not "anonymous": a client asking who it is with
	 * a revoked or expired token must learn that the token no longer works. */
	if (c->auth_why) {
		auth_refuse(c, ERR_UNAUTHORIZED, c->auth_why);
		return;
	}
	call_reply(c, 200, json_pack("{s:s, s:s, s:b, s:o}", "user", c->who.name, "role",
				     c->who.roles == ROLE_ANON ? "anonymous" : role_name(c->who.roles),
				     "auth", c->srv->ident->on, "token",
				     c->token_id ? json_integer(c->token_id) : json_null()));
}
