/* Identities on the HTTP side (login.c): reading credentials into a call, refusing, and
 * checking passwords off the loop thread while the call waits. Used by the dispatcher
 * (http.c) and the identity routes (login.c, users.c, tokens.c). */
#ifndef JG_API_AUTH_H
#define JG_API_AUTH_H
#include "base/errors.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct call;
struct token;

/* The Authorization header into c->who (and c->token_id); none or a bad one: ROLE_ANON,
 * with c->auth_why saying what was wrong with a bad one. */
void auth_identify(struct call *c);
/* Refuse c with err (401, 403 or 429): a log line (who, method, path, peer), an
 * `auth.refused` event for admins, and the error reply. why: static or copied. */
void auth_refuse(struct call *c, enum api_error err, const char *why);

/* Run done on the loop once the hasher has checked password against hash (hash != NULL;
 * "" never matches) or, with hash NULL, hashed it (new_hash then, NULL on failure). The
 * call is kept meanwhile; if its client leaves it is answered 499 and done is not called.
 * ctx (malloc'd, ctx_size bytes) is wiped and freed after done. */
typedef void (*auth_pw_done)(struct call *c, bool ok, char *new_hash, void *ctx);
void auth_password_then(struct call *c, const char *hash, const char *password,
			auth_pw_done done, void *ctx, size_t ctx_size);

/* Brute-force back-off per user name and peer address: refuses c with 429 and
 * Retry-After (true) while either is blocked. */
bool auth_slowed(struct call *c, const char *user);
void auth_failed(struct call *c, const char *user);	/* a wrong password */

/* Issue a token and answer with it: the only time its text is shown. */
void auth_reply_token(struct call *c, int status, const char *owner, const char *name,
		      unsigned role, int64_t expires_ms);
/* A token's public fields, and its text when not NULL. */
json_t *auth_render_token(const struct token *k, const char *text);
#endif
