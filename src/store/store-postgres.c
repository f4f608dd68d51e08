/* The PostgreSQL store (libpq). The same interface and promises as the SQLite store: one
 * writer thread owns the write connection and commits every batch queued since its last
 * commit in one transaction (group commit), with synchronous_commit=on so a commit is
 * durable when it returns; the loop thread keeps a read connection for `log` and `plan`.
 *
 * The writer sends a transaction's statements in pipeline mode (libpq 14+): one round trip
 * per PIPE_CHUNK statements instead of one per row, which is what makes a batch of 10,000
 * jobs cheap over TCP. A lost connection is retried with back-off and the whole chain
 * written again (every write is an upsert or a delete, so a second run of a chain whose
 * COMMIT's reply was lost changes nothing more); a batch is handed back only after a COMMIT
 * that returned. With a fence (store.h), each transaction first renews the leader's lease
 * under its epoch; when that matches no row the transaction is rolled back and its batches
 * are handed back failed. */
#include "store/store.h"
#include "store/migrations-pg.h"
#include "store/store-load.h"
#include "core/sched.h"
#include "store/store-queue.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "core/job.h"
#include <errno.h>
#include <event2/event.h>
#include <libpq-fe.h>
#include <pthread.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

enum { ST_JOB_INS, ST_JOB_UPD, ST_JOB_DEL, ST_JOBLETS_DEL, ST_ATTEMPTS_DEL, ST_OUTPUT_DEL,
       ST_JOBLET, ST_ATTEMPT, ST_OUTPUT, ST_IDEM, ST_IDEM_PRUNE, ST_LIMIT,
       ST_DEF, ST_DEF_UNDEPLOY, ST_NET_RUN, ST_NET_DROP, ST_NET_PAUSE, ST_NET_RESUME,
       ST_ENV_PUT, ST_USER, ST_USER_DEL, ST_TOKEN, ST_FENCE, ST_EVENT, ST_EVENT_PRUNE,
       ST_REMOVING_ADD, ST_REMOVING_DONE, ST_SEQ_FLOOR, ST__N };

/* The removed job a slice of rows goes from (REC_JOB_DEL): $1, or with NULL the oldest
 * still in `removing`. Each slice names its keys as an array computed once (= ANY(ARRAY(
 * …))) and tests what must be gone as one-time conditions: no join the planner could make
 * a nested loop over a whole table with stale statistics (a join on a LIMIT subquery
 * scanned joblets for seconds per slice, past the leader's lease). */
#define REMOVED "(SELECT COALESCE($1::bigint, (SELECT min(seq) FROM removing)))"
#define REMOVED_ATTEMPTS "ARRAY(SELECT id FROM attempts WHERE seq = " REMOVED ")"

/* The environment is found by its digest, as it is unique (migrations-pg.h). */
#define ENV_OF(p) "(SELECT id FROM envs WHERE digest = " p ")"

static const char *const stmt_sql[ST__N] = {
	[ST_JOB_INS] = "INSERT INTO jobs(seq, owner, name, grp, req_group, cmd, cwd,"
		" env, cores, ram_mb, gpus, time_ms, priority, retries, lost_retries,"
		" retry_delay_ms, flags, njoblets, state, created_at, ended_at, opts, submit_env)"
		" VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,"
		"$22," ENV_OF("$23") ") ON CONFLICT(seq) DO UPDATE SET owner=EXCLUDED.owner,"
		" name=EXCLUDED.name, grp=EXCLUDED.grp, req_group=EXCLUDED.req_group,"
		" cmd=EXCLUDED.cmd, cwd=EXCLUDED.cwd, env=EXCLUDED.env, cores=EXCLUDED.cores,"
		" ram_mb=EXCLUDED.ram_mb, gpus=EXCLUDED.gpus, time_ms=EXCLUDED.time_ms,"
		" priority=EXCLUDED.priority, retries=EXCLUDED.retries,"
		" lost_retries=EXCLUDED.lost_retries, retry_delay_ms=EXCLUDED.retry_delay_ms,"
		" flags=EXCLUDED.flags, njoblets=EXCLUDED.njoblets, state=EXCLUDED.state,"
		" created_at=EXCLUDED.created_at, ended_at=EXCLUDED.ended_at, opts=EXCLUDED.opts,"
		" submit_env=EXCLUDED.submit_env",
	[ST_JOB_UPD] = "UPDATE jobs SET cores=$2, ram_mb=$3, gpus=$4, time_ms=$5, priority=$6,"
		" retries=$7, lost_retries=$8, retry_delay_ms=$9, state=$10, ended_at=$11,"
		" opts=COALESCE($12, opts) WHERE seq=$1",
	[ST_JOB_DEL] = "DELETE FROM jobs WHERE seq=$1",
	/* A slice: $2 rows of each table at most; an attempt only once its output is gone
	 * (output finds its job through its attempt; -seq: the job's [server] lines). */
	[ST_OUTPUT_DEL] = "DELETE FROM output WHERE id = ANY (ARRAY(SELECT id FROM output WHERE"
		" attempt = ANY (" REMOVED_ATTEMPTS ") OR attempt = -" REMOVED " LIMIT $2))",
	[ST_ATTEMPTS_DEL] = "DELETE FROM attempts WHERE id = ANY (ARRAY(SELECT id FROM attempts"
		" WHERE seq = " REMOVED " LIMIT $2)) AND NOT EXISTS (SELECT 1 FROM output WHERE"
		" attempt = ANY (" REMOVED_ATTEMPTS "))",
	[ST_JOBLETS_DEL] = "DELETE FROM joblets WHERE seq = " REMOVED " AND idx = ANY (ARRAY("
		"SELECT idx FROM joblets WHERE seq = " REMOVED " LIMIT $2))",
	[ST_REMOVING_ADD] = "INSERT INTO removing(seq) VALUES($1) ON CONFLICT DO NOTHING",
	[ST_REMOVING_DONE] = "DELETE FROM removing WHERE seq = " REMOVED " AND NOT EXISTS"
		" (SELECT 1 FROM joblets WHERE seq = " REMOVED ") AND NOT EXISTS (SELECT 1 FROM"
		" attempts WHERE seq = " REMOVED ") AND NOT EXISTS (SELECT 1 FROM output WHERE"
		" attempt = -" REMOVED ")",
	[ST_SEQ_FLOOR] = "UPDATE store_identity SET next_seq = GREATEST(next_seq, $1::bigint + 1)",
	[ST_JOBLET] = "INSERT INTO joblets(seq, idx, state, errors, lost, ready_at, reason)"
		" VALUES($1,$2,$3,$4,$5,$6,$7) ON CONFLICT(seq, idx) DO UPDATE SET"
		" state=EXCLUDED.state, errors=EXCLUDED.errors, lost=EXCLUDED.lost,"
		" ready_at=EXCLUDED.ready_at, reason=EXCLUDED.reason",
	[ST_ATTEMPT] = "INSERT INTO attempts(id, seq, idx, n, node, worker, state,"
		" exit_code, fail_reason, started_at, ended_at, peak_ram_mb, cpu_ms, message,"
		" late_result, cores, ram_mb, gpus, wall_ms, output_bytes, output_dropped, run_as)"
		" VALUES($1,$2,$3,$4,$5,$6,$7,$8,$9,$10,$11,$12,$13,$14,$15,$16,$17,$18,$19,$20,$21,"
		"$22) ON CONFLICT(id) DO UPDATE SET seq=EXCLUDED.seq, idx=EXCLUDED.idx,"
		" n=EXCLUDED.n, node=EXCLUDED.node, worker=EXCLUDED.worker, state=EXCLUDED.state,"
		" exit_code=EXCLUDED.exit_code, fail_reason=EXCLUDED.fail_reason,"
		" started_at=EXCLUDED.started_at, ended_at=EXCLUDED.ended_at,"
		" peak_ram_mb=EXCLUDED.peak_ram_mb, cpu_ms=EXCLUDED.cpu_ms,"
		" message=EXCLUDED.message, late_result=EXCLUDED.late_result,"
		" cores=EXCLUDED.cores, ram_mb=EXCLUDED.ram_mb, gpus=EXCLUDED.gpus,"
		" wall_ms=EXCLUDED.wall_ms, output_bytes=EXCLUDED.output_bytes,"
		" output_dropped=EXCLUDED.output_dropped, run_as=EXCLUDED.run_as",
	[ST_OUTPUT] = "INSERT INTO output(attempt, seq, at, data) VALUES($1,$2,$3,$4)"
		" ON CONFLICT(attempt, seq) DO NOTHING",
	[ST_IDEM] = "INSERT INTO idem(owner, key, at, status, body) VALUES($1,$2,$3,$4,$5)"
		" ON CONFLICT(owner, key) DO NOTHING",
	[ST_IDEM_PRUNE] = "DELETE FROM idem WHERE at < $1",
	[ST_LIMIT] = "INSERT INTO limits(name, lim) VALUES($1,$2) ON CONFLICT(name) DO UPDATE"
		" SET lim=EXCLUDED.lim",
	[ST_DEF] = "INSERT INTO definitions(name, version, file, source, owner, deployed_at,"
		" active, scripts) VALUES($1,$2,$3,$4,$5,$6,1,$7) ON CONFLICT(name, version) DO"
		" UPDATE SET file=EXCLUDED.file, source=EXCLUDED.source, owner=EXCLUDED.owner,"
		" deployed_at=EXCLUDED.deployed_at, active=1, scripts=EXCLUDED.scripts",
	[ST_DEF_UNDEPLOY] = "UPDATE definitions SET active=0 WHERE name=$1",
	[ST_NET_RUN] = "INSERT INTO net_runs(id, planned_at, run) VALUES($1,$2,$3)"
		" ON CONFLICT(id) DO UPDATE SET planned_at=EXCLUDED.planned_at, run=EXCLUDED.run",
	[ST_NET_DROP] = "DELETE FROM net_runs WHERE id=$1",
	[ST_NET_PAUSE] = "INSERT INTO net_paused(name) VALUES($1) ON CONFLICT(name) DO NOTHING",
	[ST_NET_RESUME] = "DELETE FROM net_paused WHERE name=$1",
	[ST_ENV_PUT] = "INSERT INTO envs(digest, text) VALUES($1,$2) ON CONFLICT(digest) DO NOTHING",
	[ST_USER] = "INSERT INTO users(name, role, hash, created_at) VALUES($1,$2,$3,$4)"
		" ON CONFLICT(name) DO UPDATE SET role=EXCLUDED.role, hash=EXCLUDED.hash,"
		" created_at=EXCLUDED.created_at",
	[ST_USER_DEL] = "DELETE FROM users WHERE name=$1",
	[ST_TOKEN] = "INSERT INTO tokens(id, name, owner, role, hash, created_at, expires_at,"
		" revoked_at) VALUES($1,$2,$3,$4,$5,$6,$7,$8) ON CONFLICT(id) DO UPDATE SET"
		" name=EXCLUDED.name, owner=EXCLUDED.owner, role=EXCLUDED.role, hash=EXCLUDED.hash,"
		" created_at=EXCLUDED.created_at, expires_at=EXCLUDED.expires_at,"
		" revoked_at=EXCLUDED.revoked_at",
	/* The fencing check (store.h): the lease is renewed only by the epoch that holds it. */
	[ST_FENCE] = "UPDATE jg_leader SET renewed_at = now(), expires_at = now() +"
		" lease_ms * interval '1 millisecond' WHERE id = 1 AND epoch = $1 AND holder = $2"
		" AND expires_at > now()",
	/* A chain written again after a lost COMMIT reply writes the same rows. */
	[ST_EVENT] = "INSERT INTO events(id, data) VALUES($1,$2) ON CONFLICT(id) DO NOTHING",
	[ST_EVENT_PRUNE] = "DELETE FROM events WHERE id < $1",
};

/* The reader's queries, the SQLite store's (see there) with PostgreSQL's parameters. */
enum { RD_KEYS, RD_KEYS_NEW, RD_ROW, RD_LAST, RD_EVENTS, RD__N };
static const char *const read_sql[RD__N] = {
	[RD_KEYS] = "SELECT o.id, o.at, length(o.data) FROM output o JOIN attempts a"
		" ON a.id = o.attempt WHERE a.seq = $1::bigint AND ($2::int = -1 OR a.idx = $2::int)"
		" AND o.id > $3::bigint AND o.id <= $4::bigint AND (o.at > $5::bigint OR"
		" (o.at = $5::bigint AND o.id > $6::bigint))"
		" UNION ALL SELECT o.id, o.at, length(o.data) FROM output o"
		" WHERE o.attempt = -$1::bigint AND $2::int < 0 AND o.id > $3::bigint"
		" AND o.id <= $4::bigint AND (o.at > $5::bigint OR (o.at = $5::bigint AND"
		" o.id > $6::bigint)) ORDER BY 2, 1 LIMIT $7::int",
	/* A follower's rows committed since: found by id range first. */
	[RD_KEYS_NEW] = "SELECT o.id, o.at, length(o.data) FROM (SELECT * FROM output"
		" WHERE id > $3::bigint AND id <= $4::bigint OFFSET 0) o JOIN attempts a"
		" ON a.id = o.attempt WHERE a.seq = $1::bigint AND ($2::int = -1 OR a.idx = $2::int)"
		" AND (o.at > $5::bigint OR (o.at = $5::bigint AND o.id > $6::bigint))"
		" UNION ALL SELECT o.id, o.at, length(o.data) FROM output o WHERE o.id > $3::bigint"
		" AND o.id <= $4::bigint AND o.attempt = -$1::bigint AND $2::int < 0"
		" AND (o.at > $5::bigint OR (o.at = $5::bigint AND o.id > $6::bigint))"
		" ORDER BY 2, 1 LIMIT $7::int",
	[RD_ROW] = "SELECT o.attempt, o.at, COALESCE(a.idx, -1), COALESCE(a.node, 'server'),"
		" o.data FROM output o LEFT JOIN attempts a ON a.id = o.attempt WHERE o.id = $1",
	[RD_LAST] = "SELECT COALESCE(MAX(id), 0) FROM output",
	[RD_EVENTS] = "SELECT id, data FROM events WHERE id > $1::bigint AND id <= $2::bigint"
		" ORDER BY id LIMIT $3::int",
};

struct pg_store {
	struct store base;
	char *conninfo;			/* owned: what libpq is given */
	char *name;			/* owned: the database for messages, no password */
	PGconn *wconn;			/* writer connection: writer thread once started */
	PGconn *rconn;			/* reader connection: loop thread */
	bool fenced;
	int idle_tx_ms;			/* the fence's lease, or 0 */
	int64_t epoch;
	char *holder;			/* owned copy of the fence's holder */
	char *app;			/* owned: "jobgrid", or "jobgrid HOLDER" when fenced */
	struct store_queue q;		/* the batches and the writer thread */
	/* Writer thread, one transaction: the last environment put (interned pointers). */
	const char *env_text;
	bool removal_touched;		/* writer: the chain being written deleted removed jobs' rows */
};

/* ---- parameters -------------------------------------------------------------------- */

enum { PARAMS_MAX = 24 };
struct params {			/* one statement's parameters; values point into buf or borrow */
	int n;
	const char *v[PARAMS_MAX];
	int len[PARAMS_MAX], fmt[PARAMS_MAX];
	char buf[PARAMS_MAX][24];
};

static void p_i64(struct params *p, int64_t x)
{
	snprintf(p->buf[p->n], sizeof p->buf[p->n], "%lld", (long long)x);
	p->v[p->n] = p->buf[p->n];
	p->len[p->n] = p->fmt[p->n] = 0;
	p->n++;
}

static void p_text(struct params *p, const char *s)	/* NULL: SQL NULL */
{
	p->v[p->n] = s;
	p->len[p->n] = p->fmt[p->n] = 0;
	p->n++;
}

static void p_bin(struct params *p, const void *data, size_t len)
{
	p->v[p->n] = data ? data : "";
	p->len[p->n] = (int)len;
	p->fmt[p->n] = 1;
	p->n++;
}

/* ---- connections ------------------------------------------------------------------- */

static const char stmt_prefix[] = "jg";

static int prepare_all(PGconn *c, const char *const *sql, int n, char **err)
{
	for (int i = 0; i < n; i++) {
		char name[16];
		snprintf(name, sizeof name, "%s%d", stmt_prefix, i);
		PGresult *r = PQprepare(c, name, sql[i], 0, NULL);
		if (PQresultStatus(r) != PGRES_COMMAND_OK) {
			*err = xasprintf("prepare %s: %s", sql[i], PQerrorMessage(c));
			PQclear(r);
			return -1;
		}
		PQclear(r);
	}
	return 0;
}

static int exec_cmd(PGconn *c, const char *sql, char **err)
{
	PGresult *r = PQexec(c, sql);
	ExecStatusType s = PQresultStatus(r);
	PQclear(r);
	if (s == PGRES_COMMAND_OK || s == PGRES_TUPLES_OK)
		return 0;
	*err = xasprintf("%.200s: %s", sql, PQerrorMessage(c));
	return -1;
}

/* A connection with the session settings every statement relies on. */
/* app: the application_name the database shows for the connection (pg_stat_activity,
 * its logs), unless conninfo names one: a fenced store's says which server it is. */
static PGconn *connect_db(const char *conninfo, const char *app, char **err)
{
	const char *const keys[] = {"fallback_application_name", "dbname", NULL};
	const char *const values[] = {app, conninfo, NULL};
	PGconn *c = PQconnectdbParams(keys, values, 1);
	if (PQstatus(c) != CONNECTION_OK) {
		*err = xstrdup(PQerrorMessage(c));
		size_t n = strlen(*err);
		while (n && (*err)[n - 1] == '\n')
			(*err)[--n] = '\0';
		PQfinish(c);
		return NULL;
	}
	/* A reply follows a durable commit (SPEC §2.1), whatever the server's default. */
	if (exec_cmd(c, "SET synchronous_commit = on; SET client_min_messages = warning;"
		     " SET TIME ZONE 'UTC'", err)) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

static int migrate(PGconn *c, char **err)
{
	/* One migration at a time across servers: the lock ends with the transaction. */
	if (exec_cmd(c, "BEGIN; SELECT pg_advisory_xact_lock(74657301);"
		     " CREATE TABLE IF NOT EXISTS schema_version(version int NOT NULL);"
		     " INSERT INTO schema_version SELECT 0 WHERE NOT EXISTS"
		     " (SELECT 1 FROM schema_version)", err))
		goto fail;
	PGresult *r = PQexec(c, "SELECT version FROM schema_version");
	int version = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
			      ? atoi(PQgetvalue(r, 0, 0)) : -1;
	PQclear(r);
	if (version < 0) {
		*err = xasprintf("cannot read the schema version: %s", PQerrorMessage(c));
		goto fail;
	}
	if (version > PG_SCHEMA_VERSION) {
		*err = xasprintf("the store has schema version %d, newer than this jobgrid's %d",
				 version, PG_SCHEMA_VERSION);
		goto fail;
	}
	for (int v = version; v < PG_SCHEMA_VERSION; v++) {
		char set[64];
		snprintf(set, sizeof set, "UPDATE schema_version SET version = %d", v + 1);
		if (exec_cmd(c, pg_migrations[v], err) || exec_cmd(c, set, err))
			goto fail;
		log_info("store: applied migration %d", v + 1);
	}
	return exec_cmd(c, "COMMIT", err);
fail:;
	char *ignored = NULL;
	exec_cmd(c, "ROLLBACK", &ignored);
	free(ignored);
	return -1;
}

/* ---- loading ----------------------------------------------------------------------- */

/* A row of a text-format result; a bytea column is decoded when asked for as a blob. */
struct pg_row {
	PGresult *res;
	unsigned char *blob;		/* owned: the last blob decoded */
	size_t blob_len;
};

enum { OID_BYTEA = 17, OID_INT8 = 20, OID_INT2 = 21, OID_INT4 = 23 };

static bool pr_is_null(const void *h, int i)
{
	return PQgetisnull(((const struct pg_row *)h)->res, 0, i);
}
static bool pr_is_int(const void *h, int i)
{
	PGresult *res = ((const struct pg_row *)h)->res;
	Oid t = PQftype(res, i);
	return !PQgetisnull(res, 0, i) && (t == OID_INT8 || t == OID_INT4 || t == OID_INT2);
}
static int64_t pr_i64(const void *h, int i)
{
	return pr_is_int(h, i) ? strtoll(PQgetvalue(((const struct pg_row *)h)->res, 0, i), NULL, 10)
			       : 0;
}
static const char *pr_text(const void *h, int i)
{
	PGresult *res = ((const struct pg_row *)h)->res;
	return PQgetisnull(res, 0, i) ? NULL : PQgetvalue(res, 0, i);
}
static const void *pr_blob(const void *h, int i)
{
	struct pg_row *r = (struct pg_row *)h;	/* the decoded copy is the row's cache */
	if (PQgetisnull(r->res, 0, i) || PQftype(r->res, i) != OID_BYTEA)
		return NULL;
	PQfreemem(r->blob);
	r->blob = PQunescapeBytea((const unsigned char *)PQgetvalue(r->res, 0, i), &r->blob_len);
	return r->blob;
}
static size_t pr_len(const void *h, int i)
{
	const struct pg_row *r = h;
	if (PQftype(r->res, i) == OID_BYTEA)
		return pr_blob(h, i) ? r->blob_len : 0;
	return (size_t)PQgetlength(r->res, 0, i);
}
static const char *pr_name(const void *h, int i)
{
	return PQfname(((const struct pg_row *)h)->res, i);
}
static const struct row_ops pg_rows = {pr_is_null, pr_is_int, pr_i64, pr_text, pr_len, pr_blob,
				       pr_name};

/* Runs q on c one row at a time (a large table is not held in memory at once). */
static int read_table(struct pg_store *ps, PGconn *c, struct loader *l, const struct load_query *q,
		      char **err)
{
	l->row[0] = l->why[0] = '\0';
	if (!PQsendQuery(c, q->sql) || !PQsetSingleRowMode(c)) {
		*err = xasprintf("store %s, table %s: %s", ps->name, q->table, PQerrorMessage(c));
		return -1;
	}
	struct pg_row row = {0};
	struct row_src src = {&pg_rows, &row};
	int rc = 0;
	bool bad_row = false;
	while ((row.res = PQgetResult(c)) != NULL) {
		ExecStatusType s = PQresultStatus(row.res);
		if (s == PGRES_SINGLE_TUPLE && rc == 0 && q->fn(l, &src) != 0) {
			rc = -1;
			bad_row = true;
		} else if (s != PGRES_SINGLE_TUPLE && s != PGRES_TUPLES_OK && rc == 0) {
			*err = xasprintf("store %s, table %s: %s", ps->name, q->table,
					 PQresultErrorMessage(row.res));
			rc = -1;
		}
		PQclear(row.res);	/* every result is read, so the connection stays usable */
	}
	PQfreemem(row.blob);
	if (bad_row)
		*err = xasprintf("store %s, table %s: %s: %s", ps->name, q->table, l->row, l->why);
	return rc;
}

/* 1 while a removed job has rows left, 0 when none; -1 with *err set (owned). */
static int removal_left(PGconn *c, char **err)
{
	PGresult *r = PQexec(c, "SELECT EXISTS (SELECT 1 FROM removing)");
	int left = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1
			   ? PQgetvalue(r, 0, 0)[0] == 't'
			   : -1;
	if (left < 0)
		*err = xasprintf("removed jobs' rows: %s", PQerrorMessage(c));
	PQclear(r);
	return left;
}

/* The statements of a slice of the rows of removed job seq, or with 0 of the oldest in
 * `removing`, whose seq leaves it once none is left (store.h, REC_JOB_DEL). */
static const int slice_order[] = {ST_OUTPUT_DEL, ST_ATTEMPTS_DEL, ST_JOBLETS_DEL,
				  ST_REMOVING_DONE};

static void slice_params(struct params *pa, int which, int64_t seq)
{
	if (seq > 0)
		p_i64(pa, seq);
	else
		p_text(pa, NULL);
	if (which != ST_REMOVING_DONE)
		p_i64(pa, STORE_REMOVE_ROWS);
}

/* A slice of the oldest removed job's rows, outside the writer's pipeline (at load). */
static int delete_slice_now(struct pg_store *ps, char **err)
{
	for (size_t i = 0; i < sizeof slice_order / sizeof slice_order[0]; i++) {
		struct params pa = {0};
		slice_params(&pa, slice_order[i], 0);
		PGresult *r = PQexecParams(ps->wconn, stmt_sql[slice_order[i]], pa.n, NULL, pa.v,
					   pa.len, pa.fmt, 0);
		bool ok = PQresultStatus(r) == PGRES_COMMAND_OK;
		PQclear(r);
		if (!ok) {
			*err = xasprintf("removed jobs' rows: %s", PQerrorMessage(ps->wconn));
			return -1;
		}
	}
	return 0;
}

/* What a stop or a crash left of removed jobs' rows goes before the tables are read, so
 * that the load never meets a joblet or an attempt without its job (store.h). Each
 * statement commits alone: a slice is whole rows, and a seq leaves `removing` last. */
static int finish_removals(struct pg_store *ps, char **err)
{
	int left;
	while ((left = removal_left(ps->wconn, err)) == 1)
		if (delete_slice_now(ps, err))
			return -1;
	return left;
}

static int read_tables(struct pg_store *ps, struct loader *l, const struct load_query *q, size_t n,
		       char **err)
{
	/* One snapshot for every table, as the SQLite store's read transaction. */
	if (exec_cmd(ps->wconn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err))
		return -1;
	int rc = 0;
	for (size_t i = 0; i < n && rc == 0; i++)
		rc = read_table(ps, ps->wconn, l, &q[i], err);
	char *ignored = NULL;
	exec_cmd(ps->wconn, "COMMIT", &ignored);
	free(ignored);
	return rc;
}

static int pg_load(struct store *st, struct sched *s, store_idem_cb idem, void *arg, char **err)
{
	struct loader l = {.s = s, .idem = idem, .arg = arg};
	struct load_sched_sql q;
	if (finish_removals((struct pg_store *)st, err))
		return -1;
	load_sched_queries(&q, s->load_history_before);
	int rc = read_tables((struct pg_store *)st, &l, q.q, q.n, err);
	load_sched_queries_free(&q);
	return rc;
}

static int pg_load_defs(struct store *st, store_def_cb cb, void *arg, char **err)
{
	struct loader l = {.def = cb, .arg = arg};
	return read_tables((struct pg_store *)st, &l, &load_defs_query, 1, err);
}

static int pg_load_net(struct store *st, store_net_cb cb, void *arg, char **err)
{
	struct loader l = {.net = cb, .arg = arg};
	return read_tables((struct pg_store *)st, &l, load_net_queries, 2, err);
}

static int pg_load_auth(struct store *st, store_user_cb user, store_token_cb token, void *arg,
			char **err)
{
	struct loader l = {.user = user, .token = token, .arg = arg};
	return read_tables((struct pg_store *)st, &l, load_auth_queries, 2, err);
}

static int pg_read_net(struct store *st, int64_t from, int64_t to, store_net_cb cb, void *arg,
		       char **err)
{
	struct pg_store *ps = (struct pg_store *)st;
	struct loader l = {.net = cb, .arg = arg};
	char *sql = xasprintf("SELECT id, run, NULL FROM net_runs WHERE planned_at >= %lld"
			      " AND planned_at < %lld ORDER BY planned_at, id",
			      (long long)from, (long long)to);
	struct load_query q = {"net_runs", sql, load_net_row};
	int rc = read_table(ps, ps->rconn, &l, &q, err);
	free(sql);
	return rc;
}

/* ---- history on demand ------------------------------------------------------------ */

/* q's queries on the read connection in one snapshot, as at load; frees q. */
static int pg_read_rows(struct pg_store *ps, struct loader *l, struct read_job_sql *q,
			char **err)
{
	int rc = -1;
	if (ps->rconn == NULL)
		*err = xasprintf("store %s: no read connection", ps->name);
	else
		rc = exec_cmd(ps->rconn, "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY", err);
	for (int i = 0; i < q->n && rc == 0; i++)
		rc = read_table(ps, ps->rconn, l, &q->q[i], err);
	if (ps->rconn) {
		char *ignored = NULL;
		exec_cmd(ps->rconn, rc ? "ROLLBACK" : "COMMIT", &ignored);
		free(ignored);
	}
	read_job_queries_free(q);
	return rc;
}

static int pg_read_job(struct store *st, int64_t seq, struct job **out, char **err)
{
	struct loader l = {0};
	struct read_job_sql q;
	read_job_queries(&q, seq);
	int rc = pg_read_rows((struct pg_store *)st, &l, &q, err);
	*out = loader_take_job(&l);
	if (rc) {
		job_free(*out);
		*out = NULL;
	}
	return rc;
}

static int pg_read_jobs(struct store *st, const int64_t *seqs, int n, struct job **out,
			char **err)
{
	struct loader l = {.jobs = out, .seqs = seqs, .njobs = n};
	struct read_job_sql q;
	memset(out, 0, (size_t)n * sizeof *out);
	read_jobs_queries(&q, seqs, n);
	int rc = pg_read_rows((struct pg_store *)st, &l, &q, err);
	loader_end_jobs(&l, rc);
	return rc;
}

/* One indexed query of a page's joblets (attempts_job), one statement's snapshot. */
static int pg_read_attempts(struct store *st, int64_t seq, const int32_t *idx, int32_t n,
			    struct joblet *page, char **err)
{
	struct pg_store *ps = (struct pg_store *)st;
	if (n <= 0)
		return 0;
	if (ps->rconn == NULL) {
		*err = xasprintf("store %s: no read connection", ps->name);
		return -1;
	}
	struct loader l = {.page = page, .page_idx = idx, .npage = n};
	struct load_query q;
	char *sql = read_attempts_query(&q, seq, idx, n);
	int rc = read_table(ps, ps->rconn, &l, &q, err);
	free(sql);
	return rc;
}

/* sql with text params on the read connection: its rows, or NULL with *err. */
static PGresult *read_params(struct pg_store *ps, const char *sql, const char **params, int n,
			     char **err)
{
	if (ps->rconn == NULL) {
		*err = xasprintf("store %s: no read connection", ps->name);
		return NULL;
	}
	PGresult *r = PQexecParams(ps->rconn, sql, n, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	*err = xasprintf("store %s, table jobs: %s", ps->name, PQerrorMessage(ps->rconn));
	PQclear(r);
	return NULL;
}

static int pg_list_jobs(struct store *st, const struct job_filter *f, int64_t after, bool desc,
			int64_t *out, int max, int64_t *more, char **err)
{
	struct pg_store *ps = (struct pg_store *)st;
	const char *params[3];
	int np, n = 0;
	if (more)
		*more = 0;
	char *sql = list_jobs_sql(f, after, desc, max, "strpos", params, &np);
	PGresult *r = read_params(ps, sql, params, np, err);
	free(sql);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && n < max; i++)
		out[n++] = strtoll(PQgetvalue(r, i, 0), NULL, 10);
	PQclear(r);
	if (n == 0 || more == NULL)
		return n;
	sql = count_jobs_sql(f, out[n - 1], desc, STORE_COUNT_CAP, "strpos", params, &np);
	r = read_params(ps, sql, params, np, err);
	free(sql);
	if (r == NULL)
		return -1;
	*more = PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return n;
}

static int pg_ended_attempts(struct store *st, int64_t from, int64_t to, store_attempt_cb cb,
			     void *arg, char **err)
{
	struct pg_store *ps = (struct pg_store *)st;
	char *sql = ended_attempts_sql(from, to);
	PGresult *r = read_params(ps, sql, NULL, 0, err);
	free(sql);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r); i++) {
		int64_t v[4];
		for (int k = 0; k < 4; k++)
			v[k] = strtoll(PQgetvalue(r, i, k), NULL, 10);
		cb(arg, v[0], (int32_t)strtol(PQgetvalue(r, i, 5), NULL, 10), PQgetvalue(r, i, 4),
		   v[1], v[2], (int)v[3]);
	}
	PQclear(r);
	return 0;
}

/* ---- writing ----------------------------------------------------------------------- */

/* Statements of one transaction sent per round trip: enough to hide the latency, few enough
 * that neither side's socket buffer fills with replies nobody reads yet. */
enum { PIPE_CHUNK = 512 };

struct pipe {
	PGconn *c;
	int queued;			/* statements sent since the last sync */
	char *err;			/* owned: the first error, or NULL */
	bool conn_lost;			/* the error was the connection's */
};

/* Reads the replies of every statement queued and the sync after them. */
static int pipe_sync(struct pipe *p)
{
	if (!PQpipelineSync(p->c))
		goto broken;
	for (int i = 0; i < p->queued; i++) {
		PGresult *r = PQgetResult(p->c);
		if (r == NULL)
			goto broken;
		ExecStatusType s = PQresultStatus(r);
		if (s != PGRES_COMMAND_OK && s != PGRES_TUPLES_OK && p->err == NULL)
			p->err = xstrdup(s == PGRES_PIPELINE_ABORTED ? "aborted"
								     : PQresultErrorMessage(r));
		PQclear(r);
		r = PQgetResult(p->c);	/* the NULL that ends each statement's results */
		PQclear(r);
	}
	PGresult *r = PQgetResult(p->c);
	bool synced = r && PQresultStatus(r) == PGRES_PIPELINE_SYNC;
	PQclear(r);
	p->queued = 0;
	if (!synced)
		goto broken;
	return p->err ? -1 : 0;
broken:
	p->conn_lost = PQstatus(p->c) != CONNECTION_OK;
	if (p->err == NULL)
		p->err = xstrdup(PQerrorMessage(p->c));
	return -1;
}

static int pipe_send(struct pipe *p, int which, const struct params *pa)
{
	char name[16];
	snprintf(name, sizeof name, "%s%d", stmt_prefix, which);
	if (!PQsendQueryPrepared(p->c, name, pa->n, pa->v, pa->len, pa->fmt, 0)) {
		p->conn_lost = PQstatus(p->c) != CONNECTION_OK;
		if (p->err == NULL)
			p->err = xstrdup(PQerrorMessage(p->c));
		return -1;
	}
	return ++p->queued >= PIPE_CHUNK ? pipe_sync(p) : 0;
}

static int send1(struct pipe *p, int which, int64_t v)
{
	struct params pa = {0};
	p_i64(&pa, v);
	return pipe_send(p, which, &pa);
}

static int send_text1(struct pipe *p, int which, const char *s)
{
	struct params pa = {0};
	p_text(&pa, s);
	return pipe_send(p, which, &pa);
}

static int write_job(struct pg_store *ps, struct pipe *p, const struct rec_job *r, bool insert)
{
	struct params pa = {0};
	p_i64(&pa, r->seq);
	if (!insert) {
		int64_t v[] = {r->cores, r->ram_mb, r->gpus, r->time_ms, r->priority, r->retries,
			       r->lost_retries, r->retry_delay_ms, r->state, r->ended_at};
		for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
			p_i64(&pa, v[i]);
		p_text(&pa, r->opts);
		return pipe_send(p, ST_JOB_UPD, &pa);
	}
	unsigned char digest[32];
	if (r->submit_env) {
		crypto_generichash(digest, sizeof digest, (const unsigned char *)r->submit_env,
				   strlen(r->submit_env), NULL, 0);
		struct params env = {0};
		p_bin(&env, digest, sizeof digest);
		p_text(&env, r->submit_env);
		if (r->submit_env != ps->env_text && pipe_send(p, ST_ENV_PUT, &env))
			return -1;
		ps->env_text = r->submit_env;
	}
	const char *texts[] = {r->owner, r->name, r->group, r->req_group, r->cmd, r->cwd, r->env};
	for (size_t i = 0; i < sizeof texts / sizeof texts[0]; i++)
		p_text(&pa, texts[i]);
	int64_t v[] = {r->cores, r->ram_mb, r->gpus, r->time_ms, r->priority, r->retries,
		       r->lost_retries, r->retry_delay_ms, r->flags, r->njoblets, r->state,
		       r->created_at, r->ended_at};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		p_i64(&pa, v[i]);
	p_text(&pa, r->opts);
	if (r->submit_env)
		p_bin(&pa, digest, sizeof digest);
	else
		p_text(&pa, NULL);
	return pipe_send(p, ST_JOB_INS, &pa);
}

static int write_attempt(struct pipe *p, const struct rec_attempt *r)
{
	struct params pa = {0};
	int64_t head[] = {r->id, r->seq, r->idx, r->n};
	for (size_t i = 0; i < 4; i++)
		p_i64(&pa, head[i]);
	p_text(&pa, r->node);
	p_text(&pa, r->worker);
	p_i64(&pa, r->state);
	if (r->has_exit)
		p_i64(&pa, r->exit_code);
	else
		p_text(&pa, NULL);
	int64_t mid[] = {r->fail_reason, r->started_at, r->ended_at, r->peak_ram_mb, r->cpu_ms};
	for (size_t i = 0; i < 5; i++)
		p_i64(&pa, mid[i]);
	p_text(&pa, r->message);
	p_text(&pa, r->late_result);
	int64_t tail[] = {r->cores, r->ram_mb, r->gpus, r->wall_ms, r->output_bytes,
			  r->output_dropped};
	for (size_t i = 0; i < 6; i++)
		p_i64(&pa, tail[i]);
	p_text(&pa, r->run_as);
	return pipe_send(p, ST_ATTEMPT, &pa);
}

static int delete_slice(struct pg_store *ps, struct pipe *p, int64_t seq)
{
	ps->removal_touched = true;
	for (size_t i = 0; i < sizeof slice_order / sizeof slice_order[0]; i++) {
		struct params pa = {0};
		slice_params(&pa, slice_order[i], seq);
		if (pipe_send(p, slice_order[i], &pa))
			return -1;
	}
	return 0;
}

static int write_rec(struct pg_store *ps, struct pipe *p, const struct rec *r)
{
	struct params pa = {0};
	switch (r->kind) {
	case REC_JOB:
	case REC_JOB_STATE:
		return write_job(ps, p, &r->u.job, r->kind == REC_JOB);
	case REC_JOB_DEL:
		if (send1(p, ST_JOB_DEL, r->u.job.seq) || send1(p, ST_REMOVING_ADD, r->u.job.seq) ||
		    send1(p, ST_SEQ_FLOOR, r->u.job.seq))
			return -1;
		return delete_slice(ps, p, r->u.job.seq);
	case REC_JOB_DEL_MORE:
		return delete_slice(ps, p, 0);
	case REC_JOBLET:
		p_i64(&pa, r->u.joblet.seq);
		p_i64(&pa, r->u.joblet.idx);
		p_i64(&pa, r->u.joblet.state);
		p_i64(&pa, r->u.joblet.errors);
		p_i64(&pa, r->u.joblet.lost);
		p_i64(&pa, r->u.joblet.ready_at);
		p_text(&pa, r->u.joblet.reason);
		return pipe_send(p, ST_JOBLET, &pa);
	case REC_ATTEMPT:
		return write_attempt(p, &r->u.attempt);
	case REC_OUTPUT:
		p_i64(&pa, r->u.output.attempt);
		p_i64(&pa, r->u.output.seq);
		p_i64(&pa, r->u.output.at);
		p_bin(&pa, r->u.output.data, r->u.output.len);
		return pipe_send(p, ST_OUTPUT, &pa);
	case REC_IDEM:
		p_text(&pa, r->u.idem.owner);
		p_text(&pa, r->u.idem.key);
		p_i64(&pa, r->u.idem.at);
		p_i64(&pa, r->u.idem.status);
		p_text(&pa, r->u.idem.body);
		return pipe_send(p, ST_IDEM, &pa);
	case REC_IDEM_PRUNE:
		return send1(p, ST_IDEM_PRUNE, r->u.prune_before);
	case REC_DEF:
		p_text(&pa, r->u.def.name);
		p_i64(&pa, r->u.def.version);
		p_text(&pa, r->u.def.file);
		p_text(&pa, r->u.def.source);
		p_text(&pa, r->u.def.owner);
		p_i64(&pa, r->u.def.deployed_at);
		p_text(&pa, r->u.def.scripts);
		return pipe_send(p, ST_DEF, &pa);
	case REC_DEF_UNDEPLOY:
		return send_text1(p, ST_DEF_UNDEPLOY, r->u.def.name);
	case REC_NET_RUN:
		p_i64(&pa, r->u.net.id);
		p_i64(&pa, r->u.net.planned_at);
		p_text(&pa, r->u.net.run);
		return pipe_send(p, ST_NET_RUN, &pa);
	case REC_NET_DROP:
		return send1(p, ST_NET_DROP, r->u.net.id);
	case REC_NET_PAUSE:
		return send_text1(p, r->u.net.paused ? ST_NET_PAUSE : ST_NET_RESUME, r->u.net.name);
	case REC_USER:
		p_text(&pa, r->u.user.name);
		p_text(&pa, r->u.user.role);
		p_text(&pa, r->u.user.hash);
		p_i64(&pa, r->u.user.created_at);
		return pipe_send(p, ST_USER, &pa);
	case REC_USER_DEL:
		return send_text1(p, ST_USER_DEL, r->u.user.name);
	case REC_TOKEN:
		p_i64(&pa, r->u.token.id);
		p_text(&pa, r->u.token.name);
		p_text(&pa, r->u.token.owner);
		p_text(&pa, r->u.token.role);
		p_bin(&pa, r->u.token.hash, sizeof r->u.token.hash);
		p_i64(&pa, r->u.token.created_at);
		p_i64(&pa, r->u.token.expires_at);
		p_i64(&pa, r->u.token.revoked_at);
		return pipe_send(p, ST_TOKEN, &pa);
	case REC_EVENT:
		p_i64(&pa, r->u.event.id);
		p_text(&pa, r->u.event.data);
		return pipe_send(p, ST_EVENT, &pa);
	case REC_EVENT_PRUNE:
		return send1(p, ST_EVENT_PRUNE, r->u.prune_before);
	case REC_VACUUM:	/* autovacuum gives back what a prune freed */
		return 0;
	case REC_LIMIT:
		p_text(&pa, r->u.limit.name);
		p_i64(&pa, r->u.limit.limit);
		return pipe_send(p, ST_LIMIT, &pa);
	}
	return -1;
}

/* The lease renewal that opens a fenced transaction: 1 when it holds, 0 when deposed, -1 on
 * an error (in p->err). */
static int check_fence(struct pg_store *ps, struct pipe *p)
{
	struct params pa = {0};
	p_i64(&pa, ps->epoch);
	p_text(&pa, ps->holder);
	char name[16];
	snprintf(name, sizeof name, "%s%d", stmt_prefix, ST_FENCE);
	PGresult *r = PQexecPrepared(p->c, name, pa.n, pa.v, pa.len, pa.fmt, 0);
	int rc = PQresultStatus(r) == PGRES_COMMAND_OK ? strcmp(PQcmdTuples(r), "0") != 0 : -1;
	if (rc < 0) {
		p->conn_lost = PQstatus(p->c) != CONNECTION_OK;
		p->err = xstrdup(PQerrorMessage(p->c));
	}
	PQclear(r);
	return rc;
}

enum chain_result { CHAIN_COMMITTED, CHAIN_DEPOSED, CHAIN_RETRY };

/* A store that cannot commit a well-formed chain (a constraint the server broke, a full
 * disk the database reports) cannot keep the promise that replies follow the disk: as the
 * SQLite store, it stops before any reply of the chain is released. */
static _Noreturn void commit_failed(struct pg_store *ps, const char *why)
{
	fatal("store %s: commit failed, stopping without answering the requests that wait on it"
	      " (a restart recovers every change acknowledged before): %s", ps->name, why);
}

/* One try at committing a chain in one transaction. */
static enum chain_result commit_once(struct pg_store *ps, struct store_batch *chain)
{
	struct pipe p = {ps->wconn, 0, NULL, false};
	enum chain_result res = CHAIN_RETRY;
	char *err = NULL;
	if (exec_cmd(p.c, "BEGIN", &err)) {
		p.conn_lost = PQstatus(p.c) != CONNECTION_OK;
		p.err = err;
		goto out;
	}
	if (ps->fenced) {
		int held = check_fence(ps, &p);
		if (held <= 0) {
			char *ignored = NULL;
			exec_cmd(p.c, "ROLLBACK", &ignored);
			free(ignored);
			if (held == 0)
				res = CHAIN_DEPOSED;
			goto out;
		}
	}
	ps->env_text = NULL;	/* its cache holds for one transaction */
	if (!PQenterPipelineMode(p.c)) {
		p.err = xstrdup(PQerrorMessage(p.c));
		p.conn_lost = true;
		goto out;
	}
	ps->removal_touched = false;
	for (struct store_batch *b = chain; b && p.err == NULL; b = b->next)
		for (size_t i = 0; i < b->n && p.err == NULL; i++)
			write_rec(ps, &p, &b->recs[i]);
	if (p.queued && p.err == NULL)
		pipe_sync(&p);
	PQexitPipelineMode(p.c);
	int left = ps->removal_touched && p.err == NULL ? removal_left(p.c, &p.err) : 0;
	for (struct store_batch *b = chain; b; b = b->next)
		if (b->next == NULL)	/* the last: the server asks for one more slice */
			b->removal_left = left == 1;
	if (p.err == NULL && exec_cmd(p.c, "COMMIT", &err) == 0)
		res = CHAIN_COMMITTED;
	else if (p.err == NULL) {
		p.conn_lost = PQstatus(p.c) != CONNECTION_OK;
		p.err = err;
	}
out:
	if (res == CHAIN_RETRY) {
		if (!p.conn_lost && PQstatus(p.c) == CONNECTION_OK)
			commit_failed(ps, p.err ? p.err : "?");
		log_error("store %s: connection lost, the pending batches wait for it: %s", ps->name,
			  p.err ? p.err : "?");
	}
	free(p.err);
	return res;
}

/* The writer's connection: a fenced transaction begins by locking the lease's row (the
 * renewal), so a leader frozen inside one (SIGSTOP) would hold every standby's takeover
 * back for as long as its socket stays open. The database ends such a transaction once it
 * has been idle for a lease; the frozen leader's COMMIT then fails, and its retry finds the
 * fence gone. */
static PGconn *connect_writer(struct pg_store *ps, char **err)
{
	PGconn *c = connect_db(ps->conninfo, ps->app, err);
	if (c == NULL || ps->idle_tx_ms <= 0)
		return c;
	char set[96];
	snprintf(set, sizeof set, "SET idle_in_transaction_session_timeout = %d", ps->idle_tx_ms);
	if (exec_cmd(c, set, err)) {
		PQfinish(c);
		return NULL;
	}
	return c;
}

/* Writer thread: a new write connection after a lost one, with back-off (0.1 s doubling to
 * 5 s) until the database answers or the store is stopping. */
static void reconnect(struct pg_store *ps)
{
	long delay_ms = 100;
	for (;;) {
		char *err = NULL;
		PQfinish(ps->wconn);
		ps->wconn = connect_writer(ps, &err);
		if (ps->wconn && prepare_all(ps->wconn, stmt_sql, ST__N, &err) == 0) {
			log_info("store %s: reconnected", ps->name);
			return;
		}
		log_error("store %s: cannot reconnect, retrying in %ld ms: %s", ps->name, delay_ms,
			  err);
		free(err);
		struct timespec ts = {delay_ms / 1000, (delay_ms % 1000) * 1000000L};
		nanosleep(&ts, NULL);
		delay_ms = delay_ms * 2 > 5000 ? 5000 : delay_ms * 2;
	}
}

static int pg_start(struct store *st, struct event_base *base, store_done_cb done, void *arg)
{
	return store_queue_start(&((struct pg_store *)st)->q, base, done, arg);
}

static void pg_submit(struct store *st, struct store_batch *b)
{
	store_queue_submit(&((struct pg_store *)st)->q, b);
}

/* The queue's commit: tries until the chain committed or the fence is found gone. */
static int commit_chain(void *backend, struct store_batch *chain)
{
	struct pg_store *ps = backend;
	enum chain_result res;
	while ((res = commit_once(ps, chain)) == CHAIN_RETRY)
		reconnect(ps);
	return res == CHAIN_DEPOSED;
}

/* ---- reading output ---------------------------------------------------------------- */

/* The reader's statement `which` with pa, text results; NULL on an error (logged). A lost
 * read connection is made again once, for the next call. */
static PGresult *read_exec(struct pg_store *ps, int which, const struct params *pa)
{
	char name[16];
	snprintf(name, sizeof name, "%s%d", stmt_prefix, which);
	PGresult *r = PQexecPrepared(ps->rconn, name, pa->n, pa->v, pa->len, pa->fmt, 0);
	if (PQresultStatus(r) == PGRES_TUPLES_OK)
		return r;
	log_error("store %s: a read failed: %s", ps->name, PQerrorMessage(ps->rconn));
	PQclear(r);
	if (PQstatus(ps->rconn) != CONNECTION_OK) {
		char *err = NULL;
		PQfinish(ps->rconn);
		ps->rconn = connect_db(ps->conninfo, ps->app, &err);
		if (ps->rconn == NULL || prepare_all(ps->rconn, read_sql, RD__N, &err)) {
			log_error("store %s: cannot reconnect the reader: %s", ps->name, err);
			free(err);
		}
	}
	return NULL;
}

static int find_keys(void *backend, struct output_cursor *c)
{
	struct pg_store *ps = backend;
	struct params pa = {0};
	int64_t v[] = {c->seq, c->idx, c->lo, c->hi, c->at, c->id, OUTPUT_PAGE};
	for (size_t i = 0; i < sizeof v / sizeof v[0]; i++)
		p_i64(&pa, v[i]);
	c->nkeys = c->next = 0;
	if (ps->rconn == NULL)
		return -1;
	PGresult *r = read_exec(ps, c->lo > 0 ? RD_KEYS_NEW : RD_KEYS, &pa);
	if (r == NULL)
		return -1;
	for (int i = 0; i < PQntuples(r) && c->nkeys < OUTPUT_PAGE; i++) {
		struct output_key *k = &c->keys[c->nkeys++];
		k->id = strtoll(PQgetvalue(r, i, 0), NULL, 10);
		k->at = strtoll(PQgetvalue(r, i, 1), NULL, 10);
		k->len = strtoll(PQgetvalue(r, i, 2), NULL, 10);
	}
	PQclear(r);
	return 0;
}

static int read_row(void *backend, int64_t id, store_output_cb cb, void *arg)
{
	struct pg_store *ps = backend;
	struct params pa = {0};
	p_i64(&pa, id);
	PGresult *r = read_exec(ps, RD_ROW, &pa);
	if (r == NULL)
		return -1;
	if (PQntuples(r) == 1) {
		size_t len = 0;
		unsigned char *data = PQunescapeBytea((const unsigned char *)PQgetvalue(r, 0, 4), &len);
		if (data == NULL) {
			PQclear(r);
			return -1;
		}
		struct output_row row = {
			.rowid = id,
			.attempt = strtoll(PQgetvalue(r, 0, 0), NULL, 10),
			.at = strtoll(PQgetvalue(r, 0, 1), NULL, 10),
			.idx = (int32_t)strtol(PQgetvalue(r, 0, 2), NULL, 10),
			.node = PQgetvalue(r, 0, 3),
			.data = (const char *)data,
			.len = len,
		};
		cb(arg, &row);
		PQfreemem(data);
	}
	PQclear(r);
	return 0;
}

static int pg_read_output(struct store *st, struct output_cursor *c, size_t max_bytes,
			  store_output_cb cb, void *arg)
{
	return store_read_pages(st, find_keys, read_row, c, max_bytes, cb, arg);
}

static int64_t pg_output_last_id(struct store *st)
{
	struct pg_store *ps = (struct pg_store *)st;
	struct params pa = {0};
	if (ps->rconn == NULL)
		return 0;
	PGresult *r = read_exec(ps, RD_LAST, &pa);
	int64_t id = r && PQntuples(r) == 1 ? strtoll(PQgetvalue(r, 0, 0), NULL, 10) : 0;
	PQclear(r);
	return id;
}

/* ---- kept events ------------------------------------------------------------------ */

static int pg_load_events(struct store *st, struct store_events *out, char **err)
{
	struct pg_store *ps = (struct pg_store *)st;
	PGresult *r = PQexec(ps->wconn, "SELECT (SELECT epoch FROM store_identity WHERE id = 1),"
			     " (SELECT COALESCE(MIN(id), 0) FROM events),"
			     " (SELECT COALESCE(MAX(id), 0) FROM events),"
			     " (SELECT data IS NULL FROM events ORDER BY id DESC LIMIT 1)");
	bool ok = PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) == 1 &&
		  !PQgetisnull(r, 0, 0);
	if (ok) {
		out->epoch = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		out->lo = strtoll(PQgetvalue(r, 0, 1), NULL, 10);
		out->hi = strtoll(PQgetvalue(r, 0, 2), NULL, 10);
		out->hi_gap = !PQgetisnull(r, 0, 3) && strcmp(PQgetvalue(r, 0, 3), "t") == 0;
	} else {
		*err = xasprintf("store %s, table store_identity: %s", ps->name,
				 PQresultStatus(r) == PGRES_TUPLES_OK ? "no identity row"
								     : PQerrorMessage(ps->wconn));
	}
	PQclear(r);
	return ok ? 0 : -1;
}

static int pg_read_events(struct store *st, int64_t after, int64_t upto, int max,
			  store_event_cb cb, void *arg)
{
	struct pg_store *ps = (struct pg_store *)st;
	struct params pa = {0};
	p_i64(&pa, after);
	p_i64(&pa, upto);
	p_i64(&pa, max);
	if (ps->rconn == NULL)
		return -1;
	PGresult *r = read_exec(ps, RD_EVENTS, &pa);
	if (r == NULL)
		return -1;
	int n = PQntuples(r);
	for (int i = 0; i < n; i++)
		cb(arg, strtoll(PQgetvalue(r, i, 0), NULL, 10),
		   PQgetisnull(r, i, 1) ? NULL : PQgetvalue(r, i, 1));
	PQclear(r);
	return n;
}

/* ---- backup ------------------------------------------------------------------------ */

/* A PostgreSQL store is backed up by the database's own tools, which the site already runs
 * with its own credentials, schedule and retention (pg_dump, base backups with WAL
 * archiving); the server refuses, naming them, rather than copy a database it does not own. */
struct backup_refusal {
	store_backup_cb cb;
	void *arg;
	char *why;			/* owned */
};

static void on_backup_refused(evutil_socket_t fd, short what, void *arg)
{
	struct backup_refusal *br = arg;
	br->cb(br->arg, -1, 0, br->why);
	free(br->why);
	free(br);
}

static int pg_backup(struct store *st, const char *path, store_backup_cb cb, void *arg)
{
	struct pg_store *ps = (struct pg_store *)st;
	struct backup_refusal *br = xcalloc(1, sizeof *br);
	br->cb = cb;
	br->arg = arg;
	br->why = xasprintf("the store is the PostgreSQL database %s: back it up with pg_dump"
			    " (pg_dump --format=custom --file=%s '%s'), not through jobgrid",
			    ps->name, path, ps->name);
	/* Answered from the loop, as a backup thread's result is. */
	if (event_base_once(ps->q.loop, -1, EV_TIMEOUT, on_backup_refused, br, NULL) != 0) {
		free(br->why);
		free(br);
		errno = ENOMEM;
		return -1;
	}
	return 0;
}

/* ---- open / close ------------------------------------------------------------------ */

static void pg_close(struct store *st)
{
	struct pg_store *ps = (struct pg_store *)st;
	store_queue_stop(&ps->q);
	PQfinish(ps->wconn);
	PQfinish(ps->rconn);
	store_queue_destroy(&ps->q);
	free(ps->conninfo);
	free(ps->name);
	free(ps->holder);
	free(ps->app);
	free(ps);
}

static const struct store_vt pg_vt = {
	.load = pg_load,
	.load_defs = pg_load_defs,
	.load_net = pg_load_net,
	.load_auth = pg_load_auth,
	.read_net = pg_read_net,
	.read_job = pg_read_job,
	.read_jobs = pg_read_jobs,
	.read_attempts = pg_read_attempts,
	.list_jobs = pg_list_jobs,
	.load_events = pg_load_events,
	.read_events = pg_read_events,
	.ended_attempts = pg_ended_attempts,
	.start = pg_start,
	.submit = pg_submit,
	.read_output = pg_read_output,
	.output_last_id = pg_output_last_id,
	.backup = pg_backup,
	.close = pg_close,
};

/* The database named for messages: user@host:port/db, never a password. */
static char *describe(PGconn *c)
{
	return xasprintf("postgres://%s@%s:%s/%s", PQuser(c), PQhost(c), PQport(c), PQdb(c));
}

struct store *store_postgres_open(const char *conninfo, const struct pg_fence *fence, char **err)
{
	char *why = NULL;
	PQconninfoOption *opts = PQconninfoParse(conninfo, &why);
	if (opts == NULL) {
		*err = xasprintf("not a PostgreSQL connection string or URL: %s",
				 why ? why : "out of memory");
		PQfreemem(why);
		return NULL;
	}
	PQconninfoFree(opts);
	struct pg_store *ps = xcalloc(1, sizeof *ps);
	ps->base.vt = &pg_vt;
	ps->conninfo = xstrdup(conninfo);
	store_queue_init(&ps->q, commit_chain, ps);
	if (fence) {
		ps->fenced = true;
		ps->epoch = fence->epoch;
		ps->holder = xstrdup(fence->holder ? fence->holder : "");
		ps->q.lost = fence->lost;
		ps->q.lost_arg = fence->arg;
		ps->idle_tx_ms = fence->lease_ms;
	}
	ps->app = ps->fenced ? xasprintf("jobgrid %s", ps->holder) : xstrdup("jobgrid");
	ps->wconn = connect_writer(ps, &why);
	if (ps->wconn == NULL) {
		*err = xasprintf("cannot connect: %s", why);
		free(why);
		pg_close(&ps->base);
		return NULL;
	}
	ps->name = describe(ps->wconn);
	if (migrate(ps->wconn, &why) || prepare_all(ps->wconn, stmt_sql, ST__N, &why) ||
	    (ps->rconn = connect_db(conninfo, ps->app, &why)) == NULL ||
	    prepare_all(ps->rconn, read_sql, RD__N, &why)) {
		*err = xasprintf("store %s: %s", ps->name, why);
		free(why);
		pg_close(&ps->base);
		return NULL;
	}
	return &ps->base;
}
