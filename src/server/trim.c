/* Attempts out of memory (trim.h). */
#include "server/trim.h"
#include "server/server.h"
#include "base/xalloc.h"
#include <event2/event.h>
#include <malloc.h>
#include <stdlib.h>
#include <string.h>

/* Joblets trimmed per loop turn: freeing a joblet's attempts is a few hundred ns, so a
 * slice stays near a millisecond; the rest goes on in the next turn. */
enum { SLICE = 4096 };
/* Attempts freed after which, once the queue is empty, the heap's free pages go back to
 * the system (malloc_trim, a few ms): a big job's attempts leave RSS, not only the heap. */
enum { TRIM_AFTER = 65536 };

/* A final joblet put in batch gen, the epoch its put gave it. */
struct trim_entry {
	int64_t seq;
	uint64_t gen;
	int32_t idx;
	uint8_t epoch;
};

struct trim_queue {
	struct trim_entry *q;		/* owned ring: len entries from head, in gen order */
	size_t head, len, cap;
	struct job **dying;		/* owned: removed jobs to free, oldest first */
	size_t ndying, capdying;
	struct event *ev;		/* owned: the next slice */
	bool active;			/* ev is activated */
	int64_t freed;			/* attempts freed since the last malloc_trim */
};

static void on_slice(evutil_socket_t fd, short what, void *arg);

static struct trim_queue *queue_of(struct server *srv)
{
	if (srv->trim == NULL) {
		srv->trim = xcalloc(1, sizeof *srv->trim);
		srv->trim->ev = event_new(srv->base, -1, 0, on_slice, srv);
	}
	return srv->trim;
}

void trim_note(struct server *srv, struct joblet *jl)
{
	if (!jl_state_final(jl->state) || jl->attempts == NULL)
		return;
	struct trim_queue *t = queue_of(srv);
	if (t->len == t->cap) {	/* grow the ring, unwrapping it */
		size_t cap = t->cap ? 2 * t->cap : 1024;
		struct trim_entry *q = xcalloc(cap, sizeof *q);
		for (size_t i = 0; i < t->len; i++)
			q[i] = t->q[(t->head + i) % t->cap];
		free(t->q);
		t->q = q;
		t->cap = cap;
		t->head = 0;
	}
	/* Its batch is the open one: the next to be submitted. A later put of the joblet
	 * queues it again with a newer epoch, and the older entry is then void. */
	t->q[(t->head + t->len++) % t->cap] = (struct trim_entry){
		jl->job->seq, srv->submitted + 1, jl->index, ++jl->trim_epoch};
}

/* Trim up to SLICE due entries: true when some are due still. */
static bool slice(struct server *srv, struct trim_queue *t)
{
	struct sched *s = &srv->sched;
	for (int n = 0; t->len > 0 && n < SLICE; n++) {
		const struct trim_entry e = t->q[t->head];
		if (e.gen > srv->commits)
			return false;
		t->head = (t->head + 1) % t->cap;
		t->len--;
		/* Not the job in memory any more (removed, or out of memory as history): its
		 * attempts went with it. */
		struct job *j = sched_job(s, e.seq);
		if (j == NULL || e.idx >= j->njoblets)
			continue;
		struct joblet *jl = &j->joblets[e.idx];
		int32_t before = jl->nattempts - joblet_first_held(jl) + 1;
		if (jl->trim_epoch == e.epoch && sched_trim(s, jl))
			t->freed += before;
	}
	return t->len > 0 && t->q[t->head].gen <= srv->commits;
}

/* Free up to SLICE joblets of removed jobs (a job counts as one more): true when some
 * are left. A job goes from its end, and each slice hands back the tail of its joblet
 * array as well: unmapping 10^5 joblets' pages in one go took 3-14 ms by itself. */
static bool free_slice(struct trim_queue *t)
{
	int32_t budget = SLICE;
	while (t->ndying > 0 && budget > 0) {
		struct job *j = t->dying[0];
		int32_t from = j->njoblets > budget ? j->njoblets - budget : 0;
		job_free_joblets(j, from, j->njoblets);
		budget -= j->njoblets - from + 1;
		if (from > 0) {
			t->dying[0] = job_shrink(j, from);
			break;
		}
		job_free(j);	/* its joblets own nothing now */
		t->ndying--;
		memmove(t->dying, t->dying + 1, t->ndying * sizeof *t->dying);
	}
	return t->ndying > 0;
}

void trim_removed(struct server *srv, struct job **jobs, size_t n)
{
	if (n == 0)
		return;
	struct trim_queue *t = queue_of(srv);
	if (t->ndying + n > t->capdying) {
		t->capdying = t->ndying + n > 2 * t->capdying ? t->ndying + n : 2 * t->capdying;
		t->dying = xrealloc(t->dying, t->capdying, sizeof *t->dying);
	}
	memcpy(t->dying + t->ndying, jobs, n * sizeof *jobs);
	t->ndying += n;
	if (!t->active) {
		t->active = true;
		event_active(t->ev, EV_TIMEOUT, 0);
	}
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct trim_queue *t = srv->trim;
	t->active = false;
	bool more = free_slice(t);
	if (slice(srv, t) || more) {
		t->active = true;
		event_active(t->ev, EV_TIMEOUT, 0);	/* after what else is due */
		return;
	}
	if (t->len == 0 && t->freed >= TRIM_AFTER) {
		malloc_trim(0);
		t->freed = 0;
	}
}

void trim_committed(struct server *srv)
{
	struct trim_queue *t = srv->trim;
	if (t == NULL || t->active || t->len == 0 || t->q[t->head].gen > srv->commits)
		return;
	t->active = true;
	event_active(t->ev, EV_TIMEOUT, 0);
}

void trim_loaded(struct server *srv)
{
	struct sched *s = &srv->sched;
	int64_t freed = 0;
	struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		for (int32_t i = 0; i < j->njoblets; i++) {
			int32_t held = j->joblets[i].nattempts - joblet_first_held(&j->joblets[i]) + 1;
			if (sched_trim(s, &j->joblets[i]))
				freed += held;
		}
	}
	if (freed >= TRIM_AFTER)
		malloc_trim(0);
}

void trim_free(struct server *srv)
{
	struct trim_queue *t = srv->trim;
	if (t == NULL)
		return;
	event_free(t->ev);
	while (t->ndying > 0)	/* a stop frees every removed job at once */
		job_free(t->dying[--t->ndying]);
	free(t->dying);
	free(t->q);
	free(t);
	srv->trim = NULL;
}
