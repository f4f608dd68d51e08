/* gates.c on its own, without the scheduler above it: what it says (verdicts, the settle
 * list, due timers, reasons) for jobs whose states the test sets by hand, and that it
 * changes no joblet, count or job state itself — the scheduler acts on what it says. */
#include "base/intern.h"
#include "core/gates.h"
#include "core/opts.h"
#include <criterion/criterion.h>
#include <string.h>

enum { MAXJOBS = 16 };
static struct gates g;
static struct job *jobs[MAXJOBS];	/* owned; indexed by seq */
static uint8_t gone[MAXJOBS];	/* final state + 1 of jobs out of memory */
static struct job *const *const dir[1] = {jobs};	/* one block: MAXJOBS < its size */
static struct job_table t = {dir, 1, gone, MAXJOBS};

static void setup(void)
{
	memset(jobs, 0, sizeof jobs);
	memset(gone, 0, sizeof gone);
	gates_init(&g);
}

static void teardown(void)
{
	gates_free(&g);
	for (int i = 0; i < MAXJOBS; i++)
		job_free(jobs[i]);
	intern_free_all();
}

TestSuite(gates_alone, .init = setup, .fini = teardown);

/* Job seq with the option fields of json, linked into the gates. */
static struct job *mk(int64_t seq, const char *json, int64_t now)
{
	json_t *o = json_loads(json, 0, NULL);
	cr_assert_not_null(o, "%s", json);
	struct opts_err e;
	struct job_ext *x = NULL;
	cr_assert_eq(opts_read(o, "", now, &x, NULL, &e), 0, "%s: %s %s", json, e.field, e.rule);
	json_decref(o);
	struct job *j = job_alloc(1);
	j->seq = seq;
	j->owner = intern("alice");
	j->name = intern("t");
	j->x = x ? x : job_ext(j);
	jobs[seq] = j;
	gates_link(&g, t, j);
	return j;
}

/* Set j's (one joblet's) state by hand, as the scheduler would, and tell the gates. */
static void set_state(struct job *j, int st)
{
	int old = j->state;
	j->counts[j->joblets[0].state]--;
	j->joblets[0].state = (uint8_t)st;
	j->counts[st]++;
	j->state = (uint8_t)st;
	gates_job_changed(&g, j, old, st);
}

/* Take the settle list: how many jobs it held, the first into *first. */
static int drain(struct job **first)
{
	int n = 0;
	struct job *j;
	while ((j = gates_settle_next(&g)) != NULL)
		if (n++ == 0 && first)
			*first = j;
	return n;
}

Test(gates_alone, a_dependency_closes_then_opens_and_nothing_else_changes)
{
	struct job *a = mk(1, "{}", 1000);
	struct job *b = mk(2, "{\"after_ok\": [1]}", 1000);
	struct gate_verdict v = gates_eval(&g, b, 1000);
	cr_assert_eq(v.act, GV_APPLY);
	cr_assert_eq(v.gates, GATE_DEPS);
	cr_assert_not(v.unskip);
	cr_assert_eq(b->joblets[0].state, JS_READY, "the gates never move a joblet");
	cr_assert_eq(b->gates, 0, "nor set the job's gates: the scheduler does");
	cr_assert_eq(drain(NULL), 0, "nothing to settle yet");

	set_state(a, JS_RUNNING);
	cr_assert_eq(drain(NULL), 0, "a dependency still pending is no change for its waiter");
	set_state(a, JS_DONE);
	struct job *first = NULL;
	cr_assert_eq(drain(&first), 1);
	cr_assert_eq(first, b, "the waiter is queued to be looked at again");
	v = gates_eval(&g, b, 2000);
	cr_assert_eq(v.act, GV_APPLY);
	cr_assert_eq(v.gates, 0, "met: it opens");
	cr_assert_eq(b->x->dep_pending, 0);
	cr_assert_eq(b->joblets[0].state, JS_READY);
}

Test(gates_alone, a_broken_dependency_says_skip_and_a_retry_says_unskip)
{
	struct job *a = mk(1, "{}", 1000);
	struct job *b = mk(2, "{\"after_ok\": [1]}", 1000);
	set_state(a, JS_FAILED);
	struct job *first = NULL;
	cr_assert_eq(drain(&first), 1);
	cr_assert_eq(first, b);
	struct gate_verdict v = gates_eval(&g, b, 2000);
	cr_assert_eq(v.act, GV_SKIP);
	cr_assert_eq(b->joblets[0].state, JS_READY, "skipping is the scheduler's to do");
	char *why = gates_broken_reason(t, b);
	cr_assert_str_eq(why, "dependency alice.t.1 failed (--after-ok)");
	free(why);

	set_state(b, JS_SKIPPED);	/* as the scheduler does on GV_SKIP */
	cr_assert_eq(gates_eval(&g, b, 2000).act, GV_KEEP, "skipped already: nothing to do");
	set_state(a, JS_READY);	/* a retry upstream */
	cr_assert_eq(drain(&first), 1);
	v = gates_eval(&g, b, 3000);
	cr_assert_eq(v.act, GV_APPLY);
	cr_assert(v.unskip, "its skipped joblets wait again");
	cr_assert_eq(v.gates, GATE_DEPS);
}

Test(gates_alone, a_dep_group_tells_its_waiters_only_when_it_flips)
{
	struct job *m1 = mk(1, "{\"dep_groups\": [\"g\"]}", 1000);
	struct job *m2 = mk(2, "{\"dep_groups\": [\"g\"]}", 1000);
	struct job *w = mk(3, "{\"after_groups\": [\"g\"]}", 1000);
	cr_assert_eq(gates_eval(&g, w, 1000).gates, GATE_DEPS);
	set_state(m1, JS_DONE);
	cr_assert_eq(drain(NULL), 0, "one member of two done: the group is still open");
	char buf[256];
	w->gates = GATE_DEPS;	/* as the scheduler applied it */
	cr_assert_str_eq(gates_reason(t, w, 1000, buf, sizeof buf),
			 "waiting for group g (1 of 2 members done)");
	set_state(m2, JS_DONE);
	struct job *first = NULL;
	cr_assert_eq(drain(&first), 1, "the group is met: its waiter is told once");
	cr_assert_eq(first, w);
	cr_assert_eq(gates_eval(&g, w, 2000).gates, 0);
}

Test(gates_alone, the_settle_list_is_taken_in_order_while_it_grows)
{
	struct job *a = mk(1, "{}", 1000);
	struct job *b = mk(2, "{\"after_ok\": [1]}", 1000);
	struct job *c = mk(3, "{\"after_ok\": [2]}", 1000);
	set_state(a, JS_FAILED);
	cr_assert_eq(gates_settle_next(&g), b);
	set_state(b, JS_SKIPPED);	/* acting on b queues c behind it */
	cr_assert_eq(gates_settle_next(&g), c);
	cr_assert_null(gates_settle_next(&g));
	cr_assert_null(gates_settle_next(&g), "empty stays empty");
}

Test(gates_alone, not_before_sets_a_timer_that_falls_due)
{
	struct job *j = mk(1, "{\"not_before\": 5000}", 1000);
	struct gate_verdict v = gates_eval(&g, j, 1000);
	cr_assert_eq(v.gates, GATE_NOT_BEFORE);
	cr_assert_eq(gates_next(&g), 5000);
	cr_assert_null(gates_due(&g, 4999));
	cr_assert_eq(gates_due(&g, 5000), j);
	cr_assert_eq(gates_next(&g), 0, "taken off the timer heap");
	cr_assert_null(gates_due(&g, 6000));
	v = gates_eval(&g, j, 5000);
	cr_assert_eq(v.act, GV_APPLY);
	cr_assert_eq(v.gates, 0, "due: it opens");
	cr_assert_eq(gates_next(&g), 0, "and needs no timer");
}

Test(gates_alone, removing_a_job_breaks_its_waiters)
{
	struct job *a = mk(1, "{}", 1000);
	struct job *b = mk(2, "{\"after_any\": [1]}", 1000);
	cr_assert(gates_has_waiters(a));
	gates_remove(&g, t, a);
	jobs[1] = NULL;
	struct job *first = NULL;
	cr_assert_eq(drain(&first), 1);
	cr_assert_eq(first, b);
	cr_assert_eq(gates_eval(&g, b, 2000).act, GV_SKIP);
	char *why = gates_broken_reason(t, b);
	cr_assert_str_eq(why, "dependency 1 was removed (--after-any)");
	free(why);
	job_free(a);
}

Test(gates_alone, check_refuses_missing_jobs_and_cycles)
{
	mk(1, "{\"dep_groups\": [\"gx\"], \"after_groups\": [\"gy\"]}", 1000);
	struct job *self = mk(2, "{}", 1000);
	char why[400];
	const char *field = NULL;
	struct job_ext x = {0};
	struct ext_dep d = {.seq = 9, .type = DEP_OK};
	x.deps = &d;
	x.ndeps = 1;
	cr_assert_eq(gates_check(&g, t, &x, NULL, why, sizeof why, &field), -1);
	cr_assert_str_eq(why, "no job 9");
	cr_assert_str_eq(field, "after_ok");
	d.seq = 2;
	cr_assert_eq(gates_check(&g, t, &x, self, why, sizeof why, &field), -1);
	cr_assert(strstr(why, "cannot wait for itself"), "%s", why);
	d.seq = 1;
	cr_assert_eq(gates_check(&g, t, &x, NULL, why, sizeof why, &field), 0, "%s", why);
	struct ext_group in = {.name = intern("gy")}, after = {.name = intern("gx")};
	struct job_ext y = {.groups = &in, .ngroups = 1, .after_groups = &after, .nafter_groups = 1};
	cr_assert_eq(gates_check(&g, t, &y, NULL, why, sizeof why, &field), -1);
	cr_assert(strstr(why, "dependency cycle"), "%s", why);
	cr_assert_str_eq(field, "dep_groups");
}

/* A job read back from the store whose dependency left memory (history out of memory):
 * the dependency resolves from the state kept for it, not as a removed job. */
Test(gates_alone, a_dependency_out_of_memory_resolves_from_its_kept_state)
{
	gone[1] = JS_DONE + 1;
	gone[2] = JS_FAILED + 1;
	struct job *ok = mk(3, "{\"after_ok\": [1]}", 1000);
	cr_assert_eq(ok->x->deps[0].status, DS_MET, "a done job out of memory meets after_ok");
	cr_assert_eq(ok->x->dep_broken, 0);
	cr_assert_eq(ok->x->dep_pending, 0);
	struct job *bad = mk(4, "{\"after_ok\": [2]}", 1000);
	cr_assert_eq(bad->x->deps[0].status, DS_BROKEN, "a failed one breaks it");
	char *why = gates_broken_reason(t, bad);
	cr_assert_not_null(why);
	cr_assert(strstr(why, "dependency 2 failed") != NULL, "%s", why);
	free(why);
	struct job *fail = mk(5, "{\"after_fail\": [2]}", 1000);
	cr_assert_eq(fail->x->deps[0].status, DS_MET, "and meets after_fail");
	struct job *none = mk(6, "{\"after_any\": [9]}", 1000);
	cr_assert_eq(none->x->deps[0].status, DS_BROKEN, "a removed job still breaks it");
}
