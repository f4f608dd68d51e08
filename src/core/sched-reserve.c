/* The scheduler's reserve path and what it reads: limit groups (counted here, read by the
 * queue), handing joblets to a worker (the queue's pick, starvation holds, learned
 * requirements taken late) and the reasons a joblet is not running. See sched.h. */
#include "core/sched-int.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <string.h>

/* ---- limit groups ------------------------------------------------------------------ */

struct limit_group *sched_limit(struct sched *s, const char *name, bool create)
{
	const char *n = intern(name);
	struct limit_group *g = imap_get(&s->limits, (uint64_t)(uintptr_t)n);
	if (g == NULL && create) {
		g = xcalloc(1, sizeof *g);
		g->name = n;
		g->limit = -1;
		imap_put(&s->limits, (uint64_t)(uintptr_t)n, g);
	}
	return g;
}

void sched_limit_set(struct sched *s, struct limit_group *g, int32_t limit)
{
	if (limit > g->limit || g->limit < 0)
		s->wake_workers = true;
	g->limit = limit;
	if (s->hooks.limit_put)
		s->hooks.limit_put(s->hooks.ctx, g);
}

void sched_load_limit(struct sched *s, const char *name, int32_t limit)
{
	sched_limit(s, name, true)->limit = limit;
}

void sched_count_limit_waiting(struct sched *s)
{
	for (size_t i = 0; i < s->limits.cap; i++)
		if (s->limits.slots[i].val)
			((struct limit_group *)s->limits.slots[i].val)->waiting = 0;
	const struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		if (j->x == NULL || jl_state_final(j->state))
			continue;
		for (int32_t i = 0; i < j->x->nlimits; i++)
			j->x->limits[i].g->waiting += j->counts[JS_READY] + j->counts[JS_WAITING];
	}
}

void limits_take(struct job *j, int delta)
{
	j->nrunning += delta;
	for (int32_t i = 0; j->x && i < j->x->nlimits; i++)
		j->x->limits[i].g->running += delta;
}

/* A job's limits name groups: create them and apply the limits it sets. */
void limits_resolve(struct sched *s, struct job *j)
{
	for (int32_t i = 0; j->x && i < j->x->nlimits; i++) {
		struct ext_limit *l = &j->x->limits[i];
		l->g = sched_limit(s, l->name, true);
		if (l->set_to >= 0 && l->set_to != l->g->limit)
			sched_limit_set(s, l->g, l->set_to);
	}
}

/* ---- reserving --------------------------------------------------------------------- */

static struct attempt *attempt_start(struct sched *s, struct worker *w, struct joblet *jl,
				     int64_t now)
{
	struct attempt *a = xcalloc(1, sizeof *a);
	struct job *j = jl->job;
	a->id = s->next_attempt++;
	a->joblet = jl;
	a->n = ++jl->nattempts;
	a->node = w->name;
	a->worker_id = intern(w->id);
	a->started_at = now;
	a->wall_ms = -1;	/* until its worker reports it */
	a->state = AS_RUNNING;
	a->cores = j->cores;
	a->ram_mb = j->ram_mb;
	a->gpus = j->gpus;
	if (jl->last_attempt)
		jl->last_attempt->next = a;
	else
		jl->attempts = a;
	jl->last_attempt = a;
	jl->live = a;
	imap_put(&s->attempts, (uint64_t)a->id, a);
	worker_list_add(w, a);
	limits_take(j, +1);
	return a;
}

static struct attempt *dispatch(struct sched *s, struct worker *w, struct joblet *jl, int64_t now)
{
	struct job *j = jl->job;
	queue_remove(&s->q, jl);
	joblet_set_state(s, jl, JS_RUNNING);
	set_reason(s, jl, NULL);
	jl->overtaken_at = 0;
	struct attempt *a = attempt_start(s, w, jl, now);
	s->hooks.joblet_put(s->hooks.ctx, jl);
	s->hooks.attempt_put(s->hooks.ctx, a);
	if (!j->started) {
		j->started = true;
		s->hooks.event(s->hooks.ctx, EV_JOB_STARTED, j, NULL, NULL);
	}
	s->hooks.event(s->hooks.ctx, EV_JOBLET_DISPATCHED, j, jl, a);
	job_refresh(s, j, now);
	return a;
}

static bool held_by_other(const struct sched *s, const struct worker *w, const struct joblet *jl)
{
	for (size_t i = 0; i < s->workers.cap; i++) {
		const struct worker *o = s->workers.slots[i].val;
		if (o && o != w && o->hold_for == jl)
			return true;
	}
	return false;
}

/* A worker held for a starving joblet runs it as soon as it fits, and nothing else before.
 * Returns false if w must take nothing more now. */
static bool serve_hold(struct sched *s, struct worker *w, int32_t *c, int32_t *r, int32_t *g,
		       struct attempt **out, size_t *n, int64_t now)
{
	struct joblet *jl = w->hold_for;
	if (jl == NULL)
		return true;
	const struct qclass *k = jl->job->cls;
	if (jl->state != JS_READY || jl->heap != JL_HEAP_READY || !class_matches(k, w) ||
	    !class_has_room(k) || !class_fits_total(k, w)) {
		w->hold_for = NULL;	/* gone elsewhere, changed, or paused: release the node */
		return true;
	}
	if (!class_fits(k, *c, *r, *g))
		return false;
	w->hold_for = NULL;
	*c -= k->cores;
	*r -= k->ram_mb;
	*g -= k->gpus;
	out[(*n)++] = dispatch(s, w, jl, now);
	return true;
}

/* The queue's pick and the time a joblet left for another node may come back. */
static void pick(struct sched *s, const struct worker *w, int32_t c, int32_t r, int32_t g,
		 int64_t now, struct pick *p)
{
	queue_scan(&s->q, w, &s->workers, c, r, g, now, s->failover_wait_ms, p);
	if (p->pref_until && (s->pref_deadline == 0 || p->pref_until < s->pref_deadline))
		s->pref_deadline = p->pref_until;
}

size_t sched_reserve(struct sched *s, struct worker *w, int32_t free_cores, int32_t free_ram,
		     int32_t free_gpus, size_t max, struct attempt **out, int64_t now)
{
	size_t n = 0;
	/* The server's own accounting bounds what the worker says is free. */
	int32_t c = w->cores - w->used_cores, r = w->ram_mb - w->used_ram_mb,
		g = w->gpus - w->used_gpus;
	c = c < free_cores ? c : free_cores;
	r = r < free_ram ? r : free_ram;
	g = g < free_gpus ? g : free_gpus;
	if (max == 0 || !serve_hold(s, w, &c, &r, &g, out, &n, now))
		return n;
	while (n < max) {
		struct pick p;
		pick(s, w, c, r, g, now, &p);
		if (p.blocked && (p.best == NULL || ready_less(p.blocked, p.best))) {
			/* Smaller joblets are about to overtake a bigger, older one. */
			struct joblet *h = p.blocked;
			if (h->overtaken_at == 0)
				h->overtaken_at = now;
			else if (now - h->overtaken_at >= s->starve_ms && !held_by_other(s, w, h)) {
				w->hold_for = h;
				break;
			}
		}
		if (p.best == NULL)
			break;
		struct job *j = p.best->job;
		/* Queued before its req group had learned (or learned more): take the newest
		 * recommendation now; it may move the job to another class, so look again. */
		if (!j->started && j->req_group[0] && j->x && learn_apply(s, j)) {
			queue_reclass(&s->q, j, now);
			s->hooks.job_put(s->hooks.ctx, j, false);
			continue;
		}
		c -= j->cores;
		r -= j->ram_mb;
		g -= j->gpus;
		out[n++] = dispatch(s, w, p.best, now);
	}
	return n;
}

/* ---- reasons ----------------------------------------------------------------------- */

const char *sched_reason(const struct sched *s, const struct joblet *jl, int64_t now, char *buf,
			 size_t len)
{
	const struct job *j = jl->job;
	if (jl->state == JS_READY) {
		const char *why = queue_reason(j->cls, &s->workers, buf, len);
		/* The reasons that say no worker fits: a spawned worker is on its way, or why not. */
		if (s->spawn_note && (strncmp(why, "no worker", 9) == 0 ||
				      strcmp(why, "waiting for a worker with free resources") == 0))
			return s->spawn_note;
		return why;
	}
	if (jl->state == JS_WAITING && jl->heap == JL_HEAP_NONE && j->gates)
		return gates_reason(sched_jobs(s), j, now, buf, len);
	return rstr_text(jl->reason);
}
