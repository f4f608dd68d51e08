/* The scheduler: jobs, ready heaps per shape, workers, leases and back-off timers.
 * See sched.h for the design and job.h for the state machine. */
#include "core/sched.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

static const char *const event_names[EV__N] = {
	"job.submitted", "job.started", "joblet.dispatched", "joblet.returned", "job.ended",
};

const char *sched_event_name(int ev)
{
	return ev >= 0 && ev < EV__N ? event_names[ev] : "?";
}

/* ---- heap callbacks ---------------------------------------------------------------- */

static int ready_less(const void *pa, const void *pb)
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

static int lease_less(const void *pa, const void *pb)
{
	return ((const struct worker *)pa)->lease_deadline <
	       ((const struct worker *)pb)->lease_deadline;
}

static void lease_setpos(void *e, size_t pos)
{
	((struct worker *)e)->lease_pos = pos;
}

/* ---- life cycle -------------------------------------------------------------------- */

void sched_init(struct sched *s, const struct sched_hooks *hooks, int64_t lease_ms)
{
	memset(s, 0, sizeof *s);
	s->hooks = *hooks;
	s->next_seq = 1;
	s->next_attempt = 1;
	s->lease_ms = lease_ms;
	s->rand_state = 2463534242u;
	heap_init(&s->delay, delay_less, joblet_setpos);
	heap_init(&s->leases, lease_less, lease_setpos);
	imap_init(&s->attempts);
	imap_init(&s->workers);
	imap_init(&s->uniq);
	imap_init(&s->groups);
}

static void worker_free(struct worker *w)
{
	free(w->tags);
	free(w);
}

void sched_free(struct sched *s)
{
	for (int64_t i = 0; i < s->jobs_cap; i++)
		job_free(s->jobs[i]);
	free(s->jobs);
	for (size_t i = 0; i < s->nshapes; i++) {
		heap_free(&s->shapes[i]->ready);
		free(s->shapes[i]);
	}
	free(s->shapes);
	heap_free(&s->delay);
	for (size_t i = 0; i < s->leases.len; i++)
		worker_free(s->leases.items[i]);
	heap_free(&s->leases);
	for (size_t i = 0; i < s->groups.cap; i++)
		free(s->groups.slots[i].val);
	imap_free(&s->groups);
	imap_free(&s->attempts);
	imap_free(&s->workers);
	imap_free(&s->uniq);
}

struct job *sched_job(const struct sched *s, int64_t seq)
{
	return seq > 0 && seq < s->jobs_cap ? s->jobs[seq] : NULL;
}

/* ---- counts and states ------------------------------------------------------------- */

static struct sched_counts *group_counts(struct sched *s, const char *group)
{
	struct sched_counts *c = imap_get(&s->groups, (uint64_t)(uintptr_t)group);
	if (c == NULL) {
		c = xcalloc(1, sizeof *c);
		imap_put(&s->groups, (uint64_t)(uintptr_t)group, c);
	}
	return c;
}

const struct sched_counts *sched_group_counts(const struct sched *s, const char *group)
{
	return imap_get(&s->groups, (uint64_t)(uintptr_t)intern(group));
}

static uint64_t uniq_key(const char *cmd, const char *cwd)
{
	uint64_t h = imap_hash_str(cmd) * 31 + imap_hash_str(cwd);
	return h ? h : 1;
}

/* Jobs with the same command and cwd share a chain; it is doubly linked so that a job
 * leaves it in O(1) however many identical jobs wait (a million `true`s is common). */
static void uniq_insert(struct sched *s, struct job *j)
{
	uint64_t k = uniq_key(j->cmd, j->cwd);
	struct job *head = imap_get(&s->uniq, k);
	j->uniq_prev = NULL;
	j->uniq_next = head;
	if (head)
		head->uniq_prev = j;
	imap_put(&s->uniq, k, j);
}

static void uniq_delete(struct sched *s, struct job *j)
{
	if (j->uniq_prev) {
		j->uniq_prev->uniq_next = j->uniq_next;
	} else {
		uint64_t k = uniq_key(j->cmd, j->cwd);
		if (imap_get(&s->uniq, k) != j)
			return;	/* not indexed */
		if (j->uniq_next)
			imap_put(&s->uniq, k, j->uniq_next);
		else
			imap_del(&s->uniq, k);
	}
	if (j->uniq_next)
		j->uniq_next->uniq_prev = j->uniq_prev;
	j->uniq_next = j->uniq_prev = NULL;
}

struct job *sched_find_duplicate(const struct sched *s, const char *cmd, const char *cwd)
{
	for (struct job *j = imap_get(&s->uniq, uniq_key(cmd, cwd)); j; j = j->uniq_next)
		if (strcmp(j->cmd, cmd) == 0 && strcmp(j->cwd, cwd) == 0)
			return j;
	return NULL;
}

/* Recompute the job's state after its counts changed; announce an end, index changes. */
static void job_refresh(struct sched *s, struct job *j, int64_t now)
{
	int old = j->state, st = job_derive_state(j);
	if (st == old)
		return;
	j->state = (uint8_t)st;
	if (jl_state_final(st) && !jl_state_final(old)) {
		j->ended_at = now;
		uniq_delete(s, j);
		s->hooks.event(s->hooks.ctx, EV_JOB_ENDED, j, NULL, NULL);
	} else if (!jl_state_final(st) && jl_state_final(old)) {
		j->ended_at = 0;
		uniq_insert(s, j);
	}
	s->hooks.job_put(s->hooks.ctx, j, false);
}

static void set_reason(struct joblet *jl, char *reason /* taken */)
{
	free(jl->reason);
	jl->reason = reason;
}

/* Move a joblet to a new state, keeping every count right. */
static void joblet_set_state(struct sched *s, struct joblet *jl, int st)
{
	struct job *j = jl->job;
	if (jl->state == st)
		return;
	struct sched_counts *g = group_counts(s, j->group);
	j->counts[jl->state]--;
	s->totals.by_state[jl->state]--;
	g->by_state[jl->state]--;
	jl->state = (uint8_t)st;
	j->counts[st]++;
	s->totals.by_state[st]++;
	g->by_state[st]++;
}

/* ---- queues ------------------------------------------------------------------------ */

static struct shape *shape_for(struct sched *s, int32_t cores, int32_t ram, int32_t gpus)
{
	for (size_t i = 0; i < s->nshapes; i++) {
		struct shape *sh = s->shapes[i];
		if (sh->cores == cores && sh->ram_mb == ram && sh->gpus == gpus)
			return sh;
	}
	struct shape *sh = xcalloc(1, sizeof *sh);
	sh->cores = cores;
	sh->ram_mb = ram;
	sh->gpus = gpus;
	heap_init(&sh->ready, ready_less, joblet_setpos);
	s->shapes = xrealloc(s->shapes, s->nshapes + 1, sizeof *s->shapes);
	s->shapes[s->nshapes++] = sh;
	return sh;
}

static void unqueue(struct sched *s, struct joblet *jl)
{
	if (jl->heap == JL_HEAP_READY)
		heap_remove(&jl->job->shape->ready, jl->heap_pos);
	else if (jl->heap == JL_HEAP_DELAY)
		heap_remove(&s->delay, jl->heap_pos);
	jl->heap = JL_HEAP_NONE;
}

static void make_ready(struct sched *s, struct joblet *jl)
{
	unqueue(s, jl);
	jl->ready_at = 0;
	joblet_set_state(s, jl, JS_READY);
	heap_push(&jl->job->shape->ready, jl);
	jl->heap = JL_HEAP_READY;
}

static void make_waiting(struct sched *s, struct joblet *jl, int64_t ready_at)
{
	unqueue(s, jl);
	jl->ready_at = ready_at;
	joblet_set_state(s, jl, JS_WAITING);
	heap_push(&s->delay, jl);
	jl->heap = JL_HEAP_DELAY;
}

static void make_final(struct sched *s, struct joblet *jl, int st, char *reason /* taken */)
{
	unqueue(s, jl);
	jl->ready_at = 0;
	joblet_set_state(s, jl, st);
	set_reason(jl, reason);
}

/* ---- adding ------------------------------------------------------------------------ */

static void jobs_reserve(struct sched *s, int64_t seq)
{
	if (seq < s->jobs_cap)
		return;
	int64_t cap = s->jobs_cap ? s->jobs_cap : 1024;
	while (cap <= seq)
		cap *= 2;
	s->jobs = xrealloc(s->jobs, (size_t)cap, sizeof *s->jobs);
	memset(s->jobs + s->jobs_cap, 0, (size_t)(cap - s->jobs_cap) * sizeof *s->jobs);
	s->jobs_cap = cap;
}

/* Count a job's joblets into the totals and its group as they are now. */
static void count_job(struct sched *s, struct job *j)
{
	struct sched_counts *g = group_counts(s, j->group);
	for (int st = 0; st < JS__N; st++) {
		s->totals.by_state[st] += j->counts[st];
		g->by_state[st] += j->counts[st];
	}
}

struct job *sched_add(struct sched *s, const struct job_spec *spec, int64_t now)
{
	struct job *j = job_alloc(spec->njoblets);
	j->seq = s->next_seq++;
	j->owner = intern(spec->owner);
	j->name = intern(spec->name);
	j->group = intern(spec->group);
	j->req_group = intern(spec->req_group);
	j->cwd = intern(spec->cwd);
	j->cmd = xstrdup(spec->cmd);
	j->env = spec->env ? xstrdup(spec->env) : NULL;
	j->created_at = now;
	j->time_ms = spec->time_ms;
	j->retry_delay_ms = spec->retry_delay_ms;
	j->cores = spec->cores;
	j->ram_mb = spec->ram_mb;
	j->gpus = spec->gpus;
	j->retries = (uint16_t)spec->retries;
	j->lost_retries = (uint16_t)spec->lost_retries;
	j->priority = (uint8_t)spec->priority;
	j->no_restart = spec->no_restart;
	j->unique = spec->unique;
	j->shape = shape_for(s, j->cores, j->ram_mb, j->gpus);
	jobs_reserve(s, j->seq);
	s->jobs[j->seq] = j;
	s->njobs++;
	count_job(s, j);
	uniq_insert(s, j);
	for (int32_t i = 0; i < j->njoblets; i++) {
		heap_push(&j->shape->ready, &j->joblets[i]);
		j->joblets[i].heap = JL_HEAP_READY;
	}
	s->hooks.job_put(s->hooks.ctx, j, true);
	s->hooks.event(s->hooks.ctx, EV_JOB_SUBMITTED, j, NULL, NULL);
	return j;
}

/* ---- workers and leases ------------------------------------------------------------ */

static void worker_list_add(struct worker *w, struct attempt *a)
{
	a->worker = w;
	a->wprev = NULL;
	a->wnext = w->running;
	if (w->running)
		w->running->wprev = a;
	w->running = a;
	w->nrunning++;
	struct job *j = a->joblet->job;
	w->used_cores += j->cores;
	w->used_ram_mb += j->ram_mb;
	w->used_gpus += j->gpus;
}

static void worker_list_del(struct attempt *a)
{
	struct worker *w = a->worker;
	if (w == NULL)
		return;
	if (a->wprev)
		a->wprev->wnext = a->wnext;
	else
		w->running = a->wnext;
	if (a->wnext)
		a->wnext->wprev = a->wprev;
	a->wnext = a->wprev = NULL;
	a->worker = NULL;
	w->nrunning--;
	struct job *j = a->joblet->job;
	w->used_cores -= j->cores;
	w->used_ram_mb -= j->ram_mb;
	w->used_gpus -= j->gpus;
}

static uint32_t next_rand(struct sched *s)
{
	uint32_t x = s->rand_state;	/* xorshift32: jitter only, not security */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->rand_state = x;
}

static struct worker *worker_new(struct sched *s, const char *name, int64_t now, int64_t mono)
{
	struct worker *w = xcalloc(1, sizeof *w);
	do {
		snprintf(w->id, sizeof w->id, "w%08x", next_rand(s) ^ (uint32_t)now);
	} while (imap_get(&s->workers, imap_hash_str(w->id)));
	w->name = intern(name);
	w->registered_at = w->last_seen = now;
	w->lease_deadline = mono + s->lease_ms;
	imap_put(&s->workers, imap_hash_str(w->id), w);
	heap_push(&s->leases, w);
	return w;
}

struct worker *sched_worker(const struct sched *s, const char *id)
{
	struct worker *w = imap_get(&s->workers, imap_hash_str(id));
	return w && strcmp(w->id, id) == 0 && !w->placeholder ? w : NULL;
}

void sched_worker_touch(struct sched *s, struct worker *w, int64_t now, int64_t mono)
{
	w->last_seen = now;
	w->lease_deadline = mono + s->lease_ms;
	heap_fix(&s->leases, w->lease_pos);
}

/* Does w hold a? An attempt held by a placeholder (its worker has not registered since
 * the restart) may be claimed by whoever names it: the attempt id is the fencing token. */
static bool holds(const struct worker *w, const struct attempt *a)
{
	return w == NULL || a->worker == w || (a->worker && a->worker->placeholder);
}

struct attempt *sched_live_attempt(const struct sched *s, struct worker *w, int64_t id)
{
	struct attempt *a = imap_get(&s->attempts, (uint64_t)id);
	if (a == NULL || a->state != AS_RUNNING || !holds(w, a))
		return NULL;
	return a;
}

static void worker_drop(struct sched *s, struct worker *w)
{
	heap_remove(&s->leases, w->lease_pos);
	imap_del(&s->workers, imap_hash_str(w->id));
	free(w->tags);
	free(w);
}

struct worker *sched_worker_add(struct sched *s, const char *name, int32_t cores,
				int32_t ram_mb, int32_t gpus, char *tags, int pid,
				const int64_t *running, size_t nrunning, int64_t *out_reattached,
				size_t *n_reattached, int64_t *out_cancel, size_t *n_cancel,
				int64_t now, int64_t mono)
{
	struct worker *w = worker_new(s, name, now, mono);
	w->cores = cores;
	w->ram_mb = ram_mb;
	w->gpus = gpus;
	w->tags = tags;
	w->pid = pid;
	*n_reattached = *n_cancel = 0;
	for (size_t i = 0; i < nrunning; i++) {
		struct attempt *a = imap_get(&s->attempts, (uint64_t)running[i]);
		if (a && a->state == AS_RUNNING && a->worker && a->worker->placeholder) {
			struct worker *old = a->worker;
			worker_list_del(a);
			worker_list_add(w, a);
			if (old->nrunning == 0)
				worker_drop(s, old);	/* every attempt it held is claimed */
			a->worker_id = intern(w->id);
			s->hooks.attempt_put(s->hooks.ctx, a);
			out_reattached[(*n_reattached)++] = running[i];
		} else {
			out_cancel[(*n_cancel)++] = running[i];
		}
	}
	return w;
}

/* ---- reserving --------------------------------------------------------------------- */

static bool fits(const struct shape *sh, int32_t c, int32_t r, int32_t g)
{
	return sh->cores <= c && sh->ram_mb <= r && sh->gpus <= g;
}

static struct shape *best_shape(const struct sched *s, int32_t c, int32_t r, int32_t g)
{
	struct shape *best = NULL;
	for (size_t i = 0; i < s->nshapes; i++) {
		struct shape *sh = s->shapes[i];
		if (sh->ready.len == 0 || !fits(sh, c, r, g))
			continue;
		if (best == NULL || ready_less(heap_top(&sh->ready), heap_top(&best->ready)))
			best = sh;
	}
	return best;
}

bool sched_has_fit(const struct sched *s, int32_t c, int32_t r, int32_t g)
{
	return best_shape(s, c, r, g) != NULL;
}

static struct attempt *attempt_start(struct sched *s, struct worker *w, struct joblet *jl,
				     int64_t now)
{
	struct attempt *a = xcalloc(1, sizeof *a);
	a->id = s->next_attempt++;
	a->joblet = jl;
	a->n = ++jl->nattempts;
	a->node = w->name;
	a->worker_id = intern(w->id);
	a->started_at = now;
	a->state = AS_RUNNING;
	if (jl->last_attempt)
		jl->last_attempt->next = a;
	else
		jl->attempts = a;
	jl->last_attempt = a;
	jl->live = a;
	imap_put(&s->attempts, (uint64_t)a->id, a);
	worker_list_add(w, a);
	return a;
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
	while (n < max) {
		struct shape *sh = best_shape(s, c, r, g);
		if (sh == NULL)
			break;
		struct joblet *jl = heap_pop(&sh->ready);
		struct job *j = jl->job;
		jl->heap = JL_HEAP_NONE;
		joblet_set_state(s, jl, JS_RUNNING);
		set_reason(jl, NULL);
		struct attempt *a = attempt_start(s, w, jl, now);
		c -= j->cores;
		r -= j->ram_mb;
		g -= j->gpus;
		out[n++] = a;
		s->hooks.joblet_put(s->hooks.ctx, jl);
		s->hooks.attempt_put(s->hooks.ctx, a);
		if (!j->started) {
			j->started = true;
			s->hooks.event(s->hooks.ctx, EV_JOB_STARTED, j, NULL, NULL);
		}
		s->hooks.event(s->hooks.ctx, EV_JOBLET_DISPATCHED, j, jl, a);
		job_refresh(s, j, now);
	}
	return n;
}

/* ---- results ----------------------------------------------------------------------- */

static int64_t backoff_ms(struct sched *s, const struct job *j, int errors)
{
	if (j->retry_delay_ms <= 0)
		return 0;
	int64_t d = j->retry_delay_ms;
	for (int i = 1; i < errors && d < 3600000; i++)
		d *= 2;
	if (d > 3600000)
		d = 3600000;
	/* ±25 % jitter so a burst of failures does not come back in lockstep. */
	int64_t span = d / 2;
	if (span > 0)
		d += (int64_t)(next_rand(s) % (uint64_t)(span + 1)) - span / 2;
	return d < 1 ? 1 : d;
}

static char *describe_failure(const struct attempt *a)
{
	switch (a->fail_reason) {
	case FR_EXIT:
		return xasprintf("exit code %d", a->exit_code);
	case FR_NOTFOUND:
		return xstrdup("command not found");
	case FR_PERMISSION:
		return xstrdup("permission denied");
	case FR_CWD:
		return xasprintf("cannot enter working directory%s%s",
				 a->message ? ": " : "", a->message ? a->message : "");
	case FR_START:
		return xasprintf("could not start%s%s", a->message ? ": " : "",
				 a->message ? a->message : "");
	case FR_RAM:
		return xasprintf("exceeded its RAM limit (peak %d MB)", a->peak_ram_mb);
	case FR_TIME:
		return xstrdup("exceeded its time limit");
	case FR_SIGNAL:
		return a->message ? xasprintf("killed by signal: %s", a->message)
				  : xstrdup("killed by a signal");
	case FR_LOST:
		return xstrdup("worker lost");
	default:
		return xstrdup(fail_reason_name(a->fail_reason));
	}
}

/* An attempt ended through no fault of the job (lost worker, worker stopped): spend the
 * lost budget, or fail when the job is not restartable or the budget is gone. */
static void requeue_lost(struct sched *s, struct joblet *jl, const struct attempt *a)
{
	struct job *j = jl->job;
	if (jl->state != JS_RUNNING)
		return;
	if (a->cancel_requested) {
		make_final(s, jl, JS_CANCELLED, xstrdup("cancelled by the user"));
		return;
	}
	if (j->no_restart) {
		make_final(s, jl, JS_FAILED,
			   xasprintf("%s on %s; not restarted (--no-restart)",
				     a->fail_reason == FR_LOST ? "worker lost" : "worker stopped",
				     a->node));
	} else if (jl->lost < j->lost_retries) {
		jl->lost++;
		make_ready(s, jl);
		set_reason(jl, xasprintf("re-queued: %s on %s",
					 a->fail_reason == FR_LOST ? "worker lost" : "worker stopped",
					 a->node));
	} else {
		make_final(s, jl, JS_FAILED,
			   xasprintf("worker lost %d times (--lost-retries %d)", jl->lost + 1,
				     j->lost_retries));
	}
}

static void apply_failure(struct sched *s, struct joblet *jl, struct attempt *a, int64_t now)
{
	struct job *j = jl->job;
	if (jl->state != JS_RUNNING)
		return;
	char *why = describe_failure(a);
	if (jl->errors < j->retries) {
		jl->errors++;
		int64_t delay = backoff_ms(s, j, jl->errors);
		if (delay > 0) {
			make_waiting(s, jl, now + delay);
			char buf[32];
			set_reason(jl, xasprintf("retry %d of %d in %s after %s", jl->errors,
						 j->retries, clock_format_duration(delay, buf, sizeof buf), why));
		} else {
			make_ready(s, jl);
			set_reason(jl, xasprintf("retry %d of %d after %s", jl->errors, j->retries,
						 why));
		}
		free(why);
	} else {
		make_final(s, jl, JS_FAILED, why);
	}
}

static void end_attempt(struct sched *s, struct attempt *a, int state, int64_t now)
{
	worker_list_del(a);
	a->state = (uint8_t)state;
	a->ended_at = now;
	a->joblet->live = NULL;
}

enum finish_result sched_finish(struct sched *s, struct worker *w, const struct finish *f,
				const char *late_json, int64_t now)
{
	struct attempt *a = imap_get(&s->attempts, (uint64_t)f->attempt);
	if (a == NULL)
		return FINISH_UNKNOWN;
	if (a->state != AS_RUNNING || !holds(w, a)) {
		if (a->state != AS_RUNNING && a->state != AS_LOST)
			return FINISH_DUPLICATE;	/* already applied: a resend */
		if (late_json && a->late_result == NULL) {
			a->late_result = xstrdup(late_json);
			s->hooks.attempt_put(s->hooks.ctx, a);
		}
		return FINISH_STALE;
	}
	struct joblet *jl = a->joblet;
	struct job *j = jl->job;
	a->has_exit = f->has_exit;
	a->exit_code = f->exit_code;
	a->fail_reason = (uint8_t)f->fail_reason;
	a->peak_ram_mb = f->peak_ram_mb;
	a->cpu_ms = f->cpu_ms;
	free(a->message);
	a->message = f->message && *f->message ? xstrdup(f->message) : NULL;
	if (f->fail_reason == FR_NONE) {
		end_attempt(s, a, AS_DONE, now);
		if (jl->state == JS_RUNNING)
			make_final(s, jl, JS_DONE, NULL);
	} else if (a->cancel_requested || jl->state == JS_CANCELLED) {
		end_attempt(s, a, AS_CANCELLED, now);
		if (jl->state == JS_RUNNING)
			make_final(s, jl, JS_CANCELLED, xstrdup("cancelled by the user"));
	} else if (f->worker_stop) {
		end_attempt(s, a, AS_FAILED, now);
		requeue_lost(s, jl, a);
	} else {
		end_attempt(s, a, AS_FAILED, now);
		apply_failure(s, jl, a, now);
	}
	s->hooks.attempt_put(s->hooks.ctx, a);
	s->hooks.joblet_put(s->hooks.ctx, jl);
	s->hooks.event(s->hooks.ctx, EV_JOBLET_RETURNED, j, jl, a);
	job_refresh(s, j, now);
	return FINISH_APPLIED;
}

static void lose_worker(struct sched *s, struct worker *w, int64_t now)
{
	s->hooks.worker_lost(s->hooks.ctx, w);
	while (w->running) {
		struct attempt *a = w->running;
		struct joblet *jl = a->joblet;
		a->fail_reason = FR_LOST;
		end_attempt(s, a, AS_LOST, now);
		requeue_lost(s, jl, a);
		s->hooks.attempt_put(s->hooks.ctx, a);
		s->hooks.joblet_put(s->hooks.ctx, jl);
		s->hooks.event(s->hooks.ctx, EV_JOBLET_RETURNED, jl->job, jl, a);
		job_refresh(s, jl->job, now);
	}
	worker_drop(s, w);
}

int64_t sched_tick(struct sched *s, int64_t now, int64_t mono, int64_t *next_mono)
{
	struct joblet *jl;
	while ((jl = heap_top(&s->delay)) && jl->ready_at <= now) {
		make_ready(s, jl);
		s->hooks.joblet_put(s->hooks.ctx, jl);
		job_refresh(s, jl->job, now);
	}
	struct worker *w;
	while ((w = heap_top(&s->leases)) && w->lease_deadline <= mono)
		lose_worker(s, w, now);
	w = heap_top(&s->leases);
	*next_mono = w ? w->lease_deadline : 0;
	jl = heap_top(&s->delay);
	return jl ? jl->ready_at : 0;
}

/* ---- user actions ------------------------------------------------------------------ */

int sched_cancel(struct sched *s, struct job *j, int64_t now)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl_state_final(jl->state))
			continue;
		if (jl->live) {
			/* It stays running until its worker has killed it and said so. */
			jl->live->cancel_requested = true;
			set_reason(jl, xstrdup("cancelling: the worker is told to stop it"));
		} else {
			make_final(s, jl, JS_CANCELLED, xstrdup("cancelled by the user"));
		}
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
	job_refresh(s, j, now);
	return 0;
}

int sched_retry(struct sched *s, struct job *j, int64_t now, const char **why)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		if (j->joblets[i].live && j->joblets[i].live->cancel_requested) {
			*why = "a cancelled joblet is still stopping; retry once it has ended";
			return -1;
		}
	}
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		int st = jl->state;
		if (st != JS_FAILED && st != JS_CANCELLED && st != JS_SKIPPED)
			continue;
		jl->errors = jl->lost = 0;
		make_ready(s, jl);
		set_reason(jl, xstrdup("re-queued by retry"));
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
	job_refresh(s, j, now);
	return 0;
}

int sched_remove(struct sched *s, struct job *j, const char **why)
{
	if (j->state == JS_DONE) {
		*why = "the job is done; finished jobs are kept as history";
		return -1;
	}
	for (int32_t i = 0; i < j->njoblets; i++) {
		if (j->joblets[i].live) {
			*why = "a joblet is running; cancel the job first";
			return -1;
		}
	}
	struct sched_counts *g = group_counts(s, j->group);
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		unqueue(s, jl);
		for (struct attempt *a = jl->attempts; a; a = a->next)
			imap_del(&s->attempts, (uint64_t)a->id);
	}
	for (int st = 0; st < JS__N; st++) {
		s->totals.by_state[st] -= j->counts[st];
		g->by_state[st] -= j->counts[st];
	}
	if (!jl_state_final(j->state))
		uniq_delete(s, j);
	s->jobs[j->seq] = NULL;
	s->njobs--;
	s->hooks.job_removed(s->hooks.ctx, j);
	return 0;
}

void sched_modify(struct sched *s, struct job *j, const struct job_spec *mod, int64_t now)
{
	bool reshape = (mod->cores >= 0 && mod->cores != j->cores) ||
		       (mod->ram_mb >= 0 && mod->ram_mb != j->ram_mb) ||
		       (mod->gpus >= 0 && mod->gpus != j->gpus);
	bool reorder = mod->priority >= 0 && mod->priority != j->priority;
	/* Take READY joblets out while their ordering key or heap changes. */
	for (int32_t i = 0; reshape || reorder ? i < j->njoblets : 0; i++)
		if (j->joblets[i].heap == JL_HEAP_READY)
			unqueue(s, &j->joblets[i]);
	if (mod->priority >= 0)
		j->priority = (uint8_t)mod->priority;
	if (mod->cores >= 0)
		j->cores = mod->cores;
	if (mod->ram_mb >= 0)
		j->ram_mb = mod->ram_mb;
	if (mod->gpus >= 0)
		j->gpus = mod->gpus;
	if (mod->time_ms >= 0)
		j->time_ms = mod->time_ms;
	if (mod->retries >= 0)
		j->retries = (uint16_t)mod->retries;
	if (mod->lost_retries >= 0)
		j->lost_retries = (uint16_t)mod->lost_retries;
	if (mod->retry_delay_ms >= 0)
		j->retry_delay_ms = mod->retry_delay_ms;
	if (reshape)
		j->shape = shape_for(s, j->cores, j->ram_mb, j->gpus);
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->state == JS_READY && jl->heap == JL_HEAP_NONE) {
			heap_push(&j->shape->ready, jl);
			jl->heap = JL_HEAP_READY;
		}
	}
	s->hooks.job_put(s->hooks.ctx, j, false);
}

/* ---- recovery ---------------------------------------------------------------------- */

void sched_load_job(struct sched *s, struct job *j)
{
	jobs_reserve(s, j->seq);
	s->jobs[j->seq] = j;
	s->njobs++;
	if (j->seq >= s->next_seq)
		s->next_seq = j->seq + 1;
}

struct joblet *sched_load_joblet_ref(struct sched *s, int64_t seq, int32_t idx)
{
	struct job *j = sched_job(s, seq);
	return j && idx >= 0 && idx < j->njoblets ? &j->joblets[idx] : NULL;
}

void sched_load_attempt(struct sched *s, struct attempt *a, int64_t seq, int32_t idx)
{
	struct joblet *jl = sched_load_joblet_ref(s, seq, idx);
	if (jl == NULL) {
		free(a->message);
		free(a->late_result);
		free(a);
		return;
	}
	a->joblet = jl;
	if (jl->last_attempt)
		jl->last_attempt->next = a;
	else
		jl->attempts = a;
	jl->last_attempt = a;
	if (a->n > jl->nattempts)
		jl->nattempts = a->n;
	imap_put(&s->attempts, (uint64_t)a->id, a);
	if (a->id >= s->next_attempt)
		s->next_attempt = a->id + 1;
}

/* A running attempt from before the restart is held by a placeholder for its old worker
 * until that worker registers again or the lease runs out. */
static struct worker *placeholder_for(struct sched *s, const char *worker_id, const char *node,
				      int64_t now, int64_t mono)
{
	struct worker *w = imap_get(&s->workers, imap_hash_str(worker_id));
	if (w && strcmp(w->id, worker_id) == 0)
		return w;
	w = xcalloc(1, sizeof *w);
	snprintf(w->id, sizeof w->id, "%s", worker_id);
	w->name = node;
	w->placeholder = true;
	w->registered_at = w->last_seen = now;
	w->lease_deadline = mono + s->lease_ms;
	/* Generous so re-attached attempts never fail the resource accounting. */
	w->cores = w->ram_mb = w->gpus = INT32_MAX / 2;
	imap_put(&s->workers, imap_hash_str(w->id), w);
	heap_push(&s->leases, w);
	return w;
}

void sched_load_done(struct sched *s, int64_t now, int64_t mono)
{
	for (int64_t seq = 1; seq < s->next_seq && seq < s->jobs_cap; seq++) {
		struct job *j = s->jobs[seq];
		if (j == NULL)
			continue;
		j->shape = shape_for(s, j->cores, j->ram_mb, j->gpus);
		memset(j->counts, 0, sizeof j->counts);
		for (int32_t i = 0; i < j->njoblets; i++) {
			struct joblet *jl = &j->joblets[i];
			struct attempt *last = jl->last_attempt;
			if (last && last->state == AS_RUNNING) {
				jl->live = last;
				worker_list_add(placeholder_for(s, last->worker_id, last->node, now,
								mono),
						last);
				if (!jl_state_final(jl->state))
					jl->state = JS_RUNNING;
			} else if (jl->state == JS_RUNNING) {
				jl->state = JS_READY;	/* its attempt never reached the disk */
			}
			if (jl->attempts)
				j->started = true;
			j->counts[jl->state]++;
			if (jl->state == JS_READY) {
				heap_append(&j->shape->ready, jl);
				jl->heap = JL_HEAP_READY;
			} else if (jl->state == JS_WAITING) {
				if (jl->ready_at == 0)
					jl->ready_at = now;
				heap_append(&s->delay, jl);
				jl->heap = JL_HEAP_DELAY;
			}
		}
		j->state = (uint8_t)job_derive_state(j);
		count_job(s, j);
		if (!jl_state_final(j->state))
			uniq_insert(s, j);
	}
	for (size_t i = 0; i < s->nshapes; i++)
		heap_build(&s->shapes[i]->ready);
	heap_build(&s->delay);
}
