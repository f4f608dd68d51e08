/* Cancel and retry of a job of many joblets, in slices: changing 10^5 joblets (each a heap
 * move and a record) holds the loop for tens of milliseconds, and its single batch holds
 * every reply behind its commit. So the change goes SLICE joblets per loop turn (a deferred
 * event made active again, as api/jobs-list.c and server/prune.c walk theirs), other
 * requests being served between. Each slice goes in its turn's batch, and the next slice
 * waits for that commit (a held reply, server_hold): the writer's queue stays one slice
 * long, so a reply another request waits for is behind one slice's commit at most. The
 * reply, the job as the last slice left it, follows the commit of the last. A job of at most
 * SLICE joblets changes at once. A crash in the middle leaves the slices committed so far
 * (docs/API.md): cancel or retry again. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/server.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>

/* 1024: a slice's loop time stays near a millisecond on a slow machine; 4096 let a status
 * call from another client wait 16-19 ms (docs/ARCHITECTURE.md). */
enum { SLICE = 1024 };

struct job_slice {
	struct held held;		/* first: waits for the commit of a slice */
	struct call *c;			/* kept until the reply; NULL once the client left */
	struct server *srv;
	struct event *ev;		/* owned: the next slice */
	int64_t seq;
	int32_t next;			/* the first joblet of the next slice */
	enum job_slice_kind kind;
};

/* One slice: true once the last joblet is through. The job is looked up again each turn:
 * a request between two slices may have removed it. */
static bool slice(struct job_slice *w, struct job *j)
{
	struct sched *s = &w->srv->sched;
	int32_t to = w->next + SLICE < j->njoblets ? w->next + SLICE : j->njoblets;
	int64_t now = server_now(w->srv);
	if (w->kind == JOB_SLICE_CANCEL) {
		sched_cancel_range(s, j, w->next, to, now);
		/* Tell parked workers now rather than at their next heartbeat. */
		for (int32_t i = w->next; i < to; i++) {
			struct attempt *a = j->joblets[i].live;
			if (a && a->worker)
				reserve_answer(a->worker);
		}
	} else {
		sched_retry_range(s, j, w->next, to, now);
	}
	w->next = to;
	return to == j->njoblets;
}

static void slice_free(struct job_slice *w)
{
	if (w->ev)
		event_free(w->ev);
	free(w);
}

static void finish(struct job_slice *w, const struct job *j)
{
	if (w->c == NULL)
		return;
	evhttp_connection_set_closecb(evhttp_request_get_connection(w->c->req), NULL, NULL);
	if (j) {
		const struct joblet_page first = {NULL, 0, JOBLET_PAGE_MAX};
		call_reply(w->c, 200, render_job(w->srv, j, &first));
	} else {
		call_error(w->c, ERR_NOT_FOUND, "id", "job %lld was removed while it changed",
			   (long long)w->seq);
	}
}

/* A slice is committed: the next one, after what else is due. Not committed (a deposed
 * leader), or the server stops: no more (what was committed stays, docs/API.md). */
static void on_committed(struct held *h)
{
	struct job_slice *w = (struct job_slice *)h;
	if (!h->refused && !w->srv->stopping) {
		event_active(w->ev, EV_TIMEOUT, 0);
		return;
	}
	if (w->c) {
		evhttp_connection_set_closecb(evhttp_request_get_connection(w->c->req), NULL, NULL);
		if (h->refused)
			call_error(w->c, ERR_NOT_LEADER, "",
				   "this server stepped down while the job changed");
		else
			call_error(w->c, ERR_UNAVAILABLE, "",
				   "the server stopped while the job changed; what changed is kept");
	}
	slice_free(w);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct job_slice *w = arg;
	/* Answer while the request still exists; the change goes on to its end. */
	call_error(w->c, ERR_CLIENT_CLOSED, "", "the client left while the job changed");
	w->c = NULL;
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct job_slice *w = arg;
	struct job *j = sched_job(&w->srv->sched, w->seq);
	if (j && !slice(w, j)) {
		server_hold(w->srv, &w->held);
		return;
	}
	finish(w, j);
	slice_free(w);
}

bool job_sliced(struct call *c, struct job *j, enum job_slice_kind kind)
{
	if (j->njoblets <= SLICE)
		return false;
	struct job_slice *w = xcalloc(1, sizeof *w);
	*w = (struct job_slice){.held = {.send = on_committed}, .c = c, .srv = c->srv,
				.seq = j->seq, .kind = kind};
	c->kept = true;
	w->ev = event_new(c->srv->base, -1, 0, on_slice, w);
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_client_close, w);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
	slice(w, j);	/* the first now: a bigger job is never done by one */
	server_hold(c->srv, &w->held);
	return true;
}
