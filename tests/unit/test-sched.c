/* The scheduler with recording hooks and time passed in: queue order, fitting, state
 * transitions and counts, retries with back-off, leases, fencing, cancel/retry/remove,
 * unique, modify, and a reserve whose cost does not grow with the backlog. */
#include "base/intern.h"
#include "core/sched.h"
#include <criterion/criterion.h>
#include <string.h>

struct record {
	int jobs_created, job_puts, joblet_puts, attempt_puts, events[EV__N], lost;
	struct job *removed[2048];
	int nremoved;
};
static struct record rec;
static struct sched s;

static void h_job(void *c, struct job *j, bool created) { rec.jobs_created += created; rec.job_puts++; }
static void h_removed(void *c, struct job *j) { rec.removed[rec.nremoved++] = j; }
static void h_joblet(void *c, struct joblet *jl) { rec.joblet_puts++; }
static void h_attempt(void *c, struct attempt *a) { rec.attempt_puts++; }
static void h_event(void *c, int ev, struct job *j, struct joblet *jl, struct attempt *a) { rec.events[ev]++; }
static void h_lost(void *c, struct worker *w) { rec.lost++; }
static const struct sched_hooks hooks = {NULL, h_job, h_removed, h_joblet, h_attempt, h_event, h_lost, NULL};

static void setup(void)
{
	memset(&rec, 0, sizeof rec);
	sched_init(&s, &hooks, 30000);
}

/* Each block's count of jobs by state (what a filtered list skips and counts by) equals a
 * walk over its slots. */
static void check_block_states(void)
{
	for (int64_t b = 0; b < s.nblocks; b++) {
		int64_t walked[JS__N] = {0};
		for (int64_t seq = b * SCHED_BLOCK; seq < (b + 1) * SCHED_BLOCK; seq++)
			if (sched_job(&s, seq))
				walked[sched_job(&s, seq)->state]++;
		for (int st = 0; st < JS__N; st++)
			cr_assert_eq(s.block_states[b][st], walked[st],
				     "block %lld, jobs %s: counted %d, walked %lld", (long long)b,
				     jl_state_name(st), s.block_states[b][st], (long long)walked[st]);
	}
}

/* After every test: the running count of jobs by state (what /metrics shows) equals a
 * walk over the jobs, whatever the test did to them, and so do the blocks' counts. */
static void check_job_states(void)
{
	int64_t walked[JS__N] = {0}, total = 0;
	const struct job *j;
	check_block_states();
	for (int64_t seq = 1; (j = sched_next_job(&s, &seq)) != NULL; seq++)
		walked[j->state]++;
	for (int st = 0; st < JS__N; st++) {
		cr_assert_eq(s.jobs_by_state[st], walked[st], "jobs %s: counted %lld, walked %lld",
			     jl_state_name(st), (long long)s.jobs_by_state[st], (long long)walked[st]);
		total += walked[st];
	}
	cr_assert_eq(total, s.njobs);
}

static void teardown(void)
{
	check_job_states();
	for (int i = 0; i < rec.nremoved; i++)
		job_free(rec.removed[i]);
	sched_free(&s);
	intern_free_all();
}

static struct job *add(const char *cmd, int prio, int cores, int retries, int64_t delay)
{
	struct job_spec sp = {.owner = "alice", .name = "t", .group = "g", .req_group = "",
			      .cwd = "/tmp", .cmd = cmd, .cores = cores, .njoblets = 1,
			      .retries = retries, .lost_retries = 1, .priority = prio,
			      .retry_delay_ms = delay};
	return sched_add(&s, &sp, 1000);
}

static struct worker *worker(const char *name, int cores, int64_t mono)
{
	size_t nr, nc;
	return sched_worker_add(&s, name, cores, 100000, 0, NULL, 0, NULL, 0, NULL, &nr, NULL, &nc,
				1000, mono);
}

static struct attempt *take_one(struct worker *w)
{
	struct attempt *a[1];
	return sched_reserve(&s, w, w->cores, 100000, 0, 1, a, 1000) ? a[0] : NULL;
}

static void finish(struct worker *w, struct attempt *a, int reason, int code, int64_t now,
		   enum finish_result want)
{
	struct finish f = {.attempt = a->id, .has_exit = true, .exit_code = code,
			   .fail_reason = reason};
	cr_assert_eq(sched_finish(&s, w, &f, "{\"late\":true}", now), want);
}

TestSuite(sched, .init = setup, .fini = teardown);

Test(sched, priority_then_fifo)
{
	int prios[] = {0, 5, 0, 9, 5, 0, 9, 1};
	for (int i = 0; i < 8; i++)
		add("true", prios[i], 1, 0, 0);
	struct worker *w = worker("solo", 1, 0);
	int64_t want[] = {4, 7, 2, 5, 8, 1, 3, 6};	/* seqs: priority desc, then seq asc */
	for (int i = 0; i < 8; i++) {
		struct attempt *a = take_one(w);
		cr_assert_not_null(a);
		cr_assert_eq(a->joblet->job->seq, want[i], "pick %d: seq %lld, want %lld", i,
			     (long long)a->joblet->job->seq, (long long)want[i]);
		finish(w, a, FR_NONE, 0, 2000, FINISH_APPLIED);
	}
	cr_assert_null(take_one(w));
	cr_assert_eq(s.totals.by_state[JS_DONE], 8);
	cr_assert_eq(rec.events[EV_JOB_ENDED], 8);
}

Test(sched, big_joblet_does_not_block_smaller_ones)
{
	add("big", 9, 8, 0, 0);
	struct job *small = add("small", 0, 1, 0, 0);
	struct worker *w = worker("w", 2, 0);
	struct attempt *a = take_one(w);
	cr_assert_not_null(a, "the small joblet runs although a bigger one is ahead");
	cr_assert_eq(a->joblet->job, small);
	cr_assert_eq(w->used_cores, 1);
	cr_assert_eq(s.totals.by_state[JS_READY], 1, "the big one still waits");
}

Test(sched, reserve_respects_free_resources_and_max)
{
	for (int i = 0; i < 5; i++)
		add("x", 0, 1, 0, 0);
	struct worker *w = worker("w", 3, 0);
	struct attempt *a[8];
	cr_assert_eq(sched_reserve(&s, w, 2, 100000, 0, 8, a, 1000), 2, "bounded by free cores");
	cr_assert_eq(sched_reserve(&s, w, 8, 100000, 0, 8, a, 1000), 1,
		     "bounded by the server's own accounting (3 cores)");
	cr_assert_eq(w->used_cores, 3);
	cr_assert_eq(w->nrunning, 3);
	cr_assert_eq(s.totals.by_state[JS_RUNNING], 3);
	cr_assert_eq(s.totals.by_state[JS_READY], 2);
}

Test(sched, counts_follow_transitions)
{
	struct job *j = add("x", 0, 1, 0, 0);
	const struct sched_counts *g = sched_group_counts(&s, "g");
	cr_assert_eq(j->state, JS_READY);
	cr_assert_eq(g->by_state[JS_READY], 1);
	struct worker *w = worker("w", 1, 0);
	struct attempt *a = take_one(w);
	cr_assert_eq(j->state, JS_RUNNING);
	cr_assert_eq(j->counts[JS_RUNNING], 1);
	cr_assert_eq(g->by_state[JS_RUNNING], 1);
	cr_assert_eq(rec.events[EV_JOB_STARTED], 1);
	cr_assert_eq(rec.events[EV_JOBLET_DISPATCHED], 1);
	finish(w, a, FR_NONE, 0, 2000, FINISH_APPLIED);
	cr_assert_eq(j->state, JS_DONE);
	cr_assert_eq(j->ended_at, 2000);
	cr_assert_eq(g->by_state[JS_DONE], 1);
	cr_assert_eq(g->by_state[JS_RUNNING], 0);
	cr_assert_eq(w->used_cores, 0);
	cr_assert_eq(a->state, AS_DONE);
	finish(w, a, FR_NONE, 0, 2001, FINISH_DUPLICATE);
}

Test(sched, retries_with_backoff_then_failed)
{
	struct job *j = add("false", 0, 1, 2, 1000);
	struct joblet *jl = &j->joblets[0];
	struct worker *w = worker("w", 1, 0);
	int64_t now = 10000;
	for (int round = 1; round <= 2; round++) {
		struct attempt *a = take_one(w);
		cr_assert_not_null(a);
		finish(w, a, FR_EXIT, 3, now, FINISH_APPLIED);
		cr_assert_eq(jl->state, JS_WAITING, "round %d waits out its back-off", round);
		int64_t d = 1000LL << (round - 1);
		cr_assert(jl->ready_at >= now + d * 3 / 4 && jl->ready_at <= now + d * 5 / 4,
			  "back-off %lld for %lld", (long long)(jl->ready_at - now), (long long)d);
		cr_assert_null(take_one(w), "nothing to run during the back-off");
		int64_t next_mono;
		cr_assert_eq(sched_tick(&s, jl->ready_at - 1, 0, &next_mono), jl->ready_at);
		cr_assert_eq(jl->state, JS_WAITING);
		sched_tick(&s, jl->ready_at, 0, &next_mono);
		cr_assert_eq(jl->state, JS_READY);
		now = jl->ready_at;
	}
	struct attempt *a = take_one(w);
	finish(w, a, FR_EXIT, 3, now + 5, FINISH_APPLIED);
	cr_assert_eq(jl->state, JS_FAILED);
	cr_assert_eq(jl->errors, 2);
	cr_assert_eq(jl->nattempts, 3);
	cr_assert_str_eq(rstr_text(jl->reason), "exit code 3");
	cr_assert_eq(j->state, JS_FAILED);
}

Test(sched, lease_expiry_loses_attempts_and_fences_late_reports)
{
	struct job *j = add("sleep", 0, 1, 0, 0);
	struct worker *w = worker("w", 1, 0);	/* lease until mono 30000 */
	struct attempt *a = take_one(w);
	int64_t next_mono;
	sched_tick(&s, 2000, 29999, &next_mono);
	cr_assert_eq(next_mono, 30000);
	cr_assert_eq(a->state, AS_RUNNING, "still within the lease");
	sched_worker_touch(&s, w, 2000, 20000);	/* a heartbeat renews it */
	sched_tick(&s, 2000, 40000, &next_mono);
	cr_assert_eq(a->state, AS_RUNNING);
	sched_tick(&s, 3000, 50000, &next_mono);
	cr_assert_eq(rec.lost, 1);
	cr_assert_eq(a->state, AS_LOST);
	cr_assert_eq(a->fail_reason, FR_LOST);
	cr_assert_eq(j->joblets[0].state, JS_READY, "re-queued on the lost budget");
	cr_assert_eq(j->joblets[0].lost, 1);
	cr_assert_eq(j->joblets[0].errors, 0);
	struct finish f = {.attempt = a->id, .has_exit = true, .exit_code = 0};
	cr_assert_eq(sched_finish(&s, NULL, &f, "{\"exit_code\":0}", 3100), FINISH_STALE);
	cr_assert_str_eq(a->late_result, "{\"exit_code\":0}");
	cr_assert_eq(j->joblets[0].state, JS_READY, "the late report changed nothing");
	/* The second loss exhausts --lost-retries 1. */
	struct worker *w2 = worker("w2", 1, 60000);
	struct attempt *b = take_one(w2);
	cr_assert_eq(b->n, 2);
	sched_tick(&s, 4000, 200000, &next_mono);
	cr_assert_eq(j->joblets[0].state, JS_FAILED);
	cr_assert_eq(next_mono, 0, "no worker left");
}

Test(sched, no_restart_fails_on_loss)
{
	struct job_spec sp = {.owner = "a", .name = "t", .group = "", .req_group = "", .cwd = "/",
			      .cmd = "x", .cores = 1, .njoblets = 1, .lost_retries = 3,
			      .no_restart = true};
	struct job *j = sched_add(&s, &sp, 0);
	struct worker *w = worker("w", 1, 0);
	take_one(w);
	int64_t next_mono;
	sched_tick(&s, 0, 31000, &next_mono);
	cr_assert_eq(j->joblets[0].state, JS_FAILED);
	cr_assert_not_null(strstr(rstr_text(j->joblets[0].reason), "no-restart"));
}

Test(sched, worker_stop_uses_the_lost_budget)
{
	struct job *j = add("x", 0, 1, 0, 0);
	struct worker *w = worker("w", 1, 0);
	struct attempt *a = take_one(w);
	struct finish f = {.attempt = a->id, .fail_reason = FR_SIGNAL, .worker_stop = true};
	cr_assert_eq(sched_finish(&s, w, &f, NULL, 2000), FINISH_APPLIED);
	cr_assert_eq(j->joblets[0].state, JS_READY);
	cr_assert_eq(j->joblets[0].errors, 0);
	cr_assert_eq(j->joblets[0].lost, 1);
}

Test(sched, cancel_retry_remove)
{
	struct job *j = add("x", 0, 1, 0, 0), *k = add("y", 0, 1, 0, 0);
	struct worker *w = worker("w", 1, 0);
	struct attempt *a = take_one(w);
	cr_assert_eq(a->joblet->job, j);
	const char *why;
	cr_assert_eq(sched_remove(&s, j, false, 0, &why), -1, "running jobs are not removed");
	sched_cancel(&s, j, 2000);
	cr_assert(a->cancel_requested);
	cr_assert_eq(j->state, JS_RUNNING, "still running until the worker reports");
	cr_assert_eq(j->joblets[0].state, JS_RUNNING);
	cr_assert_not_null(strstr(rstr_text(j->joblets[0].reason), "cancelling"));
	cr_assert_eq(sched_retry(&s, j, 2000, &why), -1, "refused while the attempt lives");
	finish(w, a, FR_CANCELLED, 0, 2100, FINISH_APPLIED);
	cr_assert_eq(a->state, AS_CANCELLED);
	cr_assert_eq(j->state, JS_CANCELLED);
	cr_assert_eq(sched_retry(&s, j, 2200, &why), 0);
	cr_assert_eq(j->state, JS_READY);
	sched_cancel(&s, k, 2300);
	cr_assert_eq(k->state, JS_CANCELLED);
	cr_assert_eq(sched_remove(&s, k, false, 0, &why), 0);
	cr_assert_null(sched_job(&s, 2));
	cr_assert_eq(s.njobs, 1);
	struct attempt *b = take_one(w);
	finish(w, b, FR_NONE, 0, 3000, FINISH_APPLIED);
	cr_assert_eq(sched_remove(&s, j, false, 0, &why), -1, "done jobs are history");
}

Test(sched, unique_index_until_the_job_ends)
{
	struct job *j = add("same", 0, 1, 0, 0);
	for (int i = 0; i < 100; i++)
		add("same", 0, 1, 0, 0);
	cr_assert_eq(sched_find_duplicate(&s, "same", "/tmp", "alice"), sched_job(&s, 101));
	cr_assert_null(sched_find_duplicate(&s, "same", "/elsewhere", "alice"));
	cr_assert_null(sched_find_duplicate(&s, "same", "/tmp", "bob"), "another owner's is not");
	for (int64_t seq = 2; seq <= 101; seq++)
		sched_cancel(&s, sched_job(&s, seq), 2000);
	cr_assert_eq(sched_find_duplicate(&s, "same", "/tmp", "alice"), j);
	sched_cancel(&s, j, 2000);
	cr_assert_null(sched_find_duplicate(&s, "same", "/tmp", "alice"));
	const char *why;
	sched_retry(&s, j, 3000, &why);
	cr_assert_eq(sched_find_duplicate(&s, "same", "/tmp", "alice"), j, "incomplete again");
}

Test(sched, modify_reorders_and_reshapes)
{
	add("a", 0, 1, 0, 0);
	struct job *b = add("b", 0, 1, 0, 0);
	struct job_spec mod = {.priority = 7, .cores = -1, .ram_mb = -1, .gpus = -1, .time_ms = -1,
			       .retries = -1, .lost_retries = -1, .retry_delay_ms = -1};
	const char *why;
	sched_modify(&s, b, &mod, 0, 0, &why);
	struct worker *w = worker("w", 1, 0);
	struct attempt *a = take_one(w);
	cr_assert_eq(a->joblet->job, b, "raised priority goes first");
	struct job *c = add("c", 9, 1, 0, 0);
	mod.priority = -1;
	mod.cores = 4;
	sched_modify(&s, c, &mod, 0, 0, &why);
	struct worker *w2 = worker("w2", 2, 0);
	struct attempt *x = take_one(w2);
	cr_assert_neq(x->joblet->job, c, "c now needs 4 cores");
}

Test(sched, reattach_after_reload)
{
	struct job *j = add("long", 0, 1, 0, 0);
	struct worker *w = worker("w", 1, 0);
	struct attempt *a = take_one(w);
	/* Reload the same rows into a fresh scheduler, as after a restart. */
	struct sched s2;
	sched_init(&s2, &hooks, 30000);
	struct job *j2 = job_alloc(1);
	j2->seq = j->seq;
	j2->owner = j->owner;
	j2->name = j->name;
	j2->group = j->group;
	j2->req_group = j->req_group;
	j2->cwd = j->cwd;
	j2->cmd = strdup(j->cmd);
	j2->cores = 1;
	sched_load_job(&s2, j2);
	j2->joblets[0].state = JS_RUNNING;
	struct attempt *a2 = calloc(1, sizeof *a2);
	a2->id = a->id;
	a2->n = 1;
	a2->state = AS_RUNNING;
	a2->node = a->node;
	a2->worker_id = a->worker_id;
	a2->cores = a2->ram_mb = a2->gpus = -1;	/* a row from before migration 2 */
	sched_load_attempt(&s2, a2, j2->seq, 0);
	sched_load_done(&s2, 5000, 5000);
	cr_assert_eq(j2->state, JS_RUNNING);
	cr_assert(a2->worker->placeholder);
	int64_t ids[] = {a->id, 999}, re[2], ca[2];
	size_t nr, nc;
	struct worker *back = sched_worker_add(&s2, "w", 1, 100, 0, NULL, 0, ids, 2, re, &nr, ca,
					       &nc, 6000, 6000);
	cr_assert_eq(nr, 1);
	cr_assert_eq(re[0], a->id);
	cr_assert_eq(nc, 1, "an attempt it does not hold is to be killed");
	cr_assert_eq(ca[0], 999);
	cr_assert_eq(a2->worker, back);
	cr_assert_eq(back->used_cores, 1);
	cr_assert_eq(s2.leases.len, 1, "the emptied placeholder is gone");
	struct finish f = {.attempt = a->id, .has_exit = true};
	cr_assert_eq(sched_finish(&s2, back, &f, NULL, 7000), FINISH_APPLIED);
	cr_assert_eq(j2->state, JS_DONE);
	sched_free(&s2);
}

Test(sched, node_names_lookup_and_lose)
{
	struct job *j = add("long", 0, 1, 0, 0);
	struct worker *w = worker("node", 1, 0);
	cr_assert_eq(sched_worker_named(&s, "node"), w);
	cr_assert_null(sched_worker_named(&s, "other"));
	struct attempt *a = take_one(w);
	sched_worker_lose(&s, w, "it left", 2000);
	cr_assert_eq(rec.lost, 1);
	cr_assert_eq(a->state, AS_LOST);
	cr_assert_eq(j->joblets[0].state, JS_READY, "re-queued on the lost budget");
	cr_assert_null(sched_worker_named(&s, "node"));
	cr_assert_eq(s.leases.len, 0);
	finish(NULL, a, FR_NONE, 0, 3000, FINISH_STALE);
}

Test(sched, a_node_registering_again_claims_or_loses_its_old_attempts)
{
	struct job *j1 = add("one", 0, 1, 0, 0), *j2 = add("two", 0, 1, 0, 0);
	struct worker *old = worker("node", 2, 0);
	struct attempt *a1 = take_one(old), *a2 = take_one(old);
	old->placeholder = true;	/* as the server marks an entry being replaced */
	cr_assert_null(sched_worker_named(&s, "node"), "a placeholder is not a live worker");
	int64_t ids[] = {a1->id}, re[1], ca[1];
	size_t nr, nc;
	struct worker *w = sched_worker_add(&s, "node", 2, 100, 0, NULL, 0, ids, 1, re, &nr, ca,
					    &nc, 1000, 1000);
	cr_assert_eq(nr, 1, "the attempt it names is re-attached");
	cr_assert_eq(a1->worker, w);
	cr_assert_eq(a2->state, AS_LOST, "the one it does not name is lost at once");
	cr_assert_eq(j2->joblets[0].state, JS_READY);
	cr_assert_eq(j1->joblets[0].state, JS_RUNNING);
	cr_assert_eq(s.leases.len, 1, "the node is listed once");
	cr_assert_eq(sched_worker_named(&s, "node"), w);
}

/* (What a reserve costs as the backlog grows is measured by `make bench`, bench/reserve.c.) */
Test(sched, a_large_backlog_in_several_classes_gives_the_highest_priority_first)
{
	for (int i = 0; i < 30000; i++)
		add("x", i % 7, 1 + i % 3, 0, 0);
	struct worker *w = worker("w", 3, 0);
	struct attempt *a = take_one(w);
	cr_assert_eq(a->joblet->job->priority, 6, "the highest priority first");
	cr_assert_eq(s.totals.by_state[JS_READY], 29999);
}

/* The worker's measure is an attempt's wall time: a report that reaches the server late
 * (after an outage) does not stretch it, nor what the req group learns from it. */
Test(sched, wall_time_is_the_workers)
{
	struct worker *w = worker("w", 1, 1000);
	for (int i = 0; i < 3; i++) {
		struct job_spec sp = {.owner = "alice", .name = "t", .group = "g", .req_group = "rg",
				      .cwd = "/tmp", .cmd = "true", .cores = 1, .njoblets = 1,
				      .lost_retries = 1};
		sched_add(&s, &sp, 1000);
		struct attempt *a = take_one(w);
		cr_assert_not_null(a);
		cr_assert_eq(attempt_wall_ms(a, 4000), 3000, "running: what the server sees so far");
		/* It ran 2 s; the server hears of it 120 s after it started. */
		struct finish f = {.attempt = a->id, .has_exit = true, .wall_ms = 2000,
				   .output_bytes = 10, .output_dropped = 7};
		cr_assert_eq(sched_finish(&s, w, &f, NULL, 121000), FINISH_APPLIED);
		cr_assert_eq(attempt_wall_ms(a, 999999), 2000, "the worker's measure");
		cr_assert_eq(a->out_dropped, 7, "the dropped output is kept on the attempt");
	}
	const struct req_group *rg = sched_req_group(&s, "rg");
	cr_assert_not_null(rg);
	cr_assert_eq(rg->rec_time_ms, 60000, "learned from 2 s runs (one step up), not 120 s ones");
	struct attempt old = {.started_at = 1000, .ended_at = 5000, .wall_ms = -1};
	cr_assert_eq(attempt_wall_ms(&old, 9000), 4000, "unreported (lost, or stored before): the server's times");
}

static uint64_t same_hash(const char *id)
{
	(void)id;
	return 7;	/* every worker id collides */
}

/* Attempts left running by two workers whose ids hash alike: each gets its own
 * placeholder, both stay in the worker map, and each leaves it alone when its lease ends
 * (one used to replace the other in the map, and dropping it removed the other's entry). */
Test(sched, placeholders_with_colliding_ids)
{
	s.hash_id = same_hash;
	struct job *j = job_alloc(2);
	j->seq = 1;
	j->owner = j->name = j->group = j->req_group = j->cwd = intern("x");
	j->cmd = strdup("true");
	j->cores = 1;
	sched_load_job(&s, j);
	const char *ids[] = {"wAAAA0001", "wBBBB0002"};
	for (int i = 0; i < 2; i++) {
		struct attempt *a = calloc(1, sizeof *a);
		a->id = i + 1;
		a->n = 1;
		a->state = AS_RUNNING;
		a->node = intern(ids[i]);
		a->worker_id = intern(ids[i]);
		a->cores = 1;
		sched_load_attempt(&s, a, 1, i);
	}
	sched_load_done(&s, 5000, 5000);
	struct worker *w0 = j->joblets[0].live->worker, *w1 = j->joblets[1].live->worker;
	cr_assert_neq(w0, w1, "each worker id has its own placeholder");
	cr_assert_str_eq(w0->id, ids[0]);
	cr_assert_str_eq(w1->id, ids[1]);
	cr_assert_eq(s.workers.len, 2, "both are in the worker map");
	cr_assert_eq(s.leases.len, 2);
	/* A worker registering now gets an id whose key is free, whatever the hash says. */
	s.hash_id = imap_hash_str;
	struct worker *fresh = worker("fresh", 1, 5000);
	cr_assert_eq(sched_worker(&s, fresh->id), fresh);
	cr_assert_eq(s.workers.len, 3);
	/* The placeholders' leases end: both joblets are lost, both leave the map. */
	int64_t next_mono;
	sched_worker_touch(&s, fresh, 1000, 5000 + 60000);
	sched_tick(&s, 6000, 5000 + 31000, &next_mono);
	cr_assert_eq(rec.lost, 2, "both placeholders were lost");
	cr_assert_eq(s.workers.len, 1, "only the registered worker is left in the map");
	cr_assert_eq(sched_worker(&s, fresh->id), fresh);
	size_t in_map = 0;
	for (size_t i = 0; i < s.workers.cap; i++)
		in_map += s.workers.slots[i].key != 0 && s.workers.slots[i].val == fresh;
	cr_assert_eq(in_map, 1);
}

/* A final joblet's attempts leave memory (sched_trim) while its state and nattempts stay;
 * one with a live or lost attempt keeps them; a retry numbers the next attempt after the
 * ones that left; the attempts that left stay counted in their owner's minute tallies. */
Test(sched, trim_keeps_counts_and_numbers)
{
	struct worker *w = worker("n1", 4, 0);
	struct job *j = add("x", 0, 1, 1, 0);
	struct attempt *a = take_one(w);
	finish(w, a, FR_EXIT, 3, 61000, FINISH_APPLIED);	/* retried */
	a = take_one(w);
	cr_assert_not(sched_trimmable(&j->joblets[0]), "a running joblet keeps its attempts");
	int64_t id = a->id;
	finish(w, a, FR_EXIT, 3, 62000, FINISH_APPLIED);	/* failed */
	cr_assert_eq(j->state, JS_FAILED);
	cr_assert(sched_trim(&s, &j->joblets[0]));
	cr_assert_null(j->joblets[0].attempts);
	cr_assert_eq(j->joblets[0].nattempts, 2);
	cr_assert_eq(joblet_first_held(&j->joblets[0]), 3, "both are in the store only");
	cr_assert_eq(s.attempts.len, 0, "nor in the attempts map");
	struct finish f = {.attempt = id, .fail_reason = FR_EXIT, .wall_ms = -1};
	cr_assert_eq(sched_finish(&s, w, &f, NULL, 63000), FINISH_DUPLICATE,
		     "a resend is answered as one");
	f.attempt = s.next_attempt;
	cr_assert_eq(sched_finish(&s, w, &f, NULL, 63000), FINISH_UNKNOWN, "an id never given");
	const struct owner_tally *t = imap_get(&s.tallies, (uint64_t)(uintptr_t)j->owner);
	cr_assert_not_null(t);
	cr_assert_eq(t->m[1].minute, 1);
	cr_assert_eq(t->m[1].failed, 2, "both ended failed in minute 1");
	const char *why;
	cr_assert_eq(sched_retry(&s, j, 64000, &why), 0);
	a = take_one(w);
	cr_assert_eq(a->n, 3, "the retry's attempt follows those that left");
	cr_assert_eq(joblet_first_held(&j->joblets[0]), 3);
	finish(w, a, FR_NONE, 0, 65000, FINISH_APPLIED);
	cr_assert(sched_trim(&s, &j->joblets[0]));
	cr_assert_eq(t->m[1].done, 1);

	/* A lost attempt keeps the joblet's list: its late report is kept on it. */
	struct job *k = add("y", 0, 1, 0, 0);
	a = take_one(w);
	sched_worker_lose(&s, w, WORKER_GONE_LEASE, 70000);	/* lost budget 1: ready again */
	struct worker *w2 = worker("n2", 4, 0);
	a = take_one(w2);
	finish(w2, a, FR_NONE, 0, 71000, FINISH_APPLIED);
	cr_assert_eq(k->state, JS_DONE);
	cr_assert_not(sched_trim(&s, &k->joblets[0]));
	cr_assert_not_null(k->joblets[0].attempts);
}

/* Recovery with history out of memory: jobs loaded as history only are counted as the
 * sweep leaves them, their samples teach their req group, and walks skip their slots. */
static void history_fini(void)
{
	sched_free(&s);
	intern_free_all();
}

Test(sched_history, jobs_loaded_as_history_are_counted_and_skipped, .init = setup,
     .fini = history_fini)
{
	const char *alice = intern("alice"), *g = intern("g"), *rg = intern("rg");
	for (int64_t seq = 1; seq <= 2500; seq++) {
		int st = seq % 10 ? JS_DONE : JS_FAILED;
		sched_load_history(&s, seq, st, alice, g);
		sched_load_history_joblets(&s, alice, g, st, 1);
	}
	for (int64_t i = 0; i < 3; i++) {
		struct load_sample k = {.req_group = rg, .seq = 10 + i, .id = 1 + i, .started_at = 0,
					.ended_at = 5000, .wall_ms = 4000, .peak_ram_mb = 250};
		sched_load_sample(&s, &k);
	}
	sched_load_attempt_id(&s, 9000);
	sched_load_done(&s, 1000, 1000);
	cr_assert_eq(s.nevicted, 2500);
	cr_assert_eq(s.njobs, 0);
	cr_assert(sched_evicted(&s, 7) && sched_evicted(&s, 2500) && !sched_evicted(&s, 2501));
	cr_assert_eq(s.jobs_by_state[JS_DONE], 2250);
	cr_assert_eq(s.jobs_by_state[JS_FAILED], 250);
	cr_assert_eq(s.totals.by_state[JS_FAILED], 250);
	cr_assert_eq(sched_group_counts(&s, "g")->by_state[JS_DONE], 2250);
	const struct req_group *r = sched_req_group(&s, "rg");
	cr_assert(r && r->n == 3 && r->rec_ram_mb == 300, "learned from the history's samples");
	struct job *j = add("true", 0, 1, 0, 0);
	cr_assert_eq(j->seq, 2501, "the next seq is past the history");
	cr_assert_eq(s.next_attempt, 9001);
	/* Blocks of 1024 slots: only the third (2048..3071) holds a job. */
	cr_assert_eq(sched_skip_empty(&s, 1, 1), 2048);
	cr_assert_eq(sched_skip_empty(&s, 2100, 1), 2100);
	cr_assert_eq(sched_skip_empty(&s, 2000, -1), 0);
	cr_assert_eq(sched_skip_empty(&s, 3000, -1), 3000);
	cr_assert_eq(sched_skip_empty(&s, 2502, 1), 2502);
	sched_cancel(&s, j, 2000);
	cr_assert(sched_evictable(&s, j));
	job_free(sched_evict(&s, j));
	cr_assert_eq(sched_skip_empty(&s, 1, 1), s.next_seq, "no job in memory: the end");
}

/* The jobs by seq are a directory of blocks of SCHED_BLOCK slots: a block is there while a
 * job of it is in memory and freed when its last one leaves, so seqs out of memory cost
 * a directory entry per block; lookups and walks see the same jobs either way. */
Test(sched_history, blocks_are_freed_when_their_jobs_leave, .init = setup, .fini = history_fini)
{
	enum { N = 3 * SCHED_BLOCK + 10 };
	for (int64_t i = 1; i <= N; i++)
		add("true", 0, 1, 0, 0);
	cr_assert_eq(s.next_seq, N + 1);
	cr_assert_geq(s.nblocks, 4);
	for (int64_t b = 0; b < 4; b++)
		cr_assert_not_null(s.blocks[b], "block %lld holds jobs", (long long)b);
	/* Every job of the second block leaves memory, one of the third stays. */
	for (int64_t seq = SCHED_BLOCK; seq < 3 * SCHED_BLOCK - 1; seq++) {
		struct job *j = sched_job(&s, seq);
		cr_assert_not_null(j);
		sched_cancel(&s, j, 2000);
		cr_assert(sched_evictable(&s, j));
		struct job *out = sched_evict(&s, j);
		if (seq == 2 * SCHED_BLOCK + 5) {	/* read back, then out again */
			sched_restore(&s, out);
			cr_assert_eq(sched_job(&s, seq), out);
			out = sched_evict(&s, out);
		}
		job_free(out);
	}
	cr_assert_null(s.blocks[1], "a block whose jobs all left is freed");
	cr_assert_eq(s.block_jobs[1], 0);
	cr_assert_not_null(s.blocks[2], "one job of it is in memory");
	cr_assert_eq(s.block_jobs[2], 1);
	cr_assert_null(sched_job(&s, SCHED_BLOCK + 7));
	cr_assert(sched_evicted(&s, SCHED_BLOCK + 7));
	cr_assert_null(sched_job(&s, N + 1), "past the last job");
	cr_assert_null(sched_job(&s, 1LL << 40), "past the directory");
	/* A walk sees the jobs in memory, in seq order, and nothing of the freed block. */
	int64_t n = 0, last = 0;
	const struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(&s, &seq)) != NULL; seq++) {
		cr_assert_eq(j->seq, seq);
		cr_assert_gt(seq, last);
		cr_assert(seq < SCHED_BLOCK || seq >= 3 * SCHED_BLOCK - 1, "seq %lld", (long long)seq);
		last = seq;
		n++;
	}
	cr_assert_eq(n, s.njobs);
	cr_assert_eq(n, (SCHED_BLOCK - 1) + 1 + (N - 3 * SCHED_BLOCK + 1));
	cr_assert_eq(sched_skip_empty(&s, SCHED_BLOCK, 1), 2 * SCHED_BLOCK);
	/* The last job of the third block leaves: a walk from the second goes on at the fourth. */
	struct job *k = sched_job(&s, 3 * SCHED_BLOCK - 1);
	sched_cancel(&s, k, 2000);
	job_free(sched_evict(&s, k));
	cr_assert_null(s.blocks[2], "its last job left");
	int64_t from = SCHED_BLOCK;
	cr_assert_not_null(sched_next_job(&s, &from));
	cr_assert_eq(from, 3 * SCHED_BLOCK, "the walk goes on past the two empty blocks");
}

/* A walk's count of the jobs in state st at seq and beyond, slot by slot. */
static int64_t walked_count(int64_t seq, int step, int st)
{
	int64_t n = 0;
	for (; seq > 0 && seq < s.nblocks * SCHED_BLOCK; seq += step)
		n += sched_job(&s, seq) && (st < 0 || sched_job(&s, seq)->state == st);
	return n;
}

/* The per-block counts by state follow adds, state changes, removals and evictions, and
 * what a filtered list asks of them (skip to a block holding the state, count beyond a
 * seq) is what a walk over every slot finds. */
Test(sched, block_counts_by_state_answer_filtered_walks)
{
	struct job *jobs[3500];
	const char *why;
	for (int i = 0; i < 3500; i++)
		jobs[i] = add("x", 0, 1, 0, 0);
	/* Block 0 (seqs 1..1023): ready, every 5th cancelled; block 1: removed but two, one
	 * ready and one cancelled; block 2: ready, a few cancelled then retried; block 3:
	 * ready. */
	for (int i = 0; i < 1023; i += 5)
		sched_cancel(&s, jobs[i], 2000);
	for (int i = 1023; i < 2047; i++)
		if (i != 1500 && i != 1600) {
			sched_cancel(&s, jobs[i], 2000);
			cr_assert_eq(sched_remove(&s, jobs[i], false, 2000, &why), 0);
		}
	sched_cancel(&s, jobs[1600], 2000);
	for (int i = 2100; i < 2110; i++) {
		sched_cancel(&s, jobs[i], 2000);
		cr_assert_eq(sched_retry(&s, jobs[i], 2100, &why), 0);
	}
	cr_assert_eq(sched_job(&s, 1601)->state, JS_CANCELLED);
	check_block_states();
	cr_assert_eq(sched_skip_state(&s, 1024, 1, JS_CANCELLED), 1024, "block 1 holds one");
	cr_assert_eq(sched_skip_state(&s, 1024, 1, JS_FAILED), s.next_seq, "none failed");
	cr_assert_eq(sched_skip_state(&s, 1024, 1, JS_READY), 1024, "and one ready");
	cr_assert_eq(sched_skip_state(&s, 2048, 1, JS_CANCELLED), s.next_seq,
		     "no cancelled job after block 1: the end");
	cr_assert_eq(sched_skip_state(&s, 3400, -1, JS_CANCELLED), 2047,
		     "backwards: the last slot of block 1");
	cr_assert_eq(sched_skip_state(&s, 3400, -1, JS_FAILED), 0, "none failed");
	cr_assert_eq(sched_skip_state(&s, 5000, -1, JS_READY), 4095,
		     "past the slots, backwards: the last block that holds one");
	const int64_t cap = s.nblocks * SCHED_BLOCK;
	for (int st = -1; st < JS__N; st++)
		for (int64_t seq = 0; seq <= cap + 5; seq += 97)
			for (int step = -1; step <= 1; step += 2)
				cr_assert_eq(sched_count_state(&s, seq, step, st),
					     walked_count(seq > cap - 1 && step < 0 ? cap - 1 : seq,
							  step, st),
					     "count from %lld step %d state %d", (long long)seq, step,
					     st);
}
