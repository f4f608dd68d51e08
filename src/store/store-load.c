/* Recovery rows shared by the store backends (see store-load.h). */
#include "store/store-load.h"
#include "base/buf.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include "core/opts.h"
#include "core/sched.h"
#include <stdio.h>
#include <string.h>

static const char *col_text(const struct row_src *st, int i)
{
	const char *t = st->ops->text(st->h, i);
	return t ? t : "";
}

/* Column i as an integer in lo..hi into *out; else false with l->why naming the column
 * and what it holds. */
static bool col_in(struct loader *l, const struct row_src *st, int i, int64_t lo, int64_t hi,
		   int64_t *out)
{
	int64_t v = st->ops->i64(st->h, i);
	if (st->ops->is_int(st->h, i) && v >= lo && v <= hi) {
		*out = v;
		return true;
	}
	const char *text = st->ops->text(st->h, i);
	snprintf(l->why, sizeof l->why, "%s is %.40s, not %lld..%lld", st->ops->name(st->h, i),
		 text ? text : "NULL", (long long)lo, (long long)hi);
	return false;
}

/* read_attempts: the page's joblet of index idx (a binary search of the page's indexes),
 * or NULL when the page does not hold it. */
static struct joblet *page_ref(struct loader *l, int64_t seq, int32_t idx)
{
	int32_t lo = 0, hi = l->npage;
	while (lo < hi) {
		int32_t mid = lo + (hi - lo) / 2;
		if (l->page_idx[mid] < idx)
			lo = mid + 1;
		else
			hi = mid;
	}
	struct joblet *jl = lo < l->npage && l->page_idx[lo] == idx ? &l->page[lo] : NULL;
	return jl && jl->job->seq == seq ? jl : NULL;
}

/* read_jobs: the index of job seq in l->seqs (the last row's job, else a search: the list
 * is short and the rows come in seq order), or -1 when seq was not asked for. */
static int jobs_at(struct loader *l, int64_t seq)
{
	if (l->hit < l->njobs && l->seqs[l->hit] == seq)
		return l->hit;
	for (int k = 0; k < l->njobs; k++)
		if (l->seqs[k] == seq)
			return l->hit = k;
	return -1;
}

/* The joblet idx of job seq among what l reads: the scheduler's (load) or the one job
 * read_job rebuilds. NULL when there is none. */
static struct joblet *joblet_ref(struct loader *l, int64_t seq, int64_t idx)
{
	if (idx < 0 || idx > INT32_MAX)
		return NULL;
	if (l->s)
		return sched_load_joblet_ref(l->s, seq, (int32_t)idx);
	if (l->page)
		return page_ref(l, seq, (int32_t)idx);
	struct job *j = l->job;
	if (l->jobs) {
		int k = jobs_at(l, seq);
		j = k >= 0 ? l->jobs[k] : NULL;
	}
	return j && j->seq == seq && idx < j->njoblets ? &j->joblets[idx] : NULL;
}

static bool col_nonempty(struct loader *l, const struct row_src *st, int i)
{
	if (st->ops->len(st->h, i) > 0)
		return true;
	snprintf(l->why, sizeof l->why, "%s is empty", st->ops->name(st->h, i));
	return false;
}


static int job_row(struct loader *l, const struct row_src *st)
{
	int64_t seq, cores, ram, gpus, time_ms, prio, retries, lost, delay, flags, n, state, created,
		ended;
	snprintf(l->row, sizeof l->row, "job %lld", (long long)st->ops->i64(st->h, 0));
	/* The scheduler keeps jobs in an array indexed by seq. */
	if (!col_in(l, st, 0, 1, INT32_MAX, &seq) || !col_in(l, st, 8, 0, INT32_MAX, &cores) ||
	    !col_in(l, st, 9, 0, INT32_MAX, &ram) || !col_in(l, st, 10, 0, INT32_MAX, &gpus) ||
	    !col_in(l, st, 11, 0, INT64_MAX, &time_ms) || !col_in(l, st, 12, 0, 255, &prio) ||
	    !col_in(l, st, 13, 0, UINT16_MAX, &retries) ||
	    !col_in(l, st, 14, 0, UINT16_MAX, &lost) || !col_in(l, st, 15, 0, INT64_MAX, &delay) ||
	    !col_in(l, st, 16, 0, REC_JOB_NO_RESTART | REC_JOB_UNIQUE | REC_JOB_CWD_DEFAULT,
		    &flags) ||
	    !col_in(l, st, 17, 0, STORE_JOBLETS_MAX, &n) || !col_in(l, st, 18, 0, JS__N - 1, &state) ||
	    !col_in(l, st, 19, 0, INT64_MAX, &created) || !col_in(l, st, 20, 0, INT64_MAX, &ended))
		return -1;
	/* A job may have no joblets: a script run that scheduled none (it is done). */
	struct job *j = job_alloc((int32_t)n);
	j->seq = seq;
	j->owner = intern(col_text(st, 1));
	j->name = intern(col_text(st, 2));
	j->group = intern(col_text(st, 3));
	j->req_group = intern(col_text(st, 4));
	j->cmd = xstrdup(col_text(st, 5));
	j->cwd = intern(col_text(st, 6));
	j->env = st->ops->is_null(st->h, 7) ? NULL : xstrdup(col_text(st, 7));
	/* Jobs share an environment row: interned, one copy each. */
	if (!st->ops->is_null(st->h, 23))
		j->submit_env = intern(col_text(st, 23));
	else if (!st->ops->is_null(st->h, 22)) {
		snprintf(l->why, sizeof l->why, "submit_env %lld names no row of envs",
			 (long long)st->ops->i64(st->h, 22));
		job_free(j);
		return -1;
	}
	j->cores = (int32_t)cores;
	j->ram_mb = (int32_t)ram;
	j->gpus = (int32_t)gpus;
	j->time_ms = time_ms;
	j->priority = (uint8_t)prio;
	j->retries = (uint16_t)retries;
	j->lost_retries = (uint16_t)lost;
	j->retry_delay_ms = delay;
	j->no_restart = flags & REC_JOB_NO_RESTART;
	j->unique = flags & REC_JOB_UNIQUE;
	j->cwd_default = flags & REC_JOB_CWD_DEFAULT;
	j->created_at = created;
	j->ended_at = ended;
	if (!st->ops->is_null(st->h, 21) &&
	    opts_load(j, col_text(st, 21), l->why, sizeof l->why)) {
		job_free(j);
		return -1;
	}
	if (l->s) {
		sched_load_job(l->s, j);
	} else if (l->jobs) {	/* read_jobs: one row each */
		int k = jobs_at(l, seq);
		if (k < 0) {
			snprintf(l->why, sizeof l->why, "not one of the jobs asked for");
			job_free(j);
			return -1;
		}
		job_free(l->jobs[k]);
		l->jobs[k] = j;
	} else {	/* read_job: one row */
		job_free(l->job);
		l->job = j;
	}
	return 0;
}

static int joblet_row(struct loader *l, const struct row_src *st)
{
	int64_t seq = st->ops->i64(st->h, 0), idx = st->ops->i64(st->h, 1), state,
		errors, lost, ready_at;
	snprintf(l->row, sizeof l->row, "job %lld joblet %lld", (long long)seq, (long long)idx);
	struct joblet *jl = joblet_ref(l, seq, idx);
	if (jl == NULL) {
		snprintf(l->why, sizeof l->why, "no such joblet: its job's row is missing or has"
			 " fewer joblets");
		return -1;
	}
	if (!col_in(l, st, 2, 0, JS__N - 1, &state) || !col_in(l, st, 3, 0, UINT16_MAX, &errors) ||
	    !col_in(l, st, 4, 0, UINT16_MAX, &lost) || !col_in(l, st, 5, 0, INT64_MAX, &ready_at))
		return -1;
	jl->state = (uint8_t)state;
	jl->errors = (uint16_t)errors;
	jl->lost = (uint16_t)lost;
	jl->ready_at = ready_at;
	/* The joblets of a cancel or a skip share their reason's text: one copy. */
	const char *reason = st->ops->is_null(st->h, 6) ? NULL : col_text(st, 6);
	if (l->s) {
		sched_load_reason(l->s, jl, reason);
	} else {
		rstr_unref(jl->reason);
		jl->reason = rstr_share(&l->reasons, reason);
	}
	return 0;
}

/* load: a joblet row with a last column, the attempts of a final joblet that the load
 * leaves in the store (none running or lost: sched_trimmable's rule), or NULL when its
 * attempts are read (or it has none). */
static int joblet_load_row(struct loader *l, const struct row_src *st)
{
	int64_t n;
	if (joblet_row(l, st) != 0)
		return -1;
	if (st->ops->is_null(st->h, 7))
		return 0;
	if (!col_in(l, st, 7, 1, INT32_MAX, &n))
		return -1;
	sched_load_stored(l->s, joblet_ref(l, st->ops->i64(st->h, 0), st->ops->i64(st->h, 1)),
			  (int32_t)n);
	return 0;
}

static int attempt_row(struct loader *l, const struct row_src *st)
{
	int64_t id, seq = st->ops->i64(st->h, 1), idx = st->ops->i64(st->h, 2), n, state,
		exit_code = 0, reason, peak, cores, ram, gpus, wall, out_bytes, out_dropped;
	snprintf(l->row, sizeof l->row, "attempt %lld (job %lld joblet %lld)",
		 (long long)st->ops->i64(st->h, 0), (long long)seq, (long long)idx);
	struct joblet *jl = joblet_ref(l, seq, idx);
	if (jl == NULL) {
		snprintf(l->why, sizeof l->why, "no such joblet: its job's row is missing or has"
			 " fewer joblets");
		return -1;
	}
	if ((size_t)st->ops->len(st->h, 5) >= sizeof ((struct worker *)0)->id) {
		snprintf(l->why, sizeof l->why, "worker is longer than a worker id");
		return -1;
	}
	bool has_exit = !st->ops->is_null(st->h, 7);
	if (!col_in(l, st, 0, 1, INT64_MAX, &id) || !col_in(l, st, 3, 1, INT32_MAX, &n) ||
	    !col_in(l, st, 6, 0, AS__N - 1, &state) ||
	    (has_exit && !col_in(l, st, 7, INT32_MIN, INT32_MAX, &exit_code)) ||
	    !col_in(l, st, 8, 0, FR__N - 1, &reason) || !col_in(l, st, 11, 0, INT32_MAX, &peak) ||
	    !col_in(l, st, 15, -1, INT32_MAX, &cores) || !col_in(l, st, 16, -1, INT32_MAX, &ram) ||
	    !col_in(l, st, 17, -1, INT32_MAX, &gpus) || !col_in(l, st, 18, -1, INT64_MAX, &wall) ||
	    !col_in(l, st, 19, 0, INT64_MAX, &out_bytes) ||
	    !col_in(l, st, 20, 0, INT64_MAX, &out_dropped))
		return -1;
	struct attempt *a = xcalloc(1, sizeof *a);
	a->id = id;
	a->n = (int32_t)n;
	a->node = intern(col_text(st, 4));
	a->worker_id = intern(col_text(st, 5));
	a->state = (uint8_t)state;
	a->has_exit = has_exit;
	a->exit_code = (int32_t)exit_code;
	a->fail_reason = (uint8_t)reason;
	a->started_at = st->ops->i64(st->h, 9);
	a->ended_at = st->ops->i64(st->h, 10);
	a->peak_ram_mb = (int32_t)peak;
	a->cpu_ms = st->ops->i64(st->h, 12);
	if (!st->ops->is_null(st->h, 13))
		a->message = xstrdup(col_text(st, 13));
	if (!st->ops->is_null(st->h, 14))
		a->late_result = xstrdup(col_text(st, 14));
	if (!st->ops->is_null(st->h, 21))
		a->run_as = intern(col_text(st, 21));
	/* -1: a row from before migration 2; sched_load_attempt takes the job's. */
	a->cores = (int32_t)cores;
	a->ram_mb = (int32_t)ram;
	a->gpus = (int32_t)gpus;
	a->wall_ms = wall;
	a->out_bytes = out_bytes;
	a->out_dropped = out_dropped;
	if (l->s)
		sched_load_attempt(l->s, a, seq, (int32_t)idx);
	else
		joblet_add_attempt(jl, a);
	return 0;
}

static int limit_row(struct loader *l, const struct row_src *st)
{
	int64_t lim;
	snprintf(l->row, sizeof l->row, "limit '%.60s'", col_text(st, 0));
	if (!col_nonempty(l, st, 0) || !col_in(l, st, 1, -1, INT32_MAX, &lim))
		return -1;
	sched_load_limit(l->s, col_text(st, 0), (int32_t)lim);
	return 0;
}

static int idem_row(struct loader *l, const struct row_src *st)
{
	int64_t status;
	snprintf(l->row, sizeof l->row, "key '%.60s' of '%.20s'", col_text(st, 1), col_text(st, 0));
	if (!col_nonempty(l, st, 0) || !col_nonempty(l, st, 1) ||
	    !col_in(l, st, 2, 100, 599, &status))
		return -1;
	l->idem(l->arg, col_text(st, 0), col_text(st, 1), (int32_t)status, col_text(st, 3),
		st->ops->i64(st->h, 4));
	return 0;
}

static int def_row(struct loader *l, const struct row_src *st)
{
	int64_t version, active;
	snprintf(l->row, sizeof l->row, "definition '%.60s' version %lld", col_text(st, 0),
		 (long long)st->ops->i64(st->h, 1));
	if (!col_nonempty(l, st, 0) || !col_in(l, st, 1, 1, INT32_MAX, &version) ||
	    !col_in(l, st, 6, 0, 1, &active))
		return -1;
	struct store_def_row row = {
		col_text(st, 0), col_text(st, 2), col_text(st, 3), col_text(st, 4),
		st->ops->text(st->h, 7), (int32_t)version,
		st->ops->i64(st->h, 5), active != 0,
	};
	l->def(l->arg, &row);
	return 0;
}

/* A network run (id > 0, run text) or a paused definition (id 0, its name). */
int load_net_row(struct loader *l, const struct row_src *st)
{
	int64_t id = st->ops->i64(st->h, 0);
	const char *run = st->ops->text(st->h, 1);
	const char *paused = st->ops->text(st->h, 2);
	if (paused) {
		snprintf(l->row, sizeof l->row, "paused definition '%.60s'", paused);
		if (paused[0] == '\0') {
			snprintf(l->why, sizeof l->why, "name is empty");
			return -1;
		}
	} else {
		snprintf(l->row, sizeof l->row, "run %lld", (long long)id);
		if (!col_in(l, st, 0, 1, INT64_MAX, &id) || !col_nonempty(l, st, 1))
			return -1;
	}
	return l->net(l->arg, id, run, paused, l->why, sizeof l->why);
}

static int user_row(struct loader *l, const struct row_src *st)
{
	snprintf(l->row, sizeof l->row, "user '%.60s'", col_text(st, 0));
	if (!col_nonempty(l, st, 0) || !col_nonempty(l, st, 1))
		return -1;
	struct store_user_row row = {col_text(st, 0), col_text(st, 1), col_text(st, 2),
				     st->ops->i64(st->h, 3)};
	return l->user(l->arg, &row, l->why, sizeof l->why);
}

static int token_row(struct loader *l, const struct row_src *st)
{
	int64_t id, created, expires, revoked;
	snprintf(l->row, sizeof l->row, "token %lld", (long long)st->ops->i64(st->h, 0));
	if (!col_in(l, st, 0, 1, INT64_MAX, &id) || !col_nonempty(l, st, 2) ||
	    !col_nonempty(l, st, 3) || !col_in(l, st, 5, 0, INT64_MAX, &created) ||
	    !col_in(l, st, 6, 0, INT64_MAX, &expires) || !col_in(l, st, 7, 0, INT64_MAX, &revoked))
		return -1;
	if (st->ops->blob(st->h, 4) == NULL || st->ops->len(st->h, 4) != 32) {
		snprintf(l->why, sizeof l->why, "hash is not 32 bytes");
		return -1;
	}
	struct store_token_row row = {id, created, expires, revoked, col_text(st, 1),
				      col_text(st, 2), col_text(st, 3), st->ops->blob(st->h, 4)};
	return l->token(l->arg, &row, l->why, sizeof l->why);
}

/* The rows of jobs, joblets and attempts, as load and read_job read them. */
#define JOBS_SELECT \
	"SELECT seq, owner, name, grp, req_group, cmd, cwd, env, cores, ram_mb, gpus, time_ms," \
	" priority, retries, lost_retries, retry_delay_ms, flags, njoblets, state, created_at," \
	" ended_at, opts, submit_env, envs.text FROM jobs LEFT JOIN envs" \
	" ON envs.id = jobs.submit_env"
#define JOBLETS_SELECT "SELECT seq, idx, state, errors, lost, ready_at, reason FROM joblets"
/* A running attempt's row is not rewritten per chunk: its output is counted from the rows. */
#define ATTEMPTS_SELECT \
	"SELECT id, seq, idx, n, node, worker, state, exit_code, fail_reason, started_at," \
	" ended_at, peak_ram_mb, cpu_ms, message, late_result, cores, ram_mb, gpus, wall_ms," \
	" CASE WHEN state = 0 THEN (SELECT COALESCE(SUM(length(data)), 0) FROM output" \
	" WHERE attempt = attempts.id) ELSE output_bytes END, output_dropped, run_as" \
	" FROM attempts"

/* The jobs memory keeps at a start with history out of memory (server/history.c's due,
 * sched_evictable), as SQL: not finished, ended after `before`, many joblets or a dep group,
 * a group waited for, a script run (their option keys: a key's name met inside a value
 * only keeps one more job), a live attempt. Each part reads an index (SQLite migrations 10
 * and 11, PostgreSQL 2 and 4; jobs_kept's condition is this text, so that it is used). A
 * job that a job in memory waits for by id is read back after the load (history.c). */
#define KEPT_OPTS \
	"njoblets > 1000 OR (opts IS NOT NULL AND (opts LIKE '%\"dep_groups\"%'" \
	" OR opts LIKE '%\"after_groups\"%' OR opts LIKE '%\"script\"%'))"
static char *kept_sql(int64_t before)
{
	_Static_assert(SCHED_EVICT_MAX_JOBLETS == 1000, "KEPT_OPTS and jobs_kept say 1000");
	return xasprintf("SELECT seq FROM jobs WHERE state < %d UNION SELECT seq FROM jobs WHERE"
			 " ended_at > %lld UNION SELECT seq FROM jobs WHERE %s UNION SELECT seq"
			 " FROM attempts WHERE state = %d",
			 JS_DONE, (long long)before, KEPT_OPTS, AS_RUNNING);
}

/* A finished job loaded as history only: its final state and counts (1 joblet: the job's
 * state is its joblet's), its req group's samples come from history_sample_row. */
static int history_row(struct loader *l, const struct row_src *st)
{
	int64_t seq, state, n;
	snprintf(l->row, sizeof l->row, "job %lld", (long long)st->ops->i64(st->h, 0));
	if (!col_in(l, st, 0, 1, INT32_MAX, &seq) ||
	    !col_in(l, st, 3, JS_DONE, JS__N - 1, &state) ||
	    !col_in(l, st, 4, 0, STORE_JOBLETS_MAX, &n))
		return -1;
	const char *owner = intern(col_text(st, 1)), *group = intern(col_text(st, 2));
	sched_load_history(l->s, seq, (int)state, owner, group);
	if (n == 1)
		sched_load_history_joblets(l->s, owner, group, (int)state, 1);
	return 0;
}

/* A joblet of a job loaded as history with other than one joblet. */
static int history_joblets_row(struct loader *l, const struct row_src *st)
{
	int64_t state;
	snprintf(l->row, sizeof l->row, "a joblet of '%.30s' in group '%.30s'", col_text(st, 0),
		 col_text(st, 1));
	if (!col_in(l, st, 2, JS_DONE, JS__N - 1, &state))
		return -1;
	sched_load_history_joblets(l->s, intern(col_text(st, 0)), intern(col_text(st, 1)),
				   (int)state, 1);
	return 0;
}

/* A successful attempt left in the store (of a job loaded as history, or of a final
 * joblet whose attempts were not read), one of the last REQ_SAMPLES of its req group: a
 * learned-requirements sample. */
static int history_sample_row(struct loader *l, const struct row_src *st)
{
	int64_t seq, idx, id, peak;
	snprintf(l->row, sizeof l->row, "attempt %lld", (long long)st->ops->i64(st->h, 2));
	if (!col_in(l, st, 0, 1, INT32_MAX, &seq) || !col_in(l, st, 1, 0, INT32_MAX, &idx) ||
	    !col_in(l, st, 2, 1, INT64_MAX, &id) || !col_in(l, st, 3, 0, INT32_MAX, &peak) ||
	    !col_nonempty(l, st, 7))
		return -1;
	struct load_sample k = {intern(col_text(st, 7)), seq, id, st->ops->i64(st->h, 4),
				st->ops->i64(st->h, 5), st->ops->i64(st->h, 6), (int32_t)idx,
				(int32_t)peak};
	sched_load_sample(l->s, &k);
	return 0;
}

static int attempt_id_row(struct loader *l, const struct row_src *st)
{
	int64_t id;
	snprintf(l->row, sizeof l->row, "the newest attempt");
	if (!st->ops->is_null(st->h, 0)) {
		if (!col_in(l, st, 0, 1, INT64_MAX, &id))
			return -1;
		sched_load_attempt_id(l->s, id);
	}
	return 0;
}

/* The joblets (seq, idx) with a running or lost attempt: their attempts stay in memory
 * whatever their state (sched_trimmable). Each part reads a partial index (SQLite
 * migrations 12 and 14, PostgreSQL 5 and 7): such attempts are few. */
#define HELD_SQL \
	"SELECT seq, idx FROM attempts WHERE state = 0" \
	" UNION SELECT seq, idx FROM attempts WHERE state = 3"

/* The attempts a load reads, of the jobs it keeps in full (and_kept: " AND <table>.seq IN
 * (kept)", or "" when it keeps every job): those of joblets not final and of joblets
 * with a running or lost attempt. A final joblet's others would leave memory at once
 * (server/trim.c); the joblets query counts them (joblet_load_row) and the throughput
 * tallies and learned requirements read them (history.c, the samples query). Driven by
 * the joblets' key and the held attempts' partial indexes, then the attempts' own by id:
 * a finished job of 10^5 joblets costs a pass over its joblets, not 10^5 attempts. */
static char *attempts_load_sql(const char *kept)
{
	char *in_j = kept ? xasprintf(" AND joblets.seq IN (%s)", kept) : xstrdup("");
	char *in_h = kept ? xasprintf(" AND held.seq IN (%s)", kept) : xstrdup("");
	_Static_assert(AS_RUNNING == 0 && AS_LOST == 3, "HELD_SQL's states");
	char *sql = xasprintf(
		ATTEMPTS_SELECT " WHERE id IN (SELECT attempts.id FROM joblets CROSS JOIN attempts"
		" WHERE joblets.state < %d%s AND attempts.seq = joblets.seq AND attempts.idx ="
		" joblets.idx UNION SELECT attempts.id FROM (" HELD_SQL ") AS held CROSS JOIN"
		" attempts WHERE attempts.seq = held.seq AND attempts.idx = held.idx%s) ORDER BY id",
		JS_DONE, in_j, in_h);
	free(in_j);
	free(in_h);
	return sql;
}

/* The joblets of the jobs a load keeps in full (where: "" or " WHERE seq IN (kept)"), and
 * for a final one without a held attempt how many attempts it leaves in the store: the
 * newest n, read through the attempts' (seq, idx) index. */
static char *joblets_load_sql(const char *where)
{
	return xasprintf("SELECT seq, idx, state, errors, lost, ready_at, reason, CASE WHEN"
			 " state >= %d AND (seq, idx) NOT IN (" HELD_SQL ") THEN (SELECT MAX(n)"
			 " FROM attempts WHERE attempts.seq = joblets.seq AND attempts.idx ="
			 " joblets.idx) END FROM joblets%s", JS_DONE, where);
}

/* The learned-requirement samples among the attempts a load leaves in the store: the
 * last REQ_SAMPLES successful ones of each req group, from the partial index of jobs with
 * one (and_kept as attempts_load_sql's, on jobs). Merged with the attempts read in job,
 * joblet and attempt order (sched_load_done), as a load of every attempt learned them. */
static char *stored_samples_sql(const char *kept)
{
	char *in = kept ? xasprintf(" AND jobs.seq IN (%s)", kept) : xstrdup("");
	char *sql = xasprintf(
		"SELECT seq, idx, id, peak_ram_mb, started_at, ended_at, wall_ms, req_group"
		" FROM (SELECT jobs.seq, attempts.idx, attempts.id, attempts.peak_ram_mb,"
		" attempts.started_at, attempts.ended_at, attempts.wall_ms, jobs.req_group,"
		" ROW_NUMBER() OVER (PARTITION BY jobs.req_group ORDER BY jobs.seq DESC,"
		" attempts.idx DESC, attempts.id DESC) AS r FROM jobs CROSS JOIN joblets CROSS JOIN"
		" attempts WHERE jobs.req_group <> ''%s AND joblets.seq = jobs.seq AND"
		" joblets.state >= %d AND attempts.seq = joblets.seq AND attempts.idx = joblets.idx"
		" AND attempts.state = %d AND (attempts.seq, attempts.idx) NOT IN (" HELD_SQL "))"
		" AS samples WHERE r <= %d",
		in, JS_DONE, AS_DONE, REQ_SAMPLES);
	free(in);
	return sql;
}

/* The seq after the newest job ever removed (migration 15): no new job takes its number. */
static int next_seq_row(struct loader *l, const struct row_src *st)
{
	int64_t next;
	snprintf(l->row, sizeof l->row, "the next job number");
	if (!col_in(l, st, 0, 1, INT32_MAX, &next))
		return -1;
	sched_load_next_seq(l->s, next);
	return 0;
}

void load_sched_queries(struct load_sched_sql *q, int64_t history_before)
{
	*q = (struct load_sched_sql){0};
	bool history = history_before != INT64_MIN;
	char *kept = history ? kept_sql(history_before) : NULL;
	/* Every job in full: no condition at all (one pass per table). */
	char *in = history ? xasprintf(" WHERE seq IN (%s)", kept) : xstrdup("");
	q->sql[q->n] = xstrdup("SELECT name, lim FROM limits");
	q->q[q->n++] = (struct load_query){"limits", NULL, limit_row};
	q->sql[q->n] = xasprintf(JOBS_SELECT "%s ORDER BY seq", in);
	q->q[q->n++] = (struct load_query){"jobs", NULL, job_row};
	q->sql[q->n] = joblets_load_sql(in);
	q->q[q->n++] = (struct load_query){"joblets", NULL, joblet_load_row};
	q->sql[q->n] = attempts_load_sql(kept);
	q->q[q->n++] = (struct load_query){"attempts", NULL, attempt_row};
	q->sql[q->n] = stored_samples_sql(kept);
	q->q[q->n++] = (struct load_query){"attempts", NULL, history_sample_row};
	/* The newest attempt id, which the attempts read may not hold. */
	q->sql[q->n] = xstrdup("SELECT MAX(id) FROM attempts");
	q->q[q->n++] = (struct load_query){"attempts", NULL, attempt_id_row};
	q->sql[q->n] = xstrdup("SELECT owner, key, status, body, at FROM idem");
	q->q[q->n++] = (struct load_query){"idem", NULL, idem_row};
	q->sql[q->n] = xstrdup("SELECT next_seq FROM store_identity");
	q->q[q->n++] = (struct load_query){"store_identity", NULL, next_seq_row};
	if (history) {
		q->sql[q->n] = xasprintf("SELECT seq, owner, grp, state, njoblets FROM jobs"
					 " WHERE seq NOT IN (%s) ORDER BY seq", kept);
		q->q[q->n++] = (struct load_query){"jobs", NULL, history_row};
		/* Not grouped in SQL: the planner would then walk an index of every job for
		 * the order; this way it reads the partial index of such jobs. */
		q->sql[q->n] = xasprintf("SELECT jobs.owner, jobs.grp, joblets.state FROM jobs"
					 " JOIN joblets ON joblets.seq = jobs.seq WHERE"
					 " jobs.njoblets <> 1 AND jobs.seq NOT IN (%s)", kept);
		q->q[q->n++] = (struct load_query){"joblets", NULL, history_joblets_row};
		/* The last samples of each req group, from the partial index of the jobs that
		 * have one (CROSS JOIN: SQLite's way to say which table leads). */
		q->sql[q->n] = xasprintf(
			"SELECT seq, idx, id, peak_ram_mb, started_at, ended_at, wall_ms, req_group"
			" FROM (SELECT jobs.seq, attempts.idx, attempts.id, attempts.peak_ram_mb,"
			" attempts.started_at, attempts.ended_at, attempts.wall_ms, jobs.req_group,"
			" ROW_NUMBER() OVER (PARTITION BY jobs.req_group ORDER BY jobs.seq DESC,"
			" attempts.idx DESC, attempts.id DESC) AS r FROM jobs CROSS JOIN attempts"
			" WHERE attempts.seq = jobs.seq AND jobs.req_group <> '' AND"
			" attempts.state = %d AND jobs.seq NOT IN (%s)) AS samples WHERE r <= %d",
			AS_DONE, kept, REQ_SAMPLES);
		q->q[q->n++] = (struct load_query){"attempts", NULL, history_sample_row};
	}
	for (size_t i = 0; i < q->n; i++)
		q->q[i].sql = q->sql[i];
	free(kept);
	free(in);
}

void load_sched_queries_free(struct load_sched_sql *q)
{
	for (size_t i = 0; i < q->n; i++)
		free(q->sql[i]);
}

const struct load_query load_defs_query = {
	"definitions", "SELECT name, version, file, source, owner, deployed_at, active, scripts"
		       " FROM definitions ORDER BY name, version", def_row};
const struct load_query load_net_queries[2] = {
	{"net_runs", "SELECT id, run, NULL FROM net_runs ORDER BY id", load_net_row},
	{"net_paused", "SELECT 0, NULL, name FROM net_paused", load_net_row},
};
const struct load_query load_auth_queries[2] = {
	{"users", "SELECT name, role, hash, created_at FROM users ORDER BY name", user_row},
	{"tokens", "SELECT id, name, owner, role, hash, created_at, expires_at, revoked_at"
		   " FROM tokens ORDER BY id", token_row},
};

void read_job_queries(struct read_job_sql *q, int64_t seq)
{
	q->sql[0] = xasprintf(JOBS_SELECT " WHERE seq = %lld", (long long)seq);
	q->sql[1] = xasprintf(JOBLETS_SELECT " WHERE seq = %lld", (long long)seq);
	q->sql[2] = xasprintf(ATTEMPTS_SELECT " WHERE attempts.seq = %lld ORDER BY id",
			      (long long)seq);
	row_fn fn[3] = {job_row, joblet_row, attempt_row};
	const char *table[3] = {"jobs", "joblets", "attempts"};
	for (int i = 0; i < 3; i++)
		q->q[i] = (struct load_query){table[i], q->sql[i], fn[i]};
	q->n = 3;
}

void read_jobs_queries(struct read_job_sql *q, const int64_t *seqs, int n)
{
	struct buf in = BUF_INIT;
	for (int k = 0; k < n; k++)
		buf_printf(&in, "%s%lld", k ? "," : "", (long long)seqs[k]);
	/* In seq order: jobs_ref finds each row's job at once. */
	q->sql[0] = xasprintf(JOBS_SELECT " WHERE jobs.seq IN (%s) ORDER BY jobs.seq", in.data);
	q->sql[1] = xasprintf(JOBLETS_SELECT " WHERE seq IN (%s) ORDER BY seq, idx", in.data);
	q->sql[2] = NULL;
	buf_free(&in);
	q->q[0] = (struct load_query){"jobs", q->sql[0], job_row};
	q->q[1] = (struct load_query){"joblets", q->sql[1], joblet_row};
	q->n = 2;
}

void read_job_queries_free(struct read_job_sql *q)
{
	for (int i = 0; i < q->n; i++)
		free(q->sql[i]);
}

char *read_attempts_query(struct load_query *q, int64_t seq, const int32_t *idx, int32_t n)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, ATTEMPTS_SELECT " WHERE attempts.seq = %lld AND idx IN (", (long long)seq);
	for (int32_t i = 0; i < n; i++)
		buf_printf(&b, "%s%d", i ? "," : "", idx[i]);
	buf_printf(&b, ") ORDER BY id");
	*q = (struct load_query){"attempts", b.data, attempt_row};
	return b.data;	/* taken by the caller */
}

struct job *loader_take_job(struct loader *l)
{
	struct job *j = l->job;
	l->job = NULL;
	rstr_cache_clear(&l->reasons);
	if (j)
		job_recount(j);
	return j;
}

void loader_end_jobs(struct loader *l, int rc)
{
	rstr_cache_clear(&l->reasons);
	for (int k = 0; k < l->njobs; k++) {
		if (rc) {
			job_free(l->jobs[k]);
			l->jobs[k] = NULL;
		} else if (l->jobs[k]) {
			job_recount(l->jobs[k]);
		}
	}
}

/* The conditions of a list: SQL text after WHERE into b, text parameters into f's order
 * ($1, $2, ...). */
static void list_where(struct buf *b, const struct job_filter *f, const char *contains,
		       const char **params, int *n)
{
	*n = 0;
	buf_printf(b, " WHERE state >= %d", JS_DONE);
	if (f->state >= 0)
		buf_printf(b, " AND state = %d", f->state);
	if (f->owner) {
		params[(*n)++] = f->owner;
		buf_printf(b, " AND owner = $%d", *n);
	}
	if (f->group) {
		params[(*n)++] = f->group;
		buf_printf(b, " AND grp = $%d", *n);
	}
	if (f->name) {
		params[(*n)++] = f->name;
		buf_printf(b, " AND %s(name, $%d) > 0", contains, *n);
	}
}

char *list_jobs_sql(const struct job_filter *f, int64_t after, bool desc, int limit,
		    const char *contains, const char **params, int *nparams)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "SELECT seq FROM jobs");
	list_where(&b, f, contains, params, nparams);
	if (desc && after > 0)
		buf_printf(&b, " AND seq < %lld", (long long)after);
	else if (!desc)
		buf_printf(&b, " AND seq > %lld", (long long)after);
	buf_printf(&b, " ORDER BY seq%s LIMIT %d", desc ? " DESC" : "", limit);
	return b.data;	/* taken by the caller */
}

char *count_jobs_sql(const struct job_filter *f, int64_t after, bool desc, int64_t cap,
		     const char *contains, const char **params, int *nparams)
{
	struct buf b = BUF_INIT;
	buf_printf(&b, "SELECT COUNT(*) FROM (SELECT 1 FROM jobs");
	list_where(&b, f, contains, params, nparams);
	buf_printf(&b, " AND seq %s %lld LIMIT %lld) AS beyond", desc ? "<" : ">",
		   (long long)after, (long long)cap);
	return b.data;	/* taken by the caller */
}

char *ended_attempts_sql(int64_t from, int64_t to)
{
	return xasprintf("SELECT attempts.seq, attempts.started_at, attempts.ended_at,"
			 " attempts.state, jobs.owner, attempts.idx FROM attempts JOIN jobs ON jobs.seq ="
			 " attempts.seq WHERE attempts.ended_at >= %lld AND attempts.ended_at < %lld",
			 (long long)from, (long long)to);
}

int store_read_pages(void *backend, output_keys_fn keys, output_row_fn row,
		     struct output_cursor *c, size_t max_bytes, store_output_cb cb, void *arg)
{
	size_t bytes = 0;
	int rows = 0;
	while (rows == 0 || bytes < max_bytes) {
		if (c->next == c->nkeys) {
			if (keys(backend, c) != 0)
				return -1;
			if (c->nkeys == 0)
				return rows;	/* the end of the range */
		}
		const struct output_key *k = &c->keys[c->next++];
		if (row(backend, k->id, cb, arg))
			return -1;
		bytes += (size_t)k->len;
		c->at = k->at;
		c->id = k->id;
		rows++;
	}
	return rows;
}
