/* Tokens (SPEC §9): GET/POST /v1/tokens, DELETE /v1/tokens/{id}. Admins see and revoke
 * every token and make any; a user sees, makes and revokes their own (role user only):
 * another's token is, to them, one that does not exist (404). */
#include "api/auth.h"
#include "api/call.h"
#include "api/decode.h"
#include "api/handlers.h"
#include "server/identity.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/log.h"
#include <errno.h>
#include <stdlib.h>
#include <string.h>

static bool sees(const struct call *c, const struct token *k)
{
	return principal_owns(&c->who, k->owner);
}

void api_tokens_list(struct call *c)
{
	size_t n;
	struct token **ks = token_list(&c->srv->ident->tokens, &n);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		if (sees(c, ks[i]))
			json_array_append_new(arr, auth_render_token(ks[i], NULL));
	free(ks);
	call_reply(c, 200, json_pack("{s:o}", "tokens", arr));
}

/* Whose a new token is, and whether the caller may make it; -1 after replying. */
static int token_owner(struct call *c, const struct token_req *req, const char **owner)
{
	struct identity *id = c->srv->ident;
	bool admin = c->who.roles & ROLE_ADMIN;
	if (!admin && req->role != ROLE_USER) {
		auth_refuse(c, ERR_FORBIDDEN, "only admins make worker and admin tokens");
		return -1;
	}
	if (req->role == ROLE_WORKER) {
		if (req->user) {
			call_error(c, ERR_RULE_BROKEN, "user",
				   "user: a worker token belongs to no user; name it with name");
			return -1;
		}
		*owner = req->name ? req->name : "worker";
		return 0;
	}
	*owner = req->user ? req->user : c->who.name;
	if (!admin && strcmp(*owner, c->who.name) != 0) {
		auth_refuse(c, ERR_FORBIDDEN, "only admins make tokens for others");
		return -1;
	}
	const struct user *u = user_find(&id->users, *owner);
	if (req->user && u == NULL) {
		call_error(c, ERR_NOT_FOUND, "user", "user: no user %s", req->user);
		return -1;
	}
	/* A token never gives more than its user has. */
	if (u && req->role == ROLE_ADMIN && u->role != ROLE_ADMIN) {
		call_error(c, ERR_RULE_BROKEN, "role", "role: %s is not an admin", u->name);
		return -1;
	}
	return 0;
}

void api_tokens_create(struct call *c)
{
	struct token_req req;
	struct derr e;
	const char *owner;
	if (decode_token_create(c->body, &req, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	if (token_owner(c, &req, &owner))
		return;
	log_info("%s token for %s made by %s", role_name(req.role), owner, c->who.name);
	auth_reply_token(c, 201, owner, req.name ? req.name : "token", req.role, req.expires_ms);
}

void api_token_revoke(struct call *c)
{
	char *end;
	errno = 0;
	long long id = strtoll(c->params[0], &end, 10);
	struct token *k = NULL;
	if (errno == 0 && *end == '\0' && id > 0)
		k = token_by_id(&c->srv->ident->tokens, id);
	if (k == NULL || !sees(c, k)) {
		call_error(c, ERR_NOT_FOUND, "id", "no token %s", c->params[0]);
		return;
	}
	if (k->revoked_at == 0) {
		k->revoked_at = clock_wall_ms();
		identity_save_token(c->srv, k);
		log_info("token %lld of %s revoked by %s", id, k->owner, c->who.name);
	}
	call_reply(c, 200, auth_render_token(k, NULL));
}
