/* The scheduler: jobs and their states, workers and leases, results, user actions and
 * recovery; the queue itself is in queue.c, gates in gates.c.
 * See sched.h for the design and job.h for the state machine. */
#include "core/sched-int.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/timeslot.h"	/* its size, for copying a job's timeslot */
#include "base/xalloc.h"
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const event_names[EV__N] = {
	"job.submitted", "job.started", "joblet.dispatched", "joblet.returned", "job.ended",
};

const char *sched_event_name(int ev)
{
	return ev >= 0 && ev < EV__N ? event_names[ev] : "?";
}

/* ---- heap callbacks ---------------------------------------------------------------- */

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
	s->load_history_before = INT64_MIN;
	s->lease_ms = lease_ms;
	s->rand_state = 2463534242u;
	s->starve_ms = 60000;
	s->failover_wait_ms = 10000;
	queue_init(&s->q);
	gates_init(&s->g);
	heap_init(&s->leases, lease_less, lease_setpos);
	imap_init(&s->attempts);
	imap_init(&s->workers);
	s->hash_id = imap_hash_str;
	imap_init(&s->uniq);
	imap_init(&s->groups);
	imap_init(&s->history);
	imap_init(&s->tallies);
	imap_init(&s->limits);
	imap_init(&s->req_groups);
}

static void worker_free(struct worker *w)
{
	free(w->tags);
	free(w->ram_method_note);
	free(w->tag_key);
	free(w->tag_val);
	free(w);
}

static void free_values(struct imap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->slots[i].val);
	imap_free(m);
}

void sched_free(struct sched *s)
{
	for (int64_t b = 0; b < s->nblocks; b++) {
		for (int i = 0; s->blocks[b] && i < SCHED_BLOCK; i++)
			job_free(s->blocks[b][i]);
		free(s->blocks[b]);
	}
	free(s->blocks);
	free(s->block_jobs);
	free(s->block_states);
	queue_free(&s->q);
	gates_free(&s->g);
	for (size_t i = 0; i < s->leases.len; i++)
		worker_free(s->leases.items[i]);
	heap_free(&s->leases);
	free_values(&s->groups);
	free_values(&s->limits);
	free_values(&s->req_groups);
	imap_free(&s->attempts);
	imap_free(&s->workers);
	imap_free(&s->uniq);
	for (size_t i = 0; i < s->history.cap; i++) {
		struct owner_history *h = s->history.slots[i].val;
		if (h)
			free(h->groups);
	}
	free_values(&s->history);
	free_values(&s->tallies);
	free(s->evicted);
	free(s->samples);
	rstr_cache_clear(&s->reasons);
}

struct job *sched_job(const struct sched *s, int64_t seq)
{
	return job_table_get(sched_jobs(s), seq);
}

struct job_table sched_jobs(const struct sched *s)
{
	return (struct job_table){(struct job *const *const *)s->blocks, s->nblocks, s->evicted,
				  s->evicted_cap};
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

struct job *sched_find_duplicate(const struct sched *s, const char *cmd, const char *cwd,
				 const char *owner)
{
	for (struct job *j = imap_get(&s->uniq, uniq_key(cmd, cwd)); j; j = j->uniq_next)
		if (strcmp(j->cmd, cmd) == 0 && strcmp(j->cwd, cwd) == 0 &&
		    strcmp(j->owner, owner) == 0)
			return j;
	return NULL;
}

static void settle(struct sched *s, int64_t now);
static void job_set_state(struct sched *s, struct job *j, int st);

/* Recompute the job's state after its counts changed; announce an end, index changes,
 * and tell the jobs that wait for it. */
void job_refresh(struct sched *s, struct job *j, int64_t now)
{
	int old = j->state, st = job_derive_state(j);
	if (st == old)
		return;
	job_set_state(s, j, st);
	s->jobs_by_state[old]--;
	s->jobs_by_state[st]++;
	if (jl_state_final(st) && !jl_state_final(old)) {
		j->ended_at = now;
		uniq_delete(s, j);
		s->hooks.event(s->hooks.ctx, EV_JOB_ENDED, j, NULL, NULL);
	} else if (!jl_state_final(st) && jl_state_final(old)) {
		j->ended_at = 0;
		uniq_insert(s, j);
	}
	s->hooks.job_put(s->hooks.ctx, j, false);
	if (j->x && (j->x->ndependants || j->x->ngroups)) {
		gates_job_changed(&s->g, j, old, st);
		settle(s, now);
	}
}

void set_reason(struct sched *s, struct joblet *jl, const char *text)
{
	struct rstr *r = rstr_share(&s->reasons, text);
	rstr_unref(jl->reason);
	jl->reason = r;
}

/* Move a joblet to a new state, keeping every count right. */
void joblet_set_state(struct sched *s, struct joblet *jl, int st)
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

/* ---- queue moves: a joblet's state and its heap change together --------------------- */

void make_ready(struct sched *s, struct joblet *jl, int64_t now)
{
	queue_remove(&s->q, jl);
	jl->ready_at = 0;
	if (jl->job->gates) {
		joblet_set_state(s, jl, JS_WAITING);	/* the gate opens it later */
		return;
	}
	joblet_set_state(s, jl, JS_READY);
	jl->ready_since = now;
	queue_push(&s->q, jl);
}

void make_waiting(struct sched *s, struct joblet *jl, int64_t ready_at)
{
	queue_remove(&s->q, jl);
	jl->ready_at = ready_at;
	joblet_set_state(s, jl, JS_WAITING);
	queue_delay(&s->q, jl);
}

void make_final(struct sched *s, struct joblet *jl, int st, const char *reason)
{
	queue_remove(&s->q, jl);
	jl->ready_at = 0;
	joblet_set_state(s, jl, st);
	set_reason(s, jl, reason);
}

/* set_reason and make_final with a text of the caller's from malloc: freed here. */
static void set_reason_taken(struct sched *s, struct joblet *jl, char *text)
{
	set_reason(s, jl, text);
	free(text);
}

static void make_final_taken(struct sched *s, struct joblet *jl, int st, char *text)
{
	make_final(s, jl, st, text);
	free(text);
}

/* Queue the job's READY joblets that no heap holds yet (new, or out while it changed). */
static void queue_ready_joblets(struct sched *s, struct job *j, int64_t since)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->state == JS_READY && jl->heap == JL_HEAP_NONE) {
			if (since)
				jl->ready_since = since;
			queue_push(&s->q, jl);
		}
	}
}

/* ---- gates' verdicts ---------------------------------------------------------------- */

/* Its dependencies can no longer be met: what has not started is skipped. */
static void skip_job(struct sched *s, struct job *j, int64_t now)
{
	char *why = gates_broken_reason(sched_jobs(s), j);
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl_state_final(jl->state) || jl->live)
			continue;
		make_final(s, jl, JS_SKIPPED, why);
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
	free(why);
	job_refresh(s, j, now);
}

/* Its dependencies can be met again (a retry upstream): back to waiting. */
static void unskip_job(struct sched *s, struct job *j)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl->state != JS_SKIPPED)
			continue;
		joblet_set_state(s, jl, JS_WAITING);
		set_reason(s, jl, NULL);
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
}

/* The end of a timeslot with --kill-at-slot-end: stop what runs; it waits for the next. */
static void slot_kill(struct sched *s, struct job *j)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct attempt *a = j->joblets[i].live;
		if (a == NULL || a->cancel_requested)
			continue;
		a->cancel_requested = a->slot_kill = true;
		s->kills_pending = true;
		set_reason(s, &j->joblets[i], "its timeslot ended: the worker is told to stop it");
		s->hooks.joblet_put(s->hooks.ctx, &j->joblets[i]);
	}
}

/* Close or open the job's joblets to the queue. */
static void gates_apply(struct sched *s, struct job *j, uint8_t gates, int64_t now)
{
	j->gates = gates;
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (gates && jl->state == JS_READY) {
			queue_remove(&s->q, jl);
			joblet_set_state(s, jl, JS_WAITING);
		} else if (!gates && jl->state == JS_WAITING && jl->heap == JL_HEAP_NONE) {
			make_ready(s, jl, now);
			s->wake_workers = true;
		}
	}
	job_refresh(s, j, now);
}

/* Recompute j's gates and act on what they say. */
static void gate_job(struct sched *s, struct job *j, int64_t now)
{
	struct gate_verdict v = gates_eval(&s->g, j, now);
	if (v.act == GV_SKIP) {
		skip_job(s, j, now);
	} else if (v.act == GV_APPLY) {
		if (v.unskip)
			unskip_job(s, j);
		if (v.slot_kill)
			slot_kill(s, j);
		gates_apply(s, j, v.gates, now);
	}
}

/* Evaluate the jobs whose dependencies changed, until none is left. Acting on one may queue
 * more (a skip breaks the next link of a chain): they are taken in this loop, not by
 * recursion, so a long chain cannot overflow the stack. */
static void settle(struct sched *s, int64_t now)
{
	if (s->settling)
		return;
	s->settling = true;
	struct job *j;
	while ((j = gates_settle_next(&s->g)) != NULL)
		if (sched_job(s, j->seq) == j)	/* not removed meanwhile */
			gate_job(s, j, now);
	s->settling = false;
}

int sched_check(struct sched *s, const struct job_spec *spec, const struct job *self, char *buf,
		size_t len, const char **field)
{
	return spec->x ? gates_check(&s->g, sched_jobs(s), spec->x, self, buf, len, field) : 0;
}

bool sched_has_waiters(const struct sched *s, const struct job *j)
{
	(void)s;
	return gates_has_waiters(j);
}

/* ---- adding ------------------------------------------------------------------------ */

/* The directory covers seq's block (its entry NULL until a job there enters memory). It
 * grows by doubling; 8 bytes and a count per SCHED_BLOCK seqs. */
static void jobs_reserve(struct sched *s, int64_t seq)
{
	int64_t b = seq / SCHED_BLOCK;
	if (b < s->nblocks)
		return;
	int64_t n = s->nblocks ? s->nblocks : 1;
	while (n <= b)
		n *= 2;
	s->blocks = xrealloc(s->blocks, (size_t)n, sizeof *s->blocks);
	memset(s->blocks + s->nblocks, 0, (size_t)(n - s->nblocks) * sizeof *s->blocks);
	s->block_jobs = xrealloc(s->block_jobs, (size_t)n, sizeof *s->block_jobs);
	memset(s->block_jobs + s->nblocks, 0, (size_t)(n - s->nblocks) * sizeof *s->block_jobs);
	s->block_states = xrealloc(s->block_states, (size_t)n, sizeof *s->block_states);
	memset(s->block_states + s->nblocks, 0,
	       (size_t)(n - s->nblocks) * sizeof *s->block_states);
	s->nblocks = n;
}

/* A job in state st at seq enters (+1) or leaves (-1) its block's count by state. A block
 * holds SCHED_BLOCK slots, so a uint16_t count never overflows. */
static void block_count(struct sched *s, int64_t seq, int st, int delta)
{
	uint16_t *n = &s->block_states[seq / SCHED_BLOCK][st];
	*n = (uint16_t)(*n + delta);
}

/* Put j (or NULL) in its slot seq, keeping the counts of its block: the block is
 * allocated by the first job of it to enter memory and freed when its last one leaves
 * (its counts by state are then all 0). */
static void slot_set(struct sched *s, int64_t seq, struct job *j)
{
	jobs_reserve(s, seq);
	int64_t b = seq / SCHED_BLOCK;
	if (s->blocks[b] == NULL) {
		if (j == NULL)
			return;
		s->blocks[b] = xcalloc(SCHED_BLOCK, sizeof *s->blocks[b]);
	}
	struct job **slot = &s->blocks[b][seq % SCHED_BLOCK];
	s->block_jobs[b] += (j != NULL) - (*slot != NULL);
	if (*slot)
		block_count(s, seq, (*slot)->state, -1);
	if (j)
		block_count(s, seq, j->state, +1);
	*slot = j;
	if (s->block_jobs[b] == 0) {
		free(s->blocks[b]);
		s->blocks[b] = NULL;
	}
}

/* Every change of a job's state: its block's count by state follows while the job is in
 * its slot (slot_set counts it in and out). jobs_by_state is the caller's: it counts the
 * jobs out of memory too, and a job loaded is counted once its state is known. */
static void job_set_state(struct sched *s, struct job *j, int st)
{
	if (sched_job(s, j->seq) == j) {
		block_count(s, j->seq, j->state, -1);
		block_count(s, j->seq, st, +1);
	}
	j->state = (uint8_t)st;
}

/* Does block b hold a job in memory in state st (st < 0: in any)? */
static bool block_holds(const struct sched *s, int64_t b, int st)
{
	return st < 0 ? s->block_jobs[b] != 0 : s->block_states[b][st] != 0;
}

int64_t sched_skip_empty(const struct sched *s, int64_t seq, int step)
{
	return sched_skip_state(s, seq, step, -1);
}

int64_t sched_skip_state(const struct sched *s, int64_t seq, int step, int st)
{
	int64_t b = seq / SCHED_BLOCK, nb = s->nblocks;
	if (step > 0) {
		while (b < nb && !block_holds(s, b, st))
			b++;
		if (b >= nb)
			return s->next_seq > seq ? s->next_seq : seq;
		return b * SCHED_BLOCK > seq ? b * SCHED_BLOCK : seq;
	}
	if (b >= nb)
		b = nb - 1;	/* past the slots: none there */
	while (b >= 0 && !block_holds(s, b, st))
		b--;
	if (b < 0)
		return 0;
	int64_t last = b * SCHED_BLOCK + SCHED_BLOCK - 1;
	return last < seq ? last : seq;
}

struct job *sched_next_job(const struct sched *s, int64_t *seq)
{
	for (int64_t q = *seq < 1 ? 1 : *seq; q < s->next_seq; q++) {
		int64_t b = q / SCHED_BLOCK;
		if (b >= s->nblocks)
			break;
		if (s->blocks[b] == NULL) {
			q = b * SCHED_BLOCK + SCHED_BLOCK - 1;	/* the next block */
			continue;
		}
		struct job *j = s->blocks[b][q % SCHED_BLOCK];
		if (j) {
			*seq = q;
			return j;
		}
	}
	return NULL;
}

int64_t sched_count_state(const struct sched *s, int64_t seq, int step, int st)
{
	int64_t n = 0, nb = s->nblocks, cap = nb * SCHED_BLOCK;
	if (seq <= 0 || (step > 0 && seq >= cap))
		return 0;
	if (seq >= cap)
		seq = cap - 1;	/* step -1 from past the slots: none there */
	int64_t b = seq / SCHED_BLOCK;
	int64_t end = step > 0 ? (b + 1) * SCHED_BLOCK : b * SCHED_BLOCK - 1;
	for (int64_t q = seq; q != end; q += step) {
		const struct job *j = sched_job(s, q);
		n += j && (st < 0 || j->state == st);
	}
	for (b += step; b >= 0 && b < nb; b += step)
		n += st < 0 ? s->block_jobs[b] : s->block_states[b][st];
	return n;
}

/* Count a job's joblets into the totals and its group as they are now. */
static void count_job(struct sched *s, struct job *j)
{
	struct sched_counts *g = group_counts(s, j->group);
	for (int st = 0; st < JS__N; st++) {
		s->totals.by_state[st] += j->counts[st];
		g->by_state[st] += j->counts[st];
	}
	s->jobs_by_state[j->state]++;
}

struct job *sched_add(struct sched *s, const struct job_spec *spec, int64_t now)
{
	struct job *j = job_alloc(spec->njoblets);
	j->seq = spec->seq ? spec->seq : s->next_seq++;
	j->owner = intern(spec->owner);
	j->name = intern(spec->name);
	j->group = intern(spec->group);
	j->req_group = intern(spec->req_group);
	j->cwd = intern(spec->cwd);
	j->cwd_default = spec->cwd_default;
	j->cmd = xstrdup(spec->cmd);
	j->env = spec->env ? xstrdup(spec->env) : NULL;
	j->submit_env = spec->submit_env ? intern(spec->submit_env) : NULL;
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
	j->x = spec->x;
	slot_set(s, j->seq, j);
	s->njobs++;
	count_job(s, j);
	uniq_insert(s, j);
	if (j->x) {
		learn_apply(s, j);
		limits_resolve(s, j);
	}
	j->cls = queue_class_for(&s->q, j);
	s->hooks.job_put(s->hooks.ctx, j, true);
	s->hooks.event(s->hooks.ctx, EV_JOB_SUBMITTED, j, NULL, NULL);
	if (j->x) {
		gates_link(&s->g, sched_jobs(s), j);
		gate_job(s, j, now);	/* may leave it waiting, or skip it at once */
	}
	queue_ready_joblets(s, j, now);
	settle(s, now);
	if (j->njoblets == 0)
		job_refresh(s, j, now);	/* nothing to run (a script scheduled nothing): done */
	return j;
}

int64_t sched_reserve_seq(struct sched *s)
{
	return s->next_seq++;
}

/* ---- workers and leases ------------------------------------------------------------ */

void worker_list_add(struct worker *w, struct attempt *a)
{
	a->worker = w;
	a->wprev = NULL;
	a->wnext = w->running;
	if (w->running)
		w->running->wprev = a;
	w->running = a;
	w->nrunning++;
	w->used_cores += a->cores;
	w->used_ram_mb += a->ram_mb;
	w->used_gpus += a->gpus;
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
	w->used_cores -= a->cores;
	w->used_ram_mb -= a->ram_mb;
	w->used_gpus -= a->gpus;
}

static uint32_t next_rand(struct sched *s)
{
	uint32_t x = s->rand_state;	/* xorshift32: jitter only, not security */
	x ^= x << 13;
	x ^= x >> 17;
	x ^= x << 5;
	return s->rand_state = x;
}

static void lose_worker(struct sched *s, struct worker *w, const char *why, int64_t now);

static struct worker *worker_new(struct sched *s, const char *name, int64_t now, int64_t mono)
{
	struct worker *w = xcalloc(1, sizeof *w);
	do {
		snprintf(w->id, sizeof w->id, "w%08x", next_rand(s) ^ (uint32_t)now);
		w->map_key = s->hash_id(w->id);
	} while (w->map_key == 0 || imap_get(&s->workers, w->map_key));
	w->name = intern(name);
	w->registered_at = w->last_seen = now;
	w->lease_deadline = mono + s->lease_ms;
	imap_put(&s->workers, w->map_key, w);
	heap_push(&s->leases, w);
	return w;
}

struct worker *sched_worker(const struct sched *s, const char *id)
{
	struct worker *w = imap_get(&s->workers, s->hash_id(id));
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
	imap_del(&s->workers, w->map_key);
	worker_free(w);
}

/* Tags as parallel arrays of interned strings, so constraints compare pointers. */
static void worker_parse_tags(struct worker *w)
{
	json_t *o = w->tags ? json_loads(w->tags, 0, NULL) : NULL;
	size_t n = json_is_object(o) ? json_object_size(o) : 0;
	if (n) {
		w->tag_key = xcalloc(n, sizeof *w->tag_key);
		w->tag_val = xcalloc(n, sizeof *w->tag_val);
		const char *k;
		json_t *v;
		json_object_foreach(o, k, v) {
			if (!json_is_string(v))
				continue;
			w->tag_key[w->ntags] = intern(k);
			w->tag_val[w->ntags++] = intern(json_string_value(v));
		}
	}
	json_decref(o);
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
	worker_parse_tags(w);
	w->pid = pid;
	*n_reattached = *n_cancel = 0;
	s->wake_workers = true;
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
	/* Not while walking the heap: losing one reorders it. */
	struct worker *stale;
	do {
		stale = NULL;
		for (size_t i = 0; i < s->leases.len && stale == NULL; i++) {
			struct worker *o = s->leases.items[i];
			if (o->placeholder && o->name == w->name)
				stale = o;
		}
		if (stale)
			lose_worker(s, stale, WORKER_GONE_REPLACED, now);
	} while (stale);
	return w;
}

struct worker *sched_worker_named(const struct sched *s, const char *name)
{
	const char *n = intern(name);
	for (size_t i = 0; i < s->leases.len; i++) {
		struct worker *w = s->leases.items[i];
		if (!w->placeholder && w->name == n)
			return w;
	}
	return NULL;
}

void sched_worker_lose(struct sched *s, struct worker *w, const char *why, int64_t now)
{
	lose_worker(s, w, why, now);
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
static void requeue_lost(struct sched *s, struct joblet *jl, const struct attempt *a,
			 int64_t now)
{
	struct job *j = jl->job;
	if (jl->state != JS_RUNNING)
		return;
	if (a->cancel_requested) {
		make_final(s, jl, JS_CANCELLED, "cancelled by the user");
		return;
	}
	if (j->no_restart) {
		make_final_taken(s, jl, JS_FAILED,
				 xasprintf("%s on %s; not restarted (--no-restart)",
					   a->fail_reason == FR_LOST ? "worker lost" : "worker stopped",
					   a->node));
	} else if (jl->lost < j->lost_retries) {
		jl->lost++;
		jl->failed_node = a->node;
		make_ready(s, jl, now);
		set_reason_taken(s, jl, xasprintf("re-queued: %s on %s",
						  a->fail_reason == FR_LOST ? "worker lost"
									    : "worker stopped",
						  a->node));
	} else {
		make_final_taken(s, jl, JS_FAILED,
				 xasprintf("worker lost %d times (--lost-retries %d)", jl->lost + 1,
					   j->lost_retries));
	}
}

/* A command not found, not executable, or a working directory it cannot enter: running it
 * again changes nothing until someone acts. */
static bool looks_permanent(int reason)
{
	return reason == FR_NOTFOUND || reason == FR_PERMISSION || reason == FR_CWD;
}

static void apply_failure(struct sched *s, struct joblet *jl, struct attempt *a, int64_t now)
{
	struct job *j = jl->job;
	if (jl->state != JS_RUNNING)
		return;
	char *why = describe_failure(a);
	jl->failed_node = a->node;
	if (a->fail_reason == FR_RAM && j->ram_mb > 0 && learn_grow_ram(j->ram_mb) > j->ram_mb) {
		/* wr: more RAM, and no retry spent — the job did nothing wrong but ask too little.
		 * A limit of the user's kept beside a learned booking grows with it. */
		int32_t old = j->ram_mb;
		j->ram_mb = learn_grow_ram(old);
		if (j->ram_learned && j->x && j->x->ram_limit_mb > 0)
			j->x->ram_limit_mb = learn_grow_ram(j->x->ram_limit_mb);
		queue_reclass(&s->q, j, now);
		make_ready(s, jl, now);
		set_reason_taken(s, jl, xasprintf("re-queued with %d MB RAM after %s (was %d MB)",
						  j->ram_mb, why, old));
		free(why);
		s->hooks.job_put(s->hooks.ctx, j, false);
		return;
	}
	if (jl->errors < j->retries && looks_permanent(a->fail_reason) &&
	    !(j->x && j->x->retry_permanent)) {
		/* wr buries these at once: the command, its permission or the directory will
		 * not appear by trying again. */
		make_final_taken(s, jl, JS_FAILED,
				 xasprintf("%s; not retried (%d of --retries %d left): the failure "
					   "looks permanent (--retry-permanent retries it)", why,
					   j->retries - jl->errors, j->retries));
		free(why);
	} else if (jl->errors < j->retries) {
		jl->errors++;
		int64_t delay = backoff_ms(s, j, jl->errors);
		if (delay > 0) {
			make_waiting(s, jl, now + delay);
			char buf[32];
			set_reason_taken(s, jl, xasprintf("retry %d of %d in %s after %s", jl->errors,
							  j->retries,
							  clock_format_duration(delay, buf, sizeof buf),
							  why));
		} else {
			make_ready(s, jl, now);
			set_reason_taken(s, jl, xasprintf("retry %d of %d after %s", jl->errors,
							  j->retries, why));
		}
		free(why);
	} else {
		make_final_taken(s, jl, JS_FAILED, why);
	}
}

static void end_attempt(struct attempt *a, int state, int64_t now)
{
	worker_list_del(a);
	limits_take(a->joblet->job, -1);
	a->state = (uint8_t)state;
	a->ended_at = now;
	a->joblet->live = NULL;
}

enum finish_result sched_finish(struct sched *s, struct worker *w, const struct finish *f,
				const char *late_json, int64_t now)
{
	struct attempt *a = imap_get(&s->attempts, (uint64_t)f->attempt);
	if (a == NULL)	/* an attempt that ended and left memory (sched_trim, history,
			 * remove) is answered as a resend of its report */
		return f->attempt > 0 && f->attempt < s->next_attempt ? FINISH_DUPLICATE
								       : FINISH_UNKNOWN;
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
	a->wall_ms = f->wall_ms;
	a->out_dropped = f->output_dropped;
	a->run_as = f->run_as && *f->run_as ? intern(f->run_as) : NULL;
	free(a->message);
	a->message = f->message && *f->message ? xstrdup(f->message) : NULL;
	if (f->fail_reason == FR_NONE) {
		end_attempt(a, AS_DONE, now);
		learn_sample(s, j, a);
		if (jl->state == JS_RUNNING)
			make_final(s, jl, JS_DONE, NULL);
	} else if (a->slot_kill && jl->state == JS_RUNNING) {
		/* Its timeslot ended: back to wait for the next one, no retry spent. */
		a->fail_reason = FR_TIME;
		free(a->message);
		a->message = xstrdup("killed at the end of its timeslot (--kill-at-slot-end)");
		end_attempt(a, AS_FAILED, now);
		make_ready(s, jl, now);
		set_reason(s, jl, "killed at the end of its timeslot; waits for the next");
	} else if (a->cancel_requested || jl->state == JS_CANCELLED) {
		end_attempt(a, AS_CANCELLED, now);
		if (jl->state == JS_RUNNING)
			make_final(s, jl, JS_CANCELLED, "cancelled by the user");
	} else if (f->not_started && jl->state == JS_RUNNING) {
		/* Handed to a worker that was stopping: it ran nothing, so it runs again as if
		 * never handed out (no budget spent, --no-restart included). */
		end_attempt(a, AS_FAILED, now);
		make_ready(s, jl, now);
		set_reason_taken(s, jl, xasprintf("re-queued: %s was stopping and did not start it",
						  a->node));
	} else if (f->worker_stop) {
		end_attempt(a, AS_FAILED, now);
		requeue_lost(s, jl, a, now);
	} else {
		end_attempt(a, AS_FAILED, now);
		apply_failure(s, jl, a, now);
	}
	s->hooks.attempt_put(s->hooks.ctx, a);
	s->hooks.joblet_put(s->hooks.ctx, jl);
	s->hooks.event(s->hooks.ctx, EV_JOBLET_RETURNED, j, jl, a);
	job_refresh(s, j, now);
	return FINISH_APPLIED;
}

static void lose_worker(struct sched *s, struct worker *w, const char *why, int64_t now)
{
	w->gone_why = why;
	s->hooks.worker_lost(s->hooks.ctx, w);
	while (w->running) {
		struct attempt *a = w->running;
		struct joblet *jl = a->joblet;
		a->fail_reason = FR_LOST;
		end_attempt(a, AS_LOST, now);
		requeue_lost(s, jl, a, now);
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
	while ((jl = queue_next_delay(&s->q)) && jl->ready_at <= now) {
		make_ready(s, jl, now);
		s->hooks.joblet_put(s->hooks.ctx, jl);
		job_refresh(s, jl->job, now);
	}
	struct worker *w;
	while ((w = heap_top(&s->leases)) && w->lease_deadline <= mono) {
		s->lease_expiries++;
		lose_worker(s, w, WORKER_GONE_LEASE, now);
	}
	struct job *j;
	while ((j = gates_due(&s->g, now)) != NULL)
		gate_job(s, j, now);
	settle(s, now);
	if (s->pref_deadline && s->pref_deadline <= now) {
		s->pref_deadline = 0;	/* a failed joblet may now go back to its node */
		s->wake_workers = true;
	}
	w = heap_top(&s->leases);
	*next_mono = w ? w->lease_deadline : 0;
	jl = queue_next_delay(&s->q);
	int64_t next = jl ? jl->ready_at : 0, t = gates_next(&s->g);
	if (t && (next == 0 || t < next))
		next = t;
	if (s->pref_deadline && (next == 0 || s->pref_deadline < next))
		next = s->pref_deadline;
	return next;
}

/* ---- user actions ------------------------------------------------------------------ */

int sched_cancel(struct sched *s, struct job *j, int64_t now)
{
	sched_cancel_range(s, j, 0, j->njoblets, now);
	return 0;
}

void sched_cancel_range(struct sched *s, struct job *j, int32_t from, int32_t to, int64_t now)
{
	for (int32_t i = from; i < to && i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (jl_state_final(jl->state))
			continue;
		if (jl->live) {
			/* It stays running until its worker has killed it and said so. */
			jl->live->cancel_requested = true;
			set_reason(s, jl, "cancelling: the worker is told to stop it");
		} else {
			make_final(s, jl, JS_CANCELLED, "cancelled by the user");
		}
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
	job_refresh(s, j, now);
}

int sched_retry(struct sched *s, struct job *j, int64_t now, const char **why)
{
	if (sched_retry_check(s, j, why))
		return -1;
	sched_retry_range(s, j, 0, j->njoblets, now);
	return 0;
}

int sched_retry_check(const struct sched *s, const struct job *j, const char **why)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		if (j->joblets[i].live && j->joblets[i].live->cancel_requested) {
			*why = "a cancelled joblet is still stopping; retry once it has ended";
			return -1;
		}
	}
	if (!j->started && j->x && j->x->dep_broken > 0) {
		*why = "a dependency it needs can no longer be met; retry or change that first";
		return -1;
	}
	return 0;
}

void sched_retry_range(struct sched *s, struct job *j, int32_t from, int32_t to, int64_t now)
{
	for (int32_t i = from; i < to && i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		int st = jl->state;
		if (st != JS_FAILED && st != JS_CANCELLED && st != JS_SKIPPED)
			continue;
		jl->errors = jl->lost = 0;
		make_ready(s, jl, now);
		set_reason(s, jl, "re-queued by retry");
		s->hooks.joblet_put(s->hooks.ctx, jl);
	}
	job_refresh(s, j, now);
	if (to < j->njoblets)
		return;	/* gates once the last slice is through */
	if (j->x)
		gate_job(s, j, now);
	settle(s, now);
}

static int remove_job(struct sched *s, struct job *j, bool force, int64_t now, const char **why);

int sched_remove(struct sched *s, struct job *j, bool force, int64_t now, const char **why)
{
	if (j->state == JS_DONE) {
		*why = "the job is done; finished jobs are kept as history";
		return -1;
	}
	return remove_job(s, j, force, now, why);
}

int sched_prune(struct sched *s, struct job *j, int64_t now, const char **why)
{
	if (!jl_state_final(j->state)) {
		*why = "the job has not finished";
		return -1;
	}
	return remove_job(s, j, false, now, why);
}

static int remove_job(struct sched *s, struct job *j, bool force, int64_t now, const char **why)
{
	for (int32_t i = 0; i < j->njoblets; i++) {
		if (j->joblets[i].live) {
			*why = "a joblet is running; cancel the job first";
			return -1;
		}
	}
	if (!force && gates_has_waiters(j)) {
		*why = "other jobs wait for it; remove them first, or use --force to skip them";
		return -1;
	}
	for (size_t i = 0; i < s->workers.cap; i++) {
		struct worker *w = s->workers.slots[i].val;
		if (w && w->hold_for && w->hold_for->job == j)
			w->hold_for = NULL;
	}
	if (j->x)
		gates_remove(&s->g, sched_jobs(s), j);
	queue_forget_job(j);
	struct sched_counts *g = group_counts(s, j->group);
	queue_remove_job(&s->q, j);
	for (int32_t i = 0; i < j->njoblets; i++)
		for (struct attempt *a = j->joblets[i].attempts; a; a = a->next)
			imap_del(&s->attempts, (uint64_t)a->id);
	for (int st = 0; st < JS__N; st++) {
		s->totals.by_state[st] -= j->counts[st];
		g->by_state[st] -= j->counts[st];
	}
	if (!jl_state_final(j->state))
		uniq_delete(s, j);
	slot_set(s, j->seq, NULL);
	s->njobs--;
	s->jobs_by_state[j->state]--;
	s->hooks.job_removed(s->hooks.ctx, j);
	settle(s, now);
	return 0;
}

static void *dup_array(const void *a, int32_t n, size_t size)
{
	if (n <= 0)
		return NULL;
	void *c = xcalloc((size_t)n, size);
	memcpy(c, a, (size_t)n * size);
	return c;
}

/* Replace the option lists named in mask with m's. */
static void modify_ext(struct sched *s, struct job *j, const struct job_ext *m, unsigned mask)
{
	struct job_ext *x = job_ext(j);
	if (mask & MOD_CONSTRAINTS) {
		free(x->ckey);
		free(x->cval);
		x->ckey = dup_array(m->ckey, m->nconstraints, sizeof *m->ckey);
		x->cval = dup_array(m->cval, m->nconstraints, sizeof *m->cval);
		x->nconstraints = m->nconstraints;
	}
	if (mask & MOD_AVOID) {
		free(x->avoid);
		x->avoid = dup_array(m->avoid, m->navoid, sizeof *m->avoid);
		x->navoid = m->navoid;
	}
	if (mask & MOD_LIMITS) {
		free(x->limits);
		x->limits = dup_array(m->limits, m->nlimits, sizeof *m->limits);
		x->nlimits = m->nlimits;
		limits_resolve(s, j);
	}
	if (mask & MOD_DEPS) {
		free(x->deps);
		x->deps = dup_array(m->deps, m->ndeps, sizeof *m->deps);
		x->ndeps = m->ndeps;
	}
	if (mask & MOD_GROUPS) {
		free(x->groups);
		x->groups = dup_array(m->groups, m->ngroups, sizeof *m->groups);
		x->ngroups = m->ngroups;
	}
	if (mask & MOD_AFTER_GROUPS) {
		free(x->after_groups);
		x->after_groups = dup_array(m->after_groups, m->nafter_groups, sizeof *m->after_groups);
		x->nafter_groups = m->nafter_groups;
	}
	if (mask & MOD_NOT_BEFORE)
		x->not_before = m->not_before;
	if (mask & MOD_SLOT) {
		free(x->slot);
		x->slot = m->slot ? dup_array(m->slot, 1, sizeof *m->slot) : NULL;
		x->kill_at_slot_end = m->kill_at_slot_end;
	}
	if (mask & MOD_MAX_RUNNING)
		x->max_running = m->max_running;
	if (mask & MOD_OVERRIDE)
		x->override = m->override;
	if (mask & MOD_RETRY_PERMANENT)
		x->retry_permanent = m->retry_permanent;
	if (mask & MOD_OUTPUT_LIMIT) {
		x->has_output_limit = m->has_output_limit;
		x->output_limit = m->output_limit;
	}
	if (mask & MOD_LIMITS || mask & MOD_MAX_RUNNING)
		s->wake_workers = true;
}

int sched_modify(struct sched *s, struct job *j, const struct job_spec *mod, unsigned mask,
		 int64_t now, const char **why)
{
	unsigned deps = mask & (MOD_DEPS | MOD_GROUPS | MOD_AFTER_GROUPS);
	if (deps && j->started) {
		*why = "the job has started; dependencies only hold back a job's start";
		return -1;
	}
	if (mask & (MOD_LIMITS | MOD_MAX_RUNNING) && j->nrunning > 0) {
		*why = "a joblet is running; limit groups and --max-running change while none runs";
		return -1;
	}
	/* Take READY joblets out while their ordering key or class changes. */
	for (int32_t i = 0; i < j->njoblets; i++)
		if (j->joblets[i].heap == JL_HEAP_READY)
			queue_remove(&s->q, &j->joblets[i]);
	if (mod->priority >= 0)
		j->priority = (uint8_t)mod->priority;
	if (mod->cores >= 0)
		j->cores = mod->cores;
	if (mod->ram_mb >= 0) {
		j->ram_mb = mod->ram_mb;
		j->ram_learned = false;
	}
	if (mod->gpus >= 0)
		j->gpus = mod->gpus;
	if (mod->time_ms >= 0) {
		j->time_ms = mod->time_ms;
		j->time_learned = false;
	}
	if (mod->retries >= 0)
		j->retries = (uint16_t)mod->retries;
	if (mod->lost_retries >= 0)
		j->lost_retries = (uint16_t)mod->lost_retries;
	if (mod->retry_delay_ms >= 0)
		j->retry_delay_ms = mod->retry_delay_ms;
	j->opts_dirty = true;
	if (deps && j->x)
		gates_unlink(&s->g, sched_jobs(s), j);
	if (mask)
		modify_ext(s, j, mod->x, mask);
	if (deps)
		gates_link(&s->g, sched_jobs(s), j);
	j->cls = queue_class_for(&s->q, j);
	queue_ready_joblets(s, j, 0);
	/* A held worker waits for this joblet's old shape: let it look again. */
	for (size_t i = 0; i < s->workers.cap; i++) {
		struct worker *w = s->workers.slots[i].val;
		if (w && w->hold_for && w->hold_for->job == j)
			w->hold_for = NULL;
	}
	s->hooks.job_put(s->hooks.ctx, j, false);
	if (j->x)
		gate_job(s, j, now);
	settle(s, now);
	s->wake_workers = true;
	return 0;
}

/* ---- history out of memory --------------------------------------------------------- */

bool sched_evictable(const struct sched *s, const struct job *j)
{
	if (!jl_state_final(j->state) || j->nrunning)
		return false;
	for (int32_t i = 0; i < j->njoblets; i++)
		if (j->joblets[i].live)
			return false;
	const struct job_ext *x = j->x;
	return x == NULL || (x->ndependants == 0 && x->ngroups == 0 && x->nafter_groups == 0 &&
			     x->script == NULL);
}

bool sched_evicted(const struct sched *s, int64_t seq)
{
	return seq > 0 && seq < s->evicted_cap && s->evicted[seq] != 0;
}

/* owner's history of group (both interned), made when there is none. */
static struct history_group *history_group(struct sched *s, const char *owner, const char *group)
{
	struct owner_history *h = imap_get(&s->history, (uint64_t)(uintptr_t)owner);
	if (h == NULL) {
		h = xcalloc(1, sizeof *h);
		h->owner = owner;
		imap_put(&s->history, (uint64_t)(uintptr_t)owner, h);
	}
	for (int32_t i = 0; i < h->ngroups; i++)
		if (h->groups[i].group == group)
			return &h->groups[i];
	if (h->ngroups == h->cap) {
		h->cap = h->cap ? 2 * h->cap : 4;
		h->groups = xrealloc(h->groups, (size_t)h->cap, sizeof *h->groups);
	}
	struct history_group *g = &h->groups[h->ngroups++];
	*g = (struct history_group){.group = group};
	return g;
}

/* Count j into (sign +1) or out of (-1) its owner's history. */
static void history_count(struct sched *s, const struct job *j, int sign)
{
	struct history_group *g = history_group(s, j->owner, j->group);
	g->jobs += sign;
	for (int st = 0; st < JS__N; st++)
		g->by_state[st] += (int64_t)sign * j->counts[st];
}

/* Job seq is out of memory in state (+ 1), or (0) not. */
static void evicted_set(struct sched *s, int64_t seq, int byte)
{
	if (seq >= s->evicted_cap) {
		int64_t cap = s->evicted_cap ? s->evicted_cap : 4096;
		while (cap <= seq)
			cap *= 2;
		s->evicted = xrealloc(s->evicted, (size_t)cap, sizeof *s->evicted);
		memset(s->evicted + s->evicted_cap, 0, (size_t)(cap - s->evicted_cap));
		s->evicted_cap = cap;
	}
	s->evicted[seq] = (uint8_t)byte;
}

struct job *sched_evict(struct sched *s, struct job *j)
{
	if (j->x)
		gates_unlink(&s->g, sched_jobs(s), j);	/* off the dependants of its deps */
	queue_forget_job(j);
	for (int32_t i = 0; i < j->njoblets; i++)
		for (struct attempt *a = j->joblets[i].attempts; a; a = a->next) {
			imap_del(&s->attempts, (uint64_t)a->id);
			/* The attempts it held leave memory: counted now, as trimmed ones are
			 * (a job read back, keep_until set, was counted when it first left). */
			if (j->keep_until == 0)
				sched_tally(s, j->owner, a->started_at, a->ended_at, a->state);
		}
	evicted_set(s, j->seq, j->state + 1);
	slot_set(s, j->seq, NULL);
	s->njobs--;
	s->nevicted++;
	history_count(s, j, +1);
	return j;
}

void sched_restore(struct sched *s, struct job *j)
{
	s->evicted[j->seq] = 0;
	s->nevicted--;
	history_count(s, j, -1);
	slot_set(s, j->seq, j);
	s->njobs++;
	if (j->x)
		limits_resolve(s, j);
	j->cls = queue_class_for(&s->q, j);
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct joblet *jl = &j->joblets[i];
		if (sched_trimmable(jl)) {
			/* Counted in the tallies when they first left memory: read from the
			 * store when shown, as before it left. */
			attempts_free(jl->attempts);
			jl->attempts = jl->last_attempt = NULL;
			continue;
		}
		for (struct attempt *a = jl->attempts; a; a = a->next)
			imap_put(&s->attempts, (uint64_t)a->id, a);
	}
	if (j->x)
		gates_link(&s->g, sched_jobs(s), j);
}

/* ---- attempts out of memory ------------------------------------------------------- */

bool sched_trimmable(const struct joblet *jl)
{
	if (!jl_state_final(jl->state) || jl->live || jl->attempts == NULL)
		return false;
	/* A lost attempt's late report is kept on it (sched_finish): it stays at hand. */
	for (const struct attempt *a = jl->attempts; a; a = a->next)
		if (a->state == AS_LOST || a->state == AS_RUNNING)
			return false;
	return true;
}

/* The owner's slot of wall time at, or NULL when the ring holds a later minute there (at
 * is older than any throughput shows). */
static struct minute_tally *tally_slot(struct sched *s, const char *owner, int64_t at)
{
	struct owner_tally *t = imap_get(&s->tallies, (uint64_t)(uintptr_t)owner);
	if (t == NULL) {
		t = xcalloc(1, sizeof *t);
		t->owner = owner;
		imap_put(&s->tallies, (uint64_t)(uintptr_t)owner, t);
	}
	int64_t minute = at / 60000;
	struct minute_tally *m = &t->m[minute % TALLY_MINUTES];
	if (m->minute > minute)
		return NULL;
	if (m->minute < minute)
		*m = (struct minute_tally){.minute = minute};
	return m;
}

void sched_tally(struct sched *s, const char *owner, int64_t started_at, int64_t ended_at,
		 int state)
{
	struct minute_tally *m;
	if (started_at > 0 && (m = tally_slot(s, owner, started_at)))
		m->started++;
	if (ended_at > 0 && (state == AS_DONE || state == AS_FAILED || state == AS_LOST) &&
	    (m = tally_slot(s, owner, ended_at))) {
		if (state == AS_DONE)
			m->done++;
		else
			m->failed++;
	}
}

static void tally_attempt(struct sched *s, const char *owner, const struct attempt *a)
{
	sched_tally(s, owner, a->started_at, a->ended_at, a->state);
}

bool sched_trim(struct sched *s, struct joblet *jl)
{
	if (!sched_trimmable(jl))
		return false;
	for (const struct attempt *a = jl->attempts; a; a = a->next) {
		imap_del(&s->attempts, (uint64_t)a->id);
		tally_attempt(s, jl->job->owner, a);
	}
	attempts_free(jl->attempts);
	jl->attempts = jl->last_attempt = NULL;
	return true;
}

/* ---- recovery ---------------------------------------------------------------------- */

void sched_load_job(struct sched *s, struct job *j)
{
	slot_set(s, j->seq, j);
	s->njobs++;
	if (j->seq >= s->next_seq)
		s->next_seq = j->seq + 1;
}

void sched_load_reason(struct sched *s, struct joblet *jl, const char *text)
{
	set_reason(s, jl, text);
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
	joblet_add_attempt(jl, a);
	imap_put(&s->attempts, (uint64_t)a->id, a);
	if (a->id >= s->next_attempt)
		s->next_attempt = a->id + 1;
}

void sched_load_stored(struct sched *s, struct joblet *jl, int32_t n)
{
	if (jl == NULL)
		return;
	if (n > jl->nattempts)
		jl->nattempts = n;
	s->load_stored += n;
}

void sched_load_history(struct sched *s, int64_t seq, int state, const char *owner,
			const char *group)
{
	evicted_set(s, seq, state + 1);
	s->nevicted++;
	history_group(s, owner, group)->jobs++;
	s->jobs_by_state[state]++;
	if (seq >= s->next_seq)
		s->next_seq = seq + 1;
}

void sched_load_history_joblets(struct sched *s, const char *owner, const char *group,
				int state, int64_t n)
{
	history_group(s, owner, group)->by_state[state] += n;
	s->totals.by_state[state] += (int32_t)n;
	group_counts(s, group)->by_state[state] += (int32_t)n;
}

void sched_load_sample(struct sched *s, const struct load_sample *sample)
{
	if (s->nsamples == s->capsamples) {
		s->capsamples = s->capsamples ? 2 * s->capsamples : 256;
		s->samples = xrealloc(s->samples, (size_t)s->capsamples, sizeof *s->samples);
	}
	s->samples[s->nsamples++] = *sample;
}

void sched_load_next_seq(struct sched *s, int64_t next)
{
	if (next > s->next_seq)
		s->next_seq = next;
}

void sched_load_attempt_id(struct sched *s, int64_t id)
{
	if (id >= s->next_attempt)
		s->next_attempt = id + 1;
}

void sched_load_unhistory(struct sched *s, struct job *j)
{
	evicted_set(s, j->seq, 0);
	s->nevicted--;
	history_count(s, j, -1);
	s->jobs_by_state[j->state]--;
	struct sched_counts *g = group_counts(s, j->group);
	for (int st = 0; st < JS__N; st++) {
		s->totals.by_state[st] -= j->counts[st];
		g->by_state[st] -= j->counts[st];
	}
	sched_load_job(s, j);
}

/* A running attempt from before the restart is held by a placeholder for its old worker
 * until that worker registers again or the lease runs out. */
static struct worker *placeholder_for(struct sched *s, const char *worker_id, const char *node,
				      int64_t now, int64_t mono)
{
	uint64_t key = s->hash_id(worker_id);
	struct worker *w;
	for (; (w = imap_get(&s->workers, key)) != NULL || key == 0; key++)
		if (w && strcmp(w->id, worker_id) == 0)
			return w;
	w = xcalloc(1, sizeof *w);
	w->map_key = key;
	snprintf(w->id, sizeof w->id, "%s", worker_id);
	w->name = node;
	w->placeholder = true;
	w->registered_at = w->last_seen = now;
	w->lease_deadline = mono + s->lease_ms;
	/* Generous so re-attached attempts never fail the resource accounting. */
	w->cores = w->ram_mb = w->gpus = INT32_MAX / 2;
	imap_put(&s->workers, key, w);
	heap_push(&s->leases, w);
	return w;
}

static int sample_cmp(const void *pa, const void *pb)
{
	const struct load_sample *a = pa, *b = pb;
	if (a->seq != b->seq)
		return (a->seq > b->seq) - (a->seq < b->seq);
	if (a->idx != b->idx)
		return (a->idx > b->idx) - (a->idx < b->idx);
	return (a->id > b->id) - (a->id < b->id);
}

static void history_sample(struct sched *s, const struct load_sample *k)
{
	struct attempt a = {.started_at = k->started_at, .ended_at = k->ended_at,
			    .wall_ms = k->wall_ms, .peak_ram_mb = k->peak_ram_mb};
	learn_group_sample(s, k->req_group, &a);
}

void sched_load_done(struct sched *s, int64_t now, int64_t mono)
{
	/* The directory covers every seq, as after a load of every job (its blocks only
	 * where jobs are in memory). */
	if (s->next_seq > 1)
		jobs_reserve(s, s->next_seq - 1);
	struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		if (j->x)
			limits_resolve(s, j);
		j->cls = queue_class_for(&s->q, j);
		memset(j->counts, 0, sizeof j->counts);
		for (int32_t i = 0; i < j->njoblets; i++) {
			struct joblet *jl = &j->joblets[i];
			struct attempt *last = jl->last_attempt;
			if (last && last->state == AS_RUNNING) {
				jl->live = last;
				worker_list_add(placeholder_for(s, last->worker_id, last->node, now,
								mono),
						last);
				limits_take(j, +1);
				if (!jl_state_final(jl->state))
					jl->state = JS_RUNNING;
			} else if (jl->state == JS_RUNNING) {
				jl->state = JS_READY;	/* its attempt never reached the disk */
			}
			if (jl->nattempts > 0)
				j->started = true;
			j->counts[jl->state]++;
			if (jl->state == JS_READY) {
				queue_load_ready(jl);
				jl->ready_since = now;
			} else if (jl->state == JS_WAITING) {
				if (jl->ready_at == 0)
					jl->ready_at = now;
				queue_load_delay(&s->q, jl);
			}
		}
		job_set_state(s, j, job_derive_state(j));
		count_job(s, j);
		if (!jl_state_final(j->state))
			uniq_insert(s, j);
	}
	queue_load_done(&s->q);
	/* Gates are derived, not stored: link every dependency, then evaluate. */
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++)
		if (j->x)
			gates_link(&s->g, sched_jobs(s), j);
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++)
		if (j->x && !jl_state_final(j->state))
			gate_job(s, j, now);
	settle(s, now);
	/* Learned requirements: every successful attempt in job, joblet and attempt order,
	 * those left in the store (of jobs loaded as history, of joblets whose attempts were
	 * not read) merged in, as a load of every attempt had them. */
	if (s->nsamples)
		qsort(s->samples, (size_t)s->nsamples, sizeof *s->samples, sample_cmp);
	int64_t k = 0;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		for (; k < s->nsamples && s->samples[k].seq < seq; k++)
			history_sample(s, &s->samples[k]);
		for (int32_t i = 0; j->req_group[0] && i < j->njoblets; i++) {
			/* A joblet's attempts are all read or all left in the store. */
			for (; k < s->nsamples && s->samples[k].seq == seq && s->samples[k].idx <= i;
			     k++)
				history_sample(s, &s->samples[k]);
			for (const struct attempt *a = j->joblets[i].attempts; a; a = a->next)
				if (a->state == AS_DONE)
					learn_sample(s, j, a);
		}
	}
	for (; k < s->nsamples; k++)
		history_sample(s, &s->samples[k]);
	free(s->samples);
	s->samples = NULL;
	s->nsamples = s->capsamples = 0;
}
