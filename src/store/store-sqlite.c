/* The SQLite store: one file DATA/jobgrid.sqlite in WAL mode, synchronous=FULL so a
 * commit is on disk when it returns. One writer thread owns the write connection and
 * commits every batch queued since its last commit in one transaction (group commit);
 * the loop thread keeps a read connection for `log`; backups use their own connection on
 * their own thread (WAL lets readers see a consistent snapshot while the writer goes on). */
#include "store/store.h"
#include "store/migrations.h"
#include "store/store-load.h"
#include "store/store-queue.h"
#include "base/dirlock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "core/sched.h"
#include <errno.h>
#include <fcntl.h>
#include <event2/event.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

enum { ST_JOB_INS, ST_JOB_UPD, ST_JOB_DEL, ST_JOBLETS_DEL, ST_ATTEMPTS_DEL, ST_OUTPUT_DEL,
       ST_JOBLET, ST_ATTEMPT, ST_OUTPUT, ST_IDEM, ST_IDEM_PRUNE, ST_LIMIT,
       ST_DEF, ST_DEF_UNDEPLOY, ST_NET_RUN, ST_NET_DROP, ST_NET_PAUSE, ST_NET_RESUME,
       ST_ENV_PUT, ST_ENV_ID, ST_USER, ST_USER_DEL, ST_TOKEN,
       ST_EVENT, ST_EVENT_PRUNE, ST_REMOVING_ADD, ST_REMOVING_DONE, ST_REMOVING_LEFT, ST_SEQ_FLOOR, ST__N };

/* The removed job a slice of rows goes from (REC_JOB_DEL): ?1, or with NULL the oldest
 * still in `removing`. */
#define REMOVED "COALESCE(?1, (SELECT min(seq) FROM removing))"

static const char *const stmt_sql[ST__N] = {
	[ST_JOB_INS] = "INSERT OR REPLACE INTO jobs(seq, owner, name, grp, req_group, cmd, cwd,"
		" env, cores, ram_mb, gpus, time_ms, priority, retries, lost_retries,"
		" retry_delay_ms, flags, njoblets, state, created_at, ended_at, opts, submit_env)"
		" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
		"?22,?23)",
	[ST_JOB_UPD] = "UPDATE jobs SET cores=?2, ram_mb=?3, gpus=?4, time_ms=?5, priority=?6,"
		" retries=?7, lost_retries=?8, retry_delay_ms=?9, state=?10, ended_at=?11,"
		" opts=COALESCE(?12, opts)"
		" WHERE seq=?1",
	[ST_JOB_DEL] = "DELETE FROM jobs WHERE seq=?1",
	/* A slice: ?2 rows of each table at most; an attempt only once its output is gone
	 * (output finds its job through its attempt; -seq: the job's [server] lines). */
	[ST_OUTPUT_DEL] = "DELETE FROM output WHERE id IN (SELECT output.id FROM attempts JOIN"
		" output ON output.attempt = attempts.id WHERE attempts.seq = " REMOVED
		" UNION ALL SELECT id FROM output WHERE attempt = -" REMOVED " LIMIT ?2)",
	[ST_ATTEMPTS_DEL] = "DELETE FROM attempts WHERE id IN (SELECT id FROM attempts WHERE"
		" seq = " REMOVED " AND NOT EXISTS (SELECT 1 FROM output WHERE"
		" output.attempt = attempts.id) LIMIT ?2)",
	[ST_JOBLETS_DEL] = "DELETE FROM joblets WHERE seq = " REMOVED " AND idx IN (SELECT idx"
		" FROM joblets WHERE seq = " REMOVED " LIMIT ?2)",
	[ST_REMOVING_ADD] = "INSERT OR IGNORE INTO removing(seq) VALUES(?1)",
	[ST_REMOVING_DONE] = "DELETE FROM removing WHERE seq = " REMOVED " AND NOT EXISTS"
		" (SELECT 1 FROM joblets WHERE seq = " REMOVED ") AND NOT EXISTS (SELECT 1 FROM"
		" attempts WHERE seq = " REMOVED ") AND NOT EXISTS (SELECT 1 FROM output WHERE"
		" attempt = -" REMOVED ")",
	[ST_REMOVING_LEFT] = "SELECT EXISTS (SELECT 1 FROM removing)",
	[ST_SEQ_FLOOR] = "UPDATE store_identity SET next_seq = max(next_seq, ?1 + 1)",
	[ST_JOBLET] = "INSERT OR REPLACE INTO joblets(seq, idx, state, errors, lost, ready_at,"
		" reason) VALUES(?1,?2,?3,?4,?5,?6,?7)",
	[ST_ATTEMPT] = "INSERT OR REPLACE INTO attempts(id, seq, idx, n, node, worker, state,"
		" exit_code, fail_reason, started_at, ended_at, peak_ram_mb, cpu_ms, message,"
		" late_result, cores, ram_mb, gpus, wall_ms, output_bytes, output_dropped, run_as)"
		" VALUES(?1,?2,?3,?4,?5,?6,?7,?8,?9,?10,?11,?12,?13,?14,?15,?16,?17,?18,?19,?20,?21,"
		"?22)",
	[ST_OUTPUT] = "INSERT OR IGNORE INTO output(attempt, seq, at, data) VALUES(?1,?2,?3,?4)",
	[ST_IDEM] = "INSERT OR IGNORE INTO idem(owner, key, at, status, body) VALUES(?1,?2,?3,?4,?5)",
	[ST_IDEM_PRUNE] = "DELETE FROM idem WHERE at < ?1",
	[ST_LIMIT] = "INSERT OR REPLACE INTO limits(name, lim) VALUES(?1,?2)",
	[ST_DEF] = "INSERT OR REPLACE INTO definitions(name, version, file, source, owner,"
		" deployed_at, active, scripts) VALUES(?1,?2,?3,?4,?5,?6,1,?7)",
	[ST_DEF_UNDEPLOY] = "UPDATE definitions SET active=0 WHERE name=?1",
	[ST_NET_RUN] = "INSERT OR REPLACE INTO net_runs(id, planned_at, run) VALUES(?1, ?2, ?3)",
	[ST_NET_DROP] = "DELETE FROM net_runs WHERE id=?1",
	[ST_NET_PAUSE] = "INSERT OR IGNORE INTO net_paused(name) VALUES(?1)",
	[ST_NET_RESUME] = "DELETE FROM net_paused WHERE name=?1",
	[ST_ENV_PUT] = "INSERT INTO envs(text) VALUES(?1) ON CONFLICT(text) DO NOTHING",
	[ST_ENV_ID] = "SELECT id FROM envs WHERE text=?1",
	[ST_USER] = "INSERT OR REPLACE INTO users(name, role, hash, created_at) VALUES(?1,?2,?3,?4)",
	[ST_USER_DEL] = "DELETE FROM users WHERE name=?1",
	[ST_TOKEN] = "INSERT OR REPLACE INTO tokens(id, name, owner, role, hash, created_at,"
		" expires_at, revoked_at) VALUES(?1,?2,?3,?4,?5,?6,?7,?8)",
	[ST_EVENT] = "INSERT OR REPLACE INTO events(id, data) VALUES(?1,?2)",
	[ST_EVENT_PRUNE] = "DELETE FROM events WHERE id < ?1",
};

struct sqlite_store {
	struct store base;
	char *path;			/* owned: DATA/jobgrid.sqlite */
	struct dirlock *lock;		/* owned: DATA/jobgrid.lock, held until close */
	bool load_failed;		/* recovery found the store unreadable: close leaves
					 * its files as they are (no checkpoint) */
	char *close_copy;		/* owned: where close copies the store to, or NULL */
	sqlite3 *wdb;			/* writer connection: writer thread once started */
	sqlite3 *rdb;			/* reader connection: loop thread */
	sqlite3_stmt *stmts[ST__N];	/* prepared on wdb */
	sqlite3_stmt *out_keys;		/* prepared on rdb: a page of a job's output rows */
	sqlite3_stmt *out_keys_new;	/* the same among rows lo < id <= hi, found by id */
	sqlite3_stmt *out_row;		/* prepared on rdb: one row's data */
	sqlite3_stmt *out_last;		/* prepared on rdb: the newest row id */
	sqlite3_stmt *ev_read;		/* prepared on rdb: a slice of the kept events */
	struct store_queue q;		/* the batches and the writer thread */
	/* Writer thread, one transaction: the envs row of the last environment written.
	 * Environments are interned, so the same pointer is the same text. */
	const char *env_text;
	int64_t env_id;
	bool removal_touched;		/* writer: the batch being written deleted removed jobs' rows */
};

static int exec_sql(sqlite3 *db, const char *sql, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		*err = xasprintf("%s: %s", sql, msg ? msg : sqlite3_errmsg(db));
		sqlite3_free(msg);
		return -1;
	}
	return 0;
}

static int open_conn(const char *path, sqlite3 **out, char **err)
{
	if (sqlite3_open_v2(path, out, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
				       SQLITE_OPEN_NOMUTEX, NULL) != SQLITE_OK) {
		*err = xasprintf("cannot open %s: %s", path, sqlite3_errmsg(*out));
		sqlite3_close(*out);
		*out = NULL;
		return -1;
	}
	sqlite3_busy_timeout(*out, 10000);
	/* A small page cache: the server's memory goes to the queue, not to cached pages. */
	return exec_sql(*out, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;"
			      " PRAGMA cache_size=-4096; PRAGMA foreign_keys=OFF;", err);
}

static int migrate(sqlite3 *db, char **err)
{
	sqlite3_stmt *st = NULL;
	int version = 0;
	if (sqlite3_prepare_v2(db, "PRAGMA user_version", -1, &st, NULL) != SQLITE_OK ||
	    sqlite3_step(st) != SQLITE_ROW) {
		/* Guessing 0 would run the first migration over an existing schema. */
		*err = xasprintf("cannot read the schema version: %s", sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return -1;
	}
	version = sqlite3_column_int(st, 0);
	sqlite3_finalize(st);
	if (version > STORE_SCHEMA_VERSION) {
		*err = xasprintf("the store has schema version %d, newer than this jobgrid's %d",
				 version, STORE_SCHEMA_VERSION);
		return -1;
	}
	/* Lets a prune give space back (vacuum_some). The file exists already (WAL mode was
	 * set on it), so the setting takes only with a VACUUM: instant while it is empty. */
	if (version == 0 && exec_sql(db, "PRAGMA auto_vacuum=INCREMENTAL; VACUUM", err))
		return -1;
	for (int v = version; v < STORE_SCHEMA_VERSION; v++) {
		char pragma[64];
		snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", v + 1);
		if (exec_sql(db, "BEGIN IMMEDIATE", err) || exec_sql(db, store_migrations[v], err) ||
		    exec_sql(db, pragma, err) || exec_sql(db, "COMMIT", err)) {
			char *ignored = NULL;
			exec_sql(db, "ROLLBACK", &ignored);
			free(ignored);
			return -1;
		}
		log_info("store: applied migration %d", v + 1);
	}
	return 0;
}

/* ---- loading -----------------------------------------------------------------------
 *
 * Recovery reads every table through read_table: one call of a row function per row, then
 * the end of the rows checked. A read error (I/O, a corrupt page) or a row whose values are
 * out of range or point at nothing stops the start with the store, the table and the row
 * named: a partial load would put joblets back to ready and run them again. Loading only
 * reads (once the rows of removed jobs a stop left are gone, finish_removals), and a store
 * whose load failed closes without a checkpoint, so its files stay as they were for
 * whoever looks into them. */

struct sqlite_loader {
	struct loader l;		/* first: the row functions see this part */
	struct sqlite_store *ss;
	sqlite3 *db;			/* the connection read */
};

static bool sq_is_null(const void *h, int i)
{
	return sqlite3_column_type((sqlite3_stmt *)h, i) == SQLITE_NULL;
}
static bool sq_is_int(const void *h, int i)
{
	return sqlite3_column_type((sqlite3_stmt *)h, i) == SQLITE_INTEGER;
}
static int64_t sq_i64(const void *h, int i)
{
	return sqlite3_column_int64((sqlite3_stmt *)h, i);
}
static const char *sq_text(const void *h, int i)
{
	return (const char *)sqlite3_column_text((sqlite3_stmt *)h, i);
}
static size_t sq_len(const void *h, int i)
{
	return (size_t)sqlite3_column_bytes((sqlite3_stmt *)h, i);
}
static const void *sq_blob(const void *h, int i)
{
	sqlite3_stmt *st = (sqlite3_stmt *)h;
	return sqlite3_column_type(st, i) == SQLITE_BLOB ? sqlite3_column_blob(st, i) : NULL;
}
static const char *sq_name(const void *h, int i)
{
	return sqlite3_column_name((sqlite3_stmt *)h, i);
}
static const struct row_ops sqlite_rows = {sq_is_null, sq_is_int, sq_i64, sq_text, sq_len,
					   sq_blob, sq_name};

static int read_table(struct sqlite_loader *sl, const struct load_query *q, char **err)
{
	struct loader *l = &sl->l;
	sqlite3_stmt *st = NULL;
	int rc = sqlite3_prepare_v2(sl->db, q->sql, -1, &st, NULL);
	struct row_src r = {&sqlite_rows, st};
	l->row[0] = l->why[0] = '\0';
	if (rc == SQLITE_OK)
		while ((rc = sqlite3_step(st)) == SQLITE_ROW && q->fn(l, &r) == 0)
			;
	if (rc == SQLITE_ROW)
		*err = xasprintf("store %s, table %s: %s: %s", sl->ss->path, q->table, l->row, l->why);
	else if (rc != SQLITE_DONE)
		*err = xasprintf("store %s, table %s: %s", sl->ss->path, q->table,
				 sqlite3_errmsg(sl->db));
	sqlite3_finalize(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

static int read_tables(struct sqlite_loader *sl, const struct load_query *q, size_t n, char **err)
{
	for (size_t i = 0; i < n; i++)
		if (read_table(sl, &q[i], err))
			return -1;
	return 0;
}

static int sqlite_load_auth(struct store *st, store_user_cb user, store_token_cb token,
			    void *arg, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.user = user, .token = token, .arg = arg}, ss, ss->wdb};
	int rc = read_tables(&sl, load_auth_queries, 2, err);
	ss->load_failed = ss->load_failed || rc != 0;
	return rc;
}

static int delete_slice(struct sqlite_store *ss, int64_t seq);
static int removal_left(struct sqlite_store *ss);

/* What a stop or a crash left of removed jobs' rows goes before the tables are read, so
 * that the load never meets a joblet or an attempt without its job (store.h). */
static int finish_removals(struct sqlite_store *ss, char **err)
{
	int left = removal_left(ss);
	if (left == 0)
		return 0;
	if (left < 0 || exec_sql(ss->wdb, "BEGIN IMMEDIATE", err))
		goto failed;
	while ((left = removal_left(ss)) == 1)
		if (delete_slice(ss, 0))
			break;
	if (left == 0 && exec_sql(ss->wdb, "COMMIT", err) == 0)
		return 0;
	char *ignored = NULL;
	exec_sql(ss->wdb, "ROLLBACK", &ignored);
	free(ignored);
failed:
	if (*err == NULL)
		*err = xasprintf("store %s: finishing the removed jobs' rows: %s", ss->path,
				 sqlite3_errmsg(ss->wdb));
	return -1;
}

static int sqlite_load(struct store *st, struct sched *s, store_idem_cb idem, void *arg,
		       char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.s = s, .idem = idem, .arg = arg}, ss, ss->wdb};
	if (finish_removals(ss, err) || exec_sql(ss->wdb, "BEGIN", err))
		return -1;
	struct load_sched_sql q;
	load_sched_queries(&q, s->load_history_before);
	int rc = read_tables(&sl, q.q, q.n, err);
	load_sched_queries_free(&q);
	char *ignored = NULL;
	exec_sql(ss->wdb, rc ? "ROLLBACK" : "COMMIT", &ignored);
	free(ignored);
	ss->load_failed = ss->load_failed || rc != 0;
	return rc;
}

static int sqlite_load_defs(struct store *st, store_def_cb cb, void *arg, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.def = cb, .arg = arg}, ss, ss->wdb};
	int rc = read_table(&sl, &load_defs_query, err);
	ss->load_failed = ss->load_failed || rc != 0;
	return rc;
}

static int sqlite_load_net(struct store *st, store_net_cb cb, void *arg, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.net = cb, .arg = arg}, ss, ss->wdb};
	int rc = read_tables(&sl, load_net_queries, 2, err);
	ss->load_failed = ss->load_failed || rc != 0;
	return rc;
}

static int sqlite_read_net(struct store *st, int64_t from, int64_t to, store_net_cb cb,
			   void *arg, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.net = cb, .arg = arg}, ss, ss->rdb};
	char *sql = sqlite3_mprintf("SELECT id, run, NULL FROM net_runs WHERE planned_at >= %lld"
				    " AND planned_at < %lld ORDER BY planned_at, id",
				    (long long)from, (long long)to);
	struct load_query q = {"net_runs", sql, load_net_row};
	int rc = read_table(&sl, &q, err);
	sqlite3_free(sql);
	return rc;
}

/* ---- history on demand ------------------------------------------------------------ */

/* q's queries on the read connection in one snapshot, as at load; frees q. */
static int sqlite_read_rows(struct sqlite_store *ss, struct sqlite_loader *sl,
			    struct read_job_sql *q, char **err)
{
	int rc = exec_sql(ss->rdb, "BEGIN", err);
	if (rc == 0) {
		rc = read_tables(sl, q->q, (size_t)q->n, err);
		char *ignored = NULL;
		exec_sql(ss->rdb, "COMMIT", &ignored);
		free(ignored);
	}
	read_job_queries_free(q);
	return rc;
}

static int sqlite_read_job(struct store *st, int64_t seq, struct job **out, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{0}, ss, ss->rdb};
	struct read_job_sql q;
	read_job_queries(&q, seq);
	int rc = sqlite_read_rows(ss, &sl, &q, err);
	*out = loader_take_job(&sl.l);
	if (rc) {
		job_free(*out);
		*out = NULL;
	}
	return rc;
}

static int sqlite_read_jobs(struct store *st, const int64_t *seqs, int n, struct job **out,
			    char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct sqlite_loader sl = {{.jobs = out, .seqs = seqs, .njobs = n}, ss, ss->rdb};
	struct read_job_sql q;
	memset(out, 0, (size_t)n * sizeof *out);
	read_jobs_queries(&q, seqs, n);
	int rc = sqlite_read_rows(ss, &sl, &q, err);
	loader_end_jobs(&sl.l, rc);
	return rc;
}

/* One indexed query of a page's joblets (attempts_job): no transaction, its rows are one
 * statement's snapshot. */
static int sqlite_read_attempts(struct store *st, int64_t seq, const int32_t *idx, int32_t n,
				struct joblet *page, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	if (n <= 0)
		return 0;
	struct sqlite_loader sl = {{.page = page, .page_idx = idx, .npage = n}, ss, ss->rdb};
	struct load_query q;
	char *sql = read_attempts_query(&q, seq, idx, n);
	int rc = read_table(&sl, &q, err);
	free(sql);
	return rc;
}

/* sql with params bound as text: the statement, or NULL with *err. */
static sqlite3_stmt *prepare_params(sqlite3 *db, const char *sql, const char **params, int n,
				    char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
		*err = xasprintf("%s: %s", sql, sqlite3_errmsg(db));
		sqlite3_finalize(st);
		return NULL;
	}
	for (int i = 0; i < n; i++)
		sqlite3_bind_text(st, i + 1, params[i], -1, SQLITE_STATIC);
	return st;
}

static int sqlite_list_jobs(struct store *st, const struct job_filter *f, int64_t after,
			    bool desc, int64_t *out, int max, int64_t *more, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	const char *params[3];
	int np, n = 0, rc;
	if (more)
		*more = 0;
	char *sql = list_jobs_sql(f, after, desc, max, "instr", params, &np);
	sqlite3_stmt *q = prepare_params(ss->rdb, sql, params, np, err);
	free(sql);
	if (q == NULL)
		return -1;
	while (n < max && (rc = sqlite3_step(q)) == SQLITE_ROW)
		out[n++] = sqlite3_column_int64(q, 0);
	if (n < max && rc != SQLITE_DONE) {
		*err = xasprintf("store %s, table jobs: %s", ss->path, sqlite3_errmsg(ss->rdb));
		n = -1;
	}
	sqlite3_finalize(q);
	if (more == NULL || n <= 0)
		return n;
	sql = count_jobs_sql(f, out[n - 1], desc, STORE_COUNT_CAP, "instr", params, &np);
	q = prepare_params(ss->rdb, sql, params, np, err);
	free(sql);
	if (q == NULL)
		return -1;
	if (sqlite3_step(q) == SQLITE_ROW)
		*more = sqlite3_column_int64(q, 0);
	else {
		*err = xasprintf("store %s, table jobs: %s", ss->path, sqlite3_errmsg(ss->rdb));
		n = -1;
	}
	sqlite3_finalize(q);
	return n;
}

static int sqlite_ended_attempts(struct store *st, int64_t from, int64_t to, store_attempt_cb cb,
				 void *arg, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	char *sql = ended_attempts_sql(from, to);
	sqlite3_stmt *q = prepare_params(ss->rdb, sql, NULL, 0, err);
	free(sql);
	if (q == NULL)
		return -1;
	int rc;
	while ((rc = sqlite3_step(q)) == SQLITE_ROW)
		cb(arg, sqlite3_column_int64(q, 0), sqlite3_column_int(q, 5),
		   (const char *)sqlite3_column_text(q, 4),
		   sqlite3_column_int64(q, 1), sqlite3_column_int64(q, 2), sqlite3_column_int(q, 3));
	if (rc != SQLITE_DONE)
		*err = xasprintf("store %s, table attempts: %s", ss->path, sqlite3_errmsg(ss->rdb));
	sqlite3_finalize(q);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* ---- writing ----------------------------------------------------------------------- */

static void bind_text_or_null(sqlite3_stmt *st, int i, const char *s)
{
	if (s)
		sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
	else
		sqlite3_bind_null(st, i);
}

static int run_stmt(struct sqlite_store *ss, int which)
{
	sqlite3_stmt *st = ss->stmts[which];
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* The envs row of text (interned), made when new: its id, or -1. */
static int64_t env_row(struct sqlite_store *ss, const char *text)
{
	if (text == ss->env_text)
		return ss->env_id;
	sqlite3_bind_text(ss->stmts[ST_ENV_PUT], 1, text, -1, SQLITE_STATIC);
	if (run_stmt(ss, ST_ENV_PUT))
		return -1;
	sqlite3_stmt *q = ss->stmts[ST_ENV_ID];
	sqlite3_bind_text(q, 1, text, -1, SQLITE_STATIC);
	int64_t id = sqlite3_step(q) == SQLITE_ROW ? sqlite3_column_int64(q, 0) : -1;
	sqlite3_reset(q);
	sqlite3_clear_bindings(q);
	if (id > 0) {
		ss->env_text = text;
		ss->env_id = id;
	}
	return id;
}

static int write_job(struct sqlite_store *ss, const struct rec_job *r, bool insert)
{
	sqlite3_stmt *st = ss->stmts[insert ? ST_JOB_INS : ST_JOB_UPD];
	sqlite3_bind_int64(st, 1, r->seq);
	if (insert) {
		sqlite3_bind_text(st, 2, r->owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->req_group, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, r->cmd, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->cwd, -1, SQLITE_STATIC);
		bind_text_or_null(st, 8, r->env);
		sqlite3_bind_int(st, 9, r->cores);
		sqlite3_bind_int(st, 10, r->ram_mb);
		sqlite3_bind_int(st, 11, r->gpus);
		sqlite3_bind_int64(st, 12, r->time_ms);
		sqlite3_bind_int(st, 13, r->priority);
		sqlite3_bind_int(st, 14, r->retries);
		sqlite3_bind_int(st, 15, r->lost_retries);
		sqlite3_bind_int64(st, 16, r->retry_delay_ms);
		sqlite3_bind_int(st, 17, r->flags);
		sqlite3_bind_int(st, 18, r->njoblets);
		sqlite3_bind_int(st, 19, r->state);
		sqlite3_bind_int64(st, 20, r->created_at);
		sqlite3_bind_int64(st, 21, r->ended_at);
		bind_text_or_null(st, 22, r->opts);
		int64_t env = r->submit_env ? env_row(ss, r->submit_env) : 0;
		if (env < 0)
			return -1;
		if (env)
			sqlite3_bind_int64(st, 23, env);
		else
			sqlite3_bind_null(st, 23);
	} else {
		sqlite3_bind_int(st, 2, r->cores);
		sqlite3_bind_int(st, 3, r->ram_mb);
		sqlite3_bind_int(st, 4, r->gpus);
		sqlite3_bind_int64(st, 5, r->time_ms);
		sqlite3_bind_int(st, 6, r->priority);
		sqlite3_bind_int(st, 7, r->retries);
		sqlite3_bind_int(st, 8, r->lost_retries);
		sqlite3_bind_int64(st, 9, r->retry_delay_ms);
		sqlite3_bind_int(st, 10, r->state);
		sqlite3_bind_int64(st, 11, r->ended_at);
		bind_text_or_null(st, 12, r->opts);
	}
	return run_stmt(ss, insert ? ST_JOB_INS : ST_JOB_UPD);
}

/* A slice of the rows of removed job seq, or with 0 of the oldest in `removing`; its seq
 * leaves `removing` once none is left (store.h, REC_JOB_DEL). */
static int delete_slice(struct sqlite_store *ss, int64_t seq)
{
	static const int order[] = {ST_OUTPUT_DEL, ST_ATTEMPTS_DEL, ST_JOBLETS_DEL,
				    ST_REMOVING_DONE};
	ss->removal_touched = true;
	for (size_t i = 0; i < sizeof order / sizeof order[0]; i++) {
		sqlite3_stmt *st = ss->stmts[order[i]];
		if (seq > 0)
			sqlite3_bind_int64(st, 1, seq);
		else
			sqlite3_bind_null(st, 1);
		if (order[i] != ST_REMOVING_DONE)
			sqlite3_bind_int(st, 2, STORE_REMOVE_ROWS);
		if (run_stmt(ss, order[i]))
			return -1;
	}
	return 0;
}

/* The job's row goes now; its other rows a slice at a time. */
static int delete_job(struct sqlite_store *ss, int64_t seq)
{
	sqlite3_bind_int64(ss->stmts[ST_JOB_DEL], 1, seq);
	if (run_stmt(ss, ST_JOB_DEL))
		return -1;
	sqlite3_bind_int64(ss->stmts[ST_REMOVING_ADD], 1, seq);
	if (run_stmt(ss, ST_REMOVING_ADD))
		return -1;
	sqlite3_bind_int64(ss->stmts[ST_SEQ_FLOOR], 1, seq);
	if (run_stmt(ss, ST_SEQ_FLOOR))
		return -1;
	return delete_slice(ss, seq);
}

/* 1 while a removed job has rows left, 0 when none, -1. */
static int removal_left(struct sqlite_store *ss)
{
	sqlite3_stmt *st = ss->stmts[ST_REMOVING_LEFT];
	int rc = sqlite3_step(st), left = rc == SQLITE_ROW ? sqlite3_column_int(st, 0) : -1;
	sqlite3_reset(st);
	return left;
}

static int write_joblet(struct sqlite_store *ss, const struct rec_joblet *r)
{
	sqlite3_stmt *st = ss->stmts[ST_JOBLET];
	sqlite3_bind_int64(st, 1, r->seq);
	sqlite3_bind_int(st, 2, r->idx);
	sqlite3_bind_int(st, 3, r->state);
	sqlite3_bind_int(st, 4, r->errors);
	sqlite3_bind_int(st, 5, r->lost);
	sqlite3_bind_int64(st, 6, r->ready_at);
	bind_text_or_null(st, 7, r->reason);
	return run_stmt(ss, ST_JOBLET);
}

static int write_attempt(struct sqlite_store *ss, const struct rec_attempt *r)
{
	sqlite3_stmt *st = ss->stmts[ST_ATTEMPT];
	sqlite3_bind_int64(st, 1, r->id);
	sqlite3_bind_int64(st, 2, r->seq);
	sqlite3_bind_int(st, 3, r->idx);
	sqlite3_bind_int(st, 4, r->n);
	sqlite3_bind_text(st, 5, r->node, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 6, r->worker, -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 7, r->state);
	if (r->has_exit)
		sqlite3_bind_int(st, 8, r->exit_code);
	else
		sqlite3_bind_null(st, 8);
	sqlite3_bind_int(st, 9, r->fail_reason);
	sqlite3_bind_int64(st, 10, r->started_at);
	sqlite3_bind_int64(st, 11, r->ended_at);
	sqlite3_bind_int(st, 12, r->peak_ram_mb);
	sqlite3_bind_int64(st, 13, r->cpu_ms);
	bind_text_or_null(st, 14, r->message);
	bind_text_or_null(st, 15, r->late_result);
	sqlite3_bind_int(st, 16, r->cores);
	sqlite3_bind_int(st, 17, r->ram_mb);
	sqlite3_bind_int(st, 18, r->gpus);
	sqlite3_bind_int64(st, 19, r->wall_ms);
	sqlite3_bind_int64(st, 20, r->output_bytes);
	sqlite3_bind_int64(st, 21, r->output_dropped);
	bind_text_or_null(st, 22, r->run_as);
	return run_stmt(ss, ST_ATTEMPT);
}

/* After a prune: give freed pages back to the file system, at most 64 MiB of them a
 * commit. Only a store created with auto_vacuum=INCREMENTAL (new stores are, see migrate)
 * can; an older one reuses its free pages for new rows instead. */
static int vacuum_some(struct sqlite_store *ss)
{
	char *err = NULL;
	int rc = exec_sql(ss->wdb, "PRAGMA incremental_vacuum(16384)", &err);
	free(err);
	return rc;
}

static int write_rec(struct sqlite_store *ss, const struct rec *r)
{
	sqlite3_stmt *st;
	switch (r->kind) {
	case REC_JOB:
		return write_job(ss, &r->u.job, true);
	case REC_JOB_STATE:
		return write_job(ss, &r->u.job, false);
	case REC_JOB_DEL:
		return delete_job(ss, r->u.job.seq);
	case REC_JOB_DEL_MORE:
		return delete_slice(ss, 0);
	case REC_VACUUM:
		return vacuum_some(ss);
	case REC_JOBLET:
		return write_joblet(ss, &r->u.joblet);
	case REC_ATTEMPT:
		return write_attempt(ss, &r->u.attempt);
	case REC_OUTPUT:
		st = ss->stmts[ST_OUTPUT];
		sqlite3_bind_int64(st, 1, r->u.output.attempt);
		sqlite3_bind_int64(st, 2, r->u.output.seq);
		sqlite3_bind_int64(st, 3, r->u.output.at);
		sqlite3_bind_blob(st, 4, r->u.output.data, (int)r->u.output.len, SQLITE_STATIC);
		return run_stmt(ss, ST_OUTPUT);
	case REC_IDEM:
		st = ss->stmts[ST_IDEM];
		sqlite3_bind_text(st, 1, r->u.idem.owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->u.idem.key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, r->u.idem.at);
		sqlite3_bind_int(st, 4, r->u.idem.status);
		sqlite3_bind_text(st, 5, r->u.idem.body, -1, SQLITE_STATIC);
		return run_stmt(ss, ST_IDEM);
	case REC_IDEM_PRUNE:
		sqlite3_bind_int64(ss->stmts[ST_IDEM_PRUNE], 1, r->u.prune_before);
		return run_stmt(ss, ST_IDEM_PRUNE);
	case REC_DEF:
		st = ss->stmts[ST_DEF];
		sqlite3_bind_text(st, 1, r->u.def.name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->u.def.version);
		sqlite3_bind_text(st, 3, r->u.def.file, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->u.def.source, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 5, r->u.def.owner, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, r->u.def.deployed_at);
		if (r->u.def.scripts)
			sqlite3_bind_text(st, 7, r->u.def.scripts, -1, SQLITE_STATIC);
		else
			sqlite3_bind_null(st, 7);
		return run_stmt(ss, ST_DEF);
	case REC_DEF_UNDEPLOY:
		sqlite3_bind_text(ss->stmts[ST_DEF_UNDEPLOY], 1, r->u.def.name, -1, SQLITE_STATIC);
		return run_stmt(ss, ST_DEF_UNDEPLOY);
	case REC_NET_RUN:
		st = ss->stmts[ST_NET_RUN];
		sqlite3_bind_int64(st, 1, r->u.net.id);
		sqlite3_bind_int64(st, 2, r->u.net.planned_at);
		sqlite3_bind_text(st, 3, r->u.net.run, -1, SQLITE_STATIC);
		return run_stmt(ss, ST_NET_RUN);
	case REC_NET_DROP:
		sqlite3_bind_int64(ss->stmts[ST_NET_DROP], 1, r->u.net.id);
		return run_stmt(ss, ST_NET_DROP);
	case REC_NET_PAUSE: {
		int which = r->u.net.paused ? ST_NET_PAUSE : ST_NET_RESUME;
		sqlite3_bind_text(ss->stmts[which], 1, r->u.net.name, -1, SQLITE_STATIC);
		return run_stmt(ss, which);
	}
	case REC_USER:
		st = ss->stmts[ST_USER];
		sqlite3_bind_text(st, 1, r->u.user.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 2, r->u.user.role, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->u.user.hash, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 4, r->u.user.created_at);
		return run_stmt(ss, ST_USER);
	case REC_USER_DEL:
		sqlite3_bind_text(ss->stmts[ST_USER_DEL], 1, r->u.user.name, -1, SQLITE_STATIC);
		return run_stmt(ss, ST_USER_DEL);
	case REC_TOKEN:
		st = ss->stmts[ST_TOKEN];
		sqlite3_bind_int64(st, 1, r->u.token.id);
		sqlite3_bind_text(st, 2, r->u.token.name, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->u.token.owner, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->u.token.role, -1, SQLITE_STATIC);
		sqlite3_bind_blob(st, 5, r->u.token.hash, 32, SQLITE_STATIC);
		sqlite3_bind_int64(st, 6, r->u.token.created_at);
		sqlite3_bind_int64(st, 7, r->u.token.expires_at);
		sqlite3_bind_int64(st, 8, r->u.token.revoked_at);
		return run_stmt(ss, ST_TOKEN);
	case REC_EVENT:
		st = ss->stmts[ST_EVENT];
		sqlite3_bind_int64(st, 1, r->u.event.id);
		bind_text_or_null(st, 2, r->u.event.data);
		return run_stmt(ss, ST_EVENT);
	case REC_EVENT_PRUNE:
		sqlite3_bind_int64(ss->stmts[ST_EVENT_PRUNE], 1, r->u.prune_before);
		return run_stmt(ss, ST_EVENT_PRUNE);
	case REC_LIMIT:
		st = ss->stmts[ST_LIMIT];
		sqlite3_bind_text(st, 1, r->u.limit.name, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 2, r->u.limit.limit);
		return run_stmt(ss, ST_LIMIT);
	}
	return -1;
}

/* A store that cannot commit cannot keep the promise that replies follow the disk, so the
 * server stops here, on the writer thread, before any reply of the chain is released; the
 * transaction is left open, so nothing of it reaches the file, and a restart recovers
 * from the last commit. */
#define COMMIT_FAILED(what, why)                                                             \
	fatal("store: commit failed, stopping without answering the requests that wait on it" \
	      " (a restart recovers every change acknowledged before): %s: %s", what, why)

/* Commit a chain of batches in one transaction. */
static int commit_chain(void *backend, struct store_batch *chain)
{
	struct sqlite_store *ss = backend;
	char *err = NULL;
	if (exec_sql(ss->wdb, "BEGIN IMMEDIATE", &err))
		COMMIT_FAILED("begin", err);
	ss->env_text = NULL;	/* its cache holds for one transaction */
	for (struct store_batch *b = chain; b; b = b->next) {
		ss->removal_touched = false;
		for (size_t i = 0; i < b->n; i++)
			if (write_rec(ss, &b->recs[i]))
				COMMIT_FAILED("write", sqlite3_errmsg(ss->wdb));
		int left = ss->removal_touched ? removal_left(ss) : 0;
		if (left < 0)
			COMMIT_FAILED("write", sqlite3_errmsg(ss->wdb));
		b->removal_left = left == 1;
	}
	if (exec_sql(ss->wdb, "COMMIT", &err))
		COMMIT_FAILED("commit", err);
	return 0;
}

static int sqlite_start(struct store *st, struct event_base *base, store_done_cb done, void *arg)
{
	return store_queue_start(&((struct sqlite_store *)st)->q, base, done, arg);
}

static void sqlite_submit(struct store *st, struct store_batch *b)
{
	store_queue_submit(&((struct sqlite_store *)st)->q, b);
}

/* ---- reading output ---------------------------------------------------------------- */

/* Output is read in two steps so that a page never drags blobs through a sort: the keys
 * of the next OUTPUT_PAGE rows in (at, id) order with their lengths (length() of a blob
 * reads no content), kept in the cursor, then each row's data by id, until the byte
 * budget is spent. The first range of a reader (lo = 0) is found through the job's
 * attempts; a follower's later ranges (the rows committed since) through the row ids, so a
 * commit costs it what the commit added, not the job's whole log. */

/* The next page of keys after (c->at, c->id) into c->keys. -1 on an error. */
static int find_keys(void *backend, struct output_cursor *c)
{
	struct sqlite_store *ss = backend;
	sqlite3_stmt *q = c->lo > 0 ? ss->out_keys_new : ss->out_keys;
	int rc;
	sqlite3_bind_int64(q, 1, c->seq);
	sqlite3_bind_int(q, 2, c->idx);
	sqlite3_bind_int64(q, 3, c->lo);
	sqlite3_bind_int64(q, 4, c->hi);
	sqlite3_bind_int64(q, 5, c->at);
	sqlite3_bind_int64(q, 6, c->id);
	sqlite3_bind_int(q, 7, OUTPUT_PAGE);
	c->nkeys = c->next = 0;
	while (c->nkeys < OUTPUT_PAGE && (rc = sqlite3_step(q)) == SQLITE_ROW) {
		struct output_key *k = &c->keys[c->nkeys++];
		k->id = sqlite3_column_int64(q, 0);
		k->at = sqlite3_column_int64(q, 1);
		k->len = sqlite3_column_int64(q, 2);
	}
	sqlite3_reset(q);
	return rc == SQLITE_DONE || rc == SQLITE_ROW ? 0 : -1;
}

static int read_row(void *backend, int64_t id, store_output_cb cb, void *arg)
{
	struct sqlite_store *ss = backend;
	sqlite3_stmt *q = ss->out_row;
	sqlite3_bind_int64(q, 1, id);
	int rc = sqlite3_step(q);
	if (rc == SQLITE_ROW) {
		struct output_row row = {
			.rowid = id,
			.attempt = sqlite3_column_int64(q, 0),
			.at = sqlite3_column_int64(q, 1),
			.idx = sqlite3_column_int(q, 2),
			.node = sq_text(q, 3) ? sq_text(q, 3) : "",
			.data = sqlite3_column_blob(q, 4),
			.len = (size_t)sqlite3_column_bytes(q, 4),
		};
		cb(arg, &row);
	}
	sqlite3_reset(q);
	return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : -1;
}

static int sqlite_read_output(struct store *st, struct output_cursor *c, size_t max_bytes,
			  store_output_cb cb, void *arg)
{
	return store_read_pages(st, find_keys, read_row, c, max_bytes, cb, arg);
}

static int64_t sqlite_output_last_id(struct store *st)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	int64_t id = 0;
	if (sqlite3_step(ss->out_last) == SQLITE_ROW)
		id = sqlite3_column_int64(ss->out_last, 0);
	sqlite3_reset(ss->out_last);
	return id;
}

/* ---- kept events ------------------------------------------------------------------ */

/* One integer a query on db gives, or -1 with *err. */
static int64_t query_int(sqlite3 *db, const char *sql, char **err)
{
	sqlite3_stmt *st = NULL;
	int64_t v = -1;
	if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
		v = sqlite3_column_int64(st, 0);
	else
		*err = xasprintf("%s", sqlite3_errmsg(db));
	sqlite3_finalize(st);
	return v;
}

static int sqlite_load_events(struct store *st, struct store_events *out, char **err)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	char *why = NULL;
	out->epoch = query_int(ss->wdb, "SELECT epoch FROM store_identity WHERE id = 1", &why);
	if (out->epoch > 0)
		out->lo = query_int(ss->wdb, "SELECT COALESCE(MIN(id), 0) FROM events", &why);
	if (out->epoch > 0 && out->lo >= 0)
		out->hi = query_int(ss->wdb, "SELECT COALESCE(MAX(id), 0) FROM events", &why);
	int64_t gap = out->epoch > 0 && out->lo >= 0 && out->hi >= 0 ? query_int(ss->wdb,
		"SELECT COALESCE((SELECT data IS NULL FROM events ORDER BY id DESC LIMIT 1), 0)",
		&why) : -1;
	out->hi_gap = gap == 1;
	if (out->epoch <= 0 || out->lo < 0 || out->hi < 0 || gap < 0) {
		*err = xasprintf("store %s, table %s: %s", ss->path,
				 out->epoch <= 0 ? "store_identity" : "events",
				 why ? why : "no identity row");
		free(why);
		ss->load_failed = true;
		return -1;
	}
	return 0;
}

static int sqlite_read_events(struct store *st, int64_t after, int64_t upto, int max,
			      store_event_cb cb, void *arg)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	sqlite3_stmt *q = ss->ev_read;
	int n = 0, rc;
	sqlite3_bind_int64(q, 1, after);
	sqlite3_bind_int64(q, 2, upto);
	sqlite3_bind_int(q, 3, max);
	while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
		cb(arg, sqlite3_column_int64(q, 0), sq_text(q, 1));
		n++;
	}
	if (rc != SQLITE_DONE) {
		log_error("store %s, table events: %s", ss->path, sqlite3_errmsg(ss->rdb));
		n = -1;
	}
	sqlite3_reset(q);
	return n;
}

/* ---- backup ------------------------------------------------------------------------ */

struct backup_job {
	struct sqlite_store *ss;
	char *path;			/* owned */
	store_backup_cb cb;
	void *arg;
	int rc;
	int64_t bytes;
	char *err;			/* owned */
	struct event *ev;
};

static void on_backup_done(evutil_socket_t fd, short what, void *arg)
{
	struct backup_job *bj = arg;
	bj->cb(bj->arg, bj->rc, bj->bytes, bj->err);
	event_free(bj->ev);
	free(bj->path);
	free(bj->err);
	free(bj);
}

static void *backup_main(void *arg)
{
	struct backup_job *bj = arg;
	sqlite3 *db = NULL;
	char *err = NULL;
	bj->rc = -1;
	if (open_conn(bj->ss->path, &db, &err) == 0) {
		char *sql = sqlite3_mprintf("VACUUM INTO %Q", bj->path);
		if (exec_sql(db, sql, &err) == 0) {
			struct stat sb;
			bj->rc = 0;
			bj->bytes = stat(bj->path, &sb) == 0 ? (int64_t)sb.st_size : 0;
		}
		sqlite3_free(sql);
	}
	bj->err = err;
	sqlite3_close(db);
	event_active(bj->ev, EV_READ, 0);
	return NULL;
}

static int sqlite_backup(struct store *st, const char *path, store_backup_cb cb, void *arg)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	struct backup_job *bj = xcalloc(1, sizeof *bj);
	bj->ss = ss;
	bj->path = xstrdup(path);
	bj->cb = cb;
	bj->arg = arg;
	bj->ev = event_new(ss->q.loop, -1, 0, on_backup_done, bj);
	pthread_t t;
	int rc = pthread_create(&t, NULL, backup_main, bj);
	if (rc != 0) {
		event_free(bj->ev);
		free(bj->path);
		free(bj);
		errno = rc;	/* the caller says why */
		return -1;
	}
	pthread_detach(t);
	return 0;
}

/* ---- open / close ------------------------------------------------------------------ */

static void sqlite_copy_at_close(struct store *st, const char *path)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	free(ss->close_copy);
	ss->close_copy = path ? xstrdup(path) : NULL;
}

/* The last commit is in and the directory still locked: nothing can change the copy. It
 * is made private (0600) before any row is in it, like the store itself. */
static void copy_at_close(struct sqlite_store *ss)
{
	char *err = NULL, *sql = sqlite3_mprintf("VACUUM INTO %Q", ss->close_copy);
	int fd = open(ss->close_copy, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
	if (fd < 0)
		err = xasprintf("%s", strerror(errno));
	else
		close(fd);
	if (err == NULL && exec_sql(ss->wdb, sql, &err) != 0)
		unlink(ss->close_copy);
	if (err)
		log_error("cannot copy the store to %s at stop: %s", ss->close_copy, err);
	sqlite3_free(sql);
	free(err);
}

static void sqlite_close(struct store *st)
{
	struct sqlite_store *ss = (struct sqlite_store *)st;
	store_queue_stop(&ss->q);
	if (ss->wdb && !ss->load_failed) {
		/* A clean stop leaves no rows of removed jobs behind (nor in its copy). */
		char *ignored = NULL;
		finish_removals(ss, &ignored);
		free(ignored);
	}
	for (int i = 0; i < ST__N; i++)
		sqlite3_finalize(ss->stmts[i]);
	sqlite3_finalize(ss->out_keys);
	sqlite3_finalize(ss->out_keys_new);
	sqlite3_finalize(ss->out_row);
	sqlite3_finalize(ss->out_last);
	sqlite3_finalize(ss->ev_read);
	if (ss->load_failed) {
		/* Leave the files as found: no checkpoint now, none at the last close. */
		sqlite3 *dbs[] = {ss->wdb, ss->rdb};
		for (size_t i = 0; i < 2; i++)
			if (dbs[i])
				sqlite3_db_config(dbs[i], SQLITE_DBCONFIG_NO_CKPT_ON_CLOSE, 1, NULL);
	} else if (ss->wdb) {
		char *ignored = NULL;
		exec_sql(ss->wdb, "PRAGMA wal_checkpoint(TRUNCATE)", &ignored);
		free(ignored);
		if (ss->close_copy)
			copy_at_close(ss);
	}
	sqlite3_close(ss->rdb);
	sqlite3_close(ss->wdb);
	store_queue_destroy(&ss->q);
	dirlock_release(ss->lock);	/* last: nobody else may open the file before this */
	free(ss->close_copy);
	free(ss->path);
	free(ss);
}

static const struct store_vt sqlite_vt = {
	.load = sqlite_load,
	.load_defs = sqlite_load_defs,
	.load_net = sqlite_load_net,
	.load_auth = sqlite_load_auth,
	.read_net = sqlite_read_net,
	.read_job = sqlite_read_job,
	.read_jobs = sqlite_read_jobs,
	.read_attempts = sqlite_read_attempts,
	.list_jobs = sqlite_list_jobs,
	.load_events = sqlite_load_events,
	.read_events = sqlite_read_events,
	.ended_attempts = sqlite_ended_attempts,
	.start = sqlite_start,
	.submit = sqlite_submit,
	.read_output = sqlite_read_output,
	.output_last_id = sqlite_output_last_id,
	.backup = sqlite_backup,
	.copy_at_close = sqlite_copy_at_close,
	.close = sqlite_close,
};

/* The store's files are the server's alone: DATA is searchable by others (its Unix
 * socket), so the files must not be readable. The database is made 0600 before SQLite
 * opens it (SQLite gives its -wal and -shm files the database's mode); files of an older
 * server are narrowed. 0, or -1 with *err. */
static int private_files(const char *db, char **err)
{
	int fd = open(db, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || fchmod(fd, 0600) != 0) {
		*err = xasprintf("cannot make %s private (mode 0600): %s", db, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	static const char *const sides[] = {"-wal", "-shm"};
	for (size_t i = 0; i < 2; i++) {
		char *p = xasprintf("%s%s", db, sides[i]);
		if (chmod(p, 0600) != 0 && errno != ENOENT) {
			*err = xasprintf("cannot make %s private (mode 0600): %s", p, strerror(errno));
			free(p);
			return -1;
		}
		free(p);
	}
	return 0;
}

struct store *store_sqlite_open(const char *dir, char **err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("cannot create data directory %s: %s", dir, strerror(errno));
		return NULL;
	}
	/* One server per data directory, for its whole life: two would run every joblet
	 * twice. Taken before SQLite opens the file, so a refused start changes nothing. */
	char *why = NULL;
	struct dirlock *lock = dirlock_take(dir, "jobgrid.lock", &why);
	if (lock == NULL) {
		*err = xasprintf("data directory %s: %s", dir, why);
		free(why);
		return NULL;
	}
	struct sqlite_store *ss = xcalloc(1, sizeof *ss);
	ss->lock = lock;
	ss->base.vt = &sqlite_vt;
	ss->path = xasprintf("%s/jobgrid.sqlite", dir);
	store_queue_init(&ss->q, commit_chain, ss);
	if (private_files(ss->path, err) || open_conn(ss->path, &ss->wdb, err) || migrate(ss->wdb, err) ||
	    open_conn(ss->path, &ss->rdb, err))
		goto fail;
	for (int i = 0; i < ST__N; i++) {
		if (sqlite3_prepare_v3(ss->wdb, stmt_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       &ss->stmts[i], NULL) != SQLITE_OK) {
			*err = xasprintf("prepare %s: %s", stmt_sql[i], sqlite3_errmsg(ss->wdb));
			goto fail;
		}
	}
	static const char keys_sql[] =
		"SELECT o.id, o.at, length(o.data) FROM output o JOIN attempts a ON a.id = o.attempt"
		" WHERE a.seq = ?1 AND (?2 = -1 OR a.idx = ?2) AND o.id > ?3 AND o.id <= ?4"
		" AND (o.at > ?5 OR (o.at = ?5 AND o.id > ?6))"
		/* A job's script handlers on the server log as attempt -seq. */
		" UNION ALL SELECT o.id, o.at, length(o.data) FROM output o WHERE o.attempt = -?1"
		" AND ?2 < 0 AND o.id > ?3 AND o.id <= ?4 AND (o.at > ?5 OR (o.at = ?5 AND o.id > ?6))"
		" ORDER BY 2, 1 LIMIT ?7";
	/* CROSS JOIN keeps output the outer loop: its rows are found by id range. */
	static const char keys_new_sql[] =
		"SELECT o.id, o.at, length(o.data) FROM output o CROSS JOIN attempts a"
		" ON a.id = o.attempt WHERE o.id > ?3 AND o.id <= ?4 AND a.seq = ?1"
		" AND (?2 = -1 OR a.idx = ?2) AND (o.at > ?5 OR (o.at = ?5 AND o.id > ?6))"
		" UNION ALL SELECT o.id, o.at, length(o.data) FROM output o WHERE o.id > ?3"
		" AND o.id <= ?4 AND o.attempt = -?1 AND ?2 < 0 AND (o.at > ?5 OR (o.at = ?5 AND"
		" o.id > ?6)) ORDER BY 2, 1 LIMIT ?7";
	static const char row_sql[] =
		"SELECT o.attempt, o.at, COALESCE(a.idx, -1), COALESCE(a.node, 'server'), o.data"
		" FROM output o LEFT JOIN attempts a ON a.id = o.attempt WHERE o.id = ?1";
	static const char events_sql[] =
		"SELECT id, data FROM events WHERE id > ?1 AND id <= ?2 ORDER BY id LIMIT ?3";
	static const char *const read_sql[5] = {keys_sql, keys_new_sql, row_sql,
						"SELECT COALESCE(MAX(id), 0) FROM output", events_sql};
	sqlite3_stmt **read_stmts[5] = {&ss->out_keys, &ss->out_keys_new, &ss->out_row,
					&ss->out_last, &ss->ev_read};
	for (int i = 0; i < 5; i++) {
		if (sqlite3_prepare_v3(ss->rdb, read_sql[i], -1, SQLITE_PREPARE_PERSISTENT,
				       read_stmts[i], NULL) != SQLITE_OK) {
			*err = xasprintf("prepare %s: %s", read_sql[i], sqlite3_errmsg(ss->rdb));
			goto fail;
		}
	}
	return &ss->base;
fail:
	ss->load_failed = true;
	char *why_open = *err;
	*err = xasprintf("store %s: %s", ss->path, why_open);
	free(why_open);
	sqlite_close(&ss->base);
	return NULL;
}

/* ---- restore ----------------------------------------------------------------------- */


/* Is file a jobgrid store this jobgrid can open? Its schema version and jobs, or -1. */
static int check_backup(sqlite3 *src, const char *file, struct store_restored *out, char **err)
{
	char *why = NULL;
	sqlite3_stmt *st = NULL;
	bool ok = sqlite3_prepare_v2(src, "PRAGMA quick_check", -1, &st, NULL) == SQLITE_OK &&
		  sqlite3_step(st) == SQLITE_ROW &&
		  strcmp((const char *)sqlite3_column_text(st, 0), "ok") == 0;
	sqlite3_finalize(st);
	if (!ok) {
		*err = xasprintf("%s is not a readable SQLite database, or is damaged (quick_check"
				 " failed: %s)", file, sqlite3_errmsg(src));
		return -1;
	}
	int64_t version = query_int(src, "PRAGMA user_version", &why);
	int64_t jobs = version >= 1 ? query_int(src, "SELECT count(*) FROM jobs", &why) : -1;
	if (version < 1 || jobs < 0) {
		*err = xasprintf("%s is not a jobgrid store (schema version %lld%s%s)", file,
				 (long long)version, why ? ", " : "", why ? why : "");
		free(why);
		return -1;
	}
	if (version > STORE_SCHEMA_VERSION) {
		*err = xasprintf("%s has schema version %lld, newer than this jobgrid's %d: restore it"
				 " with that jobgrid", file, (long long)version, STORE_SCHEMA_VERSION);
		return -1;
	}
	out->schema_version = (int)version;
	out->current_version = STORE_SCHEMA_VERSION;
	out->jobs = jobs;
	return 0;
}

/* A restored store is another store: the event ids clients hold from the one it was copied
 * from (which may have gone on) must not be taken for its own. A copy of a schema before 11
 * is given one by its migration. 0, or -1 with *err. */
static int new_identity(const char *path, char **err)
{
	sqlite3 *db = NULL;
	int rc = -1;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL) != SQLITE_OK)
		*err = xasprintf("cannot open %s: %s", path, sqlite3_errmsg(db));
	else
		rc = exec_sql(db, "UPDATE store_identity SET epoch = 100000000000000 +"
			      " (random() & 281474976710655) % 900000000000000 WHERE id = 1", err);
	sqlite3_close(db);
	return rc;
}

int store_sqlite_restore(const char *file, const char *dir, struct store_restored *out, char **err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("cannot create data directory %s: %s", dir, strerror(errno));
		return -1;
	}
	char *why = NULL;
	struct dirlock *lock = dirlock_take(dir, "jobgrid.lock", &why);
	if (lock == NULL) {
		*err = xasprintf("data directory %s: %s", dir, why);
		free(why);
		return -1;
	}
	char *path = xasprintf("%s/jobgrid.sqlite", dir);
	struct stat sb;
	sqlite3 *src = NULL;
	int rc = -1;
	if (stat(path, &sb) == 0 && sb.st_size > 0)
		*err = xasprintf("%s already holds a store (%s): restore goes into an empty data"
				 " directory (move that one away first)", dir, path);
	else if (sqlite3_open_v2(file, &src, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK)
		*err = xasprintf("cannot open %s: %s", file, sqlite3_errmsg(src));
	else if (check_backup(src, file, out, err) == 0 && private_files(path, err) == 0) {
		/* Into the empty private file, as the store itself is written. */
		char *sql = sqlite3_mprintf("VACUUM INTO %Q", path);
		rc = exec_sql(src, sql, err);
		sqlite3_free(sql);
		if (rc == 0 && out->schema_version >= 11)
			rc = new_identity(path, err);
		if (rc != 0)
			unlink(path);
	}
	sqlite3_close(src);
	free(path);
	dirlock_release(lock);
	return rc;
}
