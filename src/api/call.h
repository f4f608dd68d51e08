/* One HTTP request in flight and its route (http.c): what every handler reads and how it
 * replies. Replies wait for the commit of every change they may reveal (server/batch.h). */
#ifndef JG_CALL_H
#define JG_CALL_H
#include "auth/principal.h"
#include "base/errors.h"
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct call;
struct job;
typedef void (*route_fn)(struct call *c);

enum route_flags {
	R_MUTATES = 1,		/* changes state: honours Idempotency-Key */
	R_STREAM = 2,		/* replies itself over time (SSE, log -f, long-poll) */
	R_NEW_WORK = 4,		/* asks for work to run: refused (503 draining) while draining */
	R_RAW = 8,			/* the body is bytes, not JSON: the handler reads it itself */
};

/* The statuses replies are counted by, per route: the ones the API answers with (docs/API.md)
 * and one slot for any other. */
enum { ROUTE_STATUSES = 18 };
struct route {
	const char *method;	/* "GET", "POST", ... */
	const char *pattern;	/* "/v1/jobs/{*}/cancel": each * matches one segment */
	route_fn fn;
	int flags;
	unsigned roles;		/* enum role bits it admits: others get 401 (anonymous) or 403 */
	const char *name;	/* for metrics */
	uint64_t calls, errors;	/* counters, loop thread only */
	uint64_t by_status[ROUTE_STATUSES];	/* replies by status (route_status_code) */
};
/* Count a reply of route r (NULL: none) with status, for /metrics. */
void route_count_reply(struct route *r, int status);
/* The status that slot i of by_status counts; 0 for the last, "any other". */
int route_status_code(int i);

/* One request in flight. Freed by the dispatcher after the handler returns, unless the
 * handler kept it (c->kept) for a long-poll or a stream; then call_free releases it. */
struct call {
	struct server *srv;
	struct evhttp_request *req;	/* evhttp's; valid until the reply is sent */
	struct route *route;
	char *params[2];		/* owned: the '*' segments, URL-decoded */
	struct evkeyvalq query;		/* parsed query string */
	json_t *body;			/* owned: parsed JSON body, or NULL */
	const char *body_text;		/* borrowed from the request buffer (NUL-terminated copy) */
	char *body_copy;		/* owned */
	struct principal who;		/* the caller: owner of what it adds, its roles */
	int64_t token_id;		/* the token it called with (POST /v1/logout), or 0 */
	const char *auth_why;		/* static: why its credentials were refused, or NULL */
	int retry_after_s;		/* > 0: a 429's Retry-After */
	char *idem;			/* owned: owner + "\n" + Idempotency-Key, or NULL */
	bool idem_open;			/* it opened idem's entry: its reply answers it */
	bool replied, kept;
	bool in_dispatch, sent;		/* sent during dispatch: the dispatcher frees it */
};

/* Replies, sent after the commit of every change they may reveal. body is stolen. */
void call_reply(struct call *c, int status, json_t *body);
void call_reply_text(struct call *c, int status, const char *ctype, const char *text, size_t len);
/* An error reply of the table (base/errors.def): its code and status, the field it is
 * about ("" for none) and the message; fmt NULL: the table's default message. */
void call_error(struct call *c, enum api_error err, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The body of such a reply, for the few that carry more members (problems, next_offset):
 * add them, then call_reply(c, api_error_status(err), body). */
json_t *call_error_body(enum api_error err, const char *field, const char *message);
void call_free(struct call *c);
/* The peer's address as text ("127.0.0.1"), for logs and the login back-off. */
const char *call_peer(struct call *c);
const char *call_query(struct call *c, const char *key);
/* The integer query parameter key (min..max; def when absent) into *out: 0, or -1 after a
 * 400 naming it and the bounds. */
int call_query_int(struct call *c, const char *key, long long min, long long max, long long def,
		   long long *out);
/* The job id names (server_find_job) if the caller may see it, else NULL: another user's
 * job is, to a user, a job that does not exist (SPEC §9), so callers answer both alike. */
struct job *call_find_job(struct call *c, const char *id, int32_t *idx_out);
/* The error for an id call_find_job did not find: 404 "no job", or 500 naming the damage
 * when the job is in the store but its rows cannot be read back (server_job). */
void call_no_job(struct call *c, const char *field, const char *id);
/* Call cb on every route (the routes command, tests). */
void http_route_counters(void (*cb)(void *, const struct route *), void *arg);
size_t http_nroutes(void);			/* the route table, for /metrics */
const struct route *http_route(size_t i);
#endif
