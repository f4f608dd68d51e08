/* Strict decoding of API request bodies into scheduler inputs. Pure functions over
 * jansson values: every unknown field, wrong type or out-of-range value becomes a
 * `struct derr` naming the field and the rule, and nothing is half-applied. Fuzzed by
 * tests/fuzz/fuzz-decode.c. */
#ifndef JG_DECODE_H
#define JG_DECODE_H
#include "base/errors.h"
#include "core/sched.h"
#include <jansson.h>

struct derr {
	enum api_error err;	/* ERR_BAD_REQUEST (400), ERR_RULE_BROKEN (422), ... */
	char field[160];
	char message[512];
};

/* Sets e and returns -1; the message is "FIELD: TEXT". */
int derr_set(struct derr *e, enum api_error err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));

/* A job spec with the storage its strings point into. Release with job_req_free. */
struct job_req {
	struct job_spec spec;
	char *name;		/* owned: given or derived */
	char *env;		/* owned: compact JSON object text, or NULL */
	char *submit_env;	/* owned: the same, of the submitter's environment */
};
void job_req_free(struct job_req *r);

/* One job object (prefix names it in errors, e.g. "[3]."). owner is already checked. */
int decode_job(json_t *obj, const char *prefix, const char *owner, int64_t now,
	       struct job_req *out, struct derr *e);
/* A POST /v1/jobs body: an object or an array of ≤ 100000. *out is a malloc'd array. */
int decode_job_batch(json_t *body, const char *owner, int64_t now, struct job_req **out,
		     size_t *n, struct derr *e);
/* A PATCH body into mod (numbers not given are -1; the option lists given are in mod->x,
 * malloc'd, with their MOD_* bits in *mask: free mod->x with job_ext_free). */
int decode_job_patch(json_t *body, int64_t now, struct job_spec *mod, unsigned *mask,
		     struct derr *e);
/* A FINISH report. Strings in out borrow from obj. */
int decode_finish(json_t *obj, const char *prefix, bool need_attempt, struct finish *out,
		  struct derr *e);

/* A POST /v1/jobs/remove body {"ids": [ID…], "force": false}: *ids borrows the array
 * (1..MAX_REMOVE strings, each ≤ 512 bytes). */
#define MAX_REMOVE 100000
int decode_remove(json_t *body, json_t **ids, bool *force, struct derr *e);
/* The query of an output chunk (POST /v1/attempts/{id}/output?offset=N&at_ms=T): offset
 * (required) and at_ms (absent: 0), whole numbers in decimal; NULL = absent. */
int decode_chunk_params(const char *offset, const char *at_ms, int64_t *off, int64_t *at,
			struct derr *e);

/* The default job name: basename of cmd's first word, unsafe characters as '_'. */
char *name_from_cmd(const char *cmd);

/* Reads an integer member; absent → def. -1 with e set if wrong type or out of range. */
int get_int(json_t *obj, const char *prefix, const char *key, int64_t min, int64_t max,
	    int64_t def, int64_t *out, struct derr *e);
/* Reads a boolean member; absent → false. -1 with e set if it is not true or false. */
int get_bool(json_t *obj, const char *prefix, const char *key, bool *out, struct derr *e);
/* A string member of min..max bytes without NUL, borrowed from obj; absent → def. */
int get_str(json_t *obj, const char *prefix, const char *key, size_t min, size_t max,
	    const char *def, const char **out, struct derr *e);
/* Refuse members not in allowed (NULL-terminated). */
int check_fields(json_t *obj, const char *prefix, const char *const *allowed, struct derr *e);

/* Bodies of the identity endpoints (decode-auth.c). Strings borrow from the body; a
 * duration ("30d", "12h") becomes ms, 0 when absent or null. */
struct login_req {
	const char *user, *password;	/* both NULL: {} (the caller's own identity) */
	int64_t expires_ms;
};
int decode_login(json_t *body, struct login_req *out, struct derr *e);
struct user_req {
	const char *name, *password;	/* password NULL: none (the Unix socket only) */
	unsigned role;			/* ROLE_USER (default) or ROLE_ADMIN */
};
int decode_user_add(json_t *body, struct user_req *out, struct derr *e);
struct password_req {
	const char *password, *old_password;	/* old_password NULL when not given */
};
int decode_password(json_t *body, struct password_req *out, struct derr *e);
struct token_req {
	unsigned role;			/* ROLE_WORKER, ROLE_USER or ROLE_ADMIN */
	const char *name, *user;	/* NULL when not given */
	int64_t expires_ms;
};
int decode_token_create(json_t *body, struct token_req *out, struct derr *e);
#endif
