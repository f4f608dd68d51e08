/* What the scheduler's own files share: sched.c (jobs and their states, workers, results,
 * user actions, recovery, acting on the gates' verdicts), sched-reserve.c (limit groups,
 * reserving, reasons) and learn.c (learned requirements). Not for other modules; gates.c
 * and queue.c, under the scheduler, see none of it. */
#ifndef JG_SCHED_INT_H
#define JG_SCHED_INT_H
#include "core/sched.h"

/* sched.c */
struct job_table sched_jobs(const struct sched *s);	/* borrowed view for gates.c */
/* A joblet's reason (text borrowed; NULL: none), shared with the joblets given the same
 * text lately (s->reasons). */
void set_reason(struct sched *s, struct joblet *jl, const char *text);
void joblet_set_state(struct sched *s, struct joblet *jl, int st);
void job_refresh(struct sched *s, struct job *j, int64_t now);
void worker_list_add(struct worker *w, struct attempt *a);	/* charges its share */
/* READY in its class heap, or WAITING outside every heap while the job is gated. */
void make_ready(struct sched *s, struct joblet *jl, int64_t now);
void make_waiting(struct sched *s, struct joblet *jl, int64_t ready_at);	/* back-off */
void make_final(struct sched *s, struct joblet *jl, int st, const char *reason /* borrowed */);

/* sched-reserve.c */
void limits_take(struct job *j, int delta);	/* a joblet starts (+1) or ends (-1) */
void limits_resolve(struct sched *s, struct job *j);	/* name → group, set limits */

/* learn.c */
void learn_sample(struct sched *s, const struct job *j, const struct attempt *a);
/* The same for a req group (interned) whose job is not at hand (recovery's history). */
void learn_group_sample(struct sched *s, const char *req_group, const struct attempt *a);
/* Apply the req group's recommendation to a job that has not started, as its override
 * says. True if ram_mb or time_ms changed. */
bool learn_apply(struct sched *s, struct job *j);
int32_t learn_grow_ram(int32_t ram_mb);	/* after a RAM kill */
#endif
