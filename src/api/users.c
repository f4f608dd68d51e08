/* Users (SPEC §9): GET/POST /v1/users, DELETE /v1/users/{name} (admins), and
 * PUT /v1/users/{name}/password (yourself, with the old password; an admin for anyone). */
#include "api/auth.h"
#include "api/call.h"
#include "api/decode.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/identity.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

static json_t *render_user(const struct user *u)
{
	return json_pack("{s:s, s:s, s:b, s:o}", "name", u->name, "role", role_name(u->role),
			 "password", u->hash[0] != '\0', "created_at", render_time(u->created_at));
}

void api_users_list(struct call *c)
{
	size_t n;
	struct user **us = user_list(&c->srv->ident->users, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, render_user(us[i]));
	free(us);
	call_reply(c, 200, json_pack("{s:o}", "users", arr));
}

struct add_ctx {
	const char *name;	/* interned */
	unsigned role;
};

/* Add the user now (hash "" for none); 409 if the name was taken meanwhile. */
static void add_user(struct call *c, const char *name, unsigned role, const char *hash)
{
	struct server *srv = c->srv;
	if (user_find(&srv->ident->users, name)) {
		call_error(c, ERR_DUPLICATE, "name", "name: user %s exists already", name);
		return;
	}
	struct user *u = user_put(&srv->ident->users, name, role, hash, clock_wall_ms());
	identity_save_user(srv, u);
	log_info("user %s (%s) added by %s", u->name, role_name(role), c->who.name);
	call_reply(c, 201, render_user(u));
}

static void add_hashed(struct call *c, bool ok, char *hash, void *arg)
{
	struct add_ctx *a = arg;
	if (!ok) {
		call_error(c, ERR_UNAVAILABLE, "password", "password: cannot be hashed now");
		return;
	}
	add_user(c, a->name, a->role, hash);
}

void api_users_add(struct call *c)
{
	struct user_req req;
	struct derr e;
	if (decode_user_add(c->body, &req, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	if (user_find(&c->srv->ident->users, req.name)) {
		call_error(c, ERR_DUPLICATE, "name", "name: user %s exists already", req.name);
		return;
	}
	if (req.password == NULL) {
		add_user(c, req.name, req.role, "");
		return;
	}
	struct add_ctx *a = xcalloc(1, sizeof *a);
	a->name = intern(req.name);
	a->role = req.role;
	auth_password_then(c, NULL, req.password, add_hashed, a, sizeof *a);
}

void api_user_delete(struct call *c)
{
	const char *name = c->params[0];
	if (!identity_del_user(c->srv, name, clock_wall_ms())) {
		call_error(c, ERR_NOT_FOUND, "name", "no user %s", name);
		return;
	}
	log_info("user %s deleted by %s; its tokens are revoked", name, c->who.name);
	call_reply(c, 200, json_pack("{s:s}", "deleted", name));
}

/* ---- passwords ----------------------------------------------------------------------- */

struct pw_ctx {
	const char *name;	/* interned */
	char password[PASSWORD_MAX + 1];	/* the new one, while the old is checked */
};

static void new_hashed(struct call *c, bool ok, char *hash, void *arg)
{
	struct pw_ctx *p = arg;
	struct user *u = user_find(&c->srv->ident->users, p->name);
	if (!ok || u == NULL) {
		call_error(c, ok ? ERR_NOT_FOUND : ERR_UNAVAILABLE, "name",
			   ok ? "no user %s" : "password: cannot be hashed now (user %s)", p->name);
		return;
	}
	free(u->hash);
	u->hash = xstrdup(hash);
	identity_save_user(c->srv, u);
	log_info("password of %s changed by %s", u->name, c->who.name);
	call_reply(c, 200, render_user(u));
}

static void old_checked(struct call *c, bool ok, char *unused, void *arg)
{
	struct pw_ctx *p = arg;
	if (!ok) {
		auth_failed(c, p->name);
		auth_refuse(c, ERR_FORBIDDEN, "old_password: does not match");
		return;
	}
	struct pw_ctx *next = xcalloc(1, sizeof *next);
	next->name = p->name;
	auth_password_then(c, NULL, p->password, new_hashed, next, sizeof *next);
}

void api_user_password(struct call *c)
{
	struct server *srv = c->srv;
	const char *name = c->params[0];
	bool self = strcmp(name, c->who.name) == 0;
	struct password_req req;
	struct derr e;
	if (!self && !(c->who.roles & ROLE_ADMIN)) {
		auth_refuse(c, ERR_FORBIDDEN, "only your own password, or an admin's for anyone");
		return;
	}
	if (decode_password(c->body, &req, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	const struct user *u = user_find(&srv->ident->users, name);
	if (u == NULL) {
		call_error(c, ERR_NOT_FOUND, "name", "no user %s", name);
		return;
	}
	struct pw_ctx *p = xcalloc(1, sizeof *p);
	p->name = u->name;
	if (!self) {	/* an admin sets another's */
		auth_password_then(c, NULL, req.password, new_hashed, p, sizeof *p);
		return;
	}
	if (req.old_password == NULL) {
		free(p);
		call_error(c, ERR_BAD_REQUEST, "old_password",
			   "old_password: is required to change your own password");
		return;
	}
	if (auth_slowed(c, name)) {
		free(p);
		return;
	}
	snprintf(p->password, sizeof p->password, "%s", req.password);
	auth_password_then(c, u->hash, req.old_password, old_checked, p, sizeof *p);
}
