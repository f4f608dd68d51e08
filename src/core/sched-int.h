/* What the scheduler's files share: sched.c (queues, workers, results), gates.c
 * (dependencies and time gates) and learn.c (learned requirements). Not for other modules. */
#ifndef JG_SCHED_INT_H
#define JG_SCHED_INT_H
#include "core/sched.h"

/* sched.c */
int ready_less(const void *a, const void *b);	/* priority desc, seq, index */
void joblet_setpos(void *e, size_t pos);
void set_reason(struct joblet *jl, char *reason /* taken */);
void joblet_set_state(struct sched *s, struct joblet *jl, int st);
void job_refresh(struct sched *s, struct job *j, int64_t now);
void worker_list_add(struct worker *w, struct attempt *a);	/* charges its share */

/* queue.c */
struct qclass *class_for(struct sched *s, const struct job *j);	/* found or made */
void class_free(struct qclass *k);
void class_push(struct sched *s, struct joblet *jl);	/* into its job's class heap */
void class_activate(struct sched *s, struct qclass *k);
void unqueue(struct sched *s, struct joblet *jl);
/* READY in its class heap, or WAITING outside every heap while the job is gated. */
void make_ready(struct sched *s, struct joblet *jl, int64_t now);
void make_waiting(struct sched *s, struct joblet *jl, int64_t ready_at);	/* back-off */
void make_final(struct sched *s, struct joblet *jl, int st, char *reason /* taken */);
/* Put the job in the class its options and resources name (READY joblets move along). */
void job_reclass(struct sched *s, struct job *j, int64_t now);
void limits_take(struct job *j, int delta);	/* a joblet starts (+1) or ends (-1) */
void limits_resolve(struct sched *s, struct job *j);	/* name → group, set limits */

/* gates.c */
void gates_link(struct sched *s, struct job *j);	/* resolve groups, register edges */
void gates_unlink(struct sched *s, struct job *j);	/* its own edges and memberships */
void gates_remove(struct sched *s, struct job *j);	/* the above, and break its waiters' */
/* j's state went from old to st: tell those waiting for it. */
void gates_job_changed(struct sched *s, struct job *j, int old, int st, int64_t now);
/* Recompute every gate of j (dependencies, not-before, timeslot), move its joblets. */
void gates_eval(struct sched *s, struct job *j, int64_t now);
/* Evaluate the jobs queued for it, until none is left. */
void gates_settle(struct sched *s, int64_t now);
void gates_tick(struct sched *s, int64_t now);
int64_t gates_next(const struct sched *s);	/* wall ms of the next timer, 0 = none */
void gates_timer_set(struct sched *s, struct job *j, int64_t at);
int timers_less(const void *a, const void *b);
void timers_setpos(void *e, size_t pos);
/* Why a gated job waits, into buf. */
const char *gates_reason(const struct sched *s, const struct job *j, int64_t now, char *buf,
			 size_t len);
int gates_cycle_check(struct sched *s, const struct job_ext *x, const struct job *self,
		      char *buf, size_t len);

/* learn.c */
void learn_sample(struct sched *s, const struct job *j, const struct attempt *a);
/* Apply the req group's recommendation to a job that has not started, as its override
 * says. True if ram_mb or time_ms changed. */
bool learn_apply(struct sched *s, struct job *j);
int32_t learn_grow_ram(int32_t ram_mb);	/* after a RAM kill */
#endif
