/* queue.c on its own, without the scheduler above it: classes found or made, the heaps and
 * the list of classes that hold READY joblets, the delay heap, what a worker is offered
 * (queue_scan) and why READY joblets wait. It never changes a joblet's state or a count. */
#include "base/intern.h"
#include "core/opts.h"
#include "core/queue.h"
#include <criterion/criterion.h>
#include <string.h>

enum { MAXJOBS = 16 };
static struct queue q;
static struct job *jobs[MAXJOBS];	/* owned */
static int njobs;
static struct imap workers;		/* map key → struct worker* (owned) */
static int nworkers;
static struct limit_group db;		/* what every job's limit names, as sched resolves it */

static void setup(void)
{
	njobs = nworkers = 0;
	db = (struct limit_group){.limit = -1};
	queue_init(&q);
	imap_init(&workers);
}

static void teardown(void)
{
	queue_free(&q);
	for (int i = 0; i < njobs; i++)
		job_free(jobs[i]);
	for (size_t i = 0; i < workers.cap; i++)
		free(workers.slots[i].val);
	imap_free(&workers);
	intern_free_all();
}

TestSuite(queue, .init = setup, .fini = teardown);

/* A job of n READY joblets, its class chosen; options from json (NULL: none). */
static struct job *mk(int prio, int cores, int n, const char *json)
{
	struct job *j = job_alloc(n);
	j->seq = njobs + 1;
	j->owner = intern("alice");
	j->name = intern("t");
	j->priority = (uint8_t)prio;
	j->cores = cores;
	j->ram_mb = 100;
	if (json) {
		json_t *o = json_loads(json, 0, NULL);
		struct opts_err e;
		cr_assert_eq(opts_read(o, "", 0, &j->x, NULL, &e), 0, "%s: %s", json, e.rule);
		json_decref(o);
		for (int32_t i = 0; i < j->x->nlimits; i++)
			j->x->limits[i].g = &db;
	}
	j->cls = queue_class_for(&q, j);
	jobs[njobs++] = j;
	return j;
}

static void push_all(struct job *j)
{
	for (int32_t i = 0; i < j->njoblets; i++)
		queue_push(&q, &j->joblets[i]);
}

static struct worker *worker(const char *name, int cores)
{
	struct worker *w = calloc(1, sizeof *w);
	w->name = intern(name);
	w->cores = cores;
	w->ram_mb = 1000;
	imap_put(&workers, (uint64_t)++nworkers, w);
	return w;
}

static struct pick scan(const struct worker *w, int cores, int64_t now)
{
	struct pick p;
	queue_scan(&q, w, &workers, cores, w->ram_mb, w->gpus, now, 10000, &p);
	return p;
}

Test(queue, jobs_of_one_shape_share_a_class)
{
	struct job *a = mk(0, 1, 1, NULL), *b = mk(0, 1, 1, NULL), *c = mk(0, 2, 1, NULL);
	struct job *d = mk(0, 1, 1, NULL);
	cr_assert_eq(a->cls, b->cls);
	cr_assert_neq(a->cls, c->cls);
	cr_assert_eq(d->cls, a->cls, "found again after another shape came between");
	struct job *e = mk(0, 1, 1, "{\"constraints\": {\"gpu\": \"a100\"}}");
	struct job *f = mk(0, 1, 1, "{\"constraints\": {\"gpu\": \"a100\"}}");
	cr_assert_neq(e->cls, a->cls, "a constraint makes its own class");
	cr_assert_eq(e->cls, f->cls);
	struct job *m1 = mk(0, 1, 2, "{\"max_running\": 1}");
	struct job *m2 = mk(0, 1, 2, "{\"max_running\": 1}");
	cr_assert_neq(m1->cls, m2->cls, "a --max-running job is a class of its own");
	cr_assert_eq(m1->cls->job, m1);
	cr_assert_eq(q.nclasses, 5);
	cr_assert_eq(q.nactive, 0, "no class holds READY joblets yet");
}

Test(queue, heaps_order_by_priority_then_seq_and_empty_classes_leave_the_active_list)
{
	struct job *low = mk(1, 1, 2, NULL), *high = mk(5, 1, 1, NULL), *big = mk(0, 4, 1, NULL);
	push_all(low);
	push_all(high);
	push_all(big);
	cr_assert_eq(q.nactive, 2);
	cr_assert_eq(heap_top(&low->cls->ready), &high->joblets[0]);
	queue_remove(&q, &high->joblets[0]);
	cr_assert_eq(high->joblets[0].heap, JL_HEAP_NONE);
	cr_assert_eq(heap_top(&low->cls->ready), &low->joblets[0], "then seq, then index");
	queue_remove(&q, &big->joblets[0]);
	cr_assert_eq(q.nactive, 1, "an empty class is no longer scanned");
	cr_assert_eq(q.active[0], low->cls);
	for (int i = 0; i < njobs; i++)
		for (int32_t k = 0; k < jobs[i]->njoblets; k++)
			cr_assert_eq(jobs[i]->joblets[k].state, JS_READY, "states are the scheduler's");
}

Test(queue, the_delay_heap_gives_the_earliest_first)
{
	struct job *a = mk(0, 1, 3, NULL);
	cr_assert_null(queue_next_delay(&q));
	a->joblets[0].ready_at = 3000;
	a->joblets[1].ready_at = 1000;
	a->joblets[2].ready_at = 2000;
	for (int i = 0; i < 3; i++)
		queue_delay(&q, &a->joblets[i]);
	cr_assert_eq(queue_next_delay(&q), &a->joblets[1]);
	queue_remove(&q, &a->joblets[1]);
	cr_assert_eq(queue_next_delay(&q), &a->joblets[2]);
	cr_assert_eq(a->joblets[0].heap, JL_HEAP_DELAY);
}

Test(queue, a_scan_picks_the_best_that_fits_and_names_the_one_blocked)
{
	struct job *small = mk(1, 1, 1, NULL), *big = mk(5, 4, 1, NULL);
	struct job *gpu = mk(9, 1, 1, "{\"constraints\": {\"gpu\": \"a100\"}}");
	push_all(small);
	push_all(big);
	push_all(gpu);
	struct worker *w = worker("n1", 4);
	struct pick p = scan(w, 4, 1000);
	cr_assert_eq(p.best, &big->joblets[0], "the highest priority that matches and fits");
	cr_assert_null(p.blocked);
	p = scan(w, 2, 1000);
	cr_assert_eq(p.best, &small->joblets[0], "only the small one fits what is free");
	cr_assert_eq(p.blocked, &big->joblets[0], "the big one fits the node, not its free cores");
	struct worker *tiny = worker("n2", 1);
	p = scan(tiny, 1, 1000);
	cr_assert_null(p.blocked, "a joblet the node can never hold blocks nothing");
	cr_assert_eq(p.pref_until, 0);
}

Test(queue, a_full_limit_group_or_max_running_takes_a_class_out)
{
	struct job *j = mk(0, 1, 2, "{\"limits\": [\"db\"]}");
	db.name = intern("db");
	db.limit = 1;
	push_all(j);
	struct worker *w = worker("n1", 4);
	cr_assert_eq(scan(w, 4, 1000).best, &j->joblets[0]);
	db.running = 1;
	cr_assert_null(scan(w, 4, 1000).best, "the group is full");
	char buf[256];
	cr_assert_str_eq(queue_reason(j->cls, &workers, buf, sizeof buf),
			 "limit group db full (1 of 1 running)");
	struct job *m = mk(0, 1, 2, "{\"max_running\": 1}");
	push_all(m);
	cr_assert_eq(scan(w, 4, 1000).best, &m->joblets[0]);
	m->nrunning = 1;
	cr_assert_null(scan(w, 4, 1000).best);
	cr_assert_str_eq(queue_reason(m->cls, &workers, buf, sizeof buf),
			 "--max-running 1 reached");
}

Test(queue, a_failed_joblet_prefers_another_node_and_says_until_when)
{
	struct job *j = mk(0, 1, 1, NULL);
	struct worker *w1 = worker("n1", 2);
	worker("n2", 2);
	j->joblets[0].failed_node = w1->name;
	j->joblets[0].ready_since = 1000;
	push_all(j);
	struct pick p = scan(w1, 2, 2000);
	cr_assert_null(p.best, "left for the other node");
	cr_assert_eq(p.pref_until, 11000, "ready_since + the failover wait");
	p = scan(w1, 2, 11000);
	cr_assert_eq(p.best, &j->joblets[0], "the wait is over");
	cr_assert_eq(p.pref_until, 0);
}

Test(queue, reclass_moves_ready_joblets_along)
{
	struct job *j = mk(0, 1, 2, NULL);
	push_all(j);
	struct qclass *old = j->cls;
	j->cores = 2;
	queue_reclass(&q, j, 5000);
	cr_assert_neq(j->cls, old);
	cr_assert_eq(old->ready.len, 0);
	cr_assert_eq(j->cls->ready.len, 2);
	cr_assert_eq(q.nactive, 1);
	cr_assert_eq(q.active[0], j->cls);
}

Test(queue, reasons_say_what_no_worker_has)
{
	struct job *j = mk(0, 8, 1, "{\"constraints\": {\"gpu\": \"a100\"}}");
	char buf[256];
	cr_assert_str_eq(queue_reason(j->cls, &workers, buf, sizeof buf), "no worker is registered");
	worker("n1", 4);
	cr_assert_str_eq(queue_reason(j->cls, &workers, buf, sizeof buf),
			 "no worker matches constraint gpu=a100");
	struct job *k = mk(0, 8, 1, NULL);
	cr_assert_str_eq(queue_reason(k->cls, &workers, buf, sizeof buf), "no worker has 8 cores");
	struct job *fits = mk(0, 2, 1, NULL);
	cr_assert_str_eq(queue_reason(fits->cls, &workers, buf, sizeof buf),
			 "waiting for a worker with free resources");
}

/* A job's joblets leave both heaps, whether they are most of a heap (rebuilt without them)
 * or a few in a big one (taken out one by one); the other jobs' keep their order. */
Test(queue, remove_job_takes_its_joblets_out_of_both_heaps)
{
	struct job *big = mk(3, 1, 200, NULL), *other = mk(5, 1, 3, NULL), *few = mk(1, 1, 2, NULL);
	push_all(other);
	push_all(big);
	push_all(few);
	for (int i = 0; i < 2; i++) {
		big->joblets[i].ready_at = 1000 + i;
		queue_remove(&q, &big->joblets[i]);
		queue_delay(&q, &big->joblets[i]);
	}
	other->joblets[2].ready_at = 500;
	queue_remove(&q, &other->joblets[2]);
	queue_delay(&q, &other->joblets[2]);
	queue_remove_job(&q, big);	/* most of the ready heap: a rebuild */
	for (int32_t i = 0; i < big->njoblets; i++)
		cr_assert_eq(big->joblets[i].heap, JL_HEAP_NONE, "joblet %d left", i);
	cr_assert_eq(other->cls->ready.len, 4);
	cr_assert_eq(heap_top(&other->cls->ready), &other->joblets[0]);
	cr_assert_eq(q.delay.len, 1);
	cr_assert_eq(queue_next_delay(&q), &other->joblets[2]);
	queue_remove_job(&q, few);	/* a small share: one by one */
	cr_assert_eq(few->joblets[0].heap, JL_HEAP_NONE);
	cr_assert_eq(other->cls->ready.len, 2);
	cr_assert_eq(heap_top(&other->cls->ready), &other->joblets[0]);
	queue_remove_job(&q, other);
	cr_assert_eq(q.nactive, 0, "an emptied class is no longer scanned");
	cr_assert_eq(q.delay.len, 0);
}
