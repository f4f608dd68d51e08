/* The scheduler: every job, the ready queues, the workers and their leases, the timers.
 * Pure logic: no sockets, no SQL, no clock — callers pass `now` (wall ms for what is
 * stored, monotonic ms for leases so a clock step cannot expire them) — so it is unit
 * tested without a loop or a database. Changes are announced through `struct sched_hooks`,
 * which the server turns into store records and events.
 *
 * Queue: READY joblets sit in one heap per resource shape (cores, RAM, GPUs), ordered by
 * priority (high first), then job seq, then joblet index. A reserve looks only at the heads
 * of the shapes that fit the worker's free resources, so its cost does not depend on the
 * backlog, and a joblet that fits nowhere does not block smaller ones behind it. */
#ifndef JG_SCHED_H
#define JG_SCHED_H
#include "base/heap.h"
#include "base/imap.h"
#include "core/job.h"

struct shape {
	int32_t cores, ram_mb, gpus;
	struct heap ready;		/* READY joblets of jobs with this shape */
};

struct worker {
	char id[24];			/* "w" + random hex; names it in the API */
	const char *name;		/* interned node name */
	int32_t cores, ram_mb, gpus;
	int32_t used_cores, used_ram_mb, used_gpus;
	char *tags;			/* from malloc: JSON object text, or NULL */
	int pid;
	bool placeholder;		/* stands for a previous run's worker until it re-registers */
	int64_t registered_at, last_seen;	/* wall ms */
	int64_t lease_deadline;		/* monotonic ms */
	size_t lease_pos;
	struct attempt *running;	/* list through wnext/wprev */
	int32_t nrunning;
	void *parked;			/* the server's parked reserve request, or NULL */
};

enum sched_event {
	EV_JOB_SUBMITTED, EV_JOB_STARTED, EV_JOBLET_DISPATCHED, EV_JOBLET_RETURNED, EV_JOB_ENDED,
	EV__N
};
const char *sched_event_name(int ev);

struct sched_hooks {
	void *ctx;
	void (*job_put)(void *ctx, struct job *j, bool created);	/* row changed */
	void (*job_removed)(void *ctx, struct job *j);	/* now owned by the callee: free later */
	void (*joblet_put)(void *ctx, struct joblet *jl);
	void (*attempt_put)(void *ctx, struct attempt *a);
	void (*event)(void *ctx, int ev, struct job *j, struct joblet *jl, struct attempt *a);
	void (*worker_lost)(void *ctx, struct worker *w);	/* before w is freed */
};

struct sched_counts {
	int32_t by_state[JS__N];
};

struct sched {
	struct sched_hooks hooks;
	struct job **jobs;		/* owned array indexed by seq; entries owned */
	int64_t jobs_cap;
	int64_t next_seq;		/* seq of the next job (first is 1) */
	int64_t next_attempt;		/* id of the next attempt */
	int64_t njobs;
	struct shape **shapes;		/* owned */
	size_t nshapes;
	struct heap delay;		/* WAITING joblets by ready_at */
	struct heap leases;		/* workers by lease_deadline */
	struct imap attempts;		/* attempt id → struct attempt* (all, not owned) */
	struct imap workers;		/* imap_hash_str(id) → struct worker* (owned) */
	struct imap uniq;		/* hash(cmd, cwd) → chain of incomplete jobs */
	struct imap groups;		/* interned group pointer → struct sched_counts* (owned) */
	struct sched_counts totals;
	int64_t lease_ms;
	uint32_t rand_state;		/* xorshift for back-off jitter */
};

/* What a job is made from; strings are borrowed, copied or interned by sched_add. */
struct job_spec {
	const char *owner, *name, *group, *req_group, *cwd, *cmd, *env;
	int64_t time_ms, retry_delay_ms;
	int32_t cores, ram_mb, gpus, njoblets;
	int32_t retries, lost_retries, priority;
	bool no_restart, unique;
};

/* A worker's report on one attempt (docs/API.md FINISH). Strings borrowed. */
struct finish {
	int64_t attempt;
	bool has_exit;
	int32_t exit_code, signal;
	int fail_reason;		/* FR_NONE: success */
	int64_t started_at, ended_at;	/* wall ms as the worker saw them; 0 = unknown */
	int32_t peak_ram_mb;
	int64_t cpu_ms;
	const char *message;
	bool worker_stop;
};

enum finish_result { FINISH_APPLIED, FINISH_DUPLICATE, FINISH_STALE, FINISH_UNKNOWN };

void sched_init(struct sched *s, const struct sched_hooks *hooks, int64_t lease_ms);
void sched_free(struct sched *s);

struct job *sched_job(const struct sched *s, int64_t seq);
/* An incomplete job with the same cmd and cwd, or NULL (wr's --unique rule). */
struct job *sched_find_duplicate(const struct sched *s, const char *cmd, const char *cwd);
struct job *sched_add(struct sched *s, const struct job_spec *spec, int64_t now);

/* Register a worker (id chosen here). `running` lists attempts it still runs: those that
 * belong to a placeholder are re-attached (out_reattached), the others are not live and
 * go to out_cancel. Arrays are caller-provided with room for nrunning ids. */
struct worker *sched_worker_add(struct sched *s, const char *name, int32_t cores,
				int32_t ram_mb, int32_t gpus, char *tags /* taken */, int pid,
				const int64_t *running, size_t nrunning, int64_t *out_reattached,
				size_t *n_reattached, int64_t *out_cancel, size_t *n_cancel,
				int64_t now, int64_t mono);
struct worker *sched_worker(const struct sched *s, const char *id);
void sched_worker_touch(struct sched *s, struct worker *w, int64_t now, int64_t mono);

/* Hand up to max READY joblets that fit w's free resources (bounded by free_*) to w:
 * each gets a new RUNNING attempt, stored in out[]. Returns how many. */
size_t sched_reserve(struct sched *s, struct worker *w, int32_t free_cores, int32_t free_ram,
		     int32_t free_gpus, size_t max, struct attempt **out, int64_t now);
/* True if some READY joblet fits those free resources. */
bool sched_has_fit(const struct sched *s, int32_t free_cores, int32_t free_ram, int32_t free_gpus);

/* Apply a report from worker w (NULL: from whoever holds the attempt id). A report for an
 * attempt that is no longer live is kept as its late_result (late_json, borrowed) and
 * refused. */
enum finish_result sched_finish(struct sched *s, struct worker *w, const struct finish *f,
				const char *late_json, int64_t now);
/* Is this attempt live and held by w? */
struct attempt *sched_live_attempt(const struct sched *s, struct worker *w, int64_t id);

int sched_cancel(struct sched *s, struct job *j, int64_t now);	/* 0 */
/* -1 with *why if an attempt of a cancelled joblet is still stopping. */
int sched_retry(struct sched *s, struct job *j, int64_t now, const char **why);
/* -1 with *why if it runs or is done; the job is handed to hooks.job_removed. */
int sched_remove(struct sched *s, struct job *j, const char **why);
/* Change waiting joblets: priority, resources, budgets. Fields < 0 are left alone. */
void sched_modify(struct sched *s, struct job *j, const struct job_spec *mod, int64_t now);

/* Run what is due: back-off delays (wall) and lease expiries (mono). Returns the wall
 * time of the next back-off deadline and *next_mono the next lease deadline (0 = none). */
int64_t sched_tick(struct sched *s, int64_t now, int64_t mono, int64_t *next_mono);

/* Recovery: rows from the store, then sched_load_done to rebuild indexes. */
void sched_load_job(struct sched *s, struct job *j /* taken */);
struct joblet *sched_load_joblet_ref(struct sched *s, int64_t seq, int32_t idx);
void sched_load_attempt(struct sched *s, struct attempt *a /* taken */, int64_t seq, int32_t idx);
void sched_load_done(struct sched *s, int64_t now, int64_t mono);

const struct sched_counts *sched_group_counts(const struct sched *s, const char *group);
#endif
