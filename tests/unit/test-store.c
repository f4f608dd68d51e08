/* The SQLite store with a real file: batches committed by the writer thread come back in
 * order, a second open rebuilds the same scheduler state, output is read back in order,
 * a store with a newer schema is refused, and a store written by every earlier schema
 * version (tests/unit/data/schema-N.sql) upgrades with every row. */
#include "base/intern.h"
#include "base/xalloc.h"
#include "core/opts.h"
#include "core/sched.h"
#include "store/migrations.h"
#include "store/store.h"
#include "store/store-load.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <sqlite3.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char dir[256];

static void setup(void)
{
	snprintf(dir, sizeof dir, "/tmp/jg-test-store.XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
	evthread_use_pthreads();
}

static void teardown(void)
{
	char cmd[300];
	snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
	cr_assert_eq(system(cmd), 0);
	intern_free_all();
}

/* ---- a scheduler whose hooks write records into one batch -------------------------- */

static struct store_batch *cur;

static void on_job(void *ctx, struct job *j, bool created)
{
	store_add_job(cur, j, created);
}
/* Records borrow a job's cmd until committed: removed jobs are freed after the commit,
 * as the server's graveyard does. */
static struct job *graveyard[8];
static int ngrave;

static void on_removed(void *ctx, struct job *j)
{
	store_batch_add(cur, REC_JOB_DEL)->u.job.seq = j->seq;
	graveyard[ngrave++] = j;
}
static void on_joblet(void *ctx, struct joblet *jl)
{
	store_add_joblet(cur, jl);
}
static void on_attempt(void *ctx, struct attempt *a)
{
	store_add_attempt(cur, a);
}
static void on_event(void *ctx, int ev, struct job *j, struct joblet *jl, struct attempt *a) {}
static void on_lost(void *ctx, struct worker *w) {}
static void on_limit(void *ctx, const struct limit_group *g)
{
	struct rec_limit *r = &store_batch_add(cur, REC_LIMIT)->u.limit;
	r->name = g->name;
	r->limit = g->limit;
}

static const struct sched_hooks hooks = {NULL, on_job, on_removed, on_joblet, on_attempt,
					 on_event, on_lost, on_limit};

static struct job_spec spec(const char *cmd, int prio)
{
	struct job_spec s = {.owner = "alice", .name = "t", .group = "g", .req_group = "",
			     .cwd = "/tmp", .cmd = cmd, .cores = 1, .njoblets = 1,
			     .lost_retries = 3, .priority = prio};
	return s;
}

/* A chunk of output into the open batch (the record owns a copy of text). */
static void add_output(int64_t attempt, int64_t seq, int64_t at, const char *text)
{
	struct rec_output *o = &store_batch_add(cur, REC_OUTPUT)->u.output;
	o->attempt = attempt;
	o->seq = seq;
	o->at = at;
	o->data = strdup(text);
	o->len = strlen(text);
}

/* ---- commit through the writer thread ------------------------------------------------ */

static int done_count;
static struct store_batch *done_order[8];

static void on_done(void *arg, struct store_batch *b)
{
	done_order[done_count++] = b;
	if (done_count == *(int *)arg)
		event_base_loopbreak(b->user);
}

static void commit_batches(struct store *st, struct store_batch **bs, int n)
{
	struct event_base *base = event_base_new();
	/* The store's wake-up event is only ever activated: keep the loop alive meanwhile. */
	struct event *keep = event_new(base, -1, EV_PERSIST, NULL, NULL);
	struct timeval tv = {60, 0};
	event_add(keep, &tv);
	done_count = 0;
	cr_assert_eq(st->vt->start(st, base, on_done, &n), 0);
	for (int i = 0; i < n; i++) {
		bs[i]->user = base;
		st->vt->submit(st, bs[i]);
	}
	event_base_dispatch(base);
	cr_assert_eq(done_count, n, "every batch handed back");
	for (int i = 0; i < n; i++)
		cr_assert_eq(done_order[i], bs[i], "batches come back in submission order");
	st->vt->close(st);
	event_free(keep);
	event_base_free(base);
}

static void idem_ignore(void *arg, const char *owner, const char *key, int32_t status,
			const char *body, int64_t at)
{
	int *n = arg;
	(*n)++;
	cr_assert_str_eq(owner, "alice");
	cr_assert_str_eq(key, "key-1");
	cr_assert_eq(status, 201);
	cr_assert_str_eq(body, "{\"ids\":[1]}");
}

/* Open the store in dir and load it into a fresh s, as every test starts. */
static struct store *open_loaded(struct sched *s)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	sched_init(s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, s, idem_ignore, &(int){0}, &err), 0, "load: %s",
		     err ? err : "");
	return st;
}

/* Commit one batch through the writer thread (which closes st), then free its records. */
static void commit_one(struct store *st, struct store_batch *b)
{
	struct store_batch *bs[] = {b};
	commit_batches(st, bs, 1);
	store_batch_clear(b);
	free(b->recs);
}

/* Commit batch b alone (emptying it), then open the store again. */
static struct store *commit_and_reopen(struct store *st, struct store_batch *b)
{
	char *err = NULL;
	commit_one(st, b);
	st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err);
	return st;
}

static void collect(void *arg, const struct output_row *row)
{
	char *buf = arg;
	strncat(buf, row->data, row->len);
	strcat(buf, "|");
	strcat(buf, row->node);
	strcat(buf, ";");
}

/* A job's whole output (rows up to the newest), read in slices of max_bytes; returns the
 * number of slices it took. */
static int read_text(struct store *st, int64_t seq, int32_t idx, size_t max_bytes, char *text)
{
	struct output_cursor c = {.seq = seq, .idx = idx, .hi = st->vt->output_last_id(st)};
	int rows, slices = 0;
	text[0] = '\0';
	while ((rows = st->vt->read_output(st, &c, max_bytes, collect, text)) > 0)
		slices++;
	cr_assert_eq(rows, 0, "the store reads without an error");
	return slices;
}

/* The attempts of joblet idx of j that the load left in the store, read as a page of
 * joblets reads them (the caller frees them: attempts_free). */
static struct joblet stored_attempts(struct store *st, struct job *j, int32_t idx)
{
	struct joblet page = {.job = j};
	char *err = NULL;
	cr_assert_eq(st->vt->read_attempts(st, j->seq, &idx, 1, &page, &err), 0, "%s",
		     err ? err : "");
	cr_assert_not_null(page.attempts, "job %lld joblet %d has attempts in the store",
			   (long long)j->seq, idx);
	return page;
}

Test(store, round_trip, .init = setup, .fini = teardown)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	struct sched s;
	sched_init(&s, &hooks, 30000);
	int nidem = 0;
	cr_assert_eq(st->vt->load(st, &s, idem_ignore, &nidem, &err), 0);
	cr_assert_eq(s.njobs, 0);

	struct store_batch b1 = {0}, b2 = {0};
	cur = &b1;
	struct job_spec a = spec("echo a", 1), b = spec("echo b", 9), c = spec("echo c", 5);
	b.cwd_default = true;	/* named no working directory */
	struct job *ja = sched_add(&s, &a, 1000);
	sched_add(&s, &b, 1001);
	sched_add(&s, &c, 1002);
	struct rec_idem *ri = &store_batch_add(cur, REC_IDEM)->u.idem;
	ri->owner = intern("alice");
	ri->key = strdup("key-1");
	ri->body = strdup("{\"ids\":[1]}");
	ri->status = 201;
	ri->at = 1000;

	cur = &b2;
	struct worker *w = sched_worker_add(&s, "melt", 4, 1000, 0, NULL, 0, NULL, 0, NULL,
					    &(size_t){0}, NULL, &(size_t){0}, 2000, 2000);
	struct attempt *got[4];
	cr_assert_eq(sched_reserve(&s, w, 4, 1000, 0, 2, got, 2000), 2);
	cr_assert_str_eq(got[0]->joblet->job->cmd, "echo b", "priority 9 first");
	struct finish f = {.attempt = got[0]->id, .has_exit = true, .exit_code = 0,
			   .wall_ms = 1234, .output_dropped = 5, .run_as = "alice"};
	cr_assert_eq(sched_finish(&s, w, &f, NULL, 2100), FINISH_APPLIED);
	add_output(got[1]->id, 0, 2070, "running\n");	/* still running: counted from its rows */
	add_output(got[0]->id, 0, 2050, "first\n");
	add_output(got[0]->id, 1, 2051, "second\n");
	/* A resent chunk is ignored by the unique (attempt, seq) index. */
	add_output(got[0]->id, 0, 2060, "first again\n");
	cr_assert_eq(sched_remove(&s, ja, false, 0, &(const char *){NULL}), 0, "a ready job can be removed");

	struct store_batch *bs[] = {&b1, &b2};
	commit_batches(st, bs, 2);
	while (ngrave > 0)
		job_free(graveyard[--ngrave]);
	store_batch_clear(&b1);
	store_batch_clear(&b2);
	free(b1.recs);
	free(b2.recs);
	sched_free(&s);

	/* Reopen: the same state comes back. */
	st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st);
	struct sched s2;
	sched_init(&s2, &hooks, 30000);
	nidem = 0;
	cr_assert_eq(st->vt->load(st, &s2, idem_ignore, &nidem, &err), 0);
	sched_load_done(&s2, 3000, 3000);
	cr_assert_eq(nidem, 1, "the idempotency key is back");
	cr_assert_eq(s2.njobs, 2, "two jobs (one removed)");
	cr_assert_null(sched_job(&s2, 1), "the removed job stays removed");
	struct job *jb = sched_job(&s2, 2);
	cr_assert_not_null(jb);
	cr_assert_eq(jb->state, JS_DONE);
	cr_assert_eq(jb->joblets[0].nattempts, 1);
	cr_assert_null(jb->joblets[0].attempts, "a final joblet's attempts stay in the store");
	cr_assert_eq(s2.load_stored, 1, "and are counted");
	struct joblet page = stored_attempts(st, jb, 0);
	cr_assert_eq(page.attempts->state, AS_DONE);
	cr_assert_str_eq(page.attempts->node, "melt");
	cr_assert_eq(page.attempts->wall_ms, 1234, "the worker's wall time is kept");
	cr_assert_eq(page.attempts->out_dropped, 5, "and what it dropped");
	cr_assert_str_eq(page.attempts->run_as, "alice", "and the account it ran as");
	attempts_free(page.attempts);
	cr_assert(jb->cwd_default, "a job that named no working directory still says so");
	struct job *jc = sched_job(&s2, 3);
	cr_assert(!jc->cwd_default, "one that named it too");
	cr_assert_null(jc->joblets[0].live->run_as, "a running attempt ran as no one known yet");
	cr_assert_eq(jc->state, JS_RUNNING, "the attempt still running is kept");
	cr_assert_not_null(jc->joblets[0].live);
	cr_assert(jc->joblets[0].live->worker->placeholder, "held by a placeholder");
	cr_assert_eq(jc->joblets[0].live->out_bytes, 8, "a running attempt's output is counted");
	cr_assert_eq(jc->joblets[0].live->wall_ms, -1, "a running attempt has no wall time yet");
	cr_assert_eq(s2.next_seq, 4, "seqs never repeat, even after a removal");
	cr_assert_eq(s2.next_attempt, 3);

	/* The resent chunk was ignored: the first text stands. */
	char text[256] = "";
	read_text(st, 2, -1, 1 << 20, text);
	cr_assert_str_eq(text, "first\n|melt;second\n|melt;");
	st->vt->close(st);
	sched_free(&s2);
}

Test(store, output_order_and_schema_version, .init = setup, .fini = teardown)
{
	char *err = NULL;
	struct sched s;
	struct store *st = open_loaded(&s);
	struct store_batch b = {0};
	cur = &b;
	struct job_spec a = spec("echo x", 0);
	sched_add(&s, &a, 1000);
	struct worker *w = sched_worker_add(&s, "freeze", 1, 0, 0, NULL, 0, NULL, 0, NULL,
					    &(size_t){0}, NULL, &(size_t){0}, 1000, 1000);
	struct attempt *got[1];
	cr_assert_eq(sched_reserve(&s, w, 1, 0, 0, 1, got, 1000), 1);
	const char *chunks[] = {"one\n", "two\n", "three\n"};
	for (int i = 2; i >= 0; i--) {	/* arrive out of order, stamped in order */
		add_output(got[0]->id, i, 5000 + i, chunks[i]);
	}
	st = commit_and_reopen(st, &b);
	char text[512] = "";
	cr_assert_eq(read_text(st, 1, -1, 1 << 20, text), 1, "one slice holds it all");
	cr_assert_str_eq(text, "one\n|freeze;two\n|freeze;three\n|freeze;", "time order with nodes");
	cr_assert_eq(read_text(st, 1, -1, 1, text), 3, "a slice of 1 byte is one row");
	cr_assert_str_eq(text, "one\n|freeze;two\n|freeze;three\n|freeze;", "sliced, the same");
	read_text(st, 1, 1, 1 << 20, text);
	cr_assert_str_eq(text, "", "joblet 1 does not exist: no rows");

	/* A follower's next range holds only what was committed since, stamped earlier or
	 * not. */
	struct output_cursor c = {.seq = 1, .idx = -1, .hi = st->vt->output_last_id(st)};
	while (st->vt->read_output(st, &c, 1 << 20, collect, text) > 0)
		;
	struct store_batch more = {0};
	cur = &more;
	add_output(got[0]->id, 100, 4000, "four\n");	/* stamped before the rows read */
	st = commit_and_reopen(st, &more);
	output_cursor_next(&c, c.hi, st->vt->output_last_id(st));
	text[0] = '\0';
	cr_assert_eq(st->vt->read_output(st, &c, 1 << 20, collect, text), 1);
	cr_assert_str_eq(text, "four\n|freeze;", "only the new row");
	cr_assert_eq(st->vt->read_output(st, &c, 1 << 20, collect, text), 0, "then nothing");
	st->vt->close(st);
	sched_free(&s);

	/* A newer schema than this binary knows is refused. */
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, "PRAGMA user_version=999", NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	err = NULL;
	cr_assert_null(store_sqlite_open(dir, &err));
	cr_assert_not_null(strstr(err, "newer"), "error says why: %s", err);
	free(err);
}

/* Scheduling options, limits and what attempts were given come back after a restart, and
 * the gates are rebuilt from them: a dependant still waits, a changed option stays changed. */
Test(store, options_and_gates_survive, .init = setup, .fini = teardown)
{
	struct sched s;
	struct store *st = open_loaded(&s);
	struct store_batch b = {0};
	cur = &b;
	struct opts_err oe;
	json_t *o = json_loads("{\"limits\": [\"db:3\"], \"dep_groups\": [\"g\"],"
			       " \"constraints\": {\"gpu\": \"a100\"}, \"timeslot\": \"Mon-Fri 08:00-18:00\"}",
			       0, NULL);
	struct job_spec a = spec("echo a", 0), d = spec("echo d", 0);
	cr_assert_eq(opts_read(o, "", 1000, &a.x, NULL, &oe), 0);
	json_decref(o);
	struct job *ja = sched_add(&s, &a, 1000);
	o = json_loads("{\"after_ok\": [1], \"after_groups\": [\"g\"]}", 0, NULL);
	cr_assert_eq(opts_read(o, "", 1000, &d.x, NULL, &oe), 0);
	json_decref(o);
	sched_add(&s, &d, 1000);
	/* A mod after creation must reach the store too. */
	struct job_spec mod = {.priority = -1, .cores = -1, .ram_mb = -1, .gpus = -1, .time_ms = -1,
			       .retries = -1, .lost_retries = -1, .retry_delay_ms = -1};
	o = json_loads("{\"avoid\": [\"n9\"], \"output_limit\": 4096}", 0, NULL);
	cr_assert_eq(opts_read(o, "", 1000, &mod.x, NULL, &oe), 0);
	json_decref(o);
	const char *why;
	cr_assert_eq(sched_modify(&s, ja, &mod, MOD_AVOID | MOD_OUTPUT_LIMIT, 1000, &why), 0);
	job_ext_free(mod.x);
	commit_one(st, &b);
	sched_free(&s);

	struct sched s2;
	struct store_batch again = {0};
	cur = &again;	/* re-evaluated gates write rows */
	st = open_loaded(&s2);
	sched_load_done(&s2, 2000, 2000);
	struct job *a2 = sched_job(&s2, 1), *d2 = sched_job(&s2, 2);
	cr_assert_not_null(a2->x);
	cr_assert_eq(a2->x->nlimits, 1);
	cr_assert_str_eq(a2->x->limits[0].name, "db");
	cr_assert_eq(sched_limit(&s2, "db", false)->limit, 3, "the limit it set");
	cr_assert_eq(a2->x->navoid, 1, "the mod was stored");
	cr_assert_str_eq(a2->x->avoid[0], "n9");
	cr_assert_eq(job_output_limit(a2), 4096, "the changed output limit was stored");
	cr_assert_eq(job_output_limit(d2), OUTPUT_LIMIT_DEFAULT, "a job without one has the default");
	cr_assert_not_null(a2->x->slot);
	cr_assert_eq(d2->state, JS_WAITING, "the dependant waits again after the restart");
	cr_assert_eq(d2->x->dep_pending, 2, "for job 1 and for group g");
	st->vt->close(st);
	store_batch_clear(&again);
	free(again.recs);
	sched_free(&s2);
}

/* One store per data directory: a second open is refused while the first is open and
 * names the holder; once the first closes, the directory is free again. */
Test(store, one_open_per_directory, .init = setup, .fini = teardown)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	cr_assert_null(store_sqlite_open(dir, &err), "a second open of the same directory");
	char pid[32];
	snprintf(pid, sizeof pid, "pid %ld on host ", (long)getpid());
	cr_assert_not_null(strstr(err, "in use by another process"), "says why: %s", err);
	cr_assert_not_null(strstr(err, pid), "names the holder: %s", err);
	cr_assert_not_null(strstr(err, dir), "names the directory: %s", err);
	free(err);
	st->vt->close(st);
	err = NULL;
	st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "free again after the close: %s", err ? err : "");
	st->vt->close(st);
}

/* ---- recovery refuses a store it cannot read whole ------------------------------------ */

/* The bytes of a file (malloc'd, *len set), or NULL when it does not exist. */
static char *file_bytes(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return NULL;
	fseek(f, 0, SEEK_END);
	long n = ftell(f);
	fseek(f, 0, SEEK_SET);
	char *b = malloc((size_t)n + 1);
	cr_assert_eq(fread(b, 1, (size_t)n, f), (size_t)n);
	fclose(f);
	*len = (size_t)n;
	return b;
}

static void put_file(const char *path, const char *b, size_t len)
{
	FILE *f = fopen(path, "wb");
	cr_assert_not_null(f);
	cr_assert_eq(fwrite(b, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

static void raw_sql(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	char *msg = NULL;
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, &msg), SQLITE_OK, "%s: %s", sql, msg);
	sqlite3_close(db);	/* the last connection: the change is checkpointed into the file */
}

static void def_ignore(void *arg, const struct store_def_row *row)
{
	(*(int *)arg)++;
}

static int net_ignore(void *arg, int64_t id, const char *run, const char *paused, char *why,
		      size_t whylen)
{
	(*(int *)arg)++;
	return 0;
}

/* A store holding a row in every table: job 1 with two joblets (one failed once, so it
 * has a joblet row and an attempt row), a limit, an idempotency key, a definition, a
 * network run and a paused definition. Closed, so the file holds everything. */
static void make_full_store(void)
{
	struct sched s;
	struct store *st = open_loaded(&s);
	struct store_batch b = {0};
	cur = &b;
	struct job_spec a = spec("echo a", 0);
	a.njoblets = 2;
	a.retries = 3;
	struct opts_err oe;
	json_t *o = json_loads("{\"limits\": [\"db:3\"]}", 0, NULL);
	cr_assert_eq(opts_read(o, "", 1000, &a.x, NULL, &oe), 0);
	json_decref(o);
	sched_add(&s, &a, 1000);
	struct worker *w = sched_worker_add(&s, "melt", 1, 1000, 0, NULL, 0, NULL, 0, NULL,
					    &(size_t){0}, NULL, &(size_t){0}, 2000, 2000);
	struct attempt *got[1];
	cr_assert_eq(sched_reserve(&s, w, 1, 1000, 0, 1, got, 2000), 1);
	struct finish f = {.attempt = got[0]->id, .has_exit = true, .exit_code = 3,
			   .fail_reason = FR_EXIT};
	cr_assert_eq(sched_finish(&s, w, &f, NULL, 2100), FINISH_APPLIED);
	struct rec_idem *ri = &store_batch_add(cur, REC_IDEM)->u.idem;
	ri->owner = intern("alice");
	ri->key = strdup("key-1");
	ri->body = strdup("{\"ids\":[1]}");
	ri->status = 201;
	ri->at = 1000;
	struct rec_def *rd = &store_batch_add(cur, REC_DEF)->u.def;
	rd->name = strdup("nightly");
	rd->file = strdup("nightly.yaml");
	rd->source = strdup("command: true\n");
	rd->owner = intern("alice");
	rd->version = 1;
	rd->deployed_at = 1000;
	struct rec_net *rn = &store_batch_add(cur, REC_NET_RUN)->u.net;
	rn->id = 1;
	rn->planned_at = 1000;
	rn->run = strdup("{\"id\":1,\"def\":\"nightly\",\"state\":0}");
	rn = &store_batch_add(cur, REC_NET_PAUSE)->u.net;
	rn->name = strdup("nightly");
	rn->paused = true;
	commit_one(st, &b);
	sched_free(&s);
}

/* Open and load everything the server loads; the error (malloc'd), or NULL. */
static char *load_all(void)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	if (st == NULL)
		return err;
	struct sched s;
	sched_init(&s, &hooks, 30000);
	int n = 0;
	if (st->vt->load(st, &s, idem_ignore, &n, &err) == 0 &&
	    st->vt->load_defs(st, def_ignore, &n, &err) == 0)
		st->vt->load_net(st, net_ignore, &n, &err);
	st->vt->close(st);
	sched_free(&s);
	return err;
}

/* The store as it is now must be refused: the load fails naming the store, the table and
 * says, and leaves the file and its WAL as they were. what labels the messages. */
static void expect_refused(const char *what, const char *table, const char *says)
{
	char path[300], wal[320];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	size_t before_len, after_len, wal_len = 0;
	char *before = file_bytes(path, &before_len);
	char *err = load_all();
	cr_assert_not_null(err, "%s: the load must fail", what);
	char want[400];
	snprintf(want, sizeof want, "store %s, table %s: ", path, table);
	cr_assert_not_null(strstr(err, want), "%s: names the store and table %s: %s", what, table,
			   err);
	cr_assert_not_null(strstr(err, says), "%s: says '%s': %s", what, says, err);
	char *after = file_bytes(path, &after_len);
	cr_assert(after_len == before_len && memcmp(before, after, before_len) == 0,
		  "%s: the refused store's file is unchanged", what);
	free(file_bytes(wal, &wal_len));
	cr_assert_eq(wal_len, 0, "%s: nothing was written to the WAL either", what);
	free(before);
	free(after);
	free(err);
}

struct damage {
	const char *sql;	/* run on the store before the load */
	const char *table;	/* the table the refusal must name */
	const char *says;	/* and what else it must say */
};

/* Every loader range-checks what it reads back and refuses a row that points at nothing;
 * each refusal names the store, the table and the row, and leaves the file as it was. */
Test(store, bad_rows_stop_recovery, .init = setup, .fini = teardown)
{
	static const struct damage cases[] = {
		{"UPDATE joblets SET state = 7", "joblets", "job 1 joblet 0: state is 7, not 0..6"},
		{"UPDATE joblets SET state = -1", "joblets", "state is -1, not 0..6"},
		{"UPDATE joblets SET errors = 70000", "joblets", "errors is 70000"},
		{"INSERT INTO joblets VALUES(1, 2, 3, 0, 0, 0, NULL)", "joblets",
		 "job 1 joblet 2: no such joblet"},
		{"INSERT INTO joblets VALUES(9, 0, 3, 0, 0, 0, NULL)", "joblets",
		 "job 9 joblet 0: no such joblet"},
		{"UPDATE attempts SET state = 5", "attempts", "state is 5, not 0..4"},
		{"UPDATE attempts SET fail_reason = 12", "attempts", "fail_reason is 12, not 0..11"},
		{"UPDATE attempts SET n = 0", "attempts", "n is 0"},
		/* Running: read whatever its joblet (the attempts of a final joblet, and those
		 * of no joblet, stay in the store: every read of them goes by a joblet). */
		{"UPDATE attempts SET seq = 9, state = 0", "attempts",
		 "attempt 1 (job 9 joblet 0): no such joblet"},
		{"UPDATE attempts SET worker = 'w-an-id-far-too-long-to-be-one'", "attempts",
		 "worker is longer than a worker id"},
		{"UPDATE jobs SET state = 7", "jobs", "job 1: state is 7, not 0..6"},
		{"UPDATE jobs SET flags = 8", "jobs", "flags is 8, not 0..7"},
		{"UPDATE jobs SET priority = 256", "jobs", "priority is 256, not 0..255"},
		{"UPDATE jobs SET retries = 65536", "jobs", "retries is 65536"},
		{"UPDATE jobs SET njoblets = -1", "jobs", "njoblets is -1"},
		{"UPDATE jobs SET cores = -2", "jobs", "cores is -2"},
		{"UPDATE jobs SET opts = '{\"limits\": 5}'", "jobs", "job 1 options"},
		{"UPDATE limits SET lim = -2", "limits", "limit 'db': lim is -2"},
		{"UPDATE idem SET status = 42", "idem", "status is 42, not 100..599"},
		{"UPDATE definitions SET active = 2", "definitions",
		 "definition 'nightly' version 1: active is 2, not 0..1"},
		{"UPDATE definitions SET version = 0", "definitions", "version is 0"},
		{"UPDATE net_runs SET id = -4", "net_runs", "run -4: id is -4"},
		{"UPDATE net_paused SET name = ''", "net_paused", "name is empty"},
	};
	make_full_store();
	char path[300], wal[320], shm[320];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	snprintf(wal, sizeof wal, "%s-wal", path);
	snprintf(shm, sizeof shm, "%s-shm", path);
	size_t pristine_len;
	char *pristine = file_bytes(path, &pristine_len);
	cr_assert_not_null(pristine);
	char *err = load_all();
	cr_assert_null(err, "the undamaged store loads: %s", err);
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		unlink(wal);
		unlink(shm);
		put_file(path, pristine, pristine_len);
		raw_sql(cases[i].sql);
		expect_refused(cases[i].sql, cases[i].table, cases[i].says);
	}
	free(pristine);
}

/* A page of the joblets table that cannot be read (its header byte damaged): the load
 * stops at the read error, names the store and the table, and changes nothing. */
Test(store, unreadable_page_stops_recovery, .init = setup, .fini = teardown)
{
	make_full_store();
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM"
					    " pragma_page_size) FROM sqlite_schema WHERE name = 'joblets'",
					-1, &q, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	long page = sqlite3_column_int(q, 0), page_size = sqlite3_column_int(q, 1);
	sqlite3_finalize(q);
	sqlite3_close(db);
	cr_assert_gt(page, 1);
	FILE *f = fopen(path, "r+b");
	cr_assert_not_null(f);
	cr_assert_eq(fseek(f, (page - 1) * page_size, SEEK_SET), 0);
	cr_assert_eq(fputc(0x00, f), 0x00, "no b-tree page has type 0");
	cr_assert_eq(fclose(f), 0);
	expect_refused("an unreadable joblets page", "joblets", "malformed");
}

/* A job without joblets (a script run that scheduled none) is stored and comes back: it
 * is not dropped, and its seq is not handed out again. */
Test(store, job_without_joblets_survives, .init = setup, .fini = teardown)
{
	struct sched s;
	struct store *st = open_loaded(&s);
	struct store_batch b = {0};
	cur = &b;
	struct job_spec a = spec("echo a", 0), e = spec("(script)", 0);
	e.njoblets = 0;
	sched_add(&s, &a, 1000);
	struct job *je = sched_add(&s, &e, 1000);
	cr_assert_eq(je->state, JS_DONE, "nothing to run: done at once");
	commit_one(st, &b);
	sched_free(&s);

	struct sched s2;
	st = open_loaded(&s2);
	sched_load_done(&s2, 3000, 3000);
	struct job *back = sched_job(&s2, 2);
	cr_assert_not_null(back, "the job without joblets is back");
	cr_assert_eq(back->njoblets, 0);
	cr_assert_eq(back->state, JS_DONE);
	cr_assert_eq(s2.next_seq, 3, "its seq is not handed out again");
	st->vt->close(st);
	sched_free(&s2);
}

static void def_row(void *arg, const struct store_def_row *row)
{
	char *out = arg;
	snprintf(out + strlen(out), 400 - strlen(out), "%s %d %s %s;", row->name, row->version,
		 row->source, row->scripts ? row->scripts : "-");
}

/* The one integer sql answers, read from the store file in dir. */
static int sql_int(const char *sql)
{
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_prepare_v2(db, sql, -1, &q, NULL), SQLITE_OK, "%s", sql);
	cr_assert_eq(sqlite3_step(q), SQLITE_ROW);
	int v = sqlite3_column_int(q, 0);
	sqlite3_finalize(q);
	sqlite3_close(db);
	return v;
}

/* A store in dir as schema version `version` left it (its migrations applied, none after),
 * holding rows (SQL run after them), closed: what an older jobgrid would leave behind. */
static void store_at_schema(int version, const char *rows)
{
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	for (int i = 0; i < version; i++)
		cr_assert_eq(sqlite3_exec(db, store_migrations[i], NULL, NULL, NULL), SQLITE_OK);
	char pragma[64];
	snprintf(pragma, sizeof pragma, "PRAGMA user_version=%d;", version);
	cr_assert_eq(sqlite3_exec(db, pragma, NULL, NULL, NULL), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, rows, NULL, NULL, NULL), SQLITE_OK, "%s", sqlite3_errmsg(db));
	sqlite3_close(db);
}

/* Migration 5 (a definition's script file) opens a store made by the version before it:
 * its definitions read back with no script file, and new versions keep theirs. */
Test(store, definitions_of_a_schema_4_store_gain_script_files, .init = setup, .fini = teardown)
{
	char *err = NULL, got[400] = "";
	store_at_schema(4, "INSERT INTO definitions VALUES('old', 1, 'old.yaml', 'command: x',"
			   " 'alice', 1000, 1)");
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err);
	struct sched s;
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, idem_ignore, &(int){0}, &err), 0);
	cr_assert_eq(st->vt->load_defs(st, def_row, got, &err), 0);
	cr_assert_str_eq(got, "old 1 command: x -;", "a row from before reads with no script file");
	struct store_batch b = {0};
	struct rec_def *r = &store_batch_add(&b, REC_DEF)->u.def;
	r->name = strdup("new");
	r->file = strdup("new.yaml");
	r->source = strdup("script: new.lua");
	r->scripts = strdup("{\"new.lua\":\"x = 1\"}");
	r->owner = "alice";
	r->version = 1;
	r->deployed_at = 2000;
	st = commit_and_reopen(st, &b);
	got[0] = '\0';
	cr_assert_eq(st->vt->load_defs(st, def_row, got, &err), 0);
	cr_assert_str_eq(got, "new 1 script: new.lua {\"new.lua\":\"x = 1\"};old 1 command: x -;");
	st->vt->close(st);
	sched_free(&s);
}

/* A load reads the attempts of a final joblet only when one of them was lost (or runs):
 * the others stay in the store, counted in the joblet's nattempts and s.load_stored, their
 * successful ones sampled for the learned requirements, and the next attempt id is past
 * them all. */
Test(store, load_leaves_final_attempts, .init = setup, .fini = teardown)
{
	store_at_schema(STORE_SCHEMA_VERSION,
		"INSERT INTO jobs VALUES(1,'alice','t','','rg','true','/tmp',NULL,1,0,0,0,0,1,3,0,0,3,4,"
		"1000,3000,NULL,NULL);"
		"INSERT INTO joblets VALUES(1,0,3,0,0,0,NULL);"
		"INSERT INTO joblets VALUES(1,1,4,1,1,0,NULL);"
		"INSERT INTO joblets VALUES(1,2,3,1,0,0,NULL);"
		"INSERT INTO attempts VALUES(1,1,0,1,'melt','w1',1,0,0,1000,1100,7,1,NULL,NULL,1,0,0,"
		"100,0,0,NULL);"
		"INSERT INTO attempts VALUES(2,1,1,1,'melt','w1',3,NULL,9,1000,1500,0,0,NULL,NULL,1,0,0,"
		"-1,0,0,NULL);"
		"INSERT INTO attempts VALUES(3,1,1,2,'melt','w1',2,1,1,1600,1700,0,0,NULL,NULL,1,0,0,"
		"100,0,0,NULL);"
		"INSERT INTO attempts VALUES(4,1,2,1,'melt','w1',2,1,1,1000,1100,0,0,NULL,NULL,1,0,0,"
		"100,0,0,NULL);"
		"INSERT INTO attempts VALUES(5,1,2,2,'melt','w1',1,0,0,2000,2900,9,1,NULL,NULL,1,0,0,"
		"900,0,0,NULL);");
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	struct sched s;
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, idem_ignore, &(int){0}, &err), 0, "%s", err ? err : "");
	sched_load_done(&s, 4000, 4000);
	const struct job *j = sched_job(&s, 1);
	cr_assert_null(j->joblets[0].attempts, "a done joblet's attempt stays in the store");
	cr_assert_eq(j->joblets[0].nattempts, 1);
	cr_assert_not_null(j->joblets[1].attempts, "a joblet with a lost attempt keeps its attempts");
	cr_assert_eq(j->joblets[1].attempts->next->n, 2);
	cr_assert_eq(j->joblets[1].nattempts, 2);
	cr_assert_null(j->joblets[2].attempts);
	cr_assert_eq(j->joblets[2].nattempts, 2, "a retry numbers new attempts after 2");
	cr_assert_eq(s.attempts.len, 2, "only the attempts read are in memory");
	cr_assert_eq(s.load_stored, 3, "the attempts left in the store");
	cr_assert_eq(s.next_attempt, 6, "ids go on after the newest stored one");
	const struct req_group *rg = sched_req_group(&s, "rg");
	cr_assert_not_null(rg, "the stored successful attempts are samples");
	cr_assert_eq(rg->n, 2, "both of them");
	st->vt->close(st);
	sched_free(&s);
}

/* Migration 6 on a store written before it (schema 5): an ended attempt's output is
 * counted once, a running one's at every load; neither has a wall time of its worker's, so
 * the server's times stand in. */
Test(store, migration_6_from_5, .init = setup, .fini = teardown)
{
	store_at_schema(5,
		"INSERT INTO jobs VALUES(1,'alice','t','','','echo','/tmp',NULL,1,0,0,0,0,0,3,0,0,1,3,"
		"1000,3000,NULL);"
		"INSERT INTO jobs VALUES(2,'alice','t','','','echo','/tmp',NULL,1,0,0,0,0,0,3,0,0,1,2,"
		"1000,0,NULL);"
		"INSERT INTO joblets VALUES(1,0,3,0,0,0,NULL);"
		"INSERT INTO joblets VALUES(2,0,2,0,0,0,NULL);"
		"INSERT INTO attempts VALUES(1,1,0,1,'melt','w1',1,0,0,1000,3000,1,1,NULL,NULL,1,0,0);"
		"INSERT INTO attempts VALUES(2,2,0,1,'melt','w1',0,NULL,0,2000,0,0,0,NULL,NULL,1,0,0);"
		"INSERT INTO output(attempt, seq, at, data) VALUES(1,0,1500,x'61620a');"
		"INSERT INTO output(attempt, seq, at, data) VALUES(1,1,1600,x'63640a');"
		"INSERT INTO output(attempt, seq, at, data) VALUES(2,0,2500,x'78797a0a');");

	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	struct sched s;
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, idem_ignore, &(int){0}, &err), 0);
	sched_load_done(&s, 4000, 4000);
	struct joblet page = stored_attempts(st, sched_job(&s, 1), 0);
	struct attempt *done = page.attempts;
	cr_assert_eq(done->out_bytes, 6, "the migration counted the ended attempt's output");
	cr_assert_eq(done->wall_ms, -1);
	cr_assert_eq(attempt_wall_ms(done, 9999), 2000, "ended − started stands in");
	struct attempt *live = sched_job(&s, 2)->joblets[0].live;
	cr_assert_not_null(live);
	cr_assert_eq(live->out_bytes, 4, "a running attempt's output, counted at load");
	char text[256];
	read_text(st, 1, -1, 1 << 20, text);
	cr_assert_str_eq(text, "ab\n|melt;cd\n|melt;", "rows from before read as they did");
	attempts_free(page.attempts);
	st->vt->close(st);
	sched_free(&s);
}

/* The submitter's environment: stored once however many jobs share it, back after a
 * restart; a job without one has none. */
Test(store, submit_env_shared_and_kept, .init = setup, .fini = teardown)
{
	struct sched s;
	struct store *st = open_loaded(&s);
	struct store_batch b = {0};
	cur = &b;
	const char *env1 = "{\"HOME\":\"/home/a\",\"V\":\"1\"}", *env2 = "{\"V\":\"2\"}";
	struct job_spec a = spec("echo a", 0), b2 = spec("echo b", 0), c = spec("echo c", 0),
			d = spec("echo d", 0);
	a.submit_env = env1;
	b2.submit_env = env1;
	c.submit_env = env2;
	struct job_spec *all[] = {&a, &b2, &c, &d};
	for (size_t i = 0; i < 4; i++)
		sched_add(&s, all[i], 1000);
	cr_assert_eq(sched_job(&s, 1)->submit_env, sched_job(&s, 2)->submit_env, "interned once");
	struct store_batch *bs[] = {&b};
	commit_batches(st, bs, 1);
	store_batch_clear(&b);
	free(b.recs);
	sched_free(&s);

	cr_assert_eq(sql_int("SELECT count(*) FROM envs"), 2, "one row per distinct environment");

	struct sched s2;
	st = open_loaded(&s2);
	cr_assert_str_eq(sched_job(&s2, 1)->submit_env, env1);
	cr_assert_str_eq(sched_job(&s2, 2)->submit_env, env1);
	cr_assert_str_eq(sched_job(&s2, 3)->submit_env, env2);
	cr_assert_null(sched_job(&s2, 4)->submit_env, "a job sent without one has none");
	st->vt->close(st);
	sched_free(&s2);
}

/* A store made before migration 7 (schema 6, no envs table) opens, gains it, and keeps
 * its jobs. */
Test(store, opens_a_store_from_before_submit_env, .init = setup, .fini = teardown)
{
	store_at_schema(6,
		"INSERT INTO jobs(seq, owner, name, grp, req_group, cmd, cwd, env, cores, ram_mb,"
		" gpus, time_ms, priority, retries, lost_retries, retry_delay_ms, flags, njoblets,"
		" state, created_at, ended_at) VALUES(1, 'alice', 'old', '', '', 'echo old', '/tmp',"
		" NULL, 1, 0, 0, 0, 0, 0, 3, 0, 0, 1, 1, 1000, 0)");
	struct sched s;
	struct store *st = open_loaded(&s);
	struct job *j = sched_job(&s, 1);
	cr_assert_not_null(j, "the old job is there");
	cr_assert_str_eq(j->cmd, "echo old");
	cr_assert_null(j->submit_env);
	st->vt->close(st);
	sched_free(&s);
}

/* ---- every earlier schema version upgrades ------------------------------------------- */

/* What recovery hands back of a store, as text: jobs, joblets, attempts and output, the
 * idempotency keys, limits, definitions and network rows, in a fixed order. */
struct seen {
	char text[8192];
};

static void seen_add(struct seen *w, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void seen_add(struct seen *w, const char *fmt, ...)
{
	size_t at = strlen(w->text);
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(w->text + at, sizeof w->text - at, fmt, ap);
	va_end(ap);
	cr_assert_lt(strlen(w->text) + 1, sizeof w->text, "the description fits");
}

static void seen_idem(void *arg, const char *owner, const char *key, int32_t status,
		      const char *body, int64_t at)
{
	seen_add(arg, "idem %s %s %d %lld %s", owner, key, status, (long long)at, body);
}

static void seen_def(void *arg, const struct store_def_row *row)
{
	seen_add(arg, "def %s %d %s %s %lld %s %s|%s\n", row->name, row->version, row->file,
		 row->owner, (long long)row->deployed_at, row->active ? "active" : "retired",
		 row->scripts ? row->scripts : "-", row->source);
}

static int seen_net(void *arg, int64_t id, const char *run, const char *paused, char *why,
		    size_t whylen)
{
	if (run)
		seen_add(arg, "run %lld %s\n", (long long)id, run);
	else
		seen_add(arg, "paused %s\n", paused);
	return 0;
}

static int seen_user(void *arg, const struct store_user_row *row, char *why, size_t whylen)
{
	seen_add(arg, "user %s %s %s %lld\n", row->name, row->role, row->hash[0] ? row->hash : "-",
		 (long long)row->created_at);
	return 0;
}

static int seen_token(void *arg, const struct store_token_row *row, char *why, size_t whylen)
{
	seen_add(arg, "token %lld %s %s %s %02x..%02x %lld %lld %lld\n", (long long)row->id,
		 row->name, row->owner, row->role, row->hash[0], row->hash[31],
		 (long long)row->created_at, (long long)row->expires_at, (long long)row->revoked_at);
	return 0;
}

static void seen_job(struct seen *w, struct store *st, const struct job *j)
{
	seen_add(w, "job %lld %s %s %s %s %s|%s|%s env=%s submit_env=%s", (long long)j->seq,
		 j->owner, j->name, j->group, j->req_group[0] ? j->req_group : "-", j->cwd, j->cmd,
		 jl_state_name(j->state), j->env ? j->env : "-", j->submit_env ? j->submit_env : "-");
	seen_add(w, " %d/%d/%d %lld prio %d retries %d/%d created %lld ended %lld joblets %d\n",
		 j->cores, j->ram_mb, j->gpus, (long long)j->time_ms, j->priority, j->retries,
		 j->lost_retries, (long long)j->created_at, (long long)j->ended_at, j->njoblets);
	for (int32_t i = 0; j->x && i < j->x->nlimits; i++)
		seen_add(w, "  limit %s\n", j->x->limits[i].name);
	for (int32_t i = 0; j->x && i < j->x->nconstraints; i++)
		seen_add(w, "  constraint %s=%s\n", j->x->ckey[i], j->x->cval[i]);
	for (int32_t i = 0; i < j->njoblets; i++) {
		const struct joblet *jl = &j->joblets[i];
		seen_add(w, "  joblet %d %s errors %d reason %s\n", i, jl_state_name(jl->state),
			 jl->errors, jl->reason ? jl->reason->text : "-");
		/* A final joblet's attempts the load left in the store: read as a page reads
		 * them. */
		struct joblet page = {.job = (struct job *)j};
		const struct attempt *held = jl->attempts;
		if (held == NULL && jl->nattempts > 0) {
			char *err = NULL;
			cr_assert_eq(st->vt->read_attempts(st, j->seq, &i, 1, &page, &err), 0, "%s",
				     err ? err : "");
			held = page.attempts;
			cr_assert_eq(page.nattempts, jl->nattempts, "joblet %d: its count of attempts",
				     i);
		}
		for (const struct attempt *a = held; a; a = a->next)
			seen_add(w, "    attempt %lld #%d %s %s state %d exit %d reason %d %lld..%lld"
				 " ram %d cpu %lld given %d/%d/%d wall %lld output %lld/%lld as %s %s\n",
				 (long long)a->id, a->n, a->node, a->worker_id, a->state,
				 a->has_exit ? a->exit_code : -999, a->fail_reason,
				 (long long)a->started_at, (long long)a->ended_at, a->peak_ram_mb,
				 (long long)a->cpu_ms, a->cores, a->ram_mb, a->gpus,
				 (long long)a->wall_ms, (long long)a->out_bytes,
				 (long long)a->out_dropped, a->run_as ? a->run_as : "-",
				 a->message ? a->message : "-");
		attempts_free(page.attempts);
	}
	char text[256];
	read_text(st, j->seq, -1, 1 << 20, text);
	seen_add(w, "  output %s\n", text);
}

/* Open the store in dir (upgrading it), load everything recovery loads, describe it. */
static void load_seen(struct seen *w, int64_t njobs)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	struct sched s;
	struct store_batch b = {0};
	cur = &b;
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, seen_idem, w, &err), 0, "load: %s", err ? err : "");
	seen_add(w, "\n");
	cr_assert_eq(st->vt->load_defs(st, seen_def, w, &err), 0, "%s", err ? err : "");
	cr_assert_eq(st->vt->load_net(st, seen_net, w, &err), 0, "%s", err ? err : "");
	cr_assert_eq(st->vt->load_auth(st, seen_user, seen_token, w, &err), 0, "%s", err ? err : "");
	sched_load_done(&s, 1795413700000, 1000);
	cr_assert_eq(s.njobs, njobs);
	for (int64_t seq = 1; seq <= njobs; seq++) {
		struct job *j = sched_job(&s, seq);
		cr_assert_not_null(j, "job %lld is there", (long long)seq);
		seen_job(w, st, j);
	}
	struct limit_group *g = sched_limit(&s, intern("db"), false);
	seen_add(w, "limit db %d\n", g ? g->limit : -999);
	st->vt->close(st);
	sched_free(&s);
	store_batch_clear(&b);
	free(b.recs);
}

/* What the rows of tests/unit/data/schema-V.sql must read back as once upgraded: the
 * same in every version, but for what that version could not store yet. */
static void expected_seen(struct seen *w, int v)
{
	static const char nightly[] = "schedule: {start_times: [\"23:00\"]}\n";
	static const char g[] = "given 1/0/0";	/* before schema 2: the job's, at load */
	seen_add(w, "idem alice key-1 201 1795413600000 {\"ids\":[\"alice.hello.1\"],\"seqs\":[1],"
		 "\"duplicates\":[]}\nidem bob key-2 201 1795413602000 {\"ids\":[\"bob.waiting.3\"],"
		 "\"seqs\":[3],\"duplicates\":[]}\n\n");
	if (v >= 5)
		seen_add(w, "def chunks 1 defs/chunks.yaml alice 1795413600600 active"
			 " {\"chunks.lua\":\"function job_started(job) end\\n\"}|name: chunks\n"
			 "command: echo\nscript: chunks.lua\n\n");
	if (v >= 3)
		seen_add(w, "def gone 1 defs/gone.yaml alice 1795413600000 retired -|name: gone\n"
			 "command: \"true\"\n\ndef nightly 1 defs/nightly.yaml alice 1795413600000"
			 " active -|name: nightly\ncommand: echo nightly\n%s\ndef nightly 2"
			 " defs/nightly.yaml bob 1795413600500 active -|name: nightly\n"
			 "command: echo nightly v2\n%s\n", nightly, nightly);
	if (v >= 4)
		seen_add(w, "run 1 {\"id\":1,\"def\":\"nightly\",\"period_start\":1795392000000,"
			 "\"period_end\":1795478400000,\"planned_at\":1795474800000,\"started_at\":0,"
			 "\"ended_at\":0,\"state\":0,\"origin\":0,\"deps_ok\":false,\"check\":false,"
			 "\"job\":0,\"reason\":\"planned for its start time\",\"over\":{\"mode\":0,"
			 "\"repeat\":0,\"pred_force\":0,\"succ_force\":0}}\npaused gone\n");
	if (v >= 9)
		seen_add(w, "user alice admin $argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHRzb21lc2FsdA"
			 "$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g 1795413600000\n"
			 "user bob user - 1795413601000\n"
			 "token 1 admin admin admin 01..01 1795413600000 0 0\n"
			 "token 2 ci bob user 02..02 1795413601000 1795500000000 1795413602000\n"
			 "token 3 melt melt worker 03..03 1795413602000 0 0\n");
	const char *senv = v >= 7 ? "{\"HOME\":\"/home/alice\",\"LANG\":\"C.UTF-8\"}" : "-";
	seen_add(w, "job 1 alice hello reports - /home/alice|sh -c 'echo hello; echo world'|done"
		 " env={\"GREETING\":\"hi\"} submit_env=%s 1/0/0 0 prio 5 retries 0/3 created"
		 " 1795413600000 ended 1795413600200 joblets 1\n", senv);
	if (v >= 2)
		seen_add(w, "  limit db\n");
	seen_add(w, "  joblet 0 done errors 0 reason -\n"
		 "    attempt 1 #1 melt w2de22a63 state 1 exit 0 reason 0 1795413600050..1795413600180"
		 " ram 1 cpu 13 %s wall %d output 12/0 as %s -\n"
		 "  output hello\n|melt;world\n|melt;\n", g, v >= 6 ? 101 : -1,
		 v >= 8 ? "alice" : "-");
	seen_add(w, "job 2 alice failing  - /tmp|sh -c 'echo oops >&2; exit 3'|failed env=-"
		 " submit_env=%s 1/0/0 0 prio 0 retries 1/3 created 1795413601000 ended"
		 " 1795413601400 joblets 1\n  joblet 0 failed errors 1 reason exit code 3\n"
		 "    attempt 2 #1 melt w2de22a63 state 2 exit 3 reason 1 1795413601050..1795413601110"
		 " ram 1 cpu 10 %s wall %d output 5/0 as - -\n"
		 "    attempt 3 #2 melt w2de22a63 state 2 exit 3 reason 1 1795413601200..1795413601290"
		 " ram 1 cpu 10 %s wall %d output 5/0 as - retried once\n"
		 "  output oops\n|melt;oops\n|melt;\n", senv, g, v >= 6 ? 58 : -1, g,
		 v >= 6 ? 85 : -1);
	seen_add(w, "job 3 bob waiting  big /tmp|true|ready env=- submit_env=- 2/512/0 60000 prio 0"
		 " retries 0/3 created 1795413602000 ended 0 joblets 2\n");
	if (v >= 2)
		seen_add(w, "  constraint node=nowhere\n");
	seen_add(w, "  joblet 0 ready errors 0 reason -\n  joblet 1 ready errors 0 reason -\n"
		 "  output \nlimit db %d\n", v >= 2 ? 2 : -999);
}

static char *read_fixture(int version)
{
	char path[512];
	snprintf(path, sizeof path, "%s/tests/unit/data/schema-%d.sql", SOURCE_DIR, version);
	size_t len;
	char *sql = file_bytes(path, &len);	/* it has room for the NUL */
	cr_assert_not_null(sql, "fixture %s", path);
	sql[len] = '\0';
	return sql;
}

/* A store written by every schema version, 1 to the current one (a fixture each, holding a
 * row in every table that version had), opens, upgrades to the current schema and reads
 * back every row; the upgraded store then takes the current version's writes. */
ParameterizedTestParameters(store, schema_upgrades)
{
	static int versions[STORE_SCHEMA_VERSION];
	for (int i = 0; i < STORE_SCHEMA_VERSION; i++)
		versions[i] = i + 1;
	return cr_make_param_array(int, versions, STORE_SCHEMA_VERSION);
}

ParameterizedTest(int *version, store, schema_upgrades, .init = setup, .fini = teardown)
{
	int v = *version;
	char *rows = read_fixture(v);
	store_at_schema(v, rows);
	free(rows);
	struct seen got = {""}, want = {""};
	load_seen(&got, 3);
	expected_seen(&want, v);
	cr_assert_str_eq(got.text, want.text, "schema %d, upgraded:\n%s\nwant:\n%s", v, got.text,
			 want.text);
	cr_assert_eq(sql_int("PRAGMA user_version"), STORE_SCHEMA_VERSION, "schema %d: upgraded to the current", v);

	/* The current version's writes on the upgraded store: a new job with an environment. */
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err ? err : "");
	struct sched s;
	struct store_batch b = {0};
	struct seen scratch = {""};
	cur = &b;
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, seen_idem, &scratch, &err), 0, "%s", err ? err : "");
	struct job_spec js = spec("echo new", 1);
	js.submit_env = intern("{\"HOME\":\"/home/alice\",\"LANG\":\"C.UTF-8\"}");
	sched_add(&s, &js, 1795413700000);
	commit_one(st, &b);
	sched_free(&s);
	struct seen again = {""};
	load_seen(&again, 4);
	cr_assert_not_null(strstr(again.text, "job 4 alice t g - /tmp|echo new|ready env=- submit_env="
					      "{\"HOME\":\"/home/alice\",\"LANG\":\"C.UTF-8\"}"),
			   "schema %d: the new job reads back: %s", v, again.text);
	const char *limit_line = strstr(got.text, "\nlimit db ");	/* after the jobs */
	cr_assert_not_null(limit_line);
	cr_assert_eq(strncmp(again.text, got.text, (size_t)(limit_line - got.text)), 0,
		     "schema %d: the old rows read back as before the write:\n%s", v, again.text);
}

/* Users and tokens (migration 9) on a store made by the version before it (schema 8): the
 * tables appear, and a user, a replaced user, a deleted user and a revoked token are
 * written and read back; the token's hash is kept, never its text. */
Test(store, users_and_tokens_on_a_store_from_before_them, .init = setup, .fini = teardown)
{
	char *rows = read_fixture(8);
	store_at_schema(8, rows);
	free(rows);
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err ? err : "");
	struct store_batch b = {0};
	struct rec_user *u = &store_batch_add(&b, REC_USER)->u.user;
	*u = (struct rec_user){intern("carol"), "user", xstrdup("$argon2id$old"), 1795413700000};
	u = &store_batch_add(&b, REC_USER)->u.user;
	*u = (struct rec_user){intern("carol"), "admin", xstrdup("$argon2id$new"), 1795413700000};
	u = &store_batch_add(&b, REC_USER)->u.user;
	*u = (struct rec_user){intern("dave"), "user", xstrdup(""), 1795413700001};
	store_batch_add(&b, REC_USER_DEL)->u.user.name = intern("dave");
	struct rec_token *k = &store_batch_add(&b, REC_TOKEN)->u.token;
	*k = (struct rec_token){.id = 7, .created_at = 1795413700000, .name = intern("login"),
				.owner = intern("carol"), .role = "admin"};
	memset(k->hash, 0xab, sizeof k->hash);
	k = &store_batch_add(&b, REC_TOKEN)->u.token;	/* its revocation rewrites the row */
	*k = (struct rec_token){.id = 7, .created_at = 1795413700000, .revoked_at = 1795413800000,
				.name = intern("login"), .owner = intern("carol"), .role = "admin"};
	memset(k->hash, 0xab, sizeof k->hash);
	st = commit_and_reopen(st, &b);
	struct seen got = {""};
	cr_assert_eq(st->vt->load_auth(st, seen_user, seen_token, &got, &err), 0, "%s", err ? err : "");
	cr_assert_str_eq(got.text, "user carol admin $argon2id$new 1795413700000\n"
			 "token 7 login carol admin ab..ab 1795413700000 0 1795413800000\n");
	st->vt->close(st);
}

/* The joblets of a cancel share one copy of its reason, in memory, as loaded at start and
 * as read back (read_job, read_jobs): a big job cancelled is not a copy of the text per
 * joblet. */
Test(store, a_cancels_joblets_share_their_reason, .init = setup, .fini = teardown)
{
	enum { N = 2000 };
	struct sched s;
	struct store_batch b = {0};
	char *err = NULL;
	cur = &b;
	struct store *st = open_loaded(&s);
	sched_load_done(&s, 1000, 1000);
	struct job_spec sp = spec("true", 0);
	sp.njoblets = N;
	struct job *j = sched_add(&s, &sp, 1000);
	sched_cancel(&s, j, 2000);
	struct rstr *r = j->joblets[0].reason;
	cr_assert_str_eq(rstr_text(r), "cancelled by the user");
	for (int32_t i = 1; i < N; i++)
		cr_assert_eq(j->joblets[i].reason, r, "joblet %d", i);
	cr_assert_eq(r->refs, N + 1, "its joblets and the scheduler's last reasons");
	commit_one(st, &b);
	b = (struct store_batch){0};
	sched_free(&s);

	st = open_loaded(&s);
	sched_load_done(&s, 3000, 3000);
	j = sched_job(&s, 1);
	cr_assert_not_null(j);
	r = j->joblets[0].reason;
	cr_assert_str_eq(rstr_text(r), "cancelled by the user");
	for (int32_t i = 1; i < N; i++)
		cr_assert_eq(j->joblets[i].reason, r, "loaded joblet %d", i);
	cr_assert_eq(r->refs, N + 1);
	struct job *one = NULL, *many[1] = {NULL};
	cr_assert_eq(st->vt->read_job(st, 1, &one, &err), 0, "%s", err ? err : "");
	cr_assert_eq(st->vt->read_jobs(st, &(int64_t){1}, 1, many, &err), 0, "%s", err ? err : "");
	for (struct job **k = (struct job *[]){one, many[0]}, **end = k + 2; k < end; k++) {
		r = (*k)->joblets[0].reason;
		cr_assert_str_eq(rstr_text(r), "cancelled by the user");
		for (int32_t i = 1; i < N; i++)
			cr_assert_eq((*k)->joblets[i].reason, r, "read back joblet %d", i);
		cr_assert_eq(r->refs, N, "its joblets alone: the reader let go of it");
		job_free(*k);
	}
	st->vt->close(st);
	sched_free(&s);
	store_batch_clear(&b);
	free(b.recs);
}

/* ---- history on demand: read_job and list_jobs ---------------------------------------- */

/* read_job rebuilds each job of a store as load does (the same rows, decoded by the same
 * code): described alike, field by field, attempts and reasons included; a seq with no
 * row reads back as none. */
Test(store, read_job_as_load_reads_it, .init = setup, .fini = teardown)
{
	char *rows = read_fixture(STORE_SCHEMA_VERSION);
	store_at_schema(STORE_SCHEMA_VERSION, rows);
	free(rows);
	struct sched s;
	struct store_batch b = {0};
	struct seen idem = {""};
	char *err = NULL;
	cur = &b;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	sched_init(&s, &hooks, 30000);
	cr_assert_eq(st->vt->load(st, &s, seen_idem, &idem, &err), 0, "%s", err ? err : "");
	sched_load_done(&s, 1795413700000, 1000);
	for (int64_t seq = 1; seq <= 3; seq++) {
		struct seen loaded = {""}, read = {""};
		seen_job(&loaded, st, sched_job(&s, seq));
		struct job *j = NULL;
		cr_assert_eq(st->vt->read_job(st, seq, &j, &err), 0, "%s", err ? err : "");
		cr_assert_not_null(j, "job %lld read back", (long long)seq);
		seen_job(&read, st, j);
		cr_assert_str_eq(read.text, loaded.text, "job %lld", (long long)seq);
		cr_assert_eq(j->state, sched_job(&s, seq)->state);
		cr_assert_eq(j->started, sched_job(&s, seq)->started);
		job_free(j);
	}
	struct job *none = (struct job *)1;
	cr_assert_eq(st->vt->read_job(st, 99, &none, &err), 0);
	cr_assert_null(none, "no row, no job");
	st->vt->close(st);
	sched_free(&s);
	store_batch_clear(&b);
	free(b.recs);
}

/* read_jobs reads a list of jobs as read_job reads each, without their attempts: seqs in
 * any order, one with no row reading back as none. */
Test(store, read_jobs_as_read_job_reads_each, .init = setup, .fini = teardown)
{
	char *rows = read_fixture(STORE_SCHEMA_VERSION);
	store_at_schema(STORE_SCHEMA_VERSION, rows);
	free(rows);
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "open: %s", err ? err : "");
	const int64_t seqs[] = {3, 99, 1, 2};
	struct job *got[4] = {(struct job *)1, (struct job *)1, (struct job *)1, (struct job *)1};
	cr_assert_eq(st->vt->read_jobs(st, seqs, 4, got, &err), 0, "%s", err ? err : "");
	cr_assert_null(got[1], "no row, no job");
	for (int k = 0; k < 4; k++) {
		if (k == 1)
			continue;
		struct job *one = NULL;
		cr_assert_eq(st->vt->read_job(st, seqs[k], &one, &err), 0, "%s", err ? err : "");
		cr_assert_not_null(got[k], "job %lld read back", (long long)seqs[k]);
		for (int32_t i = 0; i < one->njoblets; i++) {
			attempts_free(one->joblets[i].attempts);
			one->joblets[i].attempts = NULL;
			one->joblets[i].nattempts = 0;
		}
		struct seen each = {""}, batch = {""};
		seen_job(&each, st, one);
		seen_job(&batch, st, got[k]);
		cr_assert_str_eq(batch.text, each.text, "job %lld", (long long)seqs[k]);
		cr_assert_eq(got[k]->state, one->state);
		cr_assert_eq(memcmp(got[k]->counts, one->counts, sizeof one->counts), 0);
		job_free(one);
		job_free(got[k]);
	}
	st->vt->close(st);
}

enum { HIST = 20000 };

/* HIST jobs as rows: seq i is owned by u(i%3), in group g(i%4), named n(i%5), and finished
 * done, failed (every 7th), cancelled (every 11th), with every 13th still waiting. */
static void make_history(void)
{
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err ? err : "");
	st->vt->close(st);
	char sql[1400];
	snprintf(sql, sizeof sql,
		 "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < %d)"
		 " INSERT INTO jobs(seq, owner, name, grp, req_group, cmd, cwd, cores, ram_mb, gpus,"
		 " time_ms, priority, retries, lost_retries, retry_delay_ms, flags, njoblets, state,"
		 " created_at, ended_at) SELECT i, 'u' || (i %% 3), 'n' || (i %% 5), 'g' || (i %% 4),"
		 " '', 'true', '/tmp', 1, 0, 0, 0, 0, 0, 3, 0, 0, 0,"
		 " CASE WHEN i %% 13 = 0 THEN 0 WHEN i %% 7 = 0 THEN 4 WHEN i %% 11 = 0 THEN 5"
		 " ELSE 3 END, i, i FROM n; ANALYZE;", HIST);
	raw_sql(sql);
}

/* Does seq match f, as make_history made it? */
static bool history_match(int64_t i, const struct job_filter *f)
{
	int st = i % 13 == 0 ? 0 : i % 7 == 0 ? 4 : i % 11 == 0 ? 5 : 3;
	char owner[8], group[8], name[8];
	snprintf(owner, sizeof owner, "u%d", (int)(i % 3));
	snprintf(group, sizeof group, "g%d", (int)(i % 4));
	snprintf(name, sizeof name, "n%d", (int)(i % 5));
	return st >= JS_DONE && (f->state < 0 || st == f->state) &&
	       (!f->owner || strcmp(owner, f->owner) == 0) &&
	       (!f->group || strcmp(group, f->group) == 0) && (!f->name || strstr(name, f->name));
}

/* Walk every page of f in one direction and check each against the rows. */
static void check_pages(struct store *st, const struct job_filter *f, bool desc, int page)
{
	int64_t want[HIST], nwant = 0;
	for (int64_t i = desc ? HIST : 1; desc ? i >= 1 : i <= HIST; i += desc ? -1 : 1)
		if (history_match(i, f))
			want[nwant++] = i;
	int64_t got[100], more = -1, at = 0, cursor = 0;
	char *err = NULL;
	int n;
	while ((n = st->vt->list_jobs(st, f, cursor, desc, got, page, &more, &err)) > 0) {
		for (int k = 0; k < n; k++)
			cr_assert_eq(got[k], want[at + k], "page at %lld, row %d", (long long)at, k);
		int64_t uncounted[100];	/* the same page without the count */
		cr_assert_eq(st->vt->list_jobs(st, f, cursor, desc, uncounted, page, NULL, &err), n);
		cr_assert_eq(memcmp(uncounted, got, (size_t)n * sizeof got[0]), 0, "page at %lld",
			     (long long)at);
		at += n;
		int64_t beyond = nwant - at < STORE_COUNT_CAP ? nwant - at : STORE_COUNT_CAP;
		cr_assert_eq(more, beyond, "more after %lld", (long long)at);
		cursor = got[n - 1];
	}
	cr_assert_eq(n, 0, "%s", err ? err : "");
	cr_assert_eq(at, nwant, "every match listed once (%lld of %lld)", (long long)at,
		     (long long)nwant);
}

/* list_jobs pages the finished jobs matching each filter and their combinations, in both
 * directions, the count beyond each page right (the same pages when not counted);
 * unfinished jobs are never listed (the scheduler holds them). */
Test(store, list_jobs_filters_and_pages, .init = setup, .fini = teardown)
{
	make_history();
	char *err = NULL;
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err ? err : "");
	const struct job_filter filters[] = {
		{-1, NULL, NULL, NULL}, {JS_FAILED, NULL, NULL, NULL}, {JS_DONE, NULL, NULL, NULL},
		{-1, "u1", NULL, NULL}, {JS_CANCELLED, "u2", NULL, NULL}, {-1, NULL, "g3", NULL},
		{JS_FAILED, NULL, "g0", NULL}, {-1, NULL, NULL, "4"}, {JS_DONE, "u0", "g2", "n"},
		{-1, "nobody", NULL, NULL}, {JS_WAITING, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof filters / sizeof filters[0]; i++) {
		check_pages(st, &filters[i], false, 100);
		check_pages(st, &filters[i], true, 97);
	}
	/* A name filter is a plain substring: LIKE's wildcards mean nothing there. */
	int64_t got[10], more;
	const struct job_filter pct = {-1, NULL, NULL, "%"};
	cr_assert_eq(st->vt->list_jobs(st, &pct, 0, false, got, 10, &more, &err), 0);
	st->vt->close(st);
}

/* The plan of a page: an index in seq order, never a sort of every match (what keeps a
 * page O(page) with a million finished jobs). */
static void expect_plan(sqlite3 *db, const struct job_filter *f, const char *index)
{
	const char *params[3];
	int np;
	char *sql = list_jobs_sql(f, 500, false, 100, "instr", params, &np);
	char *explain = xasprintf("EXPLAIN QUERY PLAN %s", sql);
	sqlite3_stmt *q;
	cr_assert_eq(sqlite3_prepare_v2(db, explain, -1, &q, NULL), SQLITE_OK, "%s", explain);
	for (int i = 0; i < np; i++)
		sqlite3_bind_text(q, i + 1, params[i], -1, SQLITE_STATIC);
	char plan[1000] = "";
	while (sqlite3_step(q) == SQLITE_ROW) {
		strncat(plan, (const char *)sqlite3_column_text(q, 3), sizeof plan - strlen(plan) - 2);
		strcat(plan, ";");
	}
	sqlite3_finalize(q);
	cr_assert_null(strstr(plan, "TEMP B-TREE"), "%s: sorted: %s", sql, plan);
	cr_assert_not_null(strstr(plan, index), "%s: %s, not %s", sql, plan, index);
	free(explain);
	free(sql);
}

Test(store, list_jobs_pages_come_from_an_index, .init = setup, .fini = teardown)
{
	make_history();
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	expect_plan(db, &(struct job_filter){JS_FAILED, NULL, NULL, NULL}, "jobs_state");
	expect_plan(db, &(struct job_filter){-1, "u1", NULL, NULL}, "jobs_owner");
	expect_plan(db, &(struct job_filter){JS_FAILED, "u1", NULL, NULL}, "jobs_owner_state");
	expect_plan(db, &(struct job_filter){-1, NULL, "g1", NULL}, "jobs_group");
	expect_plan(db, &(struct job_filter){JS_DONE, NULL, "g1", NULL}, "jobs_group_state");
	expect_plan(db, &(struct job_filter){-1, NULL, NULL, NULL}, "INTEGER PRIMARY KEY");
	sqlite3_close(db);
}

static void event_row(void *arg, int64_t id, const char *data)
{
	char *out = arg;
	snprintf(out + strlen(out), 600 - strlen(out), "%lld %s;", (long long)id,
		 data ? data : "gap");
}

static void add_event(struct store_batch *b, int64_t id, const char *data)
{
	struct rec_event *r = &store_batch_add(b, REC_EVENT)->u.event;
	r->id = id;
	r->data = data ? strdup(data) : NULL;
}

/* Migration 11: the events kept for resumed streams. A store from before it gets an
 * identity and no events; the fixture's read back by id range, a gap as NULL; new ones are
 * written with the batch, a prune deletes below an id, and a restored copy has another
 * identity (its ids must not pass for the original's). */
Test(store, kept_events_and_the_store_identity, .init = setup, .fini = teardown)
{
	char *err = NULL, got[600] = "";
	store_at_schema(10, "");
	struct store *st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err);
	struct store_events se = {0};
	cr_assert_eq(st->vt->load_events(st, &se, &err), 0, "%s", err ? err : "");
	cr_assert(se.epoch >= 100000000000000 && se.epoch < 1000000000000000,
		  "an identity of 15 digits: %lld", (long long)se.epoch);
	cr_assert(se.lo == 0 && se.hi == 0, "no events yet");
	st->vt->close(st);

	char *rows = read_fixture(11), cmd[400];
	snprintf(cmd, sizeof cmd, "rm -f %s/jobgrid.sqlite*", dir);
	cr_assert_eq(system(cmd), 0);
	store_at_schema(11, rows);
	free(rows);
	st = store_sqlite_open(dir, &err);
	cr_assert_not_null(st, "%s", err);
	cr_assert_eq(st->vt->load_events(st, &se, &err), 0);
	cr_assert_eq(se.epoch, 424242424242424);
	cr_assert(se.lo == 7 && se.hi == 9, "kept %lld..%lld", (long long)se.lo, (long long)se.hi);
	cr_assert(!se.hi_gap, "the newest is an event");
	cr_assert_eq(st->vt->read_events(st, 6, 9, 10, event_row, got), 3);
	cr_assert_str_eq(got, "7 {\"event\":\"job.submitted\",\"at\":\"2026-11-22T10:00:00.000Z\","
			 "\"job\":\"alice.hello.1\",\"seq\":1,\"owner\":\"alice\"};8 gap;9 {\"event\":"
			 "\"job.ended\",\"at\":\"2026-11-22T10:00:00.200Z\",\"job\":\"alice.hello.1\","
			 "\"seq\":1,\"owner\":\"alice\",\"state\":\"done\"};");
	got[0] = '\0';
	cr_assert_eq(st->vt->read_events(st, 7, 8, 10, event_row, got), 1, "upto bounds it");
	got[0] = '\0';
	cr_assert_eq(st->vt->read_events(st, 6, 9, 1, event_row, got), 1, "max bounds it");
	cr_assert_str_eq(got, "7 {\"event\":\"job.submitted\",\"at\":\"2026-11-22T10:00:00.000Z\","
			 "\"job\":\"alice.hello.1\",\"seq\":1,\"owner\":\"alice\"};");

	struct store_batch b = {0};
	add_event(&b, 10, "{\"event\":\"x\"}");
	add_event(&b, 11, NULL);
	store_batch_add(&b, REC_EVENT_PRUNE)->u.prune_before = 9;
	st = commit_and_reopen(st, &b);
	cr_assert_eq(st->vt->load_events(st, &se, &err), 0);
	cr_assert(se.lo == 9 && se.hi == 11, "kept %lld..%lld", (long long)se.lo, (long long)se.hi);
	cr_assert(se.hi_gap, "the newest is a gap");
	got[0] = '\0';
	cr_assert_eq(st->vt->read_events(st, 0, 100, 100, event_row, got), 3);
	cr_assert_not_null(strstr(got, "10 {\"event\":\"x\"};11 gap;"), "%s", got);
	st->vt->close(st);

	char copy[300], other[300];
	snprintf(copy, sizeof copy, "%s/copy.sqlite", dir);
	snprintf(other, sizeof other, "%s/restored", dir);
	char *sql = sqlite3_mprintf("VACUUM INTO %Q", copy);
	char path[300];
	snprintf(path, sizeof path, "%s/jobgrid.sqlite", dir);
	sqlite3 *db;
	cr_assert_eq(sqlite3_open(path, &db), SQLITE_OK);
	cr_assert_eq(sqlite3_exec(db, sql, NULL, NULL, NULL), SQLITE_OK);
	sqlite3_close(db);
	sqlite3_free(sql);
	struct store_restored rs;
	cr_assert_eq(store_sqlite_restore(copy, other, &rs, &err), 0, "%s", err ? err : "");
	st = store_sqlite_open(other, &err);
	cr_assert_not_null(st, "%s", err);
	struct store_events again = {0};
	cr_assert_eq(st->vt->load_events(st, &again, &err), 0);
	cr_assert_neq(again.epoch, se.epoch, "a restored store is another store");
	cr_assert(again.lo == 9 && again.hi == 11, "its events are kept");
	st->vt->close(st);
}
