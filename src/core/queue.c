/* The queue: classes of READY joblets and their heaps, the delay heap, the choice of what a
 * worker takes (fit, constraints, room in limit groups, failover preference) and the reasons
 * a READY joblet is not running. See queue.h for what it may change, sched.h for the design. */
#include "core/queue.h"
#include "base/buf.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

/* ---- heap callbacks ---------------------------------------------------------------- */

int ready_less(const void *pa, const void *pb)
{
	const struct joblet *a = pa, *b = pb;
	if (a->job->priority != b->job->priority)
		return a->job->priority > b->job->priority;
	if (a->job->seq != b->job->seq)
		return a->job->seq < b->job->seq;
	return a->index < b->index;
}

static int delay_less(const void *pa, const void *pb)
{
	const struct joblet *a = pa, *b = pb;
	if (a->ready_at != b->ready_at)
		return a->ready_at < b->ready_at;
	return ready_less(pa, pb);
}

static void joblet_setpos(void *e, size_t pos)
{
	((struct joblet *)e)->heap_pos = pos;
}

/* ---- life cycle -------------------------------------------------------------------- */

void queue_init(struct queue *q)
{
	memset(q, 0, sizeof *q);
	imap_init(&q->class_index);
	heap_init(&q->delay, delay_less, joblet_setpos);
}

static void class_free(struct qclass *k)
{
	heap_free(&k->ready);
	free(k->ckey);
	free(k->cval);
	free(k->avoid);
	free(k->limits);
	free(k->key);
	free(k);
}

void queue_free(struct queue *q)
{
	for (size_t i = 0; i < q->nclasses; i++)
		class_free(q->classes[i]);
	free(q->classes);
	free(q->active);
	imap_free(&q->class_index);
	heap_free(&q->delay);
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

static struct qclass *class_new(struct queue *q, const struct job *j, const char *key)
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
	q->classes = xrealloc(q->classes, q->nclasses + 1, sizeof *q->classes);
	q->classes[q->nclasses++] = k;
	uint64_t h = imap_hash_str(key);
	k->hnext = imap_get(&q->class_index, h);
	imap_put(&q->class_index, h, k);
	return k;
}

struct qclass *queue_class_for(struct queue *q, const struct job *j)
{
	struct qclass *last = q->last_class;
	/* Plain jobs of one shape come in bursts: skip building the key for them. */
	if (j->x == NULL && last && last->cores == j->cores && last->ram_mb == j->ram_mb &&
	    last->gpus == j->gpus && last->nconstraints == 0 && last->navoid == 0 &&
	    last->nlimits == 0 && last->job == NULL)
		return last;
	struct buf key = BUF_INIT;
	class_key(j, &key);
	const char *text = buf_cstr(&key);
	struct qclass *k = imap_get(&q->class_index, imap_hash_str(text));
	while (k && strcmp(k->key, text) != 0)
		k = k->hnext;
	if (k == NULL)
		k = class_new(q, j, text);
	buf_free(&key);
	if (j->x == NULL)
		q->last_class = k;
	return k;
}

static void class_activate(struct queue *q, struct qclass *k)
{
	if (k->active_pos != HEAP_NONE)
		return;
	if (q->nactive == q->capactive) {
		q->capactive = q->capactive ? q->capactive * 2 : 16;
		q->active = xrealloc(q->active, q->capactive, sizeof *q->active);
	}
	k->active_pos = q->nactive;
	q->active[q->nactive++] = k;
}

static void class_deactivate(struct queue *q, struct qclass *k)
{
	size_t pos = k->active_pos;
	if (pos == HEAP_NONE)
		return;
	struct qclass *last = q->active[--q->nactive];
	q->active[pos] = last;
	last->active_pos = pos;
	k->active_pos = HEAP_NONE;
}

/* ---- heaps ------------------------------------------------------------------------- */

void queue_push(struct queue *q, struct joblet *jl)
{
	struct qclass *k = jl->job->cls;
	heap_push(&k->ready, jl);
	jl->heap = JL_HEAP_READY;
	class_activate(q, k);
}

void queue_delay(struct queue *q, struct joblet *jl)
{
	heap_push(&q->delay, jl);
	jl->heap = JL_HEAP_DELAY;
}

void queue_remove(struct queue *q, struct joblet *jl)
{
	if (jl->heap == JL_HEAP_READY) {
		struct qclass *k = jl->job->cls;
		heap_remove(&k->ready, jl->heap_pos);
		if (k->ready.len == 0)
			class_deactivate(q, k);
	} else if (jl->heap == JL_HEAP_DELAY) {
		heap_remove(&q->delay, jl->heap_pos);
	}
	jl->heap = JL_HEAP_NONE;
}

struct joblet *queue_next_delay(const struct queue *q)
{
	return heap_top(&q->delay);
}

void queue_reclass(struct queue *q, struct job *j, int64_t now)
{
	struct qclass *k = queue_class_for(q, j);
	if (k == j->cls)
		return;
	for (int32_t i = 0; i < j->njoblets; i++)
		if (j->joblets[i].heap == JL_HEAP_READY)
			queue_remove(q, &j->joblets[i]);
	j->cls = k;
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->state == JS_READY && jl->heap == JL_HEAP_NONE) {
			if (jl->ready_since == 0)
				jl->ready_since = now;
			queue_push(q, jl);
		}
	}
}

static bool not_of_job(const void *elem, const void *job)
{
	return ((const struct joblet *)elem)->job != job;
}

/* Rebuilding a heap of len without k of its elements (O(len)) beats k removals
 * (O(k log len)). */
static bool rebuild_pays(size_t k, size_t len)
{
	size_t log = 1;
	for (size_t n = len; n > 1; n /= 2)
		log++;
	return k * log >= len;
}

void queue_remove_job(struct queue *q, struct job *j)
{
	size_t nready = 0, ndelay = 0;
	for (int32_t i = 0; i < j->njoblets; i++) {
		nready += j->joblets[i].heap == JL_HEAP_READY;
		ndelay += j->joblets[i].heap == JL_HEAP_DELAY;
	}
	struct qclass *k = j->cls;
	if (nready && rebuild_pays(nready, k->ready.len)) {
		heap_filter(&k->ready, not_of_job, j);
		if (k->ready.len == 0)
			class_deactivate(q, k);
	}
	if (ndelay && rebuild_pays(ndelay, q->delay.len))
		heap_filter(&q->delay, not_of_job, j);
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->heap != JL_HEAP_NONE && jl->heap_pos == HEAP_NONE)
			jl->heap = JL_HEAP_NONE;	/* taken out by a rebuild */
		else
			queue_remove(q, jl);
	}
}

void queue_forget_job(struct job *j)
{
	if (j->cls->job == j)
		j->cls->job = NULL;
}

void queue_load_ready(struct joblet *jl)
{
	heap_append(&jl->job->cls->ready, jl);
	jl->heap = JL_HEAP_READY;
}

void queue_load_delay(struct queue *q, struct joblet *jl)
{
	heap_append(&q->delay, jl);
	jl->heap = JL_HEAP_DELAY;
}

void queue_load_done(struct queue *q)
{
	for (size_t i = 0; i < q->nclasses; i++) {
		heap_build(&q->classes[i]->ready);
		if (q->classes[i]->ready.len)
			class_activate(q, q->classes[i]);
	}
	heap_build(&q->delay);
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

bool class_matches(const struct qclass *k, const struct worker *w)
{
	for (int32_t i = 0; i < k->navoid; i++)
		if (k->avoid[i] == w->name)
			return false;
	return meets_constraints(k, w);
}

bool class_has_room(const struct qclass *k)
{
	for (int32_t i = 0; i < k->nlimits; i++)
		if (k->limits[i]->limit >= 0 && k->limits[i]->running >= k->limits[i]->limit)
			return false;
	return k->job == NULL || k->job->nrunning < k->job->x->max_running;
}

/* What a scan is for: worker w among every registered worker, at now. */
struct scan {
	const struct worker *w;
	const struct imap *workers;
	int64_t now, failover_wait_ms;
};

/* Could a worker other than w, on another node than where jl failed, take jl's class? */
static bool other_node_fits(const struct scan *sc, const struct qclass *k,
			    const struct joblet *jl)
{
	for (size_t i = 0; i < sc->workers->cap; i++) {
		const struct worker *o = sc->workers->slots[i].val;
		if (o && o != sc->w && !o->placeholder && o->name != jl->failed_node &&
		    class_fits_total(k, o) && class_matches(k, o))
			return true;
	}
	return false;
}

/* Failover (Orchestrate): a joblet that just failed on w's node waits a little for another
 * node that fits it. Returns true if w should leave jl alone now, and notes in p when it
 * may come back. */
static bool prefers_other(const struct scan *sc, const struct joblet *jl, struct pick *p)
{
	if (jl->failed_node != sc->w->name || sc->now - jl->ready_since >= sc->failover_wait_ms ||
	    !other_node_fits(sc, jl->job->cls, jl))
		return false;
	int64_t until = jl->ready_since + sc->failover_wait_ms;
	if (p->pref_until == 0 || until < p->pref_until)
		p->pref_until = until;
	return true;
}

/* The first joblet of class k that w should take: the head, or when the head prefers
 * another node, the best other one among the top levels of the heap (exact enough:
 * the heap's first 15 slots hold its 4 best). */
static struct joblet *class_pick(const struct scan *sc, const struct qclass *k, struct pick *p)
{
	struct joblet *top = heap_top(&k->ready);
	if (top->failed_node == NULL || !prefers_other(sc, top, p))
		return top;
	struct joblet *best = NULL;
	for (size_t i = 1; i < k->ready.len && i < 15; i++) {
		struct joblet *jl = k->ready.items[i];
		if ((best == NULL || ready_less(jl, best)) &&
		    (jl->failed_node == NULL || !prefers_other(sc, jl, p)))
			best = jl;
	}
	return best;
}

void queue_scan(const struct queue *q, const struct worker *w, const struct imap *workers,
		int32_t c, int32_t r, int32_t g, int64_t now, int64_t failover_wait_ms,
		struct pick *p)
{
	const struct scan sc = {w, workers, now, failover_wait_ms};
	p->best = p->blocked = NULL;
	p->pref_until = 0;
	for (size_t i = 0; i < q->nactive; i++) {
		struct qclass *k = q->active[i];
		if (!class_matches(k, w) || !class_has_room(k))
			continue;
		if (!class_fits(k, c, r, g)) {
			struct joblet *h = heap_top(&k->ready);
			if (class_fits_total(k, w) && (p->blocked == NULL || ready_less(h, p->blocked)))
				p->blocked = h;
			continue;
		}
		struct joblet *jl = class_pick(&sc, k, p);
		if (jl && (p->best == NULL || ready_less(jl, p->best)))
			p->best = jl;
	}
}

/* ---- reasons ----------------------------------------------------------------------- */

const char *queue_reason(const struct qclass *k, const struct imap *workers, char *buf,
			 size_t len)
{
	bool any = false, meets = false, match = false, cores = false, ram = false, gpus = false,
	     all = false;
	for (size_t i = 0; i < workers->cap; i++) {
		const struct worker *w = workers->slots[i].val;
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
