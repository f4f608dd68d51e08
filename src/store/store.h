/* The store interface: durable rows for jobs, joblets, attempts, output, idempotency
 * keys, users and tokens (hashes only), behind a table of functions so a PostgreSQL backend can stand beside SQLite.
 *
 *
 * Writes are asynchronous and grouped: the server collects the records of one loop turn
 * into a batch and submits it; the backend's writer thread commits every submitted batch
 * in one transaction and then calls the done callback on the loop thread, in submission
 * order. Only then may the replies that depend on the batch be sent (SPEC §2.1).
 *
 * Ownership: a batch owns the malloc'd strings of its records (reason, message, late,
 * data, key, body). Pointers marked "borrowed" point into immutable memory that outlives
 * the batch (interned strings, a job's cmd/env, which the server frees only after every
 * batch that may name them is done). */
#ifndef JG_STORE_H
#define JG_STORE_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct event_base;
struct job;
struct sched;

enum rec_kind { REC_JOB, REC_JOB_STATE, REC_JOB_DEL, REC_JOBLET, REC_ATTEMPT, REC_OUTPUT, REC_IDEM,
		REC_IDEM_PRUNE, REC_LIMIT, REC_DEF, REC_DEF_UNDEPLOY, REC_NET_RUN, REC_NET_DROP,
		REC_NET_PAUSE, REC_USER, REC_USER_DEL, REC_TOKEN,
		REC_EVENT,		/* a lifecycle event kept for resumed streams, or a gap */
		REC_EVENT_PRUNE,	/* the kept events below an id go (prune_before) */
		REC_VACUUM,	/* after a prune: give freed pages back, a slice at a time */
		REC_JOB_DEL_MORE };	/* the next slice of removed jobs' rows (below) */

/* REC_JOB_DEL (u.job.seq): the job's row goes, and with it the job from every read and
 * from the next load; its output, attempts and joblets go STORE_REMOVE_ROWS rows of each
 * table per record, the rest in later batches, one REC_JOB_DEL_MORE each while the store
 * says removal_left (a job of 10^5 joblets in one transaction held every reply behind its
 * commit for ~100 ms). Its seq stays in the table `removing` meanwhile; a store's load
 * first finishes what a stop or a crash left there. */
enum { STORE_REMOVE_ROWS = 2048 };

struct rec_job {	/* REC_JOB inserts all; REC_JOB_STATE updates the mutable part */
	int64_t seq;
	const char *owner, *name, *group, *req_group, *cwd, *cmd, *env;	/* borrowed */
	const char *submit_env;	/* borrowed (interned), or NULL */
	int64_t created_at, ended_at, time_ms, retry_delay_ms;
	int32_t cores, ram_mb, gpus, njoblets, retries, lost_retries, priority, state, flags;
	char *opts;		/* owned: the scheduling options as JSON text, or NULL */
};
enum { REC_JOB_NO_RESTART = 1, REC_JOB_UNIQUE = 2, REC_JOB_CWD_DEFAULT = 4 };

struct rec_joblet {
	int64_t seq, ready_at;
	int32_t idx, state, errors, lost;
	char *reason;		/* owned, NULL = "" */
};

struct rec_attempt {
	int64_t id, seq, started_at, ended_at, cpu_ms;
	int64_t wall_ms, output_bytes, output_dropped;	/* struct attempt's (migration 6) */
	int32_t idx, n, state, exit_code, fail_reason, peak_ram_mb, cores, ram_mb, gpus;
	bool has_exit;
	const char *node, *worker;	/* borrowed (interned) */
	const char *run_as;		/* borrowed (interned), NULL none (migration 8) */
	char *message, *late_result;	/* owned */
};

struct rec_output {
	int64_t attempt;	/* > 0: a worker's attempt; -seq: the server's handler lines */
	int64_t seq;		/* an attempt's chunk: its byte offset in the attempt's output;
				 * handler lines: a counter */
	int64_t at;
	char *data;		/* owned */
	size_t len;
};

struct rec_idem {
	const char *owner;	/* borrowed (interned) */
	char *key, *body;	/* owned */
	int64_t at;
	int32_t status;
};

struct rec_limit {
	const char *name;	/* borrowed (interned) */
	int32_t limit;		/* -1 = none */
};

struct rec_def {	/* REC_DEF: a new version; REC_DEF_UNDEPLOY: name only */
	char *name, *file, *source;	/* owned */
	char *scripts;		/* owned JSON {"NAME.lua": "Lua text"} deployed with it, or NULL */
	const char *owner;	/* borrowed (interned) */
	int64_t deployed_at;
	int32_t version;
};

struct rec_net {	/* REC_NET_RUN: id + run; REC_NET_DROP: id; REC_NET_PAUSE: name + paused */
	int64_t id, planned_at;
	char *run;		/* owned: the run as JSON text */
	char *name;		/* owned */
	bool paused;
};

struct rec_user {	/* REC_USER inserts or replaces; REC_USER_DEL: name only */
	const char *name;	/* borrowed (interned) */
	const char *role;	/* static: "admin" or "user" */
	char *hash;		/* owned: crypto_pwhash_str text, "" for none */
	int64_t created_at;
};

struct rec_token {	/* inserts or replaces (a revocation rewrites the row) */
	int64_t id, created_at, expires_at, revoked_at;	/* 0: never / not revoked */
	const char *name, *owner;	/* borrowed (interned) */
	const char *role;	/* static: "admin", "user" or "worker" */
	unsigned char hash[32];	/* BLAKE2b of the token; the token itself is never stored */
};

struct rec_event {
	int64_t id;		/* store-global, increasing (struct store_events) */
	char *data;		/* owned: the event as compact JSON text; NULL: a gap (events
				 * were not built: a resume from before this id must re-read) */
};

struct rec {
	enum rec_kind kind;
	union {
		struct rec_job job;
		struct rec_joblet joblet;
		struct rec_attempt attempt;
		struct rec_output output;
		struct rec_idem idem;
		struct rec_limit limit;
		struct rec_def def;
		struct rec_net net;
		struct rec_user user;
		struct rec_token token;
		struct rec_event event;
		int64_t prune_before;	/* REC_IDEM_PRUNE: wall ms; REC_EVENT_PRUNE: an event id */
	} u;
};

struct store_batch {
	struct rec *recs;	/* owned array */
	size_t n, cap;
	void *user;		/* the server's data for the done callback */
	int failed;		/* set by the store before the done callback: 0 committed; 1
				 * NOT committed because the store found its fence gone (a
				 * deposed leader, see struct pg_fence): the server answers the
				 * batch's requests 503 and steps down */
	struct store_batch *next;	/* the backend's queue link */
	bool removal_left;	/* set by the store: rows of removed jobs are left after this
				 * batch; the next should hold a REC_JOB_DEL_MORE */
};

struct rec *store_batch_add(struct store_batch *b, enum rec_kind kind);
/* Records of the current state of a job, joblet or attempt, added to b: mutable fields
 * copied now, strings they own duplicated, immutable ones borrowed (see above). */
struct joblet;
struct attempt;
void store_add_job(struct store_batch *b, const struct job *j, bool created);
void store_add_joblet(struct store_batch *b, const struct joblet *jl);
void store_add_attempt(struct store_batch *b, const struct attempt *a);
void store_batch_clear(struct store_batch *b);	/* frees the records' owned strings */

/* A row of output read back for `log`. data is valid only during the callback. */
struct output_row {
	int64_t rowid, attempt, at;
	int32_t idx;
	const char *node;
	const char *data;
	size_t len;
};
typedef void (*store_output_cb)(void *arg, const struct output_row *row);
/* Where a reader of a job's output is: the rows lo < id <= hi, in (at, id) order, the
 * last one read being (at, id). A follower moves to the rows committed since with
 * output_cursor_next, so it never reads a row twice. The store keeps the next rows it
 * found here, so that finding them is paid once per page of rows, not per slice. */
enum { OUTPUT_PAGE = 1024, OUTPUT_SERVER = -2 };
struct output_cursor {
	int64_t seq;		/* the job */
	int32_t idx;		/* its joblet, -1 for every joblet and the [server] lines, or
				 * OUTPUT_SERVER for the [server] lines alone */
	int64_t lo, hi;
	int64_t at, id;		/* the last row read; 0, 0 before the first */
	struct output_key {
		int64_t id, at, len;
	} keys[OUTPUT_PAGE];	/* rows found after (at, id), not yet read: keys[next..n) */
	int nkeys, next;
};
/* Move c to the rows lo < id <= hi (a follower's next range), from their start. */
static inline void output_cursor_next(struct output_cursor *c, int64_t lo, int64_t hi)
{
	c->lo = lo;
	c->hi = hi;
	c->at = c->id = 0;
	c->nkeys = c->next = 0;
}
typedef void (*store_done_cb)(void *arg, struct store_batch *b);
/* A stored definition version, handed to the server at start. */
/* A stored definition version; every text borrowed for the callback. */
struct store_def_row {
	const char *name, *file, *source, *owner;
	const char *scripts;	/* JSON text {"NAME.lua": "Lua text"}, or NULL */
	int32_t version;
	int64_t deployed_at;
	bool active;
};
typedef void (*store_def_cb)(void *arg, const struct store_def_row *row);
typedef void (*store_backup_cb)(void *arg, int rc, int64_t bytes, const char *err);
/* A stored network run (run: JSON text) or, with run NULL, a paused definition's name.
 * 0, or -1 with why (whylen bytes) when the row cannot be taken: the read stops there. */
typedef int (*store_net_cb)(void *arg, int64_t id, const char *run, const char *paused,
			    char *why, size_t whylen);

/* Stored users and tokens, handed to the server at start; every text borrowed for the
 * call. 0, or -1 with why (whylen bytes) when the row cannot be taken: the read stops. */
struct store_user_row {
	const char *name, *role, *hash;
	int64_t created_at;
};
struct store_token_row {
	int64_t id, created_at, expires_at, revoked_at;
	const char *name, *owner, *role;
	const unsigned char *hash;	/* 32 bytes */
};
typedef int (*store_user_cb)(void *arg, const struct store_user_row *row, char *why,
			     size_t whylen);
typedef int (*store_token_cb)(void *arg, const struct store_token_row *row, char *why,
			      size_t whylen);

/* Loaded idempotency keys, handed to the server at start. */
typedef void (*store_idem_cb)(void *arg, const char *owner, const char *key, int32_t status,
			      const char *body, int64_t at);

/* An attempt read back by ended_attempts: its job, joblet and the job's owner (borrowed
 * for the call), start, end (wall ms) and enum at_state. */
typedef void (*store_attempt_cb)(void *arg, int64_t seq, int32_t idx, const char *owner,
				 int64_t started_at, int64_t ended_at, int state);

/* Which stored jobs list_jobs returns: finished ones (done, failed, cancelled, skipped)
 * matching every filter given. Texts borrowed. */
struct job_filter {
	int state;			/* enum jl_state, -1: any finished */
	const char *owner, *group;	/* exact, or NULL */
	const char *name;		/* a part of the name, or NULL */
};
/* list_jobs counts the matching jobs beyond a page up to this many (a bound on its cost). */
#define STORE_COUNT_CAP 100000
/* read_jobs reads at most this many jobs at once (the length of its query's list). */
#define STORE_READ_JOBS_MAX 1000

/* The events kept for resumed streams (GET /v1/events): the store's identity, made once
 * with the store (a restore makes a new one), so that an event id of another store is never
 * taken for one of this store's; the lowest and highest id kept (0, 0: none), and whether
 * the highest is a gap. */
struct store_events {
	int64_t epoch;
	int64_t lo, hi;
	bool hi_gap;		/* the newest kept id is a gap */
};
/* A kept event read back: data is its JSON text (valid during the call), NULL a gap. */
typedef void (*store_event_cb)(void *arg, int64_t id, const char *data);
/* The events the store keeps: the newest this many ids (events and gaps) */
#define STORE_EVENTS_KEEP 100000

struct store;
struct store_vt {
	/* Rebuild the scheduler from the rows (synchronous, before the loop starts). The
	 * loaders below and this one stop at the first read error or out-of-range value with
	 * *err (malloc'd) naming the store, the table and the row; the store is then closed
	 * without writing. */
	int (*load)(struct store *st, struct sched *s, store_idem_cb idem, void *arg, char **err);
	/* Every stored definition version, in name and version order (synchronous). */
	int (*load_defs)(struct store *st, store_def_cb cb, void *arg, char **err);
	/* Every stored network run, by id, then every paused definition (synchronous). */
	int (*load_net)(struct store *st, store_net_cb cb, void *arg, char **err);
	/* Every stored user, then every token, by name and id (synchronous). */
	int (*load_auth)(struct store *st, store_user_cb user, store_token_cb token, void *arg,
			 char **err);
	/* Stored network runs planned in [from, to), on the read connection (for `plan` of
	 * days the planner no longer holds). */
	int (*read_net)(struct store *st, int64_t from, int64_t to, store_net_cb cb, void *arg,
			char **err);
	/* History on demand, on the read connection (the loop thread's). read_job: job seq
	 * with its joblets and attempts, rebuilt as load does, into *out (the caller's: job_free),
	 * NULL when the store has no such job; 0, or -1 with *err (malloc'd). */
	int (*read_job)(struct store *st, int64_t seq, struct job **out, char **err);
	/* read_jobs: the jobs seqs[0..n) (distinct, 0 < n <= STORE_READ_JOBS_MAX) as read_job
	 * rebuilds them but without their attempts (what a list's summary shows: counts per
	 * state; started stays false), out[k] for seqs[k] (the caller's: job_free), NULL when
	 * the store has no such job. One query per table by its key (jobs, joblets), so a page
	 * of a list costs two queries, not three per job. 0, or -1 with *err (out all NULL). */
	int (*read_jobs)(struct store *st, const int64_t *seqs, int n, struct job **out,
			 char **err);
	/* read_attempts: the attempts of joblets idx[0..n) (ascending, n <= 1000) of job seq,
	 * each appended, oldest first, to page[k] for idx[k] (joblets the caller zeroed, their
	 * job set; it frees their lists: attempts_free). Indexed by (seq, idx): a page costs
	 * O(its attempts). On the read connection. 0, or -1 with *err (malloc'd). */
	int (*read_attempts)(struct store *st, int64_t seq, const int32_t *idx, int32_t n,
			     struct joblet *page, char **err);
	/* list_jobs: the seqs of finished jobs matching f into out (at most max), ascending
	 * after seq `after`, or descending before it (after 0: from the newest); *more the
	 * matching ones beyond the page, at most STORE_COUNT_CAP (more NULL: not counted, the
	 * count is most of the cost of a page of a common state). The count of seqs, or -1
	 * with *err. Indexed (migrations 10, pg 2): a page costs O(max), not O(jobs). */
	int (*list_jobs)(struct store *st, const struct job_filter *f, int64_t after, bool desc,
			 int64_t *out, int max, int64_t *more, char **err);
	/* The store's identity and the ids of the kept events (synchronous, before start). */
	int (*load_events)(struct store *st, struct store_events *out, char **err);
	/* The kept events after < id <= upto, in id order, at most max, on the read
	 * connection: cb for each. The count of rows read, or -1 (logged). */
	int (*read_events)(struct store *st, int64_t after, int64_t upto, int max,
			   store_event_cb cb, void *arg);
	/* ended_attempts: every attempt that ended in [from, to) (wall ms), to cb with its job's
	 * seq, its joblet, the job's owner, start, end and state; on the read connection, indexed by end
	 * (migrations 12, pg 5). 0, or -1 with *err. */
	int (*ended_attempts)(struct store *st, int64_t from, int64_t to, store_attempt_cb cb,
			      void *arg, char **err);
	/* Start the writer; done_cb runs on base's thread for each committed batch. 0, or
	 * -1 with errno. */
	int (*start)(struct store *st, struct event_base *base, store_done_cb done, void *arg);
	void (*submit)(struct store *st, struct store_batch *b);	/* taken until done */
	/* The next rows of a job's output at cursor c, in time order: about max_bytes of data
	 * (whole rows; at least one when any is left) and at most a page of rows, advancing c
	 * past them. On the read connection, so the caller reads a large log in slices
	 * between other work. Returns the number of rows read (0: none left in c's range), or
	 * -1 on an error. */
	int (*read_output)(struct store *st, struct output_cursor *c, size_t max_bytes,
			   store_output_cb cb, void *arg);
	/* The id of the newest output row (0: none): the end of a cursor's range. */
	int64_t (*output_last_id)(struct store *st);
	/* Consistent online copy to path, on a helper thread; cb on base's thread. 0, or -1
	 * with errno when the thread cannot start. */
	int (*backup)(struct store *st, const char *path, store_backup_cb cb, void *arg);
	/* Make close copy the store to path (a new file, mode 0600) after its last commit,
	 * while it still holds the data directory; a failure is logged and leaves no file.
	 * NULL: a backend that cannot. */
	void (*copy_at_close)(struct store *st, const char *path);
	/* Wait for every submitted batch, stop the writer, close. */
	void (*close)(struct store *st);
};
struct store {
	const struct store_vt *vt;
};

/* The SQLite backend: DIR/jobgrid.sqlite, created and migrated as needed. It holds an
 * exclusive lock on DIR (base/dirlock.h) from open to close, so one server owns a data
 * directory; a second open fails at once naming the holder. A backend on a shared database
 * takes its leadership the same way, in its open. */
struct store *store_sqlite_open(const char *dir, char **err /* OUT: malloc'd */);

/* Restore a copy of a store (`jobgrid backup`, or one made at stop) into the data
 * directory dir, which must hold no store yet and not be in use. The copy is checked
 * first (readable, a jobgrid store, a schema this jobgrid can open); a newer server
 * upgrades an older schema at its next start. 0, or -1 with *err (malloc'd): nothing was
 * changed. */
struct store_restored {
	int schema_version;	/* the copy's */
	int current_version;	/* this jobgrid's: a server upgrades an older copy at start */
	int64_t jobs;
};
int store_sqlite_restore(const char *file, const char *dir, struct store_restored *out,
			 char **err);
/* Leadership over a shared database (docs/SCALE.md). With a fence, every write transaction
 * of the store first renews the lease of row 1 of jg_leader under this epoch and holder;
 * when that changes no row, the transaction is rolled back, its batches are handed back
 * with failed set, and lost is called first. */
struct pg_fence {		/* NULL fence: no fencing (a single server) */
	int64_t epoch;		/* the leader's epoch */
	const char *holder;	/* the leader's id (copied by the store) */
	void (*lost)(void *arg);	/* called on the loop thread when a commit found it deposed */
	void *arg;
	int lease_ms;		/* the lease: a write transaction left idle this long (its
				 * leader stopped) is ended by the database, so that its lock on
				 * the lease's row cannot hold a takeover back; 0 none */
};
/* The PostgreSQL backend: conninfo is a libpq URL (postgres://USER@HOST:PORT/DB) or
 * keyword string; the schema is created and migrated as needed (migrations-pg.h). NULL
 * with *err (malloc'd) when conninfo is malformed or the database cannot be reached. */
struct store *store_postgres_open(const char *conninfo, const struct pg_fence *fence,
				  char **err /* OUT: malloc'd */);
#endif
