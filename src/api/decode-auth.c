/* Strict decoding of the identity endpoints' bodies (decode.h): login, users, passwords,
 * tokens. Fuzzed by tests/fuzz/fuzz-login.c. */
#include "api/decode.h"
#include "auth/principal.h"
#include "auth/token.h"
#include "auth/users.h"
#include "base/clock.h"
#include "core/job.h"
#include <string.h>

/* A user or token name member: 1..64 of [A-Za-z0-9_.-]. */
static int get_name(json_t *obj, const char *key, size_t max, bool required, const char **out,
		    struct derr *e)
{
	if (get_str(obj, "", key, 1, max, NULL, out, e))
		return -1;
	if (*out == NULL)
		return required ? derr_set(e, ERR_BAD_REQUEST, key, "is required") : 0;
	if (!name_valid(*out, max))
		return derr_set(e, ERR_RULE_BROKEN, key, "a name is 1..%zu of [A-Za-z0-9_.-]",
				max);
	return 0;
}

static int get_password(json_t *obj, const char *key, const char **out, struct derr *e)
{
	return get_str(obj, "", key, 1, PASSWORD_MAX, NULL, out, e);
}

/* "expires": a duration ("30d"), or null / absent for none. */
static int get_expires(json_t *obj, int64_t *out, struct derr *e)
{
	json_t *v = json_object_get(obj, "expires");
	const char *s, *why = NULL;
	*out = 0;
	if (v == NULL || json_is_null(v))
		return 0;
	if (get_str(obj, "", "expires", 1, 64, NULL, &s, e))
		return -1;
	if (clock_parse_duration(s, out, &why))
		return derr_set(e, ERR_RULE_BROKEN, "expires", "%s, got '%s'", why, s);
	if (*out <= 0)
		return derr_set(e, ERR_RULE_BROKEN, "expires", "must be above 0, got '%s'", s);
	if (*out > 100LL * 365 * 86400 * 1000)
		return derr_set(e, ERR_RULE_BROKEN, "expires", "must be at most 100 years");
	return 0;
}

static int need_object(json_t *body, const char *shape, struct derr *e)
{
	if (json_is_object(body))
		return 0;
	return derr_set(e, ERR_BAD_REQUEST, "", "the body must be %s", shape);
}

static const char *const login_fields[] = {"user", "password", "expires", NULL};

int decode_login(json_t *body, struct login_req *out, struct derr *e)
{
	memset(out, 0, sizeof *out);
	if (body == NULL)
		return 0;	/* no body: as {} */
	if (need_object(body, "{\"user\": NAME, \"password\": PASSWORD}", e) ||
	    check_fields(body, "", login_fields, e) ||
	    get_name(body, "user", USER_NAME_MAX, false, &out->user, e) ||
	    get_password(body, "password", &out->password, e) || get_expires(body, &out->expires_ms, e))
		return -1;
	if (out->user && out->password == NULL)
		return derr_set(e, ERR_BAD_REQUEST, "password", "is required with user");
	if (out->password && out->user == NULL)
		return derr_set(e, ERR_BAD_REQUEST, "user", "is required with password");
	return 0;
}

/* "role": one of allowed's names into *out (def when absent). */
static int get_role(json_t *obj, unsigned allowed, unsigned def, const char *rule, unsigned *out,
		    struct derr *e)
{
	const char *s;
	if (get_str(obj, "", "role", 1, 16, NULL, &s, e))
		return -1;
	*out = s ? role_parse(s) : def;
	if (*out == 0 || !(*out & allowed))
		return derr_set(e, ERR_RULE_BROKEN, "role", "must be %s, got '%s'", rule, s);
	return 0;
}

static const char *const user_fields[] = {"name", "role", "password", NULL};

int decode_user_add(json_t *body, struct user_req *out, struct derr *e)
{
	memset(out, 0, sizeof *out);
	if (need_object(body, "{\"name\": NAME, \"role\": \"user\", \"password\": PASSWORD}", e) ||
	    check_fields(body, "", user_fields, e) ||
	    get_name(body, "name", USER_NAME_MAX, true, &out->name, e) ||
	    get_role(body, ROLE_USER | ROLE_ADMIN, ROLE_USER, "admin or user", &out->role, e))
		return -1;
	return get_password(body, "password", &out->password, e);
}

static const char *const password_fields[] = {"password", "old_password", NULL};

int decode_password(json_t *body, struct password_req *out, struct derr *e)
{
	memset(out, 0, sizeof *out);
	if (need_object(body, "{\"password\": NEW, \"old_password\": OLD}", e) ||
	    check_fields(body, "", password_fields, e) ||
	    get_password(body, "password", &out->password, e) ||
	    get_password(body, "old_password", &out->old_password, e))
		return -1;
	if (out->password == NULL)
		return derr_set(e, ERR_BAD_REQUEST, "password", "is required");
	return 0;
}

static const char *const token_fields[] = {"role", "name", "user", "expires", NULL};

int decode_token_create(json_t *body, struct token_req *out, struct derr *e)
{
	memset(out, 0, sizeof *out);
	if (need_object(body, "{\"role\": \"worker\"|\"user\", \"name\": N, \"expires\": D}", e) ||
	    check_fields(body, "", token_fields, e))
		return -1;
	if (json_object_get(body, "role") == NULL)
		return derr_set(e, ERR_BAD_REQUEST, "role", "is required (worker or user)");
	if (get_role(body, ROLE_WORKER | ROLE_USER | ROLE_ADMIN, 0, "worker, user or admin",
		     &out->role, e) ||
	    get_name(body, "name", TOKEN_NAME_MAX, false, &out->name, e) ||
	    get_name(body, "user", USER_NAME_MAX, false, &out->user, e))
		return -1;
	return get_expires(body, &out->expires_ms, e);
}
