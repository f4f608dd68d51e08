/* The PostgreSQL store's fence, against a real PostgreSQL: a fenced store commits while
 * its epoch holds the lease, and once another connection has taken the lease (a new
 * epoch) or it has expired, it commits nothing, hands its batches back failed and calls
 * lost. Uses the suite's cluster (JG_PG_STATE) or starts one (tests/helpers/pg.sh). */
#include "base/xalloc.h"
#include "store/store.h"
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char state[256], url[512];
static bool own_cluster;

/* tests/helpers/pg.sh VERB STATE [NAME], its first line of output into out. */
static void pg_sh(const char *verb, const char *name, char *out, size_t outlen)
{
	char cmd[1024];
	snprintf(cmd, sizeof cmd, "bash %s/tests/helpers/pg.sh %s %s %s", SOURCE_DIR, verb, state,
		 name);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	size_t n = out ? fread(out, 1, outlen - 1, p) : 0;
	if (out) {
		out[n] = '\0';
		out[strcspn(out, "\n")] = '\0';
	}
	cr_assert_eq(pclose(p), 0, "%s", cmd);
}

static void setup(void)
{
	evthread_use_pthreads();
	const char *st = getenv("JG_PG_STATE");
	own_cluster = st == NULL || access(st, R_OK) != 0;
	if (own_cluster) {
		snprintf(state, sizeof state, "/tmp/jg-test-store-pg.%d.state", (int)getpid());
		pg_sh("start", "", NULL, 0);
	} else
		snprintf(state, sizeof state, "%s", st);
	char name[64];
	snprintf(name, sizeof name, "jg_fence_%d", (int)getpid());
	pg_sh("createdb", name, url, sizeof url);
}

static void teardown(void)
{
	const char *name = strrchr(url, '/') + 1;
	pg_sh("dropdb", name, NULL, 0);
	if (own_cluster)
		pg_sh("stop", "", NULL, 0);
}

/* What came back from the store. */
static int dones, fails, losts;

static void on_done(void *arg, struct store_batch *b)
{
	dones++;
	fails += b->failed;
	event_base_loopbreak(arg);
}

static void on_lost(void *arg)
{
	losts++;
}

static void sql(PGconn *c, const char *q)
{
	PGresult *r = PQexec(c, q);
	cr_assert(PQresultStatus(r) == PGRES_COMMAND_OK || PQresultStatus(r) == PGRES_TUPLES_OK,
		  "%s: %s", q, PQerrorMessage(c));
	PQclear(r);
}

static int limits_named(PGconn *c, const char *name)
{
	const char *v[1] = {name};
	PGresult *r = PQexecParams(c, "SELECT count(*) FROM limits WHERE name = $1", 1, NULL, v,
				   NULL, NULL, 0);
	int n = atoi(PQgetvalue(r, 0, 0));
	PQclear(r);
	return n;
}

/* Submit one batch that sets limit NAME and wait until it comes back. */
static void write_limit(struct store *st, struct event_base *base, const char *name)
{
	struct store_batch *b = xcalloc(1, sizeof *b);
	struct rec *r = store_batch_add(b, REC_LIMIT);
	r->u.limit.name = name;
	r->u.limit.limit = 3;
	int before = dones;
	st->vt->submit(st, b);
	while (dones == before)
		event_base_loop(base, EVLOOP_ONCE);
	store_batch_clear(b);
	free(b->recs);
	free(b);
}

Test(store_pg, deposed_leader_commits_nothing, .init = setup, .fini = teardown, .timeout = 60)
{
	struct event_base *base = event_base_new();
	PGconn *other = PQconnectdb(url);
	cr_assert_eq(PQstatus(other), CONNECTION_OK, "%s", PQerrorMessage(other));
	char *err = NULL;
	struct pg_fence fence = {7, "server-a", on_lost, NULL, 0};
	struct store *st = store_postgres_open(url, &fence, &err);
	cr_assert_not_null(st, "%s", err);
	/* The election (another engineer's part) made server-a the leader of epoch 7. */
	sql(other, "UPDATE jg_leader SET epoch = 7, holder = 'server-a', lease_ms = 30000,"
		   " expires_at = now() + interval '30 seconds' WHERE id = 1");
	cr_assert_eq(st->vt->start(st, base, on_done, base), 0);

	write_limit(st, base, "while-leader");
	cr_assert_eq(fails, 0);
	cr_assert_eq(losts, 0);
	cr_assert_eq(limits_named(other, "while-leader"), 1, "a leader's commit is in the database");

	/* Another server takes over with a new epoch. */
	sql(other, "UPDATE jg_leader SET epoch = 8, holder = 'server-b' WHERE id = 1");
	write_limit(st, base, "after-takeover");
	cr_assert_eq(fails, 1, "the batch comes back failed");
	cr_assert_eq(losts, 1, "lost is called");
	cr_assert_eq(limits_named(other, "after-takeover"), 0, "a deposed leader commits nothing");

	/* Its own epoch again, but the lease ran out: still nothing. */
	sql(other, "UPDATE jg_leader SET epoch = 7, holder = 'server-a',"
		   " expires_at = now() - interval '1 second' WHERE id = 1");
	write_limit(st, base, "after-expiry");
	cr_assert_eq(fails, 2);
	cr_assert_eq(losts, 2);
	cr_assert_eq(limits_named(other, "after-expiry"), 0, "an expired lease commits nothing");

	st->vt->close(st);
	PQfinish(other);
	event_base_free(base);
}

Test(store_pg, bad_conninfo_is_refused, .timeout = 30)
{
	char *err = NULL;
	cr_assert_null(store_postgres_open("postgres://u@h:notaport/db x=", NULL, &err));
	cr_assert_not_null(err);
	free(err);
	err = NULL;
	/* Nothing listens on port 1 of loopback. */
	cr_assert_null(store_postgres_open("postgres://u@127.0.0.1:1/db", NULL, &err));
	cr_assert(strstr(err, "cannot connect") != NULL, "%s", err);
	free(err);
}
