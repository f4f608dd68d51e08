/* GET /v1/jobs, walked in slices: a page of up to 10^4 jobs, and the count of matching jobs
 * beyond it, cost a look at every job slot after the cursor and a rendering per job. With
 * 10^6 jobs in memory that is tens of milliseconds, so the walk looks at SLICE_SCAN slots
 * and renders SLICE_RENDER jobs per loop turn and goes on in the next (event_active on a
 * deferred event, as server/prune.c does), other requests being served between. A list
 * that fits one slice is answered at once. The page is then a view across those turns:
 * a job that changes meanwhile shows as it was when its slice ran. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/server.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

enum { SLICE_SCAN = 16384, SLICE_RENDER = 250 };

struct list_walk {
	struct call *c;			/* kept until the reply */
	struct event *ev;		/* owned: the next slice; NULL while the first runs */
	int st;				/* state filter, -1: any */
	const char *group, *owner;	/* borrowed from the call's query, or NULL */
	const char *name;		/* a part of the name (borrowed), or NULL */
	int64_t seq, step;		/* the next slot, and +1 or -1 */
	long long limit;
	json_t *jobs;			/* owned: the page so far */
	int64_t last, more;
};

static bool list_match(const struct job *j, const struct list_walk *w)
{
	return j && principal_owns(&w->c->who, j->owner) && (w->st < 0 || j->state == w->st) &&
	       (!w->group || strcmp(w->group, j->group) == 0) &&
	       (!w->owner || strcmp(w->owner, j->owner) == 0) &&
	       (!w->name || strstr(j->name, w->name) != NULL);
}

/* One slice of the walk: true once it reached the end. */
static bool walk_slice(struct list_walk *w)
{
	struct sched *s = &w->c->srv->sched;
	int64_t scanned = 0, rendered = 0;
	for (; w->seq > 0 && w->seq < s->next_seq; w->seq += w->step) {
		if (scanned++ == SLICE_SCAN || rendered == SLICE_RENDER)
			return false;
		struct job *j = sched_job(s, w->seq);
		if (!list_match(j, w))
			continue;
		if ((long long)json_array_size(w->jobs) == w->limit) {
			w->more++;
			continue;
		}
		json_array_append_new(w->jobs, render_job(w->c->srv, j, NULL));
		w->last = w->seq;
		rendered++;
	}
	return true;
}

static void walk_free(struct list_walk *w)
{
	if (w->ev)
		event_free(w->ev);
	json_decref(w->jobs);
	free(w);
}

static void walk_reply(struct list_walk *w)
{
	char cur[32];
	snprintf(cur, sizeof cur, "%lld", (long long)w->last);
	call_reply(w->c, 200, json_pack("{s:O, s:o, s:I}", "jobs", w->jobs, "next_cursor",
					w->more ? json_string(cur) : json_null(), "more",
					(json_int_t)w->more));
	walk_free(w);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct list_walk *w = arg;
	/* Answer while the request still exists (the server's stop comes here too). */
	call_error(w->c, ERR_CLIENT_CLOSED, "", "the client left while the list was made");
	walk_free(w);
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct list_walk *w = arg;
	if (!walk_slice(w)) {
		event_active(w->ev, EV_TIMEOUT, 0);	/* after what else is due */
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(w->c->req), NULL, NULL);
	walk_reply(w);
}

/* GET /v1/jobs: a page of jobs after cursor, oldest first (order=asc, the default) or
 * newest first (order=desc, cursor 0 = from the newest); "more" counts the matching jobs
 * beyond the page, so a client can say how many it did not show. */
void api_jobs_list(struct call *c)
{
	struct sched *s = &c->srv->sched;
	long long limit, cursor;
	const char *state = call_query(c, "state"), *order = call_query(c, "order"),
		   *name = call_query(c, "name");
	int st = -1;
	if (call_query_int(c, "limit", 1, 10000, 100, &limit) ||
	    call_query_int(c, "cursor", 0, INT64_MAX, 0, &cursor))
		return;
	if (name && (name[0] == '\0' || strlen(name) > 200)) {
		call_error(c, ERR_BAD_REQUEST, "name", "name: must be 1..200 characters, got %zu",
			   strlen(name));
		return;
	}
	if (state && (st = jl_state_parse(state)) < 0) {
		call_error(c, ERR_BAD_REQUEST, "state",
			   "state: must be one of waiting, ready, running, done, failed, cancelled,"
			   " skipped; got '%s'", state);
		return;
	}
	if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		call_error(c, ERR_BAD_REQUEST, "order", "order: must be asc or desc, got '%s'",
			   order);
		return;
	}
	if (cursor > s->next_seq)
		cursor = s->next_seq;	/* past the end: nothing after it (and no overflow) */
	bool desc = order && strcmp(order, "desc") == 0;
	struct list_walk *w = xcalloc(1, sizeof *w);
	*w = (struct list_walk){
		.c = c, .st = st, .group = call_query(c, "group"), .owner = call_query(c, "owner"),
		.name = name,
		.seq = desc ? (cursor > 0 && cursor < s->next_seq ? cursor : s->next_seq) - 1
			    : cursor + 1,
		.step = desc ? -1 : 1, .limit = limit, .jobs = json_array()};
	if (walk_slice(w)) {
		walk_reply(w);
		return;
	}
	c->kept = true;
	w->ev = event_new(c->srv->base, -1, 0, on_slice, w);
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_client_close, w);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
	event_active(w->ev, EV_TIMEOUT, 0);
}
