/* Fuzz target for the identity endpoints' bodies: POST /v1/login, POST /v1/users,
 * PUT /v1/users/{name}/password and POST /v1/tokens. Any JSON is decoded or refused with
 * an error naming its field and rule; what is taken keeps its limits. */
#include "api/decode.h"
#include "auth/principal.h"
#include "auth/users.h"
#include "fuzz.h"
#include <jansson.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void refused(const struct derr *e)
{
	if (e->message[0] == '\0' || api_error_status(e->err) < 400)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *body = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
	if (body == NULL)
		return 0;
	struct derr e;
	struct login_req l;
	if (decode_login(body, &l, &e) == 0) {
		if ((l.user == NULL) != (l.password == NULL) || l.expires_ms < 0 ||
		    (l.user && strlen(l.user) > USER_NAME_MAX) ||
		    (l.password && strlen(l.password) > PASSWORD_MAX))
			abort();
	} else {
		refused(&e);
	}
	struct user_req u;
	if (decode_user_add(body, &u, &e) == 0) {
		if (u.name == NULL || (u.role != ROLE_USER && u.role != ROLE_ADMIN))
			abort();
	} else {
		refused(&e);
	}
	struct password_req p;
	if (decode_password(body, &p, &e) == 0) {
		if (p.password == NULL)
			abort();
	} else {
		refused(&e);
	}
	struct token_req t;
	if (decode_token_create(body, &t, &e) == 0) {
		if ((t.role & (ROLE_WORKER | ROLE_USER | ROLE_ADMIN)) == 0 || t.expires_ms < 0)
			abort();
	} else {
		refused(&e);
	}
	json_decref(body);
	return 0;
}
