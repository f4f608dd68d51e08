/* Gates, under the scheduler (sched.h): what holds a job back before (and, for timeslots,
 * while) it runs: dependencies on other jobs and dep groups, not-before times, timeslots.
 *
 * It keeps the dependency edges, the dep groups, the timer heap of jobs and the list of jobs
 * to evaluate; it never changes a joblet, a count or a queue, and calls neither sched nor
 * queue. It says what it found (struct gate_verdict, the settle list, the due timers) and
 * the scheduler acts on it. Jobs are found by seq in the scheduler's table, passed in. */
#ifndef JG_GATES_H
#define JG_GATES_H
#include "base/heap.h"
#include "base/imap.h"
#include "core/job.h"

struct dep_group {
	const char *name;		/* interned */
	int32_t open, broken;		/* members not final; members final but not done */
	struct job **members;		/* owned array */
	struct job **waiters;		/* owned array: jobs with it in after_groups */
	int32_t nmembers, capmembers, nwaiters, capwaiters;
};

struct gates {
	struct imap dep_groups;		/* interned name → struct dep_group* (owned) */
	struct heap timers;		/* jobs by x->wake_at: not-before and timeslot changes */
	struct job **settle;		/* owned: jobs whose dependencies changed, to evaluate */
	size_t nsettle, capsettle, settle_at;
	uint32_t visit_gen;		/* cycle search */
};

void gates_init(struct gates *g);
void gates_free(struct gates *g);

/* Resolve j's groups and register its edges (waiters whose group flips are queued). */
void gates_link(struct gates *g, struct job_table t, struct job *j);
/* Drop j's own edges, memberships and timer. */
void gates_unlink(struct gates *g, struct job_table t, struct job *j);
/* The above, and break the edges of those waiting for j by id. */
void gates_remove(struct gates *g, struct job_table t, struct job *j);
/* j's state went from old to st: update the edges pointing at it, queue their jobs. */
void gates_job_changed(struct gates *g, struct job *j, int old, int st);

/* What to do with a job's joblets after its gates are recomputed. */
enum { GV_KEEP, GV_SKIP, GV_APPLY };
struct gate_verdict {
	uint8_t act;			/* GV_KEEP: nothing; GV_SKIP: a dependency is broken:
					 * skip what has not started; GV_APPLY: set gates */
	uint8_t gates;			/* GATE_*, for GV_APPLY: close (some) or open (0) */
	bool unskip;			/* GV_APPLY: its SKIPPED joblets wait again */
	bool slot_kill;			/* GV_APPLY: its timeslot ended: stop what runs */
};
/* Recompute every gate of j (dependencies, not-before, timeslot) and its timer. */
struct gate_verdict gates_eval(struct gates *g, struct job *j, int64_t now);
/* The next job queued for evaluation (FIFO, the queue may grow meanwhile), or NULL when
 * none is left. It may have been removed since: check before use. */
struct job *gates_settle_next(struct gates *g);
/* A job whose timer is due (taken off the timer heap), or NULL. */
struct job *gates_due(struct gates *g, int64_t now);
int64_t gates_next(const struct gates *g);	/* wall ms of the next timer, 0 = none */

/* Why a gated job waits, into buf. */
const char *gates_reason(struct job_table t, const struct job *j, int64_t now, char *buf,
			 size_t len);
/* Why j's dependencies can no longer be met (from malloc). */
char *gates_broken_reason(struct job_table t, const struct job *j);
/* Does a job that has not started wait for j (by id or through a dep group)? */
bool gates_has_waiters(const struct job *j);
/* Would options x (for self, or NULL for a new job) name a job that does not exist or close
 * a cycle? 0, or -1 with why in buf and *field the option at fault. */
int gates_check(struct gates *g, struct job_table t, const struct job_ext *x,
		const struct job *self, char *buf, size_t len, const char **field);
#endif
