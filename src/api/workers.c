/* Handlers for workers and attempts: register, reserve (long-poll), heartbeat, output,
 * finish. Every report names its attempt id, the fencing token: a report for an attempt
 * that is no longer live is refused (409) and kept as its late_result. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/persist.h"
#include "server/scripts.h"
#include "server/server.h"
#include "api/decode.h"
#include "base/clock.h"
#include "base/intern.h"
#include <time.h>
#include "base/log.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <event2/buffer.h>
#include <string.h>

/* A parked reserve long-poll of one worker. */
struct parked {
	struct call *call;
	struct worker *worker;
	int32_t free_cores, free_ram, free_gpus;
	size_t max;
	json_t *results;		/* owned: the finished reports' results so far */
	struct event *timeout;
	struct parked *next, *prev;
};

static void parked_reply(struct parked *p, bool lost);

#define MAX_CHUNK (4u << 20)	/* bytes in one output request (the worker sends ≤ 1 MiB) */

static struct worker *worker_param(struct call *c)
{
	struct worker *w = sched_worker(&c->srv->sched, c->params[0]);
	if (w == NULL)
		call_error(c, ERR_UNKNOWN_WORKER, "id",
			   "unknown worker %s: register again", c->params[0]);
	else
		sched_worker_touch(&c->srv->sched, w, server_now(c->srv), clock_mono_ms());
	return w;
}

/* ---- output ------------------------------------------------------------------------ */

/* When a chunk was written: the worker's clock, unless the server runs on a test clock,
 * whose time then stamps it as it stamps attempts, so output and show agree. */
static int64_t chunk_time(const struct server *srv, int64_t worker_at)
{
	return worker_at && !server_test_clock(srv) ? worker_at : server_now(srv);
}

/* ---- register ---------------------------------------------------------------------- */

static const char *const register_fields[] = {"name", "cores", "ram_mb", "gpus", "tags",
					      "running", "pid", "ram_method", "ram_method_note",
					      "instance", NULL};

/* How the worker limits and measures RAM: "cgroup" or "sampling" (the default), and why
 * or where. Strings borrow from b. */
static int decode_ram_method(json_t *b, const char **method, const char **note, struct derr *e)
{
	json_t *m = json_object_get(b, "ram_method"), *n = json_object_get(b, "ram_method_note");
	*method = "sampling";
	*note = "";
	if (m && (!json_is_string(m) || (strcmp(json_string_value(m), "cgroup") != 0 &&
					  strcmp(json_string_value(m), "sampling") != 0)))
		return derr_set(e, ERR_RULE_BROKEN, "ram_method", "must be \"cgroup\" or \"sampling\"");
	if (n && (!json_is_string(n) || json_string_length(n) > 1024))
		return derr_set(e, ERR_RULE_BROKEN, "ram_method_note",
				"must be a string of at most 1024 bytes");
	if (m)
		*method = json_string_value(m);
	if (n)
		*note = json_string_value(n);
	return 0;
}

static int decode_tags(json_t *tags, char **out, struct derr *e)
{
	const char *k;
	json_t *v;
	*out = NULL;
	if (tags == NULL)
		return 0;
	if (!json_is_object(tags) || json_object_size(tags) > 64)
		return derr_set(e, ERR_BAD_REQUEST, "tags", "must be an object of at most 64 strings");
	json_object_foreach(tags, k, v) {
		if (!name_valid(k, 64) || !json_is_string(v) || json_string_length(v) > 256)
			return derr_set(e, ERR_RULE_BROKEN, "tags",
					"tag names are [A-Za-z0-9_.-]{1,64}, values strings ≤ 256");
	}
	*out = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
	return 0;
}

/* The node name and instance token of a registration, borrowed from b. */
static int decode_identity(json_t *b, const char **name, const char **instance, struct derr *e)
{
	json_t *in = json_object_get(b, "instance");
	*name = json_string_value(json_object_get(b, "name"));
	*instance = "";
	if (*name == NULL || !name_valid(*name, 128))
		return derr_set(e, ERR_BAD_REQUEST, "name", "a node name is [A-Za-z0-9_.-]{1,128}");
	if (in && (!json_is_string(in) || !name_valid(json_string_value(in), 64)))
		return derr_set(e, ERR_BAD_REQUEST, "instance",
				"an instance token is [A-Za-z0-9_.-]{1,64}");
	if (in)
		*instance = json_string_value(in);
	return 0;
}

/* A node name belongs to one live worker. The same process registering again (same
 * instance token: its first reply was lost, or it was told to) replaces its entry, keeping
 * the attempts it names; a worker whose lease ran out is dropped; anyone else is refused
 * (409 name_in_use). */
static int claim_name(struct server *srv, const char *name, const char *instance,
		      struct derr *e)
{
	struct worker *old = sched_worker_named(&srv->sched, name);
	int64_t mono = clock_mono_ms();
	if (old == NULL)
		return 0;
	if (old->lease_deadline <= mono) {
		sched_worker_lose(&srv->sched, old, WORKER_GONE_LEASE, server_now(srv));
		return 0;
	}
	if (*instance && strcmp(old->instance, instance) == 0) {
		if (old->parked)
			parked_reply(old->parked, false);
		old->placeholder = true;	/* claimable like a previous run's worker */
		return 0;
	}
	return derr_set(e, ERR_NAME_IN_USE, "name",
			"node name %s is taken by live worker %s (pid %d, last seen %lld ms ago); "
			"give this worker another --name, or wait for that one to leave or for its"
			" lease to end (in %lld s)",
			name, old->id, old->pid, (long long)(server_now(srv) - old->last_seen),
			(long long)(old->lease_deadline - mono + 999) / 1000);
}

void api_workers_register(struct call *c)
{
	struct server *srv = c->srv;
	struct derr e;
	int64_t cores, ram, gpus, pid;
	const char *name, *instance, *method, *note;
	json_t *b = c->body, *running;
	char *tags = NULL;
	if (!json_is_object(b)) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be a JSON object");
		return;
	}
	if (check_fields(b, "", register_fields, &e) ||
	    get_int(b, "", "cores", 0, 1 << 20, 1, &cores, &e) ||
	    get_int(b, "", "ram_mb", 0, INT32_MAX / 2, 0, &ram, &e) ||
	    get_int(b, "", "gpus", 0, 4096, 0, &gpus, &e) ||
	    get_int(b, "", "pid", 0, INT32_MAX, 0, &pid, &e) ||
	    decode_identity(b, &name, &instance, &e) ||
	    decode_tags(json_object_get(b, "tags"), &tags, &e) ||
	    decode_ram_method(b, &method, &note, &e))
		goto bad;
	running = json_object_get(b, "running");
	if (running && (!json_is_array(running) || json_array_size(running) > 100000)) {
		derr_set(&e, ERR_BAD_REQUEST, "running", "must be an array of attempt ids");
		goto bad;
	}
	if (claim_name(srv, name, instance, &e))
		goto bad;
	size_t n = json_array_size(running), nr, nc;
	int64_t *ids = xcalloc(n + 1, sizeof *ids), *re = xcalloc(n + 1, sizeof *re),
		*ca = xcalloc(n + 1, sizeof *ca);
	for (size_t i = 0; i < n; i++)
		ids[i] = json_integer_value(json_array_get(running, i));
	struct worker *w = sched_worker_add(&srv->sched, name, (int32_t)cores, (int32_t)ram,
					    (int32_t)gpus, tags, (int)pid, ids, n, re, &nr, ca, &nc,
					    server_now(srv), clock_mono_ms());
	snprintf(w->instance, sizeof w->instance, "%s", instance);
	snprintf(w->ram_method, sizeof w->ram_method, "%s", method);
	free(w->ram_method_note);
	w->ram_method_note = xstrdup(note);
	w->told_drain = srv->draining;
	json_t *jr = json_array(), *jc = json_array();
	for (size_t i = 0; i < nr; i++)
		json_array_append_new(jr, json_integer(re[i]));
	for (size_t i = 0; i < nc; i++)
		json_array_append_new(jc, json_integer(ca[i]));
	free(ids);
	free(re);
	free(ca);
	log_info("worker %s registered: %s, %lld cores, %lld MB, %lld GPUs%s", w->id, w->name,
		 (long long)cores, (long long)ram, (long long)gpus, nr ? " (re-attached)" : "");
	persist_worker_event(srv, w, true);
	srv->offer_parked = true;	/* a new worker may fit what waits */
	server_mark_dirty(srv);
	call_reply(c, 201, json_pack("{s:s, s:I, s:I, s:o, s:o, s:b}", "id", w->id, "lease_ms",
				     (json_int_t)srv->lease_ms, "heartbeat_ms",
				     (json_int_t)srv->heartbeat_ms, "reattached", jr, "cancel", jc,
				     "drain", srv->draining));
	return;
bad:
	free(tags);
	call_error(c, e.err, e.field, "%s", e.message);
}

/* The worker goes away (it stops, or the drain told it to): its name is free at once, and
 * attempts it still holds are lost now instead of when its lease would end. */
void api_worker_leave(struct call *c)
{
	struct worker *w = worker_param(c);
	if (w == NULL)
		return;
	if (c->body && (!json_is_object(c->body) || json_object_size(c->body) > 0)) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be empty or {}");
		return;
	}
	if (w->parked)	/* an empty answer, not the 404 a lost worker's poll gets */
		parked_reply(w->parked, false);
	sched_worker_lose(&c->srv->sched, w, WORKER_GONE_LEFT, server_now(c->srv));
	call_reply(c, 200, json_pack("{s:b}", "left", 1));
	server_check_drained(c->srv);
}

void api_workers_list(struct call *c)
{
	json_t *arr = json_array();
	struct heap *h = &c->srv->sched.leases;
	for (size_t i = 0; i < h->len; i++)
		json_array_append_new(arr, render_worker(h->items[i], &c->who));
	call_reply(c, 200, json_pack("{s:o}", "workers", arr));
}

/* ---- reports ----------------------------------------------------------------------- */

/* Apply one FINISH; returns its result object for the reply (or NULL after replying
 * with an error when reply_errors). */
static json_t *apply_finish(struct server *srv, struct worker *w, json_t *obj, int64_t attempt,
			    const char *prefix, struct derr *e, enum finish_result *res)
{
	struct finish f;
	if (decode_finish(obj, prefix, attempt == 0, &f, e))
		return NULL;
	if (attempt)
		f.attempt = attempt;
	struct attempt *live = sched_live_attempt(&srv->sched, w, f.attempt);
	if (live && f.output_bytes > live->out_bytes)
		log_warn("attempt %lld: its worker produced %lld bytes of output, %lld arrived",
			 (long long)f.attempt, (long long)f.output_bytes,
			 (long long)live->out_bytes);
	if (live && live->worker)
		sched_worker_touch(&srv->sched, live->worker, server_now(srv), clock_mono_ms());
	json_t *late = json_deep_copy(obj);
	json_object_set_new(late, "reported_at", render_time(server_now(srv)));
	char *late_text = json_dumps(late, JSON_COMPACT);
	json_decref(late);
	struct worker *holder = live ? live->worker : NULL;
	int32_t fc = live ? live->cores : 0, fr = live ? live->ram_mb : 0, fg = live ? live->gpus : 0;
	*res = sched_finish(&srv->sched, w, &f, late_text, server_now(srv));
	free(late_text);
	if (*res == FINISH_APPLIED && holder && holder->parked) {
		/* The worker's parked poll named what was free when it was sent; what this
		 * joblet held is free now too, so the poll may take bigger joblets. */
		struct parked *p = holder->parked;
		p->free_cores += fc;
		p->free_ram += fr;
		p->free_gpus += fg;
		p->max += (size_t)(fc > 0 ? fc : 1);
		if (p->max > 1024)
			p->max = 1024;	/* the most a reserve hands out (its array) */
	}
	if (*res == FINISH_STALE)
		log_warn("refused a late report for attempt %lld (no longer live)",
			 (long long)f.attempt);
	if (*res == FINISH_APPLIED || *res == FINISH_DUPLICATE)
		return json_pack("{s:I, s:b}", "attempt", (json_int_t)f.attempt, "ok", 1);
	return json_pack("{s:I, s:b, s:s}", "attempt", (json_int_t)f.attempt, "ok", 0, "error",
			 *res == FINISH_STALE ? "stale_attempt" : "unknown_attempt");
}

static json_t *cancel_list(struct worker *w)
{
	json_t *arr = json_array();
	for (struct attempt *a = w->running; a; a = a->wnext)
		if (a->cancel_requested)
			json_array_append_new(arr, json_integer(a->id));
	return arr;
}

void api_attempt_finish(struct call *c)
{
	struct derr e;
	enum finish_result res;
	char *end;
	long long id = strtoll(c->params[0], &end, 10);
	if (*end || id <= 0) {
		call_error(c, ERR_NOT_FOUND, "id", "no attempt %s", c->params[0]);
		return;
	}
	if (c->body == NULL) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be a FINISH object");
		return;
	}
	json_t *r = apply_finish(c->srv, NULL, c->body, id, "", &e, &res);
	if (r == NULL) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	json_decref(r);
	if (res == FINISH_STALE)
		call_error(c, ERR_STALE_ATTEMPT, "attempt",
			   "attempt %lld is no longer live (its lease expired); the report is kept"
			   " as its late_result and not applied", id);
	else if (res == FINISH_UNKNOWN)
		call_error(c, ERR_NOT_FOUND, "attempt", "no attempt %lld", id);
	else
		call_reply(c, 200, json_pack("{s:b}", "ok", 1));
}

/* A chunk of an attempt's output at its byte offset: the body is the bytes themselves (no
 * JSON to parse, no base64). The worker sends one at a time and the next only after this
 * reply, which follows the commit: that is its back-pressure, and its proof the bytes are
 * on disk. A chunk sent again (no reply reached the worker) adds only what is new, so
 * nothing is stored twice; one that would leave a gap is refused with the offset the
 * server has. */
void api_attempt_output(struct call *c)
{
	struct derr e;
	char *end;
	int64_t offset, at;
	long long id = strtoll(c->params[0], &end, 10);
	if (*end || id <= 0) {
		call_error(c, ERR_NOT_FOUND, "id", "no attempt %s", c->params[0]);
		return;
	}
	if (decode_chunk_params(call_query(c, "offset"), call_query(c, "at_ms"), &offset, &at, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	struct evbuffer *in = evhttp_request_get_input_buffer(c->req);
	size_t len = evbuffer_get_length(in);
	if (len > MAX_CHUNK) {
		call_error(c, ERR_TOO_LARGE, "", "a chunk is at most %u bytes, got %zu",
			   MAX_CHUNK, len);
		return;
	}
	struct attempt *a = sched_live_attempt(&c->srv->sched, NULL, id);
	if (a == NULL) {
		call_error(c, ERR_STALE_ATTEMPT, "attempt", "attempt %lld is not live", id);
		return;
	}
	if (a->worker)
		sched_worker_touch(&c->srv->sched, a->worker, server_now(c->srv), clock_mono_ms());
	if (offset > a->out_bytes) {
		json_t *err = call_error_body(ERR_OUTPUT_GAP, "offset", "offset: the server has less"
					      " of this attempt's output: send again from"
					      " next_offset");
		json_object_set_new(err, "next_offset", json_integer(a->out_bytes));
		call_reply(c, api_error_status(ERR_OUTPUT_GAP), err);
		return;
	}
	size_t skip = (size_t)(a->out_bytes - offset);	/* already stored: a resend */
	if (len > skip) {
		char *data = xmalloc(len - skip);
		evbuffer_drain(in, skip);
		evbuffer_remove(in, data, len - skip);	/* the only copy kept until the commit */
		persist_output(c->srv, id, a->out_bytes, chunk_time(c->srv, at), data, len - skip);
		a->out_bytes = offset + (int64_t)len;
	} else {
		evbuffer_drain(in, len);
	}
	call_reply(c, 200, json_pack("{s:b, s:I}", "ok", 1, "next_offset", (json_int_t)a->out_bytes));
}

void api_worker_heartbeat(struct call *c)
{
	struct derr e;
	static const char *const fields[] = {"running", NULL};
	struct worker *w = worker_param(c);
	if (w == NULL)
		return;
	json_t *running = c->body ? json_object_get(c->body, "running") : NULL;
	if (json_is_object(c->body) && check_fields(c->body, "", fields, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	if ((c->body && !json_is_object(c->body)) || (running && !json_is_array(running))) {
		call_error(c, ERR_BAD_REQUEST, "running", "the body must be {\"running\": [ids]}");
		return;
	}
	json_t *cancel = cancel_list(w);
	size_t i;
	json_t *v;
	json_array_foreach(running, i, v) {
		if (!sched_live_attempt(&c->srv->sched, w, json_integer_value(v)))
			json_array_append(cancel, v);	/* not ours any more: stop it */
	}
	w->told_drain = c->srv->draining;
	call_reply(c, 200, json_pack("{s:o, s:b}", "cancel", cancel, "drain", c->srv->draining));
	server_check_drained(c->srv);
}

/* ---- reserve ----------------------------------------------------------------------- */


static void parked_unlink(struct parked *p)
{
	struct server *srv = p->call->srv;
	if (p->prev)
		p->prev->next = p->next;
	else
		srv->api->parked = p->next;
	if (p->next)
		p->next->prev = p->prev;
	if (p->worker)
		p->worker->parked = NULL;
	struct evhttp_connection *evcon = evhttp_request_get_connection(p->call->req);
	if (evcon)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	event_free(p->timeout);
}

/* parked: the poll waited for work, so the queue had nothing for this worker — the worker
 * then sends its next results apart instead of riding them on a poll that will park. */
static void send_reserve(struct call *c, struct worker *w, json_t *results, struct attempt **got,
			 size_t n, bool parked)
{
	json_t *joblets = json_array();
	if (w && c->srv->draining)
		w->told_drain = true;
	for (size_t i = 0; i < n; i++) {
		json_t *a = render_assignment(got[i]);
		if (got[i]->joblet->job->x && got[i]->joblet->job->x->script)
			scripts_assignment(c->srv, got[i], a);
		json_array_append_new(joblets, a);
	}
	call_reply(c, 200, json_pack("{s:o, s:o, s:o, s:b, s:b}", "joblets", joblets, "results",
				     results, "cancel", w ? cancel_list(w) : json_array(), "drain",
				     c->srv->draining, "parked", parked));
}

static void parked_reply(struct parked *p, bool lost)
{
	struct call *c = p->call;
	struct worker *w = p->worker;
	parked_unlink(p);
	if (lost)
		call_error(c, ERR_UNKNOWN_WORKER, "id", "the worker's lease expired: register again");
	else
		send_reserve(c, w, json_incref(p->results), NULL, 0, true);
	json_decref(p->results);
	free(p);
}

void reserve_worker_lost(struct server *srv, struct worker *w)
{
	if (w->parked)
		parked_reply(w->parked, true);
}

void reserve_kills(struct server *srv)
{
	for (struct parked *p = srv->api->parked, *next; p; p = next) {
		next = p->next;
		for (struct attempt *a = p->worker->running; a; a = a->wnext) {
			if (a->cancel_requested) {
				parked_reply(p, false);
				break;
			}
		}
	}
}

void reserve_answer(struct worker *w)
{
	if (w->parked)
		parked_reply(w->parked, false);
}

/* Replying to one parked poll touches only its own connection, so the next stays valid
 * (reserve_offer walks the list the same way). */
void reserve_answer_all(struct server *srv)
{
	for (struct parked *p = srv->api->parked, *next; p; p = next) {
		next = p->next;
		parked_reply(p, false);
	}
}

static void on_parked_timeout(evutil_socket_t fd, short what, void *arg)
{
	parked_reply(arg, false);
}

static void on_parked_close(struct evhttp_connection *evcon, void *arg)
{
	parked_reply(arg, false);	/* the request is detached: replying frees it */
}

static size_t reserve_now(struct server *srv, struct worker *w, int32_t c, int32_t r, int32_t g,
			  size_t max, struct attempt **got)
{
	if (srv->draining || srv->stopping || w->stopping)
		return 0;
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	size_t n = sched_reserve(&srv->sched, w, c, r, g, max, got, server_now(srv));
	clock_gettime(CLOCK_MONOTONIC, &t1);
	hist_observe(&srv->reserve_s, (double)(t1.tv_sec - t0.tv_sec) +
					(double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
	return n;
}

void reserve_offer(struct server *srv)
{
	struct attempt *got[1024];
	for (struct parked *p = srv->api->parked, *next; p; p = next) {
		next = p->next;
		size_t n = reserve_now(srv, p->worker, p->free_cores, p->free_ram, p->free_gpus,
				       p->max, got);
		if (n == 0)
			continue;
		struct call *c = p->call;
		struct worker *w = p->worker;
		json_t *results = p->results;
		parked_unlink(p);
		free(p);
		send_reserve(c, w, results, got, n, true);
	}
}

static const char *const reserve_fields[] = {"free", "max", "wait_ms", "finished", "stopping",
					     NULL};
static const char *const free_fields[] = {"cores", "ram_mb", "gpus", NULL};

void api_worker_reserve(struct call *c)
{
	struct server *srv = c->srv;
	struct derr e = {0};	/* message "" until a check fails and says why */
	int64_t max, wait_ms, fc, fr, fg;
	bool stopping;
	struct worker *w = worker_param(c);
	if (w == NULL)
		return;
	json_t *b = c->body ? c->body : json_object(), *fin, *freeo;
	if (c->body == NULL)
		c->body = b;
	freeo = json_object_get(b, "free");
	fin = json_object_get(b, "finished");
	if (!json_is_object(b) || check_fields(b, "", reserve_fields, &e) ||
	    get_int(b, "", "max", 0, 1024, 1, &max, &e) ||
	    get_int(b, "", "wait_ms", 0, 60000, 0, &wait_ms, &e) ||
	    (freeo && !json_is_object(freeo) &&
	     derr_set(&e, ERR_BAD_REQUEST, "free", "must be an object of cores, ram_mb, gpus")) ||
	    (freeo && check_fields(freeo, "free.", free_fields, &e)) ||
	    get_int(freeo, "free.", "cores", 0, 1 << 20, w->cores, &fc, &e) ||
	    get_int(freeo, "free.", "ram_mb", 0, INT32_MAX / 2, w->ram_mb, &fr, &e) ||
	    get_int(freeo, "free.", "gpus", 0, 4096, w->gpus, &fg, &e) ||
	    get_bool(b, "", "stopping", &stopping, &e)) {
		if (json_is_object(b) && e.message[0])
			call_error(c, e.err, e.field, "%s", e.message);
		else
			call_error(c, ERR_BAD_REQUEST, "", "the body must be a JSON object");
		return;
	}
	if (fin && (!json_is_array(fin) || json_array_size(fin) > 4096)) {
		call_error(c, ERR_BAD_REQUEST, "finished", "must be an array of reports");
		return;
	}
	/* Decode every report before applying any, so a bad one changes nothing. */
	size_t i;
	json_t *v;
	json_array_foreach(fin, i, v) {
		struct finish f;
		char prefix[48];
		snprintf(prefix, sizeof prefix, "finished[%zu].", i);
		if (decode_finish(v, prefix, true, &f, &e)) {
			call_error(c, e.err, e.field, "%s", e.message);
			return;
		}
	}
	/* A stopping worker is handed nothing more, by this poll or one still parked. Marked
	 * before its reports are applied: a joblet they queue again is never offered to it. */
	if (stopping)
		w->stopping = true;
	json_t *results = json_array();
	json_array_foreach(fin, i, v) {
		enum finish_result res;
		char prefix[48];
		snprintf(prefix, sizeof prefix, "finished[%zu].", i);
		json_t *r = apply_finish(srv, w, v, 0, prefix, &e, &res);
		json_array_append_new(results, r ? r : json_pack("{s:b, s:s}", "ok", 0, "error", e.message));
	}
	if (w->parked)	/* a newer poll replaces an older one */
		parked_reply(w->parked, false);
	struct attempt *got[1024];
	size_t n = reserve_now(srv, w, (int32_t)fc, (int32_t)fr, (int32_t)fg, (size_t)max, got);
	/* A poll that carried reports is answered now even with nothing to hand out: the
	 * worker holds those results until it hears they are applied. */
	if (n > 0 || wait_ms == 0 || max == 0 || json_array_size(fin) > 0 || srv->draining ||
	    srv->stopping) {
		send_reserve(c, w, results, got, n, false);
		server_check_drained(srv);
		return;
	}
	struct parked *p = xcalloc(1, sizeof *p);
	p->call = c;
	p->worker = w;
	p->free_cores = (int32_t)fc;
	p->free_ram = (int32_t)fr;
	p->free_gpus = (int32_t)fg;
	p->max = (size_t)max;
	p->results = results;
	p->timeout = evtimer_new(srv->base, on_parked_timeout, p);
	struct timeval tv = {(time_t)(wait_ms / 1000), (suseconds_t)(wait_ms % 1000) * 1000};
	evtimer_add(p->timeout, &tv);
	p->next = srv->api->parked;
	if (srv->api->parked)
		srv->api->parked->prev = p;
	srv->api->parked = p;
	w->parked = p;
	c->kept = true;
	/* evhttp stops reading while a request is open; read again so a worker that goes
	 * away is noticed now, not at the end of the poll (DECISIONS pitfall 2). */
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_parked_close, p);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
}
