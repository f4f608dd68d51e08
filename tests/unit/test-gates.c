/* Issue 3's scheduling with time passed in: dependencies (skip, retry, live dep groups,
 * cycles, remove), limit groups, --max-running, constraints and avoided nodes, failover
 * preference, starvation holds, not-before, learned requirements and RAM growth. Options
 * are built through opts_read, the reader the API and the store use. */
#include "base/intern.h"
#include "core/opts.h"
#include "core/sched-int.h"
#include "core/sched.h"
#include <criterion/criterion.h>
#include <string.h>

static struct sched s;
static struct job *removed[16];
static int nremoved;

static void h_job(void *c, struct job *j, bool created) {}
static void h_removed(void *c, struct job *j) { removed[nremoved++] = j; }
static void h_joblet(void *c, struct joblet *jl) {}
static void h_attempt(void *c, struct attempt *a) {}
static void h_event(void *c, int ev, struct job *j, struct joblet *jl, struct attempt *a) {}
static void h_lost(void *c, struct worker *w) {}
static const struct sched_hooks hooks = {NULL, h_job, h_removed, h_joblet, h_attempt, h_event,
					 h_lost, NULL};

static void setup(void)
{
	nremoved = 0;
	sched_init(&s, &hooks, 30000);
}

static void teardown(void)
{
	for (int i = 0; i < nremoved; i++)
		job_free(removed[i]);
	sched_free(&s);
	intern_free_all();
}

TestSuite(gates, .init = setup, .fini = teardown);

/* A job from a JSON object of API fields (plus "cores", "ram_mb", "req_group", "joblets"). */
static struct job *addj(const char *json, int64_t now)
{
	json_error_t je;
	json_t *o = json_loads(json, 0, &je);
	cr_assert_not_null(o, "%s: %s", json, je.text);
	struct opts_err e;
	struct job_ext *x = NULL;
	cr_assert_eq(opts_read(o, "", now, &x, NULL, &e), 0, "%s: %s %s", json, e.field, e.rule);
	json_t *v;
	struct job_spec sp = {.owner = "alice", .name = "t", .group = "g", .req_group = "",
			      .cwd = "/tmp", .cmd = "true", .cores = 1, .njoblets = 1,
			      .lost_retries = 1, .x = x};
	if ((v = json_object_get(o, "cores")))
		sp.cores = (int32_t)json_integer_value(v);
	if ((v = json_object_get(o, "ram_mb")))
		sp.ram_mb = (int32_t)json_integer_value(v);
	if ((v = json_object_get(o, "time_ms")))
		sp.time_ms = json_integer_value(v);
	if ((v = json_object_get(o, "retries")))
		sp.retries = (int32_t)json_integer_value(v);
	if ((v = json_object_get(o, "joblets")))
		sp.njoblets = (int32_t)json_integer_value(v);
	if ((v = json_object_get(o, "req_group"))) {
		sp.req_group = json_string_value(v);
		if (sp.x == NULL)
			sp.x = calloc(1, sizeof *sp.x);
		sp.x->ram_given = json_object_get(o, "ram_mb") != NULL;
		sp.x->time_given = json_object_get(o, "time_ms") != NULL;
	}
	char why[400];
	const char *field;
	cr_assert_eq(sched_check(&s, &sp, NULL, why, sizeof why, &field), 0, "%s: %s", json, why);
	struct job *j = sched_add(&s, &sp, now);
	json_decref(o);
	return j;
}

static struct worker *worker(const char *name, int cores, const char *tags)
{
	size_t nr, nc;
	return sched_worker_add(&s, name, cores, 100000, 0, tags ? strdup(tags) : NULL, 0, NULL, 0,
				NULL, &nr, NULL, &nc, 1000, 0);
}

static size_t take(struct worker *w, size_t max, struct attempt **out, int64_t now)
{
	return sched_reserve(&s, w, w->cores - w->used_cores, 100000, 0, max, out, now);
}

static struct attempt *take_one(struct worker *w, int64_t now)
{
	struct attempt *a[1];
	return take(w, 1, a, now) ? a[0] : NULL;
}

static void finish(struct attempt *a, int reason, int64_t now)
{
	struct finish f = {.attempt = a->id, .has_exit = true, .exit_code = reason ? 1 : 0,
			   .fail_reason = reason, .peak_ram_mb = 250};
	cr_assert_eq(sched_finish(&s, NULL, &f, NULL, now), FINISH_APPLIED);
}

static const char *reason(const struct job *j)
{
	static char buf[1024];
	return sched_reason(&s, &j->joblets[0], 5000, buf, sizeof buf);
}

Test(gates, after_ok_chain_skips_and_retry_revives)
{
	struct job *a = addj("{}", 1000);
	struct job *b = addj("{\"after_ok\": [1]}", 1000);
	struct job *c = addj("{\"after_ok\": [\"alice.t.2\"]}", 1000);
	cr_assert_eq(b->state, JS_WAITING);
	cr_assert_eq(c->state, JS_WAITING);
	cr_assert(strstr(reason(b), "waiting for alice.t.1 (ready)"), "%s", reason(b));
	struct worker *w = worker("n1", 4, NULL);
	struct attempt *at[4];
	cr_assert_eq(take(w, 4, at, 1000), 1, "only the independent job runs");
	finish(at[0], FR_EXIT, 2000);
	cr_assert_eq(a->state, JS_FAILED);
	cr_assert_eq(b->state, JS_SKIPPED, "its dependency failed");
	cr_assert_eq(c->state, JS_SKIPPED, "skips go down the chain");
	cr_assert(strstr(rstr_text(b->joblets[0].reason), "alice.t.1 failed (--after-ok)"), "%s",
		  rstr_text(b->joblets[0].reason));
	const char *why;
	cr_assert_eq(sched_retry(&s, b, 2000, &why), -1, "its dependency is still failed");
	cr_assert_eq(sched_retry(&s, a, 3000, &why), 0);
	cr_assert_eq(b->state, JS_WAITING, "retry upstream revives the dependant");
	cr_assert_eq(c->state, JS_WAITING);
	finish(take_one(w, 3000), FR_NONE, 4000);
	cr_assert_eq(b->state, JS_READY);
	finish(take_one(w, 4000), FR_NONE, 5000);
	cr_assert_eq(c->state, JS_READY);
}

Test(gates, after_fail_and_after_any)
{
	addj("{}", 1000);
	struct job *f = addj("{\"after_fail\": [1]}", 1000);
	struct job *n = addj("{\"after_any\": [1]}", 1000);
	struct worker *w = worker("n1", 4, NULL);
	finish(take_one(w, 1000), FR_NONE, 2000);
	cr_assert_eq(f->state, JS_SKIPPED, "the dependency succeeded");
	cr_assert_eq(n->state, JS_READY);
	struct job *g = addj("{\"after_fail\": [1]}", 2000);
	cr_assert_eq(g->state, JS_SKIPPED, "added after its dependency succeeded");
}

Test(gates, dep_groups_are_live)
{
	struct job *m1 = addj("{\"dep_groups\": [\"g\"]}", 1000);
	struct job *dep = addj("{\"after_groups\": [\"g\"]}", 1000);
	cr_assert_eq(dep->state, JS_WAITING);
	struct worker *w = worker("n1", 1, NULL);
	struct attempt *a = take_one(w, 1000);
	cr_assert_eq(a->joblet->job, m1);
	struct job *m2 = addj("{\"dep_groups\": [\"g\"]}", 1500);
	finish(a, FR_NONE, 2000);
	cr_assert_eq(dep->state, JS_WAITING, "a member added later is waited for too");
	cr_assert(strstr(reason(dep), "group g (1 of 2 members done)"), "%s", reason(dep));
	a = take_one(w, 2000);
	cr_assert_eq(a->joblet->job, m2);
	finish(a, FR_NONE, 3000);
	cr_assert_eq(dep->state, JS_READY);
	struct job *empty = addj("{\"after_groups\": [\"nobody\"]}", 3000);
	cr_assert_eq(empty->state, JS_READY, "an empty group is met");
}

Test(gates, cycles_are_refused)
{
	json_t *o = json_loads("{\"dep_groups\": [\"gy\"], \"after_groups\": [\"gx\"]}", 0, NULL);
	addj("{\"dep_groups\": [\"gx\"], \"after_groups\": [\"gy\"]}", 1000);
	struct opts_err e;
	struct job_spec sp = {0};
	cr_assert_eq(opts_read(o, "", 1000, &sp.x, NULL, &e), 0);
	char why[400];
	const char *field;
	cr_assert_eq(sched_check(&s, &sp, NULL, why, sizeof why, &field), -1);
	cr_assert(strstr(why, "cycle"), "%s", why);
	job_ext_free(sp.x);
	json_decref(o);
	o = json_loads("{\"dep_groups\": [\"g\"], \"after_groups\": [\"g\"]}", 0, NULL);
	cr_assert_eq(opts_read(o, "", 1000, &sp.x, NULL, &e), 0);
	cr_assert_eq(sched_check(&s, &sp, NULL, why, sizeof why, &field), -1, "waits for itself");
	job_ext_free(sp.x);
	json_decref(o);
	o = json_loads("{\"after_ok\": [99]}", 0, NULL);
	cr_assert_eq(opts_read(o, "", 1000, &sp.x, NULL, &e), 0);
	cr_assert_eq(sched_check(&s, &sp, NULL, why, sizeof why, &field), -1);
	cr_assert_str_eq(why, "no job 99");
	cr_assert_str_eq(field, "after_ok");
	job_ext_free(sp.x);
	json_decref(o);
}

Test(gates, remove_refuses_a_job_others_wait_for)
{
	struct job *a = addj("{}", 1000);
	struct job *b = addj("{\"after_ok\": [1]}", 1000);
	const char *why;
	cr_assert_eq(sched_remove(&s, a, false, 1000, &why), -1);
	cr_assert(strstr(why, "wait for it"), "%s", why);
	cr_assert_eq(sched_remove(&s, a, true, 1000, &why), 0);
	cr_assert_eq(b->state, JS_SKIPPED);
	cr_assert(strstr(rstr_text(b->joblets[0].reason), "was removed"), "%s",
		  rstr_text(b->joblets[0].reason));
}

Test(gates, limit_groups_are_exact_and_live)
{
	for (int i = 0; i < 6; i++)
		addj("{\"limits\": [\"db:2\"]}", 1000);
	struct worker *w = worker("n1", 8, NULL), *w2 = worker("n2", 8, NULL);
	struct attempt *at[8];
	cr_assert_eq(take(w, 8, at, 1000), 2);
	cr_assert_eq(take(w2, 8, at + 2, 1000), 0, "the group is full across workers");
	struct limit_group *g = sched_limit(&s, "db", false);
	cr_assert_eq(g->running, 2);
	cr_assert(strstr(reason(sched_job(&s, 3)), "limit group db full (2 of 2 running)"), "%s",
		  reason(sched_job(&s, 3)));
	finish(at[0], FR_NONE, 2000);
	cr_assert_eq(take(w2, 8, at + 2, 2000), 1, "a slot freed");
	sched_limit_set(&s, g, 0);
	finish(at[1], FR_NONE, 2000);
	cr_assert_eq(take(w2, 8, at + 3, 2000), 0, "limit 0 pauses");
	cr_assert(strstr(reason(sched_job(&s, 4)), "paused"), "%s", reason(sched_job(&s, 4)));
	sched_limit_set(&s, g, 5);
	cr_assert_eq(take(w2, 8, at + 3, 2000), 3, "raised live: 1 running + 3 more ≤ 5");
}

Test(gates, max_running_throttles_an_array)
{
	struct job *j = addj("{\"joblets\": 6, \"max_running\": 2}", 1000);
	struct worker *w = worker("n1", 8, NULL);
	struct attempt *at[8];
	cr_assert_eq(take(w, 8, at, 1000), 2);
	cr_assert_eq(j->nrunning, 2);
	cr_assert(strstr(reason(j), "--max-running 2") || j->joblets[0].state == JS_RUNNING);
	finish(at[0], FR_NONE, 2000);
	cr_assert_eq(take(w, 8, at, 2000), 1);
}

Test(gates, constraints_and_avoid)
{
	struct job *a = addj("{\"constraints\": {\"gpu\": \"a100\"}}", 1000);
	struct job *h = addj("{\"constraints\": {\"gpu\": \"h100\"}}", 1000);
	struct job *v = addj("{\"avoid\": [\"big\"]}", 1000);
	struct worker *big = worker("big", 8, "{\"gpu\":\"a100\"}");
	struct worker *small = worker("small", 8, "{\"gpu\":\"t4\"}");
	struct attempt *at[8];
	cr_assert_eq(take(big, 8, at, 1000), 1);
	cr_assert_eq(at[0]->joblet->job, a, "the a100 job on the a100 node; the avoider not here");
	cr_assert_eq(take(small, 8, at, 1000), 1);
	cr_assert_eq(at[0]->joblet->job, v);
	cr_assert_eq(h->state, JS_READY);
	cr_assert(strstr(reason(h), "no worker matches constraint gpu=h100"), "%s", reason(h));
	struct job *n = addj("{\"constraints\": {\"node\": \"small\"}}", 1000);
	cr_assert_eq(take(big, 8, at, 1000), 0, "node= names the worker");
	cr_assert_eq(take(small, 8, at, 1000), 1);
	cr_assert_eq(at[0]->joblet->job, n);
}

Test(gates, a_failed_joblet_prefers_another_node)
{
	struct job *j = addj("{\"retries\": 2}", 1000);
	struct worker *w1 = worker("n1", 1, NULL), *w2 = worker("n2", 1, NULL);
	s.failover_wait_ms = 5000;
	struct attempt *a = take_one(w1, 1000);
	finish(a, FR_EXIT, 1100);
	cr_assert_eq(j->joblets[0].state, JS_READY);
	cr_assert_null(take_one(w1, 1200), "n1 leaves it for another node");
	cr_assert_eq(s.pref_deadline, 1100 + 5000);
	a = take_one(w2, 1300);
	cr_assert_not_null(a);
	cr_assert_str_eq(a->node, "n2");
	finish(a, FR_EXIT, 1400);
	cr_assert_null(take_one(w2, 1500), "and now n2 leaves it for n1");
	cr_assert_not_null(take_one(w2, 7000), "but not forever");
}

Test(gates, a_starving_big_joblet_gets_a_worker_held)
{
	s.starve_ms = 1000;
	struct worker *w = worker("n1", 4, NULL);
	addj("{\"cores\": 1}", 1000);
	struct attempt *first = take_one(w, 1000);
	struct job *big = addj("{\"cores\": 4}", 1000);
	for (int i = 0; i < 10; i++)
		addj("{\"cores\": 1}", 1000);
	struct attempt *at[8];
	cr_assert_eq(take(w, 1, at, 1100), 1, "smaller ones pass it at first");
	cr_assert_neq(big->joblets[0].overtaken_at, 0);
	cr_assert_eq(take(w, 8, at + 1, 2200), 0, "after starve_ms the worker is held for it");
	cr_assert_eq(w->hold_for, &big->joblets[0]);
	finish(first, FR_NONE, 2300);
	cr_assert_eq(take(w, 8, at + 1, 2300), 0, "still one joblet running");
	finish(at[0], FR_NONE, 2400);
	cr_assert_eq(take(w, 8, at + 1, 2400), 1);
	cr_assert_eq(at[1]->joblet->job, big, "the big one runs first");
}

Test(gates, not_before_waits_in_the_timer_heap)
{
	struct job *j = addj("{\"not_before\": \"+5s\"}", 1000);
	cr_assert_eq(j->state, JS_WAITING);
	cr_assert(strstr(reason(j), "not before"), "%s", reason(j));
	int64_t next_mono;
	cr_assert_eq(sched_tick(&s, 2000, 0, &next_mono), 6000, "the next deadline is its time");
	cr_assert_eq(j->state, JS_WAITING);
	sched_tick(&s, 6000, 0, &next_mono);
	cr_assert_eq(j->state, JS_READY);
}

Test(gates, ram_kill_grows_ram_without_a_retry)
{
	struct job *j = addj("{\"ram_mb\": 100}", 1000);
	struct worker *w = worker("n1", 1, NULL);
	struct attempt *a = take_one(w, 1000);
	cr_assert_eq(a->ram_mb, 100);
	finish(a, FR_RAM, 2000);
	cr_assert_eq(j->joblets[0].state, JS_READY, "no retries, yet it runs again");
	cr_assert_eq(j->joblets[0].errors, 0);
	cr_assert_eq(j->ram_mb, 1100, "100 MB doubled is less than +1000 MB");
	a = take_one(w, 2000);
	cr_assert_eq(a->ram_mb, 1100);
	cr_assert_eq(learn_grow_ram(10000), 13000, "×1.3 above 8 GB");
}

Test(gates, learned_requirements)
{
	struct worker *w = worker("n1", 1, NULL);
	for (int i = 0; i < 3; i++) {
		addj("{\"req_group\": \"rg\", \"ram_mb\": 1000}", 1000);
		finish(take_one(w, 1000), FR_NONE, 1000 + 1000 * (i + 1));
	}
	const struct req_group *rg = sched_req_group(&s, "rg");
	cr_assert_not_null(rg);
	cr_assert_eq(rg->rec_ram_mb, 300, "peak 250 MB rounds up to 300");
	cr_assert_eq(rg->rec_time_ms, 60000, "3 s rounds up to a minute");
	struct job *j = addj("{\"req_group\": \"rg\"}", 9000);
	cr_assert_eq(j->ram_mb, 300);
	cr_assert(j->ram_learned && j->time_learned);
	struct job *k = addj("{\"req_group\": \"rg\", \"ram_mb\": 2000, \"override\": 2}", 9000);
	cr_assert_eq(k->ram_mb, 2000, "override 2: given wins");
	struct job *m = addj("{\"req_group\": \"rg\", \"ram_mb\": 10, \"override\": 1}", 9000);
	cr_assert_eq(m->ram_mb, 300, "override 1: the higher learned value wins");
	struct job *z = addj("{\"req_group\": \"rg\", \"ram_mb\": 2000}", 9000);
	cr_assert_eq(z->ram_mb, 300, "override 0: experience wins");
}

/* Learned values book; only the user's values end a joblet (job_*_limit_*), kept beside a
 * learned booking, stored with the options, and grown with the booking after a RAM end. */
Test(gates, learned_values_are_no_limits)
{
	struct worker *w = worker("n1", 1, NULL);
	for (int i = 0; i < 3; i++) {
		addj("{\"req_group\": \"rg\"}", 1000);
		finish(take_one(w, 1000), FR_NONE, 1000 + 1000 * (i + 1));
	}
	struct job *j = addj("{\"req_group\": \"rg\"}", 9000);
	cr_assert_eq(j->ram_mb, 300);
	cr_assert_eq(j->time_ms, 60000);
	cr_assert_eq(job_ram_limit_mb(j), 0, "learned only: no RAM limit");
	cr_assert_eq(job_time_limit_ms(j), 0, "learned only: no time limit");
	struct job *z = addj("{\"req_group\": \"rg\", \"ram_mb\": 2000, \"time_ms\": 5000}", 9000);
	cr_assert_eq(z->ram_mb, 300, "override 0: learned booking");
	cr_assert_eq(z->time_ms, 60000);
	cr_assert_eq(job_ram_limit_mb(z), 2000, "the given RAM stays the limit");
	cr_assert_eq(job_time_limit_ms(z), 5000, "the given time stays the limit");
	struct job *k = addj("{\"req_group\": \"rg\", \"ram_mb\": 2000, \"override\": 2}", 9000);
	cr_assert_eq(job_ram_limit_mb(k), 2000, "override 2: given, booked and limit");
	cr_assert_eq(job_time_limit_ms(k), 0, "no time given: none");
	struct job *p = addj("{\"ram_mb\": 700, \"time_ms\": 9000}", 9000);
	cr_assert_eq(job_ram_limit_mb(p), 700, "no req group: the values are the limits");
	cr_assert_eq(job_time_limit_ms(p), 9000);

	/* Stored and read back (jobs.opts), and rows from before the limits were kept apart. */
	char *text = opts_text(z), err[200];
	struct job *back = job_alloc(1);
	back->ram_mb = z->ram_mb;
	back->time_ms = z->time_ms;
	cr_assert_eq(opts_load(back, text, err, sizeof err), 0, "%s", err);
	cr_assert(back->ram_learned && back->time_learned);
	cr_assert_eq(job_ram_limit_mb(back), 2000);
	cr_assert_eq(job_time_limit_ms(back), 5000);
	job_free(back);
	free(text);
	back = job_alloc(1);
	back->ram_mb = 300;
	cr_assert_eq(opts_load(back, "{\"ram_given\": true, \"ram_learned\": true}", err,
			       sizeof err), 0, "%s", err);
	cr_assert_eq(job_ram_limit_mb(back), 300, "an old row: the learned value stays the limit");
	job_free(back);

	/* A RAM end grows the booking and the kept limit, no retry spent; a time end is the
	 * user's limit and spends a retry like any failure (no doubling of a learned time). */
	struct job *q = addj("{\"req_group\": \"rg\", \"ram_mb\": 50, \"time_ms\": 5000}", 9000);
	struct attempt *a;
	while ((a = take_one(w, 9000)) != NULL && a->joblet->job != q)
		finish(a, FR_NONE, 9500);
	cr_assert_not_null(a);
	finish(a, FR_RAM, 10000);
	cr_assert_eq(q->joblets[0].state, JS_READY);
	cr_assert_eq(q->ram_mb, 1300, "300 booked grows by 1000");
	cr_assert_eq(job_ram_limit_mb(q), 1050, "50 given grows by 1000");
	cr_assert_eq(q->joblets[0].errors, 0);
	a = take_one(w, 11000);
	cr_assert_eq(a->joblet->job, q);
	finish(a, FR_TIME, 12000);
	cr_assert_eq(q->joblets[0].state, JS_FAILED, "no retries: the time end is final");
	cr_assert_eq(q->time_ms, 60000, "the learned booking is not doubled");
}

Test(gates, no_worker_has_the_cores)
{
	worker("n1", 4, NULL);
	struct job *j = addj("{\"cores\": 64}", 1000);
	cr_assert_eq(j->state, JS_READY);
	cr_assert_str_eq(reason(j), "no worker has 64 cores");
}

Test(gates, learned_values_reach_jobs_queued_before)
{
	struct worker *w = worker("n1", 1, NULL);
	struct job *first[3], *late;
	for (int i = 0; i < 3; i++)
		first[i] = addj("{\"req_group\": \"rg\", \"ram_mb\": 1000}", 1000);
	late = addj("{\"req_group\": \"rg\"}", 1000);
	cr_assert_eq(late->ram_mb, 0, "nothing learned yet");
	for (int i = 0; i < 3; i++) {
		struct attempt *a = take_one(w, 2000);
		cr_assert_eq(a->joblet->job, first[i]);
		finish(a, FR_NONE, 3000 + i);
	}
	struct attempt *a = take_one(w, 4000);
	cr_assert_eq(a->joblet->job, late);
	cr_assert_eq(a->ram_mb, 300, "it runs with what the group learned meanwhile");
	cr_assert(late->ram_learned);
}

Test(gates, class_keys_cannot_be_confused)
{
	struct job *a = addj("{\"constraints\": {\"gpu\": \"a|c1:x=1:y\"}}", 1000);
	struct job *b = addj("{\"constraints\": {\"gpu\": \"a\", \"x\": \"y\"}}", 1000);
	cr_assert_neq(a->cls, b->cls, "a value holding separators is its own class");
	struct job *c = addj("{\"constraints\": {\"gpu\": \"a\", \"x\": \"y\"}}", 1000);
	cr_assert_eq(b->cls, c->cls, "the same options share a class");
	char big[2000];
	memset(big, 'v', sizeof big - 1);
	big[sizeof big - 1] = '\0';
	char json[2200];
	snprintf(json, sizeof json, "{\"avoid\": [\"%.250s\"], \"constraints\": {\"k\": \"%.250s\"}}",
		 big, big);
	struct job *d = addj(json, 1000);
	cr_assert_neq(d->cls, a->cls);
}
