/* Jobs, joblets and attempts: the domain model, free of I/O.
 *
 * A job is one submission; it owns njoblets joblets (stored inline after it) and each
 * joblet owns the list of its attempts. States:
 *
 *   joblet:  WAITING --tick--> READY --reserve--> RUNNING --finish ok--> DONE
 *              ^                 ^                   |  \--finish err, budget left--> WAITING|READY
 *              |                 +-----lost, budget--+  \--err/lost, no budget--> FAILED
 *   cancel: WAITING|READY -> CANCELLED at once; RUNNING stays RUNNING with its attempt's
 *           cancel_requested set, and becomes CANCELLED when the worker reports the kill
 *   retry:  FAILED|CANCELLED|SKIPPED -> READY (fresh budgets; refused while an attempt lives)
 *
 *   attempt: RUNNING -> DONE | FAILED | CANCELLED (reported) | LOST (lease expired)
 *
 * A final joblet's attempts leave memory once its last change is committed (server/trim.c):
 * its list is then empty while nattempts > 0, and the store holds them; a joblet retried
 * after that lists only its newer attempts (n >= its first one's), the older in the store.
 *
 * Invariants: a joblet has at most one live (RUNNING) attempt, `live`; a joblet is in a
 * ready heap iff READY, in the delay heap iff WAITING with a ready_at; job->counts[s] is the
 * number of its joblets in state s; job->state follows job_derive_state(). */
#ifndef JG_JOB_H
#define JG_JOB_H
#include "base/rstr.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum jl_state { JS_WAITING, JS_READY, JS_RUNNING, JS_DONE, JS_FAILED, JS_CANCELLED, JS_SKIPPED, JS__N };
enum at_state { AS_RUNNING, AS_DONE, AS_FAILED, AS_LOST, AS_CANCELLED, AS__N };
enum fail_reason {
	FR_NONE, FR_EXIT, FR_NOTFOUND, FR_PERMISSION, FR_CWD, FR_START, FR_RAM, FR_TIME,
	FR_SIGNAL, FR_LOST, FR_RESOURCES, FR_CANCELLED, FR__N
};

const char *jl_state_name(int s);
const char *at_state_name(int s);
const char *fail_reason_name(int r);	/* "" for FR_NONE */
int jl_state_parse(const char *s);	/* -1 if unknown */
int fail_reason_parse(const char *s);	/* "" → FR_NONE; -1 if unknown */
static inline bool jl_state_final(int s)
{
	return s >= JS_DONE;
}

struct worker;
struct qclass;
struct limit_group;
struct dep_group;
struct timeslot;

struct attempt {
	int64_t id;			/* fencing token, unique for the store's life */
	struct joblet *joblet;
	struct attempt *next;		/* the joblet's next attempt, oldest first */
	struct worker *worker;		/* while RUNNING; NULL once ended */
	struct attempt *wnext, *wprev;	/* in worker->running while RUNNING */
	const char *node;		/* interned */
	const char *worker_id;		/* interned */
	int64_t started_at, ended_at;	/* wall ms; ended_at 0 while running */
	int64_t cpu_ms;
	int64_t wall_ms;		/* its run time as its worker measured it (monotonic clock
					 * around the process), -1 until reported; see attempt_wall_ms */
	int64_t out_bytes;		/* output stored for it: the offset its next chunk starts at */
	int64_t out_dropped;		/* output bytes its worker dropped over the output limit */
	int32_t n;			/* 1 for a joblet's first attempt */
	int32_t exit_code;		/* meaningful when has_exit */
	int32_t peak_ram_mb;
	uint8_t state;			/* enum at_state */
	uint8_t fail_reason;		/* enum fail_reason */
	bool has_exit;
	bool cancel_requested;		/* the user cancelled: the worker must kill it */
	int32_t cores, ram_mb, gpus;	/* what it was given: its share of the worker */
	bool slot_kill;			/* killed because its timeslot ended: re-queue, no retry spent */
	char *message;			/* from malloc, NULL = none */
	char *late_result;		/* from malloc: JSON of a refused late report, or NULL */
	const char *run_as;		/* interned: the account its process ran as, as its
					 * worker reported it; NULL unknown */
};

struct joblet {
	struct job *job;
	struct attempt *attempts, *last_attempt;	/* owned list; see above for attempts
							 * only in the store */
	struct attempt *live;		/* the RUNNING attempt, or NULL */
	struct rstr *reason;		/* a reference (base/rstr.h: shared with the joblets
					 * given the same text), NULL = "" */
	int64_t ready_at;		/* wall ms a WAITING joblet becomes READY; 0 = not timed */
	int64_t ready_since;		/* wall ms it became READY (failover preference) */
	int64_t overtaken_at;		/* wall ms later joblets first started before it; 0 = not */
	const char *failed_node;	/* interned: where its last attempt failed, or NULL */
	size_t heap_pos;		/* position in its ready or delay heap */
	int32_t index;
	int32_t nattempts;
	uint16_t errors, lost;		/* retry budgets used: job errors, lost workers */
	uint8_t state;			/* enum jl_state */
	uint8_t heap;			/* JL_HEAP_* : which heap holds it */
	uint8_t trim_epoch;		/* server/trim.c: which of its queued trims is the newest */
};
enum { JL_HEAP_NONE, JL_HEAP_READY, JL_HEAP_DELAY };

/* Why a job may not start joblets now (job->gates). Gates are derived from the options and
 * the time, recomputed at load: a gated joblet is WAITING outside every heap. */
enum { GATE_DEPS = 1, GATE_NOT_BEFORE = 2, GATE_SLOT = 4 };
enum dep_type { DEP_OK, DEP_FAIL, DEP_ANY, DEP__N };
enum dep_status { DS_PENDING, DS_MET, DS_BROKEN };

/* Scheduling options beyond resources, and the runtime links they need. Most jobs have
 * none, so they live in an extension allocated only when used (job->x). */
struct ext_limit {
	const char *name;		/* interned */
	int32_t set_to;			/* the limit the job asked for, -1 = leave as is */
	struct limit_group *g;		/* resolved by the scheduler */
};
struct ext_group {
	const char *name;		/* interned */
	struct dep_group *g;		/* resolved by the scheduler */
	uint8_t status;			/* enum dep_status, for after-groups */
};
struct ext_dep {
	int64_t seq;			/* the job waited for */
	uint8_t type;			/* enum dep_type */
	uint8_t status;			/* enum dep_status */
};
struct dependant {
	struct job *job;		/* a job with an ext_dep on this one */
	int32_t dep;			/* index into its deps */
};
struct job_ext {
	const char **ckey, **cval;	/* constraints (interned), nconstraints of each */
	const char **avoid;		/* interned node names */
	struct ext_limit *limits;
	struct ext_dep *deps;
	struct ext_group *groups;	/* dep groups it is a member of */
	struct ext_group *after_groups;	/* dep groups it waits for */
	int32_t nconstraints, navoid, nlimits, ndeps, ngroups, nafter_groups;
	int64_t not_before;		/* wall ms; 0 = none */
	struct timeslot *slot;		/* owned, or NULL */
	int32_t max_running;		/* 0 = none */
	uint8_t override;		/* wr's: 0, 1, 2 */
	bool kill_at_slot_end;
	bool retry_permanent;		/* retry failures that look permanent (notfound, permission,
					 * cwd), which otherwise end the joblet at once */
	bool ram_given, time_given;	/* the user gave --ram / --time (learned values apply) */
	/* The user's own limits while ram_mb / time_ms hold learned values (ram_learned,
	 * time_learned): what learn_apply replaced, 0 when nothing was given. */
	int32_t ram_limit_mb;
	int64_t time_limit_ms;
	bool has_output_limit;		/* output_limit was given; else OUTPUT_LIMIT_DEFAULT */
	int64_t output_limit;		/* bytes of output kept per attempt (--output-limit) */
	char *script;			/* owned: a script run's state as JSON text (the server's
					 * scripts.c reads it), or NULL */
	uint8_t script_flags;		/* scripts.c's cache: which handlers it has */
	/* runtime */
	struct dependant *dependants;	/* owned array: who waits for this job by id */
	int32_t ndependants, capdependants;
	int32_t dep_pending, dep_broken;	/* deps (id and group) in those states */
	int64_t wake_at;		/* wall ms of the next gate change, 0 = none */
	size_t wake_pos;		/* in the gates' timer heap */
	uint32_t visit;			/* cycle search generation */
};

struct job {
	int64_t seq;
	const char *owner, *name, *group, *req_group, *cwd;	/* interned */
	char *cmd;			/* from malloc, immutable once added */
	char *env;			/* from malloc: JSON object text, or NULL; immutable */
	/* Interned: the submitter's environment as JSON object text (sorted keys), or NULL.
	 * Shared by every job of the same environment; its values are never shown or logged. */
	const char *submit_env;
	int64_t created_at, ended_at;	/* wall ms; ended_at 0 until final */
	int64_t time_ms, retry_delay_ms;
	int32_t cores, ram_mb, gpus;
	int32_t njoblets;
	int32_t counts[JS__N];		/* joblets per state */
	uint16_t retries, lost_retries;
	uint8_t priority;
	uint8_t state;			/* enum jl_state, derived from counts */
	bool no_restart, unique;
	bool cwd_default;		/* its submitter named no working directory: cwd is the
					 * default (/tmp), or the owner's home where the joblet
					 * runs as its owner */
	bool started;			/* job.started already announced */
	bool ram_learned, time_learned;	/* ram_mb / time_ms came from its req group */
	bool opts_dirty;		/* x or the learned flags changed since last stored */
	uint8_t gates;			/* GATE_* */
	int32_t nrunning;		/* joblets RUNNING */
	/* History out of memory (server/history.c): the number of the server's batch that
	 * holds its last change (it may leave memory once that batch is committed), and the
	 * wall ms before which it stays (read back from the store a moment ago); 0 none. */
	uint64_t put_gen;
	int64_t keep_until;
	struct job_ext *x;		/* owned, NULL when the job has no such options */
	struct qclass *cls;		/* the ready heap its READY joblets sit in */
	struct job *uniq_next, *uniq_prev;	/* chain in the unique index while incomplete */
	struct joblet joblets[];	/* njoblets of them */
};

/* The scheduler's jobs by seq, borrowed: how the modules under it (gates.c) find a job a
 * dependency names without calling up into it. Two levels: a directory of blocks of
 * JOB_TABLE_BLOCK slots, a block there only while one of its jobs is in memory, so that
 * the seqs of jobs out of memory cost a directory entry per block, not a slot each. */
enum { JOB_TABLE_BLOCK = 1024 };
struct job_table {
	struct job *const *const *blocks;	/* by seq / JOB_TABLE_BLOCK, then the slot by
						 * seq % JOB_TABLE_BLOCK; a NULL block or slot:
						 * no job (never used, removed, or out of memory) */
	int64_t nblocks;
	const uint8_t *gone;		/* indexed by seq: the final state + 1 of a job out of
					 * memory (history), else 0; NULL: none */
	int64_t gone_cap;
};
static inline struct job *job_table_get(struct job_table t, int64_t seq)
{
	if (seq <= 0 || seq / JOB_TABLE_BLOCK >= t.nblocks)
		return NULL;
	struct job *const *b = t.blocks[seq / JOB_TABLE_BLOCK];
	return b ? b[seq % JOB_TABLE_BLOCK] : NULL;
}
/* The state of job seq, in memory or out of it; -1 for none (never made, or removed). */
static inline int job_table_state(struct job_table t, int64_t seq)
{
	const struct job *j = job_table_get(t, seq);
	if (j)
		return j->state;
	return t.gone && seq > 0 && seq < t.gone_cap && t.gone[seq] ? t.gone[seq] - 1 : -1;
}

/* The state a job shows for its joblet counts (see docs/API.md). */
int job_derive_state(const struct job *j);
/* Allocate a job with n zeroed joblets, all READY. Strings are set by the caller. */
struct job *job_alloc(int32_t njoblets);
/* Output kept per attempt when the job names no --output-limit, and the most it may name. */
#define OUTPUT_LIMIT_DEFAULT ((int64_t)100 << 20)
#define OUTPUT_LIMIT_MAX ((int64_t)1 << 40)
/* The output limit of j's attempts, in bytes. */
int64_t job_output_limit(const struct job *j);
/* An attempt's run time in ms: its worker's measure once reported, else what the server
 * saw (ended − started, or now − started while it runs). */
int64_t attempt_wall_ms(const struct attempt *a, int64_t now);
/* The n of jl's first attempt held in memory: those before it are only in the store
 * (nattempts + 1 when none is held). */
static inline int32_t joblet_first_held(const struct joblet *jl)
{
	return jl->attempts ? jl->attempts->n : jl->nattempts + 1;
}
/* Free a list of attempts (linked by next) and what they own. */
void attempts_free(struct attempt *a);
/* Append a (taken) attempt read from the store to jl's list, oldest first. */
void joblet_add_attempt(struct joblet *jl, struct attempt *a);
/* Derive a job read from the store: its counts and state from its joblets, and whether it
 * started. */
void job_recount(struct job *j);
/* Free a job, its attempts and owned strings. */
void job_free(struct job *j);
/* Free what joblets [from, to) of j own (attempts, reason), leaving them empty: a big job
 * is freed a part at a time (server/trim.c), then job_free. */
void job_free_joblets(struct job *j, int32_t from, int32_t to);
/* Keep only the first n joblets of j (those after own nothing: job_free_joblets), handing
 * the rest of its memory back: a removed job's tail, freed a part at a time (a block
 * this big is mapped on its own, and shrinking it unmaps the tail). Returns j, which may
 * have moved: only for a job nothing points at any more. */
struct job *job_shrink(struct job *j, int32_t n);
/* The job's extension, allocated on first use. */
struct job_ext *job_ext(struct job *j);
void job_ext_free(struct job_ext *x);
const char *dep_type_name(int t);
/* A job, node, group or limit name: only [A-Za-z0-9_.-], 1..max chars. */
bool name_valid(const char *s, size_t max);	/* "after_ok", "after_fail", "after_any" */
/* Bounds of a captured environment (`submit_env`): the CLI checks them before sending. */
#define SUBMIT_ENV_MAX_VARS 4096
#define SUBMIT_ENV_MAX_BYTES (1 << 20)	/* names and values together */

/* "alice.true.12" into buf. */
char *job_id(const struct job *j, char *buf, size_t len);
/* The limits that end a joblet: the RAM and time the user set (--ram, --time, PATCH, a
 * definition's facts), never a learned value, which only books the joblet's place. 0: none.
 * (A RAM excess that would harm the node is the worker's to judge.) */
int32_t job_ram_limit_mb(const struct job *j);
int64_t job_time_limit_ms(const struct job *j);

/* A job or joblet as a person names it: "12", "alice.true.12", "root.jn/a.2" (a
 * definition's name may hold '/'), each optionally followed by "/INDEX" for one joblet.
 * The index suffix is told apart from a '/' in the name because an id always ends in
 * ".SEQ": only a last '/' followed by digits alone is an index. */
struct job_ref {
	int64_t seq;		/* > 0 */
	size_t id_len;		/* length of the job id part (text before "/INDEX") */
	int32_t index;		/* -1: none given */
};
/* Parse text (borrowed) into *out: 0, or -1 when it is no job id. */
int job_ref_parse(const char *text, struct job_ref *out);
#endif
