/* Recovery rows, shared by the store backends: the queries that read each table and the
 * functions that turn one row into scheduler, definition, network and auth calls. A
 * backend runs each query its own way and hands every row through a struct row_src.
 *
 * Every row function checks what it reads: a value out of range or a row that points at
 * nothing stops the load with the row and the reason named (l->row, l->why), because a
 * partial load would put joblets back to ready and run them again. */
#ifndef JG_STORE_LOAD_H
#define JG_STORE_LOAD_H
#include "base/rstr.h"
#include "store/store.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* One row of a result, read through its backend. Column i counts from 0. */
struct row_ops {
	bool (*is_null)(const void *h, int i);
	bool (*is_int)(const void *h, int i);	/* holds an integer (not text, not NULL) */
	int64_t (*i64)(const void *h, int i);	/* 0 when not an integer */
	const char *(*text)(const void *h, int i);	/* NULL when NULL */
	size_t (*len)(const void *h, int i);	/* bytes of text or blob */
	const void *(*blob)(const void *h, int i);	/* len() bytes, or NULL */
	const char *(*name)(const void *h, int i);	/* the column's name */
};
struct row_src {
	const struct row_ops *ops;
	const void *h;		/* the backend's cursor on the row */
};

struct loader {
	struct sched *s;		/* load: where the rows go; NULL for read_job */
	struct job *job;		/* read_job: the job read so far (owned), or NULL */
	store_idem_cb idem;
	store_def_cb def;
	store_net_cb net;
	store_user_cb user;
	store_token_cb token;
	void *arg;			/* for the callbacks */
	/* read_attempts: the joblets the rows go to, page[k] for index page_idx[k] (ascending),
	 * npage of them; borrowed. */
	struct joblet *page;
	const int32_t *page_idx;
	int32_t npage;
	/* read_jobs: job seqs[k] goes to jobs[k] (both borrowed: the caller's, zeroed), njobs of
	 * them; hit: where the last row's job was (rows come in seq order). */
	struct job **jobs;
	const int64_t *seqs;
	int njobs, hit;
	/* read_job, read_jobs: the reasons read last, shared by the joblets that have them;
	 * released by loader_take_job and loader_end_jobs. */
	struct rstr_cache reasons;
	char row[96];			/* the row being read, for messages: "job 12" */
	char why[600];			/* what is wrong with it */
};
typedef int (*row_fn)(struct loader *l, const struct row_src *r);	/* 0, or -1 with l->why */

/* A table's recovery query (valid SQL for SQLite and PostgreSQL alike) and its rows. */
struct load_query {
	const char *table, *sql;
	row_fn fn;
};
/* What `load` reads, in order: jobs before the joblets and attempts checked against them.
 * With history out of memory (history_before, the scheduler's load_history_before, is not
 * INT64_MIN), jobs, joblets and attempts in full only for the jobs memory keeps, then for
 * the other finished jobs what the scheduler derives from them: their final states and
 * counts, their learned-requirement samples. Of the jobs in full, the attempts of final
 * joblets none of whose attempts runs or was lost are not read: such a joblet's count of
 * attempts comes with its row, their learned-requirement samples by their own query, and
 * the newest attempt id from the table. The floor of the next job number, always. */
enum { LOAD_SCHED_MAX = 12 };
struct load_sched_sql {
	char *sql[LOAD_SCHED_MAX];	/* owned */
	struct load_query q[LOAD_SCHED_MAX];
	size_t n;
};
void load_sched_queries(struct load_sched_sql *q, int64_t history_before);
void load_sched_queries_free(struct load_sched_sql *q);
extern const struct load_query load_defs_query;
extern const struct load_query load_net_queries[2];
extern const struct load_query load_auth_queries[2];
/* read_job's queries of job seq (jobs, joblets, attempts), run with a loader whose s is
 * NULL; then loader_take_job hands over the job (NULL when it has no row), made whole:
 * its counts and state derived from its joblets. */
struct read_job_sql {
	char *sql[3];			/* owned */
	struct load_query q[3];
	int n;				/* queries to run, in order */
};
void read_job_queries(struct read_job_sql *q, int64_t seq);
void read_job_queries_free(struct read_job_sql *q);
struct job *loader_take_job(struct loader *l);	/* the caller owns it: job_free */
/* read_jobs's queries of jobs seqs[0..n) (jobs, joblets: the same rows as read_job's, no
 * attempts), run with a loader whose jobs, seqs and njobs are set; then loader_end_jobs
 * makes each job read whole (rc 0) or frees them all (else). */
void read_jobs_queries(struct read_job_sql *q, const int64_t *seqs, int n);
void loader_end_jobs(struct loader *l, int rc);
/* read_attempts's query: the attempts of joblets idx[0..n) of job seq, for a loader whose
 * page is set. Returns q->sql, malloc'd: the caller frees it. */
char *read_attempts_query(struct load_query *q, int64_t seq, const int32_t *idx, int32_t n);
#define STORE_ATTEMPTS_PAGE_MAX 1000	/* joblets one read_attempts may name */

/* The SQL of list_jobs (malloc'd): a page of the seqs of finished jobs matching f after the
 * cursor, and the count of those beyond a seq (at most cap). The filter's texts are
 * parameters $1.. in params[] (borrowed from f, at most 3), *nparams of them; contains is
 * the backend's substring function (SQLite instr, PostgreSQL strpos). */
char *list_jobs_sql(const struct job_filter *f, int64_t after, bool desc, int limit,
		    const char *contains, const char **params, int *nparams);
char *count_jobs_sql(const struct job_filter *f, int64_t after, bool desc, int64_t cap,
		     const char *contains, const char **params, int *nparams);

/* The SQL of ended_attempts (malloc'd): seq, started_at, ended_at, state, the job's owner
 * and idx of the attempts that ended in [from, to). */
char *ended_attempts_sql(int64_t from, int64_t to);

/* Network runs read back for `plan`; the caller's query selects (id, run, NULL). */
int load_net_row(struct loader *l, const struct row_src *r);

/* A backend's two steps of reading output (see store-sqlite.c): the next page of keys
 * after the cursor into c->keys (-1 on an error), and one row's data by id. */
typedef int (*output_keys_fn)(void *backend, struct output_cursor *c);
typedef int (*output_row_fn)(void *backend, int64_t id, store_output_cb cb, void *arg);
/* The read_output of store_vt over those two steps. */
int store_read_pages(void *backend, output_keys_fn keys, output_row_fn row,
		     struct output_cursor *c, size_t max_bytes, store_output_cb cb, void *arg);

#define STORE_JOBLETS_MAX 1000000	/* ten times what any request may ask for */
#endif
