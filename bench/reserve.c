/* The cost of one reserve as the backlog grows: 10^3, 10^5 and 10^6 queued joblets in 50
 * shapes and 100 limit groups, beside a 10^4-long chain of dependencies that waits. Links
 * the scheduler directly (no HTTP, no disk) so only the choice of a joblet is timed.
 * Prints `N MICROSECONDS_PER_RESERVE` lines, each the median of 5 rounds of 500 reserves,
 * each reserve followed by the report that ends the joblet it handed out and a new job
 * that keeps the backlog at its size (neither is timed). */
#include "base/intern.h"
#include "core/opts.h"
#include "core/sched.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void no_job(void *c, struct job *j, bool created) {}
static void removed(void *c, struct job *j) { job_free(j); }
static void no_joblet(void *c, struct joblet *jl) {}
static void no_attempt(void *c, struct attempt *a) {}
static void no_event(void *c, int ev, struct job *j, struct joblet *jl, struct attempt *a) {}
static void no_lost(void *c, struct worker *w) {}
static const struct sched_hooks hooks = {NULL, no_job, removed, no_joblet, no_attempt, no_event,
					 no_lost, NULL};

static double now_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

static struct job_ext *ext(const char *json)
{
	json_t *o = json_loads(json, 0, NULL);
	struct job_ext *x = NULL;
	struct opts_err e;
	if (o == NULL || opts_read(o, "", 0, &x, NULL, &e)) {
		fprintf(stderr, "bench-reserve: bad options %s\n", json);
		exit(1);
	}
	json_decref(o);
	return x;
}

/* Queued joblet i: shape i % 50 and limit group i % 100, so 100 queue classes in all. */
static void add_one(struct sched *s, long i)
{
	char opts[64];
	struct job_spec sp = {.owner = "bench", .name = "b", .group = "", .req_group = "",
			      .cwd = "/tmp", .cmd = "true", .njoblets = 1, .lost_retries = 3};
	snprintf(opts, sizeof opts, "{\"limits\": [\"lg%ld:1000000\"]}", i % 100);
	sp.cores = 1 + (int32_t)(i % 50 % 5);
	sp.ram_mb = 100 * (1 + (int32_t)(i % 50 / 5));
	sp.priority = (int32_t)(i % 7);
	sp.x = ext(opts);
	sched_add(s, &sp, 1000);
}

static void fill(struct sched *s, long n)
{
	char opts[128];
	struct job_spec sp = {.owner = "bench", .name = "b", .group = "", .req_group = "",
			      .cwd = "/tmp", .cmd = "true", .njoblets = 1, .lost_retries = 3};
	/* The chain: each waits for the one before, the first for a time far ahead. */
	for (long i = 0; i < 10000; i++) {
		snprintf(opts, sizeof opts, "{\"after_ok\": [%ld]}", (long)s->next_seq - 1);
		sp.cores = 1;
		sp.ram_mb = 100;
		sp.x = ext(i ? opts : "{\"not_before\": \"+1000d\"}");
		sched_add(s, &sp, 1000);
	}
	for (long i = 0; i < n; i++)
		add_one(s, i);
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return (x > y) - (x < y);
}

static double measure(long n)
{
	struct sched s;
	sched_init(&s, &hooks, 30000);
	fill(&s, n);
	size_t nr, nc;
	struct worker *w = sched_worker_add(&s, "bench", 64, 1 << 20, 0, NULL, 0, NULL, 0, NULL, &nr,
					    NULL, &nc, 1000, 0);
	double rounds[5];
	for (int r = 0; r < 5; r++) {
		double t = 0;
		for (int i = 0; i < 500; i++) {
			struct attempt *a;
			double t0 = now_us();
			size_t got = sched_reserve(&s, w, 64, 1 << 20, 0, 1, &a, 2000);
			t += now_us() - t0;
			if (got == 0) {
				fprintf(stderr, "bench-reserve: nothing to reserve\n");
				exit(1);
			}
			struct finish f = {.attempt = a->id, .has_exit = true};
			sched_finish(&s, w, &f, NULL, 2000);
			add_one(&s, n + r * 500 + i);	/* the backlog stays at n */
		}
		rounds[r] = t / 500;
	}
	qsort(rounds, 5, sizeof rounds[0], cmp);
	sched_free(&s);
	intern_free_all();
	return rounds[2];
}

int main(void)
{
	static const long sizes[] = {1000, 100000, 1000000};
	for (size_t i = 0; i < 3; i++)
		printf("%ld %.3f\n", sizes[i], measure(sizes[i]));
	return 0;
}
