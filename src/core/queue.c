/* The queue: classes of READY joblets and their heaps, limit groups, the choice of what a
 * worker reserves (fit, constraints, room in limit groups, failover preference, starvation
 * holds) and the reasons a joblet is not running. See sched.h for the design. */
#include "core/sched-int.h"
#include "base/buf.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

void class_free(struct qclass *k)
{
	heap_free(&k->ready);
	free(k->ckey);
	free(k->cval);
	free(k->avoid);
	free(k->limits);
	free(k->key);
	free(k);
}

/* ---- queue classes ----------------------------------------------------------------- */

/* Appends "|TAG" and a, and "=" b when b is given, each length-prefixed so that no value
 * (a '|' or '=' in a constraint) can make two different classes read alike. */
static void append_key(struct buf *k, const char *tag, const char *a, const char *b)
{
	buf_printf(k, "|%s%zu:%s", tag, strlen(a), a);
	if (b)
		buf_printf(k, "=%zu:%s", strlen(b), b);
}

/* The canonical text of what decides where j's joblets may run, into k. */
static void class_key(const struct job *j, struct buf *k)
{
	buf_printf(k, "%d/%d/%d", j->cores, j->ram_mb, j->gpus);
	const struct job_ext *x = j->x;
	if (x == NULL)
		return;
	for (int32_t i = 0; i < x->nconstraints; i++)
		append_key(k, "c", x->ckey[i], x->cval[i]);
	for (int32_t i = 0; i < x->navoid; i++)
		append_key(k, "a", x->avoid[i], NULL);
	for (int32_t i = 0; i < x->nlimits; i++)
		append_key(k, "l", x->limits[i].name, NULL);
	if (x->max_running > 0)
		buf_printf(k, "|j%lld", (long long)j->seq);
}

static const char **copy_strs(const char **a, int32_t n)
{
	if (n == 0)
		return NULL;
	const char **c = xcalloc((size_t)n, sizeof *c);
	memcpy(c, a, (size_t)n * sizeof *c);
	return c;
}

static struct qclass *class_new(struct sched *s, const struct job *j, const char *key)
{
	struct qclass *k = xcalloc(1, sizeof *k);
	k->cores = j->cores;
	k->ram_mb = j->ram_mb;
	k->gpus = j->gpus;
	k->key = xstrdup(key);
	k->active_pos = HEAP_NONE;
	const struct job_ext *x = j->x;
	if (x) {
		k->nconstraints = x->nconstraints;
		k->ckey = copy_strs(x->ckey, x->nconstraints);
		k->cval = copy_strs(x->cval, x->nconstraints);
		k->navoid = x->navoid;
		k->avoid = copy_strs(x->avoid, x->navoid);
		k->nlimits = x->nlimits;
		if (x->nlimits) {
			k->limits = xcalloc((size_t)x->nlimits, sizeof *k->limits);
			for (int32_t i = 0; i < x->nlimits; i++)
				k->limits[i] = x->limits[i].g;
		}
		if (x->max_running > 0)
			k->job = (struct job *)j;
	}
	heap_init(&k->ready, ready_less, joblet_setpos);
	s->classes = xrealloc(s->classes, s->nclasses + 1, sizeof *s->classes);
	s->classes[s->nclasses++] = k;
	uint64_t h = imap_hash_str(key);
	k->hnext = imap_get(&s->class_index, h);
	imap_put(&s->class_index, h, k);
	return k;
}

struct qclass *class_for(struct sched *s, const struct job *j)
{
	struct qclass *last = s->last_class;
	/* Plain jobs of one shape come in bursts: skip building the key for them. */
	if (j->x == NULL && last && last->cores == j->cores && last->ram_mb == j->ram_mb &&
	    last->gpus == j->gpus && last->nconstraints == 0 && last->navoid == 0 &&
	    last->nlimits == 0 && last->job == NULL)
		return last;
	struct buf key = BUF_INIT;
	class_key(j, &key);
	const char *text = buf_cstr(&key);
	struct qclass *k = imap_get(&s->class_index, imap_hash_str(text));
	while (k && strcmp(k->key, text) != 0)
		k = k->hnext;
	if (k == NULL)
		k = class_new(s, j, text);
	buf_free(&key);
	if (j->x == NULL)
		s->last_class = k;
	return k;
}

void class_activate(struct sched *s, struct qclass *k)
{
	if (k->active_pos != HEAP_NONE)
		return;
	if (s->nactive == s->capactive) {
		s->capactive = s->capactive ? s->capactive * 2 : 16;
		s->active = xrealloc(s->active, s->capactive, sizeof *s->active);
	}
	k->active_pos = s->nactive;
	s->active[s->nactive++] = k;
}

static void class_deactivate(struct sched *s, struct qclass *k)
{
	size_t pos = k->active_pos;
	if (pos == HEAP_NONE)
		return;
	struct qclass *last = s->active[--s->nactive];
	s->active[pos] = last;
	last->active_pos = pos;
	k->active_pos = HEAP_NONE;
}

void class_push(struct sched *s, struct joblet *jl)
{
	struct qclass *k = jl->job->cls;
	heap_push(&k->ready, jl);
	jl->heap = JL_HEAP_READY;
	class_activate(s, k);
}

/* ---- queues ------------------------------------------------------------------------ */

void unqueue(struct sched *s, struct joblet *jl)
{
	if (jl->heap == JL_HEAP_READY) {
		struct qclass *k = jl->job->cls;
		heap_remove(&k->ready, jl->heap_pos);
		if (k->ready.len == 0)
			class_deactivate(s, k);
	} else if (jl->heap == JL_HEAP_DELAY) {
		heap_remove(&s->delay, jl->heap_pos);
	}
	jl->heap = JL_HEAP_NONE;
}

void make_ready(struct sched *s, struct joblet *jl, int64_t now)
{
	unqueue(s, jl);
	jl->ready_at = 0;
	if (jl->job->gates) {
		joblet_set_state(s, jl, JS_WAITING);	/* the gate opens it later */
		return;
	}
	joblet_set_state(s, jl, JS_READY);
	jl->ready_since = now;
	class_push(s, jl);
}

void make_waiting(struct sched *s, struct joblet *jl, int64_t ready_at)
{
	unqueue(s, jl);
	jl->ready_at = ready_at;
	joblet_set_state(s, jl, JS_WAITING);
	heap_push(&s->delay, jl);
	jl->heap = JL_HEAP_DELAY;
}

void make_final(struct sched *s, struct joblet *jl, int st, char *reason /* taken */)
{
	unqueue(s, jl);
	jl->ready_at = 0;
	joblet_set_state(s, jl, st);
	set_reason(jl, reason);
}

/* Move READY joblets into the class the job's current options name. */
void job_reclass(struct sched *s, struct job *j, int64_t now)
{
	struct qclass *k = class_for(s, j);
	if (k == j->cls)
		return;
	for (int32_t i = 0; i < j->njoblets; i++)
		if (j->joblets[i].heap == JL_HEAP_READY)
			unqueue(s, &j->joblets[i]);
	j->cls = k;
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->state == JS_READY && jl->heap == JL_HEAP_NONE) {
			if (jl->ready_since == 0)
				jl->ready_since = now;
			class_push(s, jl);
		}
	}
}

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
	for (int64_t seq = 1; seq < s->next_seq && seq < s->jobs_cap; seq++) {
		const struct job *j = s->jobs[seq];
		if (j == NULL || j->x == NULL || jl_state_final(j->state))
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

static const char *worker_tag(const struct worker *w, const char *key)
{
	for (int32_t i = 0; i < w->ntags; i++)
		if (w->tag_key[i] == key)
			return w->tag_val[i];
	static const char *node_key;
	if (node_key == NULL)
		node_key = intern("node");
	return key == node_key ? w->name : NULL;
}

static bool meets_constraints(const struct qclass *k, const struct worker *w)
{
	for (int32_t i = 0; i < k->nconstraints; i++)
		if (worker_tag(w, k->ckey[i]) != k->cval[i])
			return false;
	return true;
}

/* May w ever run joblets of class k (constraints and avoided nodes)? */
static bool class_matches(const struct qclass *k, const struct worker *w)
{
	for (int32_t i = 0; i < k->navoid; i++)
		if (k->avoid[i] == w->name)
			return false;
	return meets_constraints(k, w);
}

/* Is there room in its limit groups and under its job's --max-running? */
static bool class_has_room(const struct qclass *k)
{
	for (int32_t i = 0; i < k->nlimits; i++)
		if (k->limits[i]->limit >= 0 && k->limits[i]->running >= k->limits[i]->limit)
			return false;
	return k->job == NULL || k->job->nrunning < k->job->x->max_running;
}

static bool class_fits(const struct qclass *k, int32_t c, int32_t r, int32_t g)
{
	return k->cores <= c && k->ram_mb <= r && k->gpus <= g;
}

static bool class_fits_total(const struct qclass *k, const struct worker *w)
{
	return class_fits(k, w->cores, w->ram_mb, w->gpus);
}

/* Could a worker other than w, on another node than where jl failed, take jl's class? */
static bool other_node_fits(const struct sched *s, const struct worker *w, const struct qclass *k,
			    const struct joblet *jl)
{
	for (size_t i = 0; i < s->workers.cap; i++) {
		const struct worker *o = s->workers.slots[i].val;
		if (o && o != w && !o->placeholder && o->name != jl->failed_node &&
		    class_fits_total(k, o) && class_matches(k, o))
			return true;
	}
	return false;
}

/* Failover (Orchestrate): a joblet that just failed on w's node waits a little for another
 * node that fits it. Returns true if w should leave jl alone now. */
static bool prefers_other(struct sched *s, const struct worker *w, const struct joblet *jl,
			  int64_t now)
{
	if (jl->failed_node != w->name || now - jl->ready_since >= s->failover_wait_ms ||
	    !other_node_fits(s, w, jl->job->cls, jl))
		return false;
	int64_t until = jl->ready_since + s->failover_wait_ms;
	if (s->pref_deadline == 0 || until < s->pref_deadline)
		s->pref_deadline = until;
	return true;
}

/* The first joblet of class k that w should take: the head, or when the head prefers
 * another node, the best other one among the top levels of the heap (exact enough:
 * the heap's first 15 slots hold its 4 best). */
static struct joblet *class_pick(struct sched *s, const struct qclass *k, const struct worker *w,
				 int64_t now)
{
	struct joblet *top = heap_top(&k->ready);
	if (top->failed_node == NULL || !prefers_other(s, w, top, now))
		return top;
	struct joblet *best = NULL;
	for (size_t i = 1; i < k->ready.len && i < 15; i++) {
		struct joblet *jl = k->ready.items[i];
		if ((best == NULL || ready_less(jl, best)) &&
		    (jl->failed_node == NULL || !prefers_other(s, w, jl, now)))
			best = jl;
	}
	return best;
}

struct pick {
	struct joblet *best;		/* what w takes next */
	struct joblet *blocked;		/* the first joblet w could hold but has no room for now */
};

static void scan_classes(struct sched *s, const struct worker *w, int32_t c, int32_t r,
			 int32_t g, int64_t now, struct pick *p)
{
	p->best = p->blocked = NULL;
	for (size_t i = 0; i < s->nactive; i++) {
		struct qclass *k = s->active[i];
		if (!class_matches(k, w) || !class_has_room(k))
			continue;
		if (!class_fits(k, c, r, g)) {
			struct joblet *h = heap_top(&k->ready);
			if (class_fits_total(k, w) && (p->blocked == NULL || ready_less(h, p->blocked)))
				p->blocked = h;
			continue;
		}
		struct joblet *jl = class_pick(s, k, w, now);
		if (jl && (p->best == NULL || ready_less(jl, p->best)))
			p->best = jl;
	}
}

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
	unqueue(s, jl);
	joblet_set_state(s, jl, JS_RUNNING);
	set_reason(jl, NULL);
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
		scan_classes(s, w, c, r, g, now, &p);
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
			job_reclass(s, j, now);
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

/* Why READY joblets of class k are not running. */
static const char *ready_reason(const struct sched *s, const struct qclass *k, char *buf,
				size_t len)
{
	bool any = false, meets = false, match = false, cores = false, ram = false, gpus = false,
	     all = false;
	for (size_t i = 0; i < s->workers.cap; i++) {
		const struct worker *w = s->workers.slots[i].val;
		if (w == NULL || w->placeholder)
			continue;
		any = true;
		meets = meets || meets_constraints(k, w);
		if (!class_matches(k, w))
			continue;
		match = true;
		cores = cores || w->cores >= k->cores;
		ram = ram || w->ram_mb >= k->ram_mb;
		gpus = gpus || w->gpus >= k->gpus;
		all = all || class_fits_total(k, w);
	}
	if (!any)
		return "no worker is registered";
	if (!meets) {
		size_t at = (size_t)snprintf(buf, len, "no worker matches constraint");
		for (int32_t i = 0; i < k->nconstraints && at < len; i++)
			at += (size_t)snprintf(buf + at, len - at, "%s %s=%s", i ? "," : "", k->ckey[i],
					       k->cval[i]);
		return buf;
	}
	if (!match)
		return "every worker that could run it is on an avoided node";
	if (!cores)
		snprintf(buf, len, "no worker has %d cores", k->cores);
	else if (!ram)
		snprintf(buf, len, "no worker has %d MB RAM", k->ram_mb);
	else if (!gpus)
		snprintf(buf, len, "no worker has %d GPUs", k->gpus);
	else if (!all)
		snprintf(buf, len, "no worker has %d cores, %d MB RAM and %d GPUs at once", k->cores,
			 k->ram_mb, k->gpus);
	else
		buf[0] = '\0';
	if (buf[0])
		return buf;
	for (int32_t i = 0; i < k->nlimits; i++) {
		const struct limit_group *g = k->limits[i];
		if (g->limit == 0)
			snprintf(buf, len, "limit group %s paused (limit 0)", g->name);
		else if (g->limit > 0 && g->running >= g->limit)
			snprintf(buf, len, "limit group %s full (%d of %d running)", g->name, g->running,
				 g->limit);
		if (buf[0])
			return buf;
	}
	if (k->job && k->job->nrunning >= k->job->x->max_running) {
		snprintf(buf, len, "--max-running %d reached", k->job->x->max_running);
		return buf;
	}
	return "waiting for a worker with free resources";
}

const char *sched_reason(const struct sched *s, const struct joblet *jl, int64_t now, char *buf,
			 size_t len)
{
	const struct job *j = jl->job;
	if (jl->state == JS_READY)
		return ready_reason(s, j->cls, buf, len);
	if (jl->state == JS_WAITING && jl->heap == JL_HEAP_NONE && j->gates)
		return gates_reason(s, j, now, buf, len);
	return jl->reason ? jl->reason : "";
}

