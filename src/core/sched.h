/* The scheduler: every job, the ready queues, the workers and their leases, the timers.
 * Pure logic: no sockets, no SQL, no clock — callers pass `now` (wall ms for what is
 * stored, monotonic ms for leases so a clock step cannot expire them) — so it is unit
 * tested without a loop or a database. Changes are announced through `struct sched_hooks`,
 * which the server turns into store records and events.
 *
 * Queue: READY joblets sit in one heap per queue class, ordered by priority (high first),
 * then job seq, then joblet index. A class is everything that decides which workers may
 * take a joblet: its shape (cores, RAM, GPUs), constraints, avoided nodes, limit groups,
 * and for a job with --max-running the job itself. A reserve looks only at the heads of
 * the non-empty classes, so its cost depends on the number of classes, not on the backlog,
 * and a joblet that fits nowhere does not block smaller ones behind it.
 *
 * Starvation: a head that fits a worker's total resources but keeps being overtaken by
 * smaller joblets for starve_ms gets that worker held for it: the worker takes nothing new
 * until the joblet fits, then runs it (a node reservation, as Slurm's backfill without
 * the backfill).
 *
 * Dependencies (gates.c) gate whole jobs until they start; time gates (not-before,
 * timeslots) sit in one deadline heap of jobs. Limit groups count running joblets.
 *
 * Layering: the scheduler (sched*.c, learn.c) is the façade and the only one to change
 * joblet states, counts, workers and attempts, and to call the hooks. Under it, side by
 * side, queue.c (classes and heaps, queue.h) and gates.c (dependencies and time, gates.h):
 * sched calls them; they call neither sched nor each other, and say what the scheduler must
 * do through return values (struct pick, struct gate_verdict) and gates' settle list. */
#ifndef JG_SCHED_H
#define JG_SCHED_H
#include "base/heap.h"
#include "base/imap.h"
#include "core/gates.h"
#include "core/job.h"
#include "core/queue.h"
#include "core/worker.h"

enum { REQ_SAMPLES = 128, REQ_MIN_SAMPLES = 3 };
struct req_group {
	const char *name;		/* interned */
	int32_t ram_mb[REQ_SAMPLES];	/* peak RAM of the last successful attempts, a ring */
	int64_t wall_ms[REQ_SAMPLES];
	int32_t n, pos;
	int32_t rec_ram_mb;		/* recommendation; 0 until REQ_MIN_SAMPLES */
	int64_t rec_time_ms;
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
	void (*limit_put)(void *ctx, const struct limit_group *g);	/* may be NULL */
};

struct sched_counts {
	int32_t by_state[JS__N];
};

/* An owner's jobs that left memory, counted per group (its /v1/stats). */
struct history_group {
	const char *group;		/* interned */
	int64_t jobs;
	int64_t by_state[JS__N];	/* their joblets per state */
};
struct owner_history {
	const char *owner;		/* interned */
	struct history_group *groups;	/* owned array */
	int32_t ngroups, cap;
};

/* Attempts that left memory (sched_trim) still count in the throughput of the minutes
 * they started and ended in (api/throughput.c): per owner, a ring of the last TALLY_MINUTES
 * wall minutes, each slot holding the minute it counts. */
enum { TALLY_MINUTES = 64 };
struct minute_tally {
	int64_t minute;			/* wall ms / 60000 */
	int32_t started, done, failed;
};
struct owner_tally {
	const char *owner;		/* interned */
	struct minute_tally m[TALLY_MINUTES];	/* slot minute % TALLY_MINUTES */
};

struct sched {
	struct sched_hooks hooks;
	/* Jobs in memory by seq (sched_job): a directory of blocks of SCHED_BLOCK slots, each
	 * block allocated when a job in it enters memory and freed when its last one leaves.
	 * Directory, blocks and jobs owned. */
	struct job ***blocks;		/* nblocks entries; NULL: no job of that block in memory */
	int64_t nblocks;
	int32_t *block_jobs;		/* owned, nblocks entries: jobs in memory per block, so
					 * that a walk skips the blocks of jobs out of memory */
	uint16_t (*block_states)[JS__N];	/* owned, nblocks entries: per block, its jobs
					 * in memory by state, so that a list filtered by state
					 * skips blocks and counts what is beyond its page without
					 * a look at each job (sched_skip_state, sched_count_state) */
	int64_t next_seq;		/* seq of the next job (first is 1) */
	int64_t next_attempt;		/* id of the next attempt */
	int64_t njobs;			/* jobs held in memory */
	/* Finished jobs that left memory for the store (sched_evict): a byte per seq, how
	 * many, and per owner (interned pointer → struct owner_history*, owned). They stay
	 * counted in totals, groups and jobs_by_state. */
	uint8_t *evicted;		/* per seq: a job out of memory (history.c) has its final
					 * state + 1 here, so a dependency on it still resolves;
					 * 0 for one in memory, never made, or removed */
	int64_t evicted_cap;		/* entries */
	int64_t nevicted;
	struct imap history;
	struct imap tallies;		/* interned owner → struct owner_tally* (owned) */
	/* Recovery with history out of memory: finished jobs that ended at or before this wall
	 * time and that nothing keeps in memory (sched_evictable, SCHED_EVICT_MAX_JOBLETS) are
	 * loaded as history only (sched_load_history); INT64_MIN, sched_init's: all in full. */
	int64_t load_history_before;
	int64_t load_stored;		/* recovery: attempts of final joblets of jobs in memory
					 * left in the store, not read (sched_load_stored) */
	struct load_sample *samples;	/* owned: learned-requirement samples of jobs loaded
					 * as history, until sched_load_done merges them */
	int64_t nsamples, capsamples;
	struct queue q;			/* READY joblets by class, back-off delays */
	struct gates g;			/* dependencies, dep groups, time gates */
	struct imap limits;		/* interned name → struct limit_group* (owned) */
	struct imap req_groups;		/* interned name → struct req_group* (owned) */
	struct heap leases;		/* workers by lease_deadline */
	struct imap attempts;		/* attempt id → struct attempt* (all, not owned) */
	/* id → struct worker* (owned). A registered worker's id is drawn until hash_id(id) is
	 * a free key, so it sits at that key; a placeholder's id comes from the store and may
	 * collide, so it takes the next free key after it, found by comparing ids (lookups of
	 * placeholders by id happen at load only, before any worker leaves the map). */
	struct imap workers;
	uint64_t (*hash_id)(const char *id);	/* imap_hash_str unless a test swaps it */
	struct imap uniq;		/* hash(cmd, cwd) → chain of incomplete jobs */
	struct imap groups;		/* interned group pointer → struct sched_counts* (owned) */
	struct sched_counts totals;
	int64_t jobs_by_state[JS__N];	/* jobs by their derived state */
	uint64_t lease_expiries;	/* workers lost because their lease ran out */
	int64_t lease_ms;
	int64_t starve_ms;		/* overtaken this long: hold a worker for it */
	int64_t failover_wait_ms;	/* a failed joblet waits this long for another node */
	int64_t pref_deadline;		/* wall ms a skipped preference expires, 0 = none */
	bool wake_workers;		/* something became dispatchable without a state change */
	bool kills_pending;		/* the scheduler asked for running joblets to be killed */
	uint32_t rand_state;		/* xorshift for back-off jitter */
	bool settling;			/* working through the gates' settle list */
	/* Why no worker is there yet for ready joblets no worker fits, from whoever starts
	 * workers on demand (server/spawn.c): shown instead of those reasons. Borrowed; NULL
	 * when there is nothing to say. */
	const char *spawn_note;
	/* The joblets' reasons made last (set_reason, sched_load_reason): a cancel's 10^5
	 * joblets hold one copy of its text. */
	struct rstr_cache reasons;
};

/* What a job is made from; strings are borrowed, copied or interned by sched_add.
 * x, when not NULL, is taken by sched_add (its strings interned already). */
struct job_spec {
	int64_t seq;			/* 0: the next one; else one from sched_reserve_seq */
	const char *owner, *name, *group, *req_group, *cwd, *cmd, *env;
	const char *submit_env;		/* the submitter's environment (JSON text) or NULL */
	int64_t time_ms, retry_delay_ms;
	int32_t cores, ram_mb, gpus, njoblets;
	int32_t retries, lost_retries, priority;
	bool no_restart, unique;
	bool cwd_default;		/* cwd is the default: none was named */
	struct job_ext *x;
};

/* Which option lists a modification replaces (sched_modify's mask). */
enum {
	MOD_CONSTRAINTS = 1, MOD_AVOID = 2, MOD_LIMITS = 4, MOD_DEPS = 8, MOD_GROUPS = 16,
	MOD_AFTER_GROUPS = 32, MOD_NOT_BEFORE = 64, MOD_SLOT = 128, MOD_MAX_RUNNING = 256,
	MOD_OVERRIDE = 512, MOD_RETRY_PERMANENT = 1024, MOD_OUTPUT_LIMIT = 2048,
};

/* A worker's report on one attempt (docs/API.md FINISH). Strings borrowed. */
struct finish {
	int64_t attempt;
	bool has_exit;
	int32_t exit_code, signal;
	int fail_reason;		/* FR_NONE: success */
	int64_t started_at, ended_at;	/* wall ms as the worker saw them; 0 = unknown */
	int64_t wall_ms;		/* the worker's monotonic measure of the run; -1 = unknown */
	int64_t output_bytes;		/* the length of the output stream the worker produced */
	int64_t output_dropped;		/* bytes it dropped over the job's output limit */
	int32_t peak_ram_mb;
	int64_t cpu_ms;
	const char *message;
	const char *run_as;		/* the account its process ran as; NULL: not said */
	bool worker_stop;
	bool not_started;		/* the worker never started it: queue it again, no budget */
};

enum finish_result { FINISH_APPLIED, FINISH_DUPLICATE, FINISH_STALE, FINISH_UNKNOWN };

void sched_init(struct sched *s, const struct sched_hooks *hooks, int64_t lease_ms);
void sched_free(struct sched *s);

/* The job seq in memory, or NULL (never made, removed, out of memory, or seq out of range). */
struct job *sched_job(const struct sched *s, int64_t seq);
/* Walks over the slots (step +1 or -1 from seq) skip those of jobs out of memory: the
 * first seq from seq on in that direction whose block of SCHED_BLOCK slots holds a job in
 * memory; none: next_seq (step +1, when seq is below it) or 0 (step -1). */
enum { SCHED_BLOCK = JOB_TABLE_BLOCK };
int64_t sched_skip_empty(const struct sched *s, int64_t seq, int step);
/* A walk over the jobs in memory in seq order: the job at *seq or the first one after it,
 * *seq set to its seq; NULL when there is none below next_seq. Empty blocks cost a look
 * each. The walk may take the job it is at out of memory (evict, remove):
 *	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) */
struct job *sched_next_job(const struct sched *s, int64_t *seq);
/* The same for a walk after jobs in state st (st < 0: any): the first seq from seq on in
 * that direction whose block holds a job in memory in that state. */
int64_t sched_skip_state(const struct sched *s, int64_t seq, int step, int st);
/* Jobs in memory in state st (st < 0: any) at seq and beyond it in that direction: the
 * rest of seq's block looked at slot by slot, the blocks after it by their counts. */
int64_t sched_count_state(const struct sched *s, int64_t seq, int step, int st);
/* An incomplete job of owner's with the same cmd and cwd, or NULL (wr's --unique rule;
 * per owner, so that it tells nobody of others' jobs). */
struct job *sched_find_duplicate(const struct sched *s, const char *cmd, const char *cwd,
				 const char *owner);
/* Check what sched_add would refuse: dependencies on jobs that do not exist, cycles.
 * 0, or -1 with why (a static or buf text) and *field the option at fault. */
int sched_check(struct sched *s, const struct job_spec *spec, const struct job *self, char *buf,
		size_t len, const char **field);
struct job *sched_add(struct sched *s, const struct job_spec *spec, int64_t now);
/* Set a seq aside for a job added later (a script run knows its id before its joblets). A
 * seq never used leaves a gap, as a removed job does. */
int64_t sched_reserve_seq(struct sched *s);

/* Register a worker (id chosen here). `running` lists attempts it still runs: those that
 * belong to a placeholder are re-attached (out_reattached), the others are not live and
 * go to out_cancel. Arrays are caller-provided with room for nrunning ids. Placeholders of
 * the same node name left with attempts it did not claim are lost now: the node is back
 * and does not run them. */
struct worker *sched_worker_add(struct sched *s, const char *name, int32_t cores,
				int32_t ram_mb, int32_t gpus, char *tags /* taken: JSON object of
				strings */, int pid,
				const int64_t *running, size_t nrunning, int64_t *out_reattached,
				size_t *n_reattached, int64_t *out_cancel, size_t *n_cancel,
				int64_t now, int64_t mono);
struct worker *sched_worker(const struct sched *s, const char *id);
/* The registered (not placeholder) worker of that node name, or NULL. */
struct worker *sched_worker_named(const struct sched *s, const char *name);
/* Drop w now, as its lease ending would (why: static, for the log): its attempts are
 * lost, re-queued on the lost budget or failed. */
void sched_worker_lose(struct sched *s, struct worker *w, const char *why, int64_t now);
void sched_worker_touch(struct sched *s, struct worker *w, int64_t now, int64_t mono);

/* Hand up to max READY joblets that fit w's free resources (bounded by free_*) to w:
 * each gets a new RUNNING attempt, stored in out[]. Returns how many. */
size_t sched_reserve(struct sched *s, struct worker *w, int32_t free_cores, int32_t free_ram,
		     int32_t free_gpus, size_t max, struct attempt **out, int64_t now);

/* Apply a report from worker w (NULL: from whoever holds the attempt id). A report for an
 * attempt that is no longer live is kept as its late_result (late_json, borrowed) and
 * refused. */
enum finish_result sched_finish(struct sched *s, struct worker *w, const struct finish *f,
				const char *late_json, int64_t now);
/* Is this attempt live and held by w? */
struct attempt *sched_live_attempt(const struct sched *s, struct worker *w, int64_t id);

int sched_cancel(struct sched *s, struct job *j, int64_t now);	/* 0 */
/* A job of many joblets in slices (api/jobs-slice.c): sched_cancel and sched_retry are
 * these over every joblet. A range applies the same changes to joblets [from, to) alone;
 * retry's refusal (sched_retry_check) is made once before the first slice, and its gates
 * are evaluated by the slice that reaches the last joblet. */
void sched_cancel_range(struct sched *s, struct job *j, int32_t from, int32_t to, int64_t now);
int sched_retry_check(const struct sched *s, const struct job *j, const char **why);
void sched_retry_range(struct sched *s, struct job *j, int32_t from, int32_t to, int64_t now);
/* Does a job that has not started wait for j (by id or through a dep group)? */
bool sched_has_waiters(const struct sched *s, const struct job *j);
/* -1 with *why if an attempt of a cancelled joblet is still stopping. */
int sched_retry(struct sched *s, struct job *j, int64_t now, const char **why);
/* -1 with *why if it runs or is done, or others wait for it and !force; the job is handed
 * to hooks.job_removed. Dependants that needed it are skipped. */
int sched_remove(struct sched *s, struct job *j, bool force, int64_t now, const char **why);
/* Retention: remove a finished job (done too) that no job waits for. -1 with *why. */
int sched_prune(struct sched *s, struct job *j, int64_t now, const char **why);
/* Change waiting joblets: priority, resources, budgets (fields < 0 are left alone), and
 * the option lists named in mask, taken from mod->x (borrowed). -1 with *why when the
 * change is not allowed now (check sched_check first for dependencies). */
int sched_modify(struct sched *s, struct job *j, const struct job_spec *mod, unsigned mask,
		 int64_t now, const char **why);

/* Limit groups. */
struct limit_group *sched_limit(struct sched *s, const char *name, bool create);
void sched_limit_set(struct sched *s, struct limit_group *g, int32_t limit);
/* Count every group's waiting and ready joblets into its `waiting` (one scan of the jobs,
 * for display). */
void sched_count_limit_waiting(struct sched *s);

/* Why a joblet that is not running waits (or why it ended), into buf. */
const char *sched_reason(const struct sched *s, const struct joblet *jl, int64_t now, char *buf,
			 size_t len);
/* The learned requirements of a req group, NULL if none yet. */
const struct req_group *sched_req_group(const struct sched *s, const char *name);

/* Run what is due: back-off delays (wall) and lease expiries (mono). Returns the wall
 * time of the next back-off deadline and *next_mono the next lease deadline (0 = none). */
int64_t sched_tick(struct sched *s, int64_t now, int64_t mono, int64_t *next_mono);

/* Attempts out of memory (server/trim.c): a final joblet with no live or lost attempt may
 * drop its attempts once its last change is committed; the store holds them, and its
 * state, budgets and nattempts stay (job.h). sched_trim frees them: true when it did. */
bool sched_trimmable(const struct joblet *jl);
bool sched_trim(struct sched *s, struct joblet *jl);
/* An attempt that is not in memory (trimmed, evicted with its job, or of a job recovery
 * loaded as history) counted in its owner's (interned) minute tallies: the throughput
 * series reads them (api/throughput.c). */
void sched_tally(struct sched *s, const char *owner, int64_t started_at, int64_t ended_at,
		 int state);

/* Recovery: rows from the store, then sched_load_done to rebuild indexes. */
/* A finished job loaded as history only, before sched_load_done: out of memory from the
 * start, its final state kept for dependencies and counted where sched_evict counts it.
 * Its joblets are counted by sched_load_history_joblets, n at a time. */
void sched_load_history(struct sched *s, int64_t seq, int state, const char *owner,
			const char *group);
void sched_load_history_joblets(struct sched *s, const char *owner, const char *group,
				int state, int64_t n);
/* A successful attempt left in the store (of a job loaded as history, or of a joblet
 * sched_load_stored counts: its job's req group, seq and joblet, the attempt's id and
 * figures): a sample of the learned requirements, taken in the order a full load would
 * take it (sched_load_done). */
struct load_sample {
	const char *req_group;		/* interned */
	int64_t seq, id, started_at, ended_at, wall_ms;
	int32_t idx, peak_ram_mb;
};
void sched_load_sample(struct sched *s, const struct load_sample *sample);
/* The next attempt id is past this one (attempts of jobs loaded as history). */
void sched_load_attempt_id(struct sched *s, int64_t id);
/* The store's floor of the next job number: past the newest job ever removed. */
void sched_load_next_seq(struct sched *s, int64_t next);
/* A job loaded as history that must be in memory after all (a job in memory waits for it
 * by id, which keeps it in memory: sched_evictable): j, read back in full, takes its place
 * and its counts (before sched_load_done). */
void sched_load_unhistory(struct sched *s, struct job *j /* taken */);
void sched_load_job(struct sched *s, struct job *j /* taken */);
/* jl (loaded, final, no attempt of it running or lost) has n attempts that the load leaves
 * in the store, as if read and trimmed at once (server/trim.c): its count of attempts, and
 * s->load_stored. Their throughput tallies and learned-requirement samples come from the
 * store too (server/history.c, sched_load_sample). NULL jl: nothing. */
void sched_load_stored(struct sched *s, struct joblet *jl, int32_t n);
struct joblet *sched_load_joblet_ref(struct sched *s, int64_t seq, int32_t idx);
/* A loaded joblet's reason (text borrowed; NULL: none), shared as set_reason shares. */
void sched_load_reason(struct sched *s, struct joblet *jl, const char *text);
void sched_load_attempt(struct sched *s, struct attempt *a /* taken */, int64_t seq, int32_t idx);
void sched_load_done(struct sched *s, int64_t now, int64_t mono);
/* A stored limit (before sched_load_done). */
void sched_load_limit(struct sched *s, const char *name, int32_t limit);

const struct sched_counts *sched_group_counts(const struct sched *s, const char *group);

/* A job of more joblets stays in memory: reading it back (its joblets and attempts) is a
 * synchronous store read on the loop, which for a job of 10^5 joblets would hold every
 * other request for a long while. Such jobs are few; their memory is what it was. */
enum { SCHED_EVICT_MAX_JOBLETS = 1000 };

/* History out of memory. A finished job nothing in memory points at (no live attempt, no
 * job waiting for it by id, no dep group, no script run) may leave: sched_evict takes it
 * out of every index and hands it back to be freed (the store holds it); its counts stay
 * in the totals. sched_restore puts a job read back from the store (sched_evicted(seq))
 * in again. */
bool sched_evictable(const struct sched *s, const struct job *j);
struct job *sched_evict(struct sched *s, struct job *j);	/* the caller frees it */
bool sched_evicted(const struct sched *s, int64_t seq);
void sched_restore(struct sched *s, struct job *j /* taken */);
#endif
