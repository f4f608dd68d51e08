/* Streaming replies: Server-Sent Events of the job life cycle, and job output for `log`
 * (whole, or followed live). Both are sent only after the changes they report are
 * committed. An SSE reader that falls behind by more than STREAM_MAX_BACKLOG bytes is
 * dropped rather than letting the server buffer without bound (DECISIONS pitfall 3).
 *
 * A stream that resumes from an id older than the recall's ring catches up from the store
 * first, REPLAY_SLICE events at a time: the next slice is read once the last one is
 * written, as a log's, and live events wait for it (it joins them from the ring at the
 * end). An id missing there (pruned, or a gap: events were not built) ends the catch-up
 * with `reset`.
 *
 * A log is read from the store in slices of about LOG_SLICE bytes: the next slice is read
 * only when evhttp has written the last one to the socket (its write callback), so a
 * slow reader holds one slice, and a reader of a 1 GB log takes one slice's read per
 * loop turn, never the loop. Followers keep their cursor: each commit makes them read
 * only the rows committed since. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/recall.h"
#include "base/clock.h"
#include "server/server.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <string.h>

#define STREAM_MAX_BACKLOG (8u << 20)
#define LOG_SLICE (256u << 10)
/* Events read from the store per loop turn by a stream catching up: a read and a parse of
 * each, about a millisecond or two. */
#define REPLAY_SLICE 500

struct sse_client {
	struct call *call;		/* owned */
	int64_t seq;			/* only this job's events; 0 = all */
	bool catching_up;		/* reading the store: live events are not sent yet */
	int64_t sent;			/* while catching up: the last id sent */
	struct sse_client *next, *prev;
};

/* A `log` reply in progress: plain (ends at the end of the rows it started with) or
 * following (ends once the job is final and its last output is committed). */
struct log_follower {
	struct call *call;		/* owned */
	struct output_cursor cur;
	bool follow;
	bool writing;			/* a slice is being written; its callback reads the next */
	uint64_t end_after;		/* ends once this many batches are committed; 0 = live */
	struct log_follower *next, *prev;
};

size_t stream_count(const struct server *srv, bool followers)
{
	size_t n = 0;
	if (followers)
		for (const struct log_follower *f = srv->api->followers; f; f = f->next)
			n++;
	else
		for (const struct sse_client *s = srv->api->sse; s; s = s->next)
			n++;
	return n;
}

bool stream_listening(const struct server *srv)
{
	return srv->api->sse != NULL;
}

/* The recall, made again when the store loaded since is another (a standby that took
 * over: its face started before the store was loaded). */
static struct recall *recall_of(struct server *srv)
{
	struct recall *r = srv->api->recall;
	if (r->epoch != srv->events.epoch) {
		recall_free(r);
		recall_init(r, RECALL_MAX, srv->events.epoch, srv->events.loaded + 1);
	}
	return r;
}

static size_t backlog(struct call *c)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	if (evcon == NULL)
		return 0;
	return evbuffer_get_length(bufferevent_get_output(evhttp_connection_get_bufferevent(evcon)));
}

static void stream_begin(struct call *c, const char *ctype, void (*on_close)(struct evhttp_connection *, void *),
			 void *arg)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	evhttp_add_header(h, "Content-Type", ctype);
	evhttp_add_header(h, "Cache-Control", "no-cache");
	route_count_reply(c->route, 200);
	evhttp_send_reply_start(c->req, 200, "OK");
	c->kept = c->replied = true;
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_close, arg);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
}

/* End a stream; if the client already left, evhttp frees the detached request. */
static void stream_end(struct call *c)
{
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	if (evcon)
		evhttp_connection_set_closecb(evcon, NULL, NULL);
	evhttp_send_reply_end(c->req);
	call_free(c);
}

static void send_text(struct call *c, const char *text, size_t len)
{
	struct evbuffer *b = evbuffer_new();
	evbuffer_add(b, text, len);
	evhttp_send_reply_chunk(c->req, b);
	evbuffer_free(b);
}

/* ---- events ------------------------------------------------------------------------ */

static void sse_drop(struct server *srv, struct sse_client *s)
{
	srv->events.until_mono = clock_mono_ms() + srv->events.window_ms;	/* it may resume */
	if (s->prev)
		s->prev->next = s->next;
	else
		srv->api->sse = s->next;
	/* The analyzer cannot see that the list links only live clients. */
	if (s->next)
		s->next->prev = s->prev; // NOLINT(clang-analyzer-unix.Malloc)
	stream_end(s->call);
	free(s);
}

static void on_sse_close(struct evhttp_connection *evcon, void *arg)
{
	struct sse_client *s = arg;
	sse_drop(s->call->srv, s);
}

/* A user reads the events of their own jobs, a worker's joining and leaving (every caller
 * sees the workers in GET /v1/workers), a job network's run changes (net.run: every
 * caller reads the plan in GET /v1/plan) and a move of the test clock (clock.moved: every
 * caller reads GET /v1/clock); any other event of no job (owner NULL, such as
 * auth.refused) is for admins only. */
static bool event_visible(const struct principal *who, json_t *e)
{
	const char *owner = json_string_value(json_object_get(e, "owner"));
	if (owner)
		return principal_owns(who, owner);
	const char *name = json_string_value(json_object_get(e, "event"));
	if (name && (strcmp(name, "net.run") == 0 || strcmp(name, "clock.moved") == 0))
		return true;
	return json_object_get(e, "worker") != NULL || (who->roles & ROLE_ADMIN) != 0;
}

/* Is e for s: its job (?job=; an event of no job has seq 0), and one the caller may see? */
static bool event_for(const struct sse_client *s, json_t *e)
{
	int64_t seq = json_integer_value(json_object_get(e, "seq"));
	return (s->seq == 0 || s->seq == seq) && event_visible(&s->call->who, e);
}

/* The SSE message of event e with id n (malloc'd). */
static char *event_message(struct server *srv, json_t *e, int64_t n)
{
	char id[48];
	recall_format_id(recall_of(srv), n, id, sizeof id);
	char *data = json_dumps(e, JSON_COMPACT);
	char *msg = xasprintf("id: %s\nevent: %s\ndata: %s\n\n", id,
			      json_string_value(json_object_get(e, "event")), data);
	free(data);
	return msg;
}

/* The same into out, of e read back from the store as its text data (compact JSON). */
static void event_message_to(struct server *srv, json_t *e, const char *data, int64_t n,
			     struct evbuffer *out)
{
	char id[48];
	recall_format_id(recall_of(srv), n, id, sizeof id);
	evbuffer_add_printf(out, "id: %s\nevent: %s\ndata: %s\n\n", id,
			    json_string_value(json_object_get(e, "event")), data);
}

/* The id of the last event given, alone: the reader's resume point moves past the events it
 * does not see (an SSE message with an id and no data sets the id, dispatches nothing). */
static void send_cursor(struct server *srv, struct call *c, const char *comment)
{
	char id[48], msg[128];
	struct recall *r = recall_of(srv);
	recall_format_id(r, r->next - 1, id, sizeof id);
	int n = snprintf(msg, sizeof msg, "%sid: %s\n\n", comment, id);
	send_text(c, msg, (size_t)n);
}

static void catch_up(struct server *srv, struct sse_client *s);

static void replay_one(void *arg, json_t *e, int64_t n)
{
	struct sse_client *s = arg;
	if (!event_for(s, e))
		return;
	char *msg = event_message(s->call->srv, e, n);
	send_text(s->call, msg, strlen(msg));
	free(msg);
}

/* Asked to resume from what is not kept: the reader must read the state again. */
static void send_reset(struct call *c)
{
	static const char reset[] = "event: reset\ndata: {\"event\":\"reset\",\"reason\":"
		"\"the events after that id are not kept: read the state again\"}\n\n";
	send_text(c, reset, sizeof reset - 1);
}

/* ---- catching up from the store ---------------------------------------------------- */

struct replay {
	struct sse_client *s;
	struct evbuffer *out;		/* the messages of the slice */
	int64_t expect;			/* the id the next row must have */
	bool broken;			/* an id missing, a gap, or a row that is not an event */
};

static void replay_row(void *arg, int64_t id, const char *data)
{
	struct replay *rp = arg;
	json_t *e = rp->broken || id != rp->expect || data == NULL ? NULL : json_loads(data, 0, NULL);
	if (e == NULL) {
		rp->broken = true;
		return;
	}
	rp->expect++;
	if (event_for(rp->s, e))	/* the visibility rules of live events */
		event_message_to(rp->s->call->srv, e, data, id, rp->out);
	json_decref(e);
}

/* The end of a catch-up: the ring's events after what was sent, then live ones. */
static void join_live(struct server *srv, struct sse_client *s, bool reset)
{
	s->catching_up = false;
	if (reset)
		send_reset(s->call);
	else
		recall_each(recall_of(srv), s->sent, replay_one, s);
	send_cursor(srv, s->call, "");
}

static void on_replay_written(struct evhttp_connection *evcon, void *arg)
{
	struct sse_client *s = arg;
	if (s->catching_up)
		catch_up(s->call->srv, s);
}

/* The next slice of the events between what s was sent and the ring's oldest, from the
 * store; or, once the ring holds the rest, join the live stream. */
static void catch_up(struct server *srv, struct sse_client *s)
{
	struct recall *r = recall_of(srv);
	if (s->sent >= r->lo - 1) {
		join_live(srv, s, false);
		return;
	}
	int64_t upto = r->lo - 1 < s->sent + REPLAY_SLICE ? r->lo - 1 : s->sent + REPLAY_SLICE;
	struct replay rp = {s, evbuffer_new(), s->sent + 1, false};
	int n = srv->store->vt->read_events(srv->store, s->sent, upto, REPLAY_SLICE, replay_row, &rp);
	if (n < 0 || rp.broken || rp.expect != upto + 1) {
		evbuffer_free(rp.out);
		join_live(srv, s, true);
		return;
	}
	s->sent = upto;
	/* The reader's resume point moves past the slice, seen or not (send_cursor). */
	char id[48];
	recall_format_id(r, upto, id, sizeof id);
	evbuffer_add_printf(rp.out, "id: %s\n\n", id);
	evhttp_send_reply_chunk_with_cb(s->call->req, rp.out, on_replay_written, s);
	evbuffer_free(rp.out);
}

/* Where the caller resumes: Last-Event-ID (as a browser's EventSource sends it), else
 * ?after=. *asked: one was given; then *from says whether it can resume (*after) or must
 * re-read. 0, or -1 after replying 400. */
static int resume_point(struct call *c, bool *asked, enum recall_from *from, int64_t *after)
{
	const char *field = "Last-Event-ID";
	const char *text = evhttp_find_header(evhttp_request_get_input_headers(c->req), field);
	if (text == NULL) {
		field = "after";
		text = call_query(c, field);
	}
	*asked = text != NULL;
	if (text == NULL)
		return 0;
	*from = recall_parse(recall_of(c->srv), text, after);
	if (*from == RECALL_BAD) {
		call_error(c, ERR_BAD_REQUEST, field,
			   "%s: an event id is EPOCH-N as the stream gave it, got '%.64s'", field,
			   text);
		return -1;
	}
	return 0;
}

void api_events(struct call *c)
{
	const char *job = call_query(c, "job");
	int64_t seq = 0;
	if (job) {
		struct job *j = call_find_job(c, job, NULL);
		if (j == NULL) {
			call_no_job(c, "job", job);
			return;
		}
		seq = j->seq;
	}
	bool asked;
	enum recall_from from = RECALL_LOST;
	int64_t after = 0;
	if (resume_point(c, &asked, &from, &after))
		return;
	/* This reader gets an id: a time without events from now on is a gap of its own. */
	c->srv->events.gap = false;
	struct sse_client *s = xcalloc(1, sizeof *s);
	s->call = c;
	s->seq = seq;
	s->next = c->srv->api->sse;
	if (s->next)
		s->next->prev = s;
	c->srv->api->sse = s;
	stream_begin(c, "text/event-stream", on_sse_close, s);
	send_text(c, ": jobgrid events\n\n", 18);
	if (asked && from == RECALL_RESUME) {
		recall_each(recall_of(c->srv), after, replay_one, s);
	} else if (asked && from == RECALL_STORE) {
		s->catching_up = true;
		s->sent = after;
		catch_up(c->srv, s);
		return;
	} else if (asked) {
		send_reset(c);
	}
	send_cursor(c->srv, c, "");
}

void stream_publish(struct server *srv, json_t *events, const int64_t *ids)
{
	struct recall *r = recall_of(srv);
	size_t i;
	json_t *e;
	json_array_foreach(events, i, e) {
		int64_t n = ids[i];
		if (json_is_null(e)) {	/* a gap: nobody listened */
			recall_push(r, n, NULL);
			continue;
		}
		recall_push(r, n, e);
		char *msg = NULL;
		for (struct sse_client *s = srv->api->sse, *next; s; s = next) {
			/* s may be dropped below; next is a different, live client. */
			next = s->next; // NOLINT(clang-analyzer-unix.Malloc)
			if (s->catching_up || !event_for(s, e))
				continue;
			if (backlog(s->call) > STREAM_MAX_BACKLOG) {
				sse_drop(srv, s);	/* too slow: it resumes from its last id */
				continue;
			}
			if (msg == NULL)
				msg = event_message(srv, e, n);
			send_text(s->call, msg, strlen(msg));
		}
		free(msg);
	}
}

void stream_keepalive(struct server *srv)
{
	for (struct sse_client *s = srv->api->sse; s; s = s->next)
		if (!s->catching_up)	/* its slices carry their ids */
			send_cursor(srv, s->call, ": keep-alive\n");
}

/* ---- log --------------------------------------------------------------------------- */

/* Each line of a chunk gets its node's prefix; a chunk that ends mid-line is closed.
 * Written straight into space reserved in out: a 1 MiB chunk is ~15000 lines. */
static void add_row(void *arg, const struct output_row *row)
{
	struct evbuffer *out = arg;
	char prefix[160];
	int n = snprintf(prefix, sizeof prefix, "[%.128s] ", row->node);
	size_t pl = (size_t)(n < 0 ? 0 : n), lines = 0;
	const char *p = row->data, *end = row->data + row->len, *nl;
	for (const char *q = p; q < end && (nl = memchr(q, '\n', (size_t)(end - q))); q = nl + 1)
		lines++;
	bool open_end = row->len && end[-1] != '\n';
	struct evbuffer_iovec v;
	size_t need = row->len + (lines + open_end) * pl + open_end;
	if (need == 0 || evbuffer_reserve_space(out, (ev_ssize_t)need, &v, 1) != 1)
		return;
	char *w = v.iov_base;
	while (p < end) {
		nl = memchr(p, '\n', (size_t)(end - p));
		size_t len = nl ? (size_t)(nl - p) + 1 : (size_t)(end - p);
		memcpy(w, prefix, pl);
		memcpy(w + pl, p, len);
		w += pl + len;
		p += len;
	}
	if (open_end)
		*w++ = '\n';
	v.iov_len = (size_t)(w - (char *)v.iov_base);
	evbuffer_commit_space(out, &v, 1);
}

static void follower_drop(struct server *srv, struct log_follower *f)
{
	if (f->prev)
		f->prev->next = f->next;
	else
		srv->api->followers = f->next;
	if (f->next)
		f->next->prev = f->prev;
	stream_end(f->call);
	free(f);
}

static void on_follower_close(struct evhttp_connection *evcon, void *arg)
{
	struct log_follower *f = arg;
	follower_drop(f->call->srv, f);
}

/* The rows committed since cur.hi become the next range. false: there are none. */
static bool next_range(struct server *srv, struct log_follower *f)
{
	int64_t last = srv->store->vt->output_last_id(srv->store);
	if (last <= f->cur.hi)
		return false;
	output_cursor_next(&f->cur, f->cur.hi, last);	/* time order within the new rows */
	return true;
}

/* Has a follower seen everything? Its job is final and every batch that existed when it
 * was seen final is committed (the job may end in memory before its output is on disk). */
static bool follow_done(struct server *srv, struct log_follower *f)
{
	/* Gone: removed, or out of memory, which it leaves only once final and committed. */
	struct job *j = sched_job(&srv->sched, f->cur.seq);
	if (j == NULL)
		return true;
	if (jl_state_final(j->state) && f->end_after == 0) {
		f->end_after = server_batches_due(srv);
		if (f->end_after == 0)
			f->end_after = 1;
	}
	return f->end_after && srv->commits >= f->end_after;
}

/* The next slice of f's rows into out; a follower at the end of its range moves on to the
 * rows committed since. Returns the rows read (0: none now). */
static int read_slice(struct server *srv, struct log_follower *f, struct evbuffer *out)
{
	for (;;) {
		int rows = srv->store->vt->read_output(srv->store, &f->cur, LOG_SLICE, add_row, out);
		if (rows < 0)
			log_warn("log of job %lld: the store could not be read: the reply ends here",
				 (long long)f->cur.seq);
		if (rows != 0 || !f->follow || !next_range(srv, f))
			return rows < 0 ? 0 : rows;
	}
}

static void on_slice_written(struct evhttp_connection *evcon, void *arg);

/* Send the next slice, or end the reply when there is nothing more to send: at the end of
 * its rows for a plain reader, once its job is done for a follower. May free f. */
static void log_pump(struct server *srv, struct log_follower *f)
{
	if (f->writing)
		return;
	struct evbuffer *out = evbuffer_new();
	if (read_slice(srv, f, out) > 0) {
		f->writing = true;
		evhttp_send_reply_chunk_with_cb(f->call->req, out, on_slice_written, f);
	} else if (!f->follow || follow_done(srv, f)) {
		follower_drop(srv, f);
	}
	evbuffer_free(out);
}

static void on_slice_written(struct evhttp_connection *evcon, void *arg)
{
	struct log_follower *f = arg;
	f->writing = false;
	log_pump(f->call->srv, f);
}

void api_job_log(struct call *c)
{
	struct server *srv = c->srv;
	int32_t idx;
	struct job *j = call_find_job(c, c->params[0], &idx);
	const char *qi = call_query(c, "index"), *follow = call_query(c, "follow");
	if (j == NULL) {
		call_no_job(c, "id", c->params[0]);
		return;
	}
	if (qi && strcmp(qi, "server") == 0) {
		idx = OUTPUT_SERVER;	/* the script handlers' lines alone */
	} else if (qi) {
		char *end;
		long v = strtol(qi, &end, 10);
		if (*qi == '\0' || *end || v < 0 || v >= j->njoblets) {
			call_error(c, ERR_BAD_REQUEST, "index", "index: must be 0..%d or server, got '%s'",
				   j->njoblets - 1, qi);
			return;
		}
		idx = (int32_t)v;
	}
	struct log_follower *f = xcalloc(1, sizeof *f);
	f->call = c;
	f->cur.seq = j->seq;
	f->cur.idx = idx;
	f->cur.hi = srv->store->vt->output_last_id(srv->store);
	f->follow = follow && strcmp(follow, "0") != 0 && !jl_state_final(j->state);
	struct evbuffer *out = evbuffer_new();
	int rows = read_slice(srv, f, out);
	if (rows == 0 && !f->follow) {
		/* Nothing to stream: a plain reply (a stream cannot end during dispatch). */
		call_reply_text(c, 200, "text/plain; charset=utf-8", "", 0);
		evbuffer_free(out);
		free(f);
		return;
	}
	f->next = srv->api->followers;
	if (f->next)
		f->next->prev = f;
	srv->api->followers = f;
	stream_begin(c, "text/plain; charset=utf-8", on_follower_close, f);
	if (rows > 0) {
		f->writing = true;
		evhttp_send_reply_chunk_with_cb(c->req, out, on_slice_written, f);
	}
	evbuffer_free(out);
}

void stream_wake_followers(struct server *srv)
{
	for (struct log_follower *f = srv->api->followers, *next; f; f = next) {
		next = f->next;
		if (f->follow)
			log_pump(srv, f);	/* unless a slice is being written: its callback
						 * goes on */
	}
}

void stream_close_all(struct server *srv)
{
	struct sse_client *s = srv->api->sse;
	struct log_follower *f = srv->api->followers;
	srv->api->sse = NULL;
	srv->api->followers = NULL;
	while (s) {
		struct sse_client *next = s->next;
		stream_end(s->call);
		free(s);
		s = next;
	}
	while (f) {
		struct log_follower *next = f->next;
		stream_end(f->call);
		free(f);
		f = next;
	}
}
