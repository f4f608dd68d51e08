/* Retention: finished jobs leave memory and the store, in slices (prune.h). */
#include "server/prune.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "server/batch.h"
#include "server/history.h"
#include "server/server.h"
#include <event2/event.h>

/* Per slice: job slots looked at, jobs removed (each removal writes a record and frees a
 * job after its commit) and jobs read back from the store (out of memory, history.h).
 * Small enough that one slice takes about a millisecond or two. */
enum { SLICE_SCAN = 16384, SLICE_REMOVE = 1024, SLICE_READ = 64 };

struct prune {
	struct server *srv;		/* not owned */
	struct event *ev;		/* owned: the next slice */
	int64_t before, next_seq;
	const char *group;		/* interned, or NULL */
	bool dry_run;
	struct prune_result r;
	prune_done_fn done;
	void *arg;
};

/* One job: removed or counted (0), kept because others wait for it (1), not a candidate
 * (-1). */
static int one(struct prune *p, struct job *j, int64_t now)
{
	if (!jl_state_final(j->state) || j->ended_at == 0 || j->ended_at >= p->before ||
	    (p->group && j->group != p->group))
		return -1;
	if (sched_has_waiters(&p->srv->sched, j))
		return 1;
	int32_t n = j->njoblets;
	const char *why;
	if (!p->dry_run && sched_prune(&p->srv->sched, j, now, &why) != 0)
		return 1;	/* a live attempt of a finished job: not yet */
	p->r.jobs++;
	p->r.joblets += n;
	return 0;
}

static void slice(evutil_socket_t fd, short what, void *arg)
{
	struct prune *p = arg;
	struct server *srv = p->srv;
	struct sched *s = &srv->sched;
	int64_t now = server_now(srv), end = p->next_seq + SLICE_SCAN;
	int removed = 0, read = 0;
	for (; p->next_seq < s->next_seq && p->next_seq < end && removed < SLICE_REMOVE &&
	       read < SLICE_READ; p->next_seq++) {
		struct job *j = sched_job(s, p->next_seq);
		if (j == NULL && sched_evicted(s, p->next_seq)) {
			j = server_job(srv, p->next_seq);	/* it leaves memory again if kept */
			read++;
		}
		int rc = j ? one(p, j, now) : -1;
		p->r.kept += rc == 1;
		removed += rc == 0;
	}
	if (p->next_seq < s->next_seq) {
		event_active(p->ev, EV_TIMEOUT, 0);	/* after what else is due */
		return;
	}
	if (p->r.jobs && !p->dry_run)
		store_batch_add(&server_batch(srv)->sb, REC_VACUUM);
	srv->prune = NULL;
	p->done(p->arg, &p->r);
	event_free(p->ev);
	free(p);
}

int prune_start(struct server *srv, int64_t before, const char *group, bool dry_run,
		prune_done_fn done, void *arg)
{
	if (srv->prune)
		return -1;
	struct prune *p = xcalloc(1, sizeof *p);
	*p = (struct prune){.srv = srv, .before = before, .next_seq = 1, .group = group,
			    .dry_run = dry_run, .done = done, .arg = arg};
	p->ev = event_new(srv->base, -1, 0, slice, p);
	srv->prune = p;
	event_active(p->ev, EV_TIMEOUT, 0);
	return 0;
}

static void retention_done(void *arg, const struct prune_result *r)
{
	struct server *srv = arg;
	char when[40];
	if (r->jobs)
		log_info("--retain: removed %lld finished jobs (%lld joblets) that ended before %s",
			 (long long)r->jobs, (long long)r->joblets,
			 clock_format_rfc3339(server_now(srv) - srv->retain_ms, when, sizeof when));
}

static void on_retention(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	prune_start(srv, server_now(srv) - srv->retain_ms, NULL, false, retention_done, srv);
}

void prune_retention_start(struct server *srv, int64_t retain_ms)
{
	srv->retain_ms = retain_ms;
	srv->retain_ev = event_new(srv->base, -1, EV_PERSIST, on_retention, srv);
	struct timeval every = {60, 0};
	event_add(srv->retain_ev, &every);
	event_active(srv->retain_ev, EV_TIMEOUT, 0);	/* once at start too */
}

void prune_free(struct server *srv)
{
	if (srv->retain_ev)
		event_free(srv->retain_ev);
	srv->retain_ev = NULL;
	if (srv->prune) {	/* a stop in the middle: what was removed stays removed */
		event_free(srv->prune->ev);
		free(srv->prune);
		srv->prune = NULL;
	}
}
