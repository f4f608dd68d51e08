/* HTTP on evhttp: the route table, the life of a call, replies held back until the
 * commit they depend on, and idempotency keys. */
#include "api/api.h"
#include "api/conns.h"
#include "api/auth.h"
#include "api/call.h"
#include "api/decode.h"
#include "api/handlers.h"
#include "api/route.h"
#include "server/identity.h"
#include "auth/peer.h"
#include "server/listen.h"
#include "server/persist.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <errno.h>
#include <sys/queue.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pwd.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_BODY (128u << 20)

/* Who may call a route (SPEC §9): users and admins (a user's own jobs only: the handlers
 * answer 404 for another's), workers, admins, or anyone, even unauthenticated. */
#define USR (ROLE_USER | ROLE_ADMIN)
#define WRK ROLE_WORKER
#define ADM ROLE_ADMIN
#define ANY (ROLE_ANON | ROLES_TRUSTED)

/* THE route table (STYLE habit 3): method, pattern, handler, flags, roles. */
static struct route routes[] = {
	{"POST", "/v1/jobs", api_jobs_create, R_MUTATES | R_NEW_WORK, USR, "jobs_create", 0, 0, {0}},
	{"GET", "/v1/jobs", api_jobs_list, 0, USR, "jobs_list", 0, 0, {0}},
	{"GET", "/v1/jobs/*", api_job_get, 0, USR, "job_get", 0, 0, {0}},
	{"PATCH", "/v1/jobs/*", api_job_patch, R_MUTATES, USR, "job_patch", 0, 0, {0}},
	{"DELETE", "/v1/jobs/*", api_job_delete, R_MUTATES, USR, "job_delete", 0, 0, {0}},
	{"POST", "/v1/jobs/remove", api_jobs_remove, R_MUTATES, USR, "jobs_remove", 0, 0, {0}},
	{"POST", "/v1/jobs/*/cancel", api_job_cancel, R_MUTATES, USR, "job_cancel", 0, 0, {0}},
	{"POST", "/v1/jobs/*/retry", api_job_retry, R_MUTATES | R_NEW_WORK, USR, "job_retry", 0, 0, {0}},
	{"GET", "/v1/jobs/*/log", api_job_log, R_STREAM, USR, "job_log", 0, 0, {0}},
	{"POST", "/v1/workers", api_workers_register, 0, WRK, "worker_register", 0, 0, {0}},
	{"GET", "/v1/workers", api_workers_list, 0, USR, "workers_list", 0, 0, {0}},
	{"POST", "/v1/workers/*/reserve", api_worker_reserve, R_STREAM, WRK, "worker_reserve", 0, 0, {0}},
	{"POST", "/v1/workers/*/heartbeat", api_worker_heartbeat, 0, WRK, "worker_heartbeat", 0, 0, {0}},
	{"POST", "/v1/workers/*/leave", api_worker_leave, 0, WRK, "worker_leave", 0, 0, {0}},
	{"POST", "/v1/attempts/*/output", api_attempt_output, R_RAW, WRK, "attempt_output", 0, 0, {0}},
	{"POST", "/v1/attempts/*/finish", api_attempt_finish, 0, WRK, "attempt_finish", 0, 0, {0}},
	{"GET", "/v1/events", api_events, R_STREAM, USR, "events", 0, 0, {0}},
	{"GET", "/v1/stats", api_stats, 0, USR, "stats", 0, 0, {0}},
	{"GET", "/v1/limits", api_limits_list, 0, USR, "limits_list", 0, 0, {0}},
	{"POST", "/v1/definitions", api_defs_deploy, R_MUTATES, ADM, "defs_deploy", 0, 0, {0}},
	{"GET", "/v1/definitions", api_defs_list, 0, USR, "defs_list", 0, 0, {0}},
	{"GET", "/v1/definitions/*", api_def_get, 0, USR, "def_get", 0, 0, {0}},
	{"DELETE", "/v1/definitions/*", api_def_undeploy, R_MUTATES, ADM, "def_undeploy", 0, 0, {0}},
	{"PUT", "/v1/definitions/*", api_def_put, R_MUTATES, ADM, "def_put", 0, 0, {0}},
	{"POST", "/v1/definitions/*/pause", api_def_pause, R_MUTATES, ADM, "def_pause", 0, 0, {0}},
	{"POST", "/v1/definitions/*/resume", api_def_resume, R_MUTATES, ADM, "def_resume", 0, 0, {0}},
	{"GET", "/v1/plan", api_plan, 0, USR, "plan", 0, 0, {0}},
	{"GET", "/v1/clock", api_clock_get, 0, USR, "clock_get", 0, 0, {0}},
	{"POST", "/v1/clock", api_clock_post, R_MUTATES, ADM, "clock_post", 0, 0, {0}},
	{"POST", "/v1/definitions/*/runs", api_def_run, R_MUTATES | R_NEW_WORK, USR, "def_run", 0, 0, {0}},
	{"GET", "/v1/limits/*", api_limit_get, 0, USR, "limit_get", 0, 0, {0}},
	{"PUT", "/v1/limits/*", api_limit_put, R_MUTATES, ADM, "limit_put", 0, 0, {0}},
	{"POST", "/v1/drain", api_drain, R_MUTATES, ADM, "drain", 0, 0, {0}},
	{"POST", "/v1/shutdown", api_shutdown, 0, ADM, "shutdown", 0, 0, {0}},
	{"POST", "/v1/backup", api_backup, R_STREAM, ADM, "backup", 0, 0, {0}},
	{"POST", "/v1/prune", api_prune, R_STREAM, ADM, "prune", 0, 0, {0}},
	{"GET", "/healthz", api_healthz, 0, ANY, "healthz", 0, 0, {0}},
	{"GET", "/metrics", api_metrics, 0, ADM, "metrics", 0, 0, {0}},
	/* The API's description names no user's data: open, like /healthz. */
	{"GET", "/v1/openapi.json", api_openapi, 0, ANY, "openapi", 0, 0, {0}},
	/* The dashboard's files: code and styles, nothing of anyone's data. */
	{"GET", "/", api_ui_index, 0, ANY, "ui_index", 0, 0, {0}},
	{"GET", "/ui/*", api_ui_file, 0, ANY, "ui_file", 0, 0, {0}},
	/* Logins and tokens answer with a token's text: never kept under an Idempotency-Key
	 * (the answers are stored), so they are not R_MUTATES. */
	{"POST", "/v1/login", api_login, 0, ANY, "login", 0, 0, {0}},
	{"POST", "/v1/logout", api_logout, 0, ROLES_TRUSTED, "logout", 0, 0, {0}},
	{"GET", "/v1/whoami", api_whoami, 0, ANY, "whoami", 0, 0, {0}},
	{"GET", "/v1/users", api_users_list, 0, ADM, "users_list", 0, 0, {0}},
	{"POST", "/v1/users", api_users_add, R_MUTATES, ADM, "users_add", 0, 0, {0}},
	{"DELETE", "/v1/users/*", api_user_delete, R_MUTATES, ADM, "user_delete", 0, 0, {0}},
	{"PUT", "/v1/users/*/password", api_user_password, R_MUTATES, USR, "user_password", 0, 0, {0}},
	{"GET", "/v1/tokens", api_tokens_list, 0, USR, "tokens_list", 0, 0, {0}},
	{"POST", "/v1/tokens", api_tokens_create, 0, USR, "tokens_create", 0, 0, {0}},
	{"DELETE", "/v1/tokens/*", api_token_revoke, R_MUTATES, USR, "token_revoke", 0, 0, {0}},
};
#define NROUTES (sizeof routes / sizeof routes[0])

/* A reply held until its commit (server_hold): held is first, so a held is a pending. */
struct pending {
	struct held held;
	struct call *call;	/* owned: freed once sent */
	int status;
	struct evbuffer *body;	/* owned until handed to evhttp */
	const char *ctype;	/* static */
};

/* ---- metrics access ---------------------------------------------------------------- */

void http_route_counters(void (*cb)(void *, const struct route *), void *arg)
{
	for (size_t i = 0; i < NROUTES; i++)
		cb(arg, &routes[i]);
}

size_t http_nroutes(void)
{
	return NROUTES;
}

const struct route *http_route(size_t i)
{
	return &routes[i];
}

/* ---- calls ------------------------------------------------------------------------- */

void call_free(struct call *c)
{
	if (c == NULL)
		return;
	free(c->params[0]);
	free(c->params[1]);
	evhttp_clear_headers(&c->query);
	json_decref(c->body);
	free(c->body_copy);
	if (c->idem_open)	/* ended without a reply to keep: a resend may run */
		idem_abandon(&c->srv->idem, c->idem);
	free(c->idem);
	free(c);
}

const char *call_query(struct call *c, const char *key)
{
	return evhttp_find_header(&c->query, key);
}

int call_query_int(struct call *c, const char *key, long long min, long long max,
		     long long def, long long *out)
{
	const char *v = call_query(c, key);
	char *end;
	if (v == NULL) {
		*out = def;
		return 0;
	}
	long long x = strtoll(v, &end, 10);
	if (*v == '\0' || *end || x < min || x > max) {
		call_error(c, ERR_BAD_REQUEST, key, "%s: must be an integer %lld..%lld, got '%s'",
			   key, min, max, v);
		return -1;
	}
	*out = x;
	return 0;
}

struct job *call_find_job(struct call *c, const char *id, int32_t *idx_out)
{
	free(c->srv->read_back_err);
	c->srv->read_back_err = NULL;
	struct job *j = server_find_job(c->srv, id, idx_out);
	if (j && principal_owns(&c->who, j->owner))
		return j;
	if (idx_out)
		*idx_out = -1;
	return NULL;
}

void call_no_job(struct call *c, const char *field, const char *id)
{
	if (c->srv->read_back_err)
		call_error(c, ERR_INTERNAL, field, "job %s is in the store but cannot be read back"
			   " (see the server's log): %s", id, c->srv->read_back_err);
	else
		call_error(c, ERR_NOT_FOUND, field, "no job %s", id);
}

static const char *status_reason(int status)
{
	switch (status) {
	case 200: return "OK";
	case 201: return "Created";
	case 400: return "Bad Request";
	case 401: return "Unauthorized";
	case 403: return "Forbidden";
	case 404: return "Not Found";
	case 405: return "Method Not Allowed";
	case 409: return "Conflict";
	case 413: return "Payload Too Large";
	case 422: return "Unprocessable Entity";
	case 429: return "Too Many Requests";
	case 503: return "Service Unavailable";
	default: return status < 400 ? "OK" : "Error";
	}
}

static const int statuses[ROUTE_STATUSES] = {200, 201, 202, 204, 304, 400, 401, 403, 404,
					      405, 409, 413, 415, 429, 499, 500, 503, 0};

void route_count_reply(struct route *r, int status)
{
	if (r == NULL)
		return;
	int i = 0;
	while (i < ROUTE_STATUSES - 1 && statuses[i] != status)
		i++;
	r->by_status[i]++;
}

int route_status_code(int i)
{
	return i >= 0 && i < ROUTE_STATUSES ? statuses[i] : 0;
}

/* The error a standby, or a leader stepping down, answers with; leader "" when unknown. */
static json_t *not_leader_body(const char *leader)
{
	json_t *body = call_error_body(ERR_NOT_LEADER, "", api_error_message(ERR_NOT_LEADER));
	json_t *error = json_object_get(body, "error");
	if (leader[0]) {
		json_object_set_new(error, "leader", json_string(leader));
		json_object_set_new(error, "message", json_sprintf("this server is not the leader;"
								   " the leader is at %s", leader));
	}
	return body;
}

/* The body out of a 503 not_leader, and its headers: the leader's URL for clients that
 * read headers only (curl -i, a proxy), and a second before trying again. */
static void not_leader_reply(struct evhttp_request *req, struct evbuffer *out, const char *leader)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	json_t *body = not_leader_body(leader);
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	evbuffer_add_printf(out, "%s\n", text);
	free(text);
	if (leader[0])
		evhttp_add_header(h, "JobGrid-Leader", leader);
	evhttp_add_header(h, "Retry-After", "1");
}

/* A reply whose changes were not committed (the leader was deposed): 503 not_leader. */
static void refuse_pending(struct pending *p)
{
	const char *leader = server_not_leading(p->call->srv);
	evbuffer_drain(p->body, evbuffer_get_length(p->body));
	not_leader_reply(p->call->req, p->body, leader ? leader : "");
	p->status = api_error_status(ERR_NOT_LEADER);
	p->ctype = "application/json";
}

/* A standby, or a leader stepping down, serves nothing: every request is answered 503
 * not_leader. /healthz says the same in a line, with 503 too, so that a load balancer
 * sends nothing here (docs/SCALE.md). */
static void refuse_not_leader(struct server *srv, struct evhttp_request *req, const char *leader)
{
	const char *uri = evhttp_request_get_uri(req);
	size_t n = strcspn(uri ? uri : "", "?");
	struct evbuffer *out = evbuffer_new();
	if (uri && n == 8 && strncmp(uri, "/healthz", 8) == 0) {
		struct evkeyvalq *h = evhttp_request_get_output_headers(req);
		evhttp_add_header(h, "Content-Type", "text/plain");
		if (leader[0])
			evhttp_add_header(h, "JobGrid-Leader", leader);
		evbuffer_add_printf(out, "%s, %s%s\n", srv->deposed ? "stepping down" : "standby",
				    leader[0] ? "leader at " : "no leader known", leader);
	} else {
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
		not_leader_reply(req, out, leader);
	}
	evhttp_send_reply(req, 503, "Service Unavailable", out);
	evbuffer_free(out);
}

static void send_pending(struct held *held)
{
	struct pending *p = (struct pending *)held;
	struct call *c = p->call;
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	if (held->refused)
		refuse_pending(p);
	evhttp_add_header(h, "Content-Type", p->ctype);
	if (p->status == 401)
		evhttp_add_header(h, "WWW-Authenticate", c->auth_why
				  ? "Bearer realm=\"jobgrid\", error=\"invalid_token\""
				  : "Bearer realm=\"jobgrid\"");
	if ((p->status == 429 || p->status == 503) && c->retry_after_s > 0) {
		char secs[24];
		snprintf(secs, sizeof secs, "%d", c->retry_after_s);
		evhttp_add_header(h, "Retry-After", secs);
	}
	if (c->route)
		c->route->errors += p->status >= 400;
	route_count_reply(c->route, p->status);
	/* If the client left, evhttp frees the detached request here. */
	evhttp_send_reply(c->req, p->status, status_reason(p->status), p->body);
	evbuffer_free(p->body);
	if (c->in_dispatch)
		c->sent = true;	/* the dispatcher still looks at it */
	else
		call_free(c);
	free(p);
}

/* Hold a reply until every change it may reveal is on disk. */
static void enqueue(struct server *srv, struct pending *p)
{
	p->held.send = send_pending;
	server_hold(srv, &p->held);
}

/* The reply to a call with a new Idempotency-Key: kept for resends, in memory and in the
 * store. A server error, or 499 (the client left and the request was called off), did
 * nothing: it is not kept, so a resend runs. */
static void answer_idem(struct server *srv, struct call *c, int status, const char *text)
{
	c->idem_open = false;
	if (status >= 500 || status == 499) {
		idem_abandon(&srv->idem, c->idem);
		return;
	}
	persist_idem_answer(srv, c->idem, status, text);
}

static void reply_buf(struct call *c, int status, const char *ctype, const char *text, size_t len)
{
	struct pending *p = xcalloc(1, sizeof *p);
	c->replied = true;
	p->call = c;
	p->status = status;
	p->ctype = ctype;
	p->body = evbuffer_new();
	evbuffer_add(p->body, text, len);
	if (c->idem_open)
		answer_idem(c->srv, c, status, text);
	enqueue(c->srv, p);
}

void call_reply(struct call *c, int status, json_t *body)
{
	char *text = json_dumps(body, JSON_COMPACT);
	json_decref(body);
	size_t len = strlen(text);
	text = xrealloc(text, len + 2, 1);
	text[len++] = '\n';
	text[len] = '\0';
	reply_buf(c, status, "application/json", text, len);
	free(text);
}

void call_reply_text(struct call *c, int status, const char *ctype, const char *text, size_t len)
{
	reply_buf(c, status, ctype, text, len);
}

json_t *call_error_body(enum api_error err, const char *field, const char *message)
{
	return json_pack("{s:{s:s, s:s, s:s}}", "error", "code", api_error_code(err), "message",
			 message, "field", field ? field : "");
}

void call_error(struct call *c, enum api_error err, const char *field, const char *fmt, ...)
{
	char msg[600];
	va_list ap;
	if (fmt == NULL) {
		snprintf(msg, sizeof msg, "%s", api_error_message(err));
	} else {
		va_start(ap, fmt);
		vsnprintf(msg, sizeof msg, fmt, ap);
		va_end(ap);
	}
	call_reply(c, api_error_status(err), call_error_body(err, field, msg));
}

/* ---- dispatch ---------------------------------------------------------------------- */

static int method_of(struct evhttp_request *req, const char **name)
{
	switch (evhttp_request_get_command(req)) {
	case EVHTTP_REQ_GET: *name = "GET"; return 0;
	case EVHTTP_REQ_POST: *name = "POST"; return 0;
	case EVHTTP_REQ_PATCH: *name = "PATCH"; return 0;
	case EVHTTP_REQ_DELETE: *name = "DELETE"; return 0;
	case EVHTTP_REQ_PUT: *name = "PUT"; return 0;
	case EVHTTP_REQ_HEAD: *name = "HEAD"; return 0;
	default: *name = "?"; return -1;
	}
}

/* Match path against pattern; '*' captures one non-empty segment into params. */
static bool match(const char *pattern, const char *path, char **params)
{
	int np = 0;
	bool ok = true;
	while (ok && *pattern && *path) {
		if (*pattern == '*') {
			size_t n = strcspn(path, "/");
			if (n == 0 || np == 2) {
				ok = false;
				break;
			}
			char *raw = xstrndup(path, n);
			params[np++] = evhttp_uridecode(raw, 0, NULL);
			free(raw);
			path += n;
			pattern++;
		} else {
			ok = *pattern++ == *path++;
		}
	}
	if (ok && *pattern == '\0' && (*path == '\0' || (path[0] == '/' && path[1] == '\0')))
		return true;
	for (int i = 0; i < np; i++) {
		free(params[i]);
		params[i] = NULL;
	}
	return false;
}

enum route_match route_find(const char *method, const char *path, struct route **found,
			    char *params[2])
{
	bool path_known = false;
	*found = NULL;
	for (size_t i = 0; i < NROUTES; i++) {
		if (!match(routes[i].pattern, path, params))
			continue;
		if (strcmp(routes[i].method, method) == 0) {
			*found = &routes[i];
			return ROUTE_FOUND;
		}
		path_known = true;
		for (int k = 0; k < 2; k++) {
			free(params[k]);
			params[k] = NULL;
		}
	}
	return path_known ? ROUTE_WRONG_METHOD : ROUTE_UNKNOWN;
}

/* Who the caller is, until authentication exists: a loopback peer (a local process, or a
 * local proxy that answers for the header it passes on) may name its user in
 * X-Jobgrid-User, else it is the server's own OS user. Any other peer cannot prove
 * anything: its header is ignored and it is "anonymous". */
static const char *owner_of(struct evhttp_request *req)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(req);
	if (!listen_is_loopback(conn ? evhttp_connection_get_addr(conn) : NULL))
		return intern("anonymous");
	const char *u = evhttp_find_header(evhttp_request_get_input_headers(req), "X-Jobgrid-User");
	if (u)
		return u;
	static const char *self;
	if (self == NULL) {
		struct passwd *pw = getpwuid(geteuid());
		self = intern(pw ? pw->pw_name : "jobgrid");
	}
	return self;
}

static bool key_valid(const char *k)
{
	size_t n = strlen(k);
	if (n == 0 || n > 128)
		return false;
	for (; *k; k++)
		if (*k < 0x21 || *k > 0x7e)
			return false;
	return true;
}

const char *call_peer(struct call *c)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(c->req);
	char *addr = NULL;
	ev_uint16_t port = 0;
	if (conn)
		evhttp_connection_get_peer(conn, &addr, &port);
	return addr && addr[0] ? addr : "?";
}

/* The caller on the Unix socket: the account the kernel says is at the other end, never
 * a header. 0, or -1 after replying 401. */
static int identify_peer(struct call *c, struct evhttp_connection *conn)
{
	char why[300];
	int fd = (int)bufferevent_getfd(evhttp_connection_get_bufferevent(conn));
	if (peer_principal(fd, &c->who, why, sizeof why) == 0)
		return 0;
	log_warn("refused %s %s on %s: %s", c->route->method, c->route->pattern,
		 c->srv->api->unix_sock.path, why);
	call_error(c, ERR_UNAUTHORIZED, "", "%s", why);
	return -1;
}

/* Who calls without authentication: as the loopback rule of owner_of says; every caller
 * is trusted. -1 after replying with the error. */
static int trusted_caller(struct call *c)
{
	const char *user = owner_of(c->req);
	if (strlen(user) > 64 || !name_valid(user, 64)) {
		call_error(c, ERR_BAD_REQUEST, "X-Jobgrid-User",
			   "X-Jobgrid-User: a user name is 1..64 of [A-Za-z0-9_.-]");
		return -1;
	}
	c->who.name = intern(user);
	c->who.roles = ROLES_TRUSTED;	/* no authentication: every caller is trusted */
	return 0;
}

/* Set c->who: a Unix socket caller by its peer credentials; with --auth, what the
 * credentials prove (X-Jobgrid-User is not read); else the trusted caller of owner_of.
 * -1 after replying with the error. */
static int identify(struct call *c)
{
	struct evhttp_connection *conn = evhttp_request_get_connection(c->req);
	const struct sockaddr *sa = conn ? evhttp_connection_get_addr(conn) : NULL;
	if (sa && sa->sa_family == AF_UNIX)
		return identify_peer(c, conn);
	if (c->srv->ident->on) {
		auth_identify(c);
		return 0;
	}
	return trusted_caller(c);
}

/* Parse the body and the identity; -1 after replying with the error. */
static int prepare(struct call *c)
{
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	if (identify(c))
		return -1;
	const char *key = evhttp_find_header(evhttp_request_get_input_headers(c->req),
					     "Idempotency-Key");
	if (key && (c->route->flags & R_MUTATES)) {
		if (!key_valid(key)) {
			call_error(c, ERR_BAD_REQUEST, "Idempotency-Key",
				   "Idempotency-Key: must be 1..128 printable ASCII characters");
			return -1;
		}
		c->idem = xasprintf("%s\n%s", c->who.name, key);
	}
	if (len > 0 && !(c->route->flags & R_RAW)) {
		c->body_copy = xmalloc(len + 1);
		evbuffer_copyout(in, c->body_copy, len);
		c->body_copy[len] = '\0';
		c->body_text = c->body_copy;
		json_error_t jerr;
		c->body = json_loadb(c->body_copy, len, JSON_REJECT_DUPLICATES,
				     &jerr);
		if (c->body == NULL) {
			call_error(c, ERR_BAD_JSON, "",
				   "the body is not valid JSON: %s at line %d column %d", jerr.text,
				   jerr.line, jerr.column);
			return -1;
		}
	}
	return 0;
}

static void dispatch(struct server *srv, struct call *c);

static void on_request(struct evhttp_request *req, void *arg)
{
	struct server *srv = arg;
	const char *leader = server_not_leading(srv);
	if (leader) {
		refuse_not_leader(srv, req, leader);
		return;
	}
	const char *method;
	const char *uri = evhttp_request_get_uri(req);
	struct evhttp_uri *parsed = evhttp_uri_parse_with_flags(uri, 0);
	struct call *c = xcalloc(1, sizeof *c);
	c->srv = srv;
	c->req = req;
	TAILQ_INIT(&c->query);
	if (parsed == NULL || method_of(req, &method)) {
		evhttp_uri_free(parsed);
		call_error(c, ERR_BAD_REQUEST, "", "malformed request line");
		return;
	}
	char *path = xstrdup(evhttp_uri_get_path(parsed) ? evhttp_uri_get_path(parsed) : "/");
	const char *q = evhttp_uri_get_query(parsed);
	if (q && evhttp_parse_query_str(q, &c->query) != 0) {
		evhttp_uri_free(parsed);
		free(path);
		call_error(c, ERR_BAD_REQUEST, "", "malformed query string");
		return;
	}
	enum route_match m = route_find(method, path, &c->route, c->params);
	evhttp_uri_free(parsed);
	if (m != ROUTE_FOUND) {
		if (m == ROUTE_WRONG_METHOD)
			call_error(c, ERR_METHOD_NOT_ALLOWED, "", "%s is not allowed here", method);
		else
			call_error(c, ERR_NOT_FOUND, "", "no such endpoint: %s", path);
		free(path);
		return;
	}
	free(path);
	c->route->calls++;
	struct evhttp_connection *evcon = evhttp_request_get_connection(req);
	if (evcon)
		conns_requested(srv->api->conns, evhttp_connection_get_bufferevent(evcon));
	c->in_dispatch = true;
	if (prepare(c) == 0)
		dispatch(srv, c);
	c->in_dispatch = false;
	if (c->sent)
		call_free(c);
}

/* A resend of an answered key: its first reply again, nothing changed. */
static void replay_idem(struct server *srv, struct call *c, const struct idem_entry *ie)
{
	struct pending *p = xcalloc(1, sizeof *p);
	c->replied = true;
	p->call = c;
	p->status = ie->status;
	p->ctype = "application/json";
	p->body = evbuffer_new();
	evbuffer_add(p->body, ie->body, strlen(ie->body));
	enqueue(srv, p);
}

static void dispatch(struct server *srv, struct call *c)
{
	if (!(c->who.roles & c->route->roles)) {
		if (c->who.roles == ROLE_ANON)
			auth_refuse(c, ERR_UNAUTHORIZED, c->auth_why ? c->auth_why
					: "no credentials");
		else
			auth_refuse(c, ERR_FORBIDDEN, "your role does not allow this");
		return;
	}
	struct idem_entry *ie = c->idem ? idem_find(&srv->idem, c->idem) : NULL;
	if (ie && ie->status != 0) {
		replay_idem(srv, c, ie);
		return;
	}
	if (ie) {	/* 503: clients send it again after a pause, as the CLI does */
		call_error(c, ERR_IN_PROGRESS, "Idempotency-Key",
			   "Idempotency-Key: the first request with this key is still being"
			   " answered; send it again in a moment");
		return;
	}
	if (c->idem) {
		idem_open(&srv->idem, c->idem, clock_wall_ms());
		c->idem_open = true;
	}
	if ((c->route->flags & R_NEW_WORK) && srv->draining) {
		/* 503 is not remembered under the key: the same request may go to the next
		 * server. */
		call_error(c, ERR_DRAINING, "",
			   "the server is draining: it takes no new work; add it again once a"
			   " server runs without draining");
		return;
	}
	c->route->fn(c);
	if (!c->replied && !c->kept) {
		log_error("route %s returned without a reply", c->route->name);
		call_error(c, ERR_INTERNAL, "", "internal error: no reply");
	}
}

/* An evhttp serving the route table; both listeners get the same limits. */
static struct evhttp *http_new(struct server *srv)
{
	struct evhttp *h = evhttp_new(srv->base);
	evhttp_set_allowed_methods(h, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PATCH |
				      EVHTTP_REQ_DELETE | EVHTTP_REQ_PUT | EVHTTP_REQ_HEAD);
	evhttp_set_max_body_size(h, MAX_BODY);
	evhttp_set_max_headers_size(h, (ev_ssize_t)64 * 1024);
	evhttp_set_timeout(h, 120);
	evhttp_set_gencb(h, on_request, srv);
	return h;
}

/* The Unix socket beside the TCP port: its own evhttp, so that what the TCP side wraps
 * its connections in (TLS) never applies to it. */
static int unix_start(struct server *srv, char **err)
{
	bool too_long = false;
	int fd = unix_listen(srv->data_dir, &srv->api->unix_sock, &too_long, err);
	if (fd < 0 && too_long) {	/* TCP still serves: a warning, not a refusal */
		log_warn("%s; serving on TCP only", *err);
		free(*err);
		*err = NULL;
		return 0;
	}
	if (fd < 0)
		return -1;
	srv->api->http_unix = http_new(srv);
	if (evhttp_accept_socket_with_handle(srv->api->http_unix, fd) == NULL) {
		*err = xasprintf("cannot listen on %s: %s", srv->api->unix_sock.path, strerror(errno));
		close(fd);
		return -1;
	}
	srv->unix_url = xasprintf("unix:%s", srv->api->unix_sock.path);
	return 0;
}

int http_start(struct server *srv, int fd, const char *bound, char **err)
{
	srv->api->http = http_new(srv);
	srv->api->conns = conns_start(srv, srv->api->http);	/* TLS, the cap, the timeouts */
	int one = 1;
	/* Without it every small reply waits for the peer's delayed ACK (DECISIONS pitfall 1). */
	setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
	if (evhttp_accept_socket_with_handle(srv->api->http, fd) == NULL) {
		*err = xasprintf("cannot listen on %s: %s", bound, strerror(errno));
		close(fd);
		return -1;
	}
	/* A wildcard address is reached locally on loopback, which the certificate names. */
	const char *host = bound;
	if (strncmp(bound, "0.0.0.0:", 8) == 0)
		host = "127.0.0.1";
	else if (strncmp(bound, "[::]:", 5) == 0)
		host = "[::1]";
	srv->url = xasprintf("%s://%s%s", srv->tls ? "https" : "http", host,
			     host == bound ? "" : strrchr(bound, ':'));
	return unix_start(srv, err);
}

void http_stop(struct server *srv)
{
	if (srv->api->conns)
		conns_stop(srv->api->conns);
	srv->api->conns = NULL;
	if (srv->api->http)
		evhttp_free(srv->api->http);
	srv->api->http = NULL;
	if (srv->api->http_unix)
		evhttp_free(srv->api->http_unix);
	srv->api->http_unix = NULL;
	unix_listen_remove(&srv->api->unix_sock);
}
