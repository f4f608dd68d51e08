/* The leader's lease on a real PostgreSQL (a private cluster of tests/helpers/pg.sh, one a
 * test): one server takes it, another cannot until it runs out on the database's clock,
 * the old holder then finds itself deposed, and a lease not renewed runs out on the local
 * clock. */
#include "base/clock.h"
#include "server/leader.h"
#include "store/store.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static char state[64];	/* pg.sh's state file */
static char url[256];	/* the test's database */

static void pg_up(void)
{
	char cmd[512];
	snprintf(state, sizeof state, "/tmp/jg-leader-test.XXXXXX");
	int fd = mkstemp(state);
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(cmd, sizeof cmd, "bash %s/tests/helpers/pg.sh start %s && bash %s/tests/helpers/pg.sh createdb %s lease",
		 SOURCE_DIR, state, SOURCE_DIR, state);
	FILE *p = popen(cmd, "r");
	cr_assert_not_null(p);
	cr_assert_not_null(fgets(url, sizeof url, p), "pg.sh printed no URL");
	cr_assert_eq(pclose(p), 0, "pg.sh failed");
	url[strcspn(url, "\n")] = '\0';
	char *err = NULL;
	struct store *s = store_postgres_open(url, NULL, &err);	/* makes jg_leader */
	cr_assert_not_null(s, "%s", err ? err : "");
	s->vt->close(s);
}

static void pg_down(void)
{
	char cmd[512];
	snprintf(cmd, sizeof cmd, "bash %s/tests/helpers/pg.sh stop %s", SOURCE_DIR, state);
	cr_expect_eq(system(cmd), 0);
	unlink(state);
}

TestSuite(leader, .init = pg_up, .fini = pg_down, .timeout = 120);

static struct leader *open_as(const char *holder, const char *me, int lease_ms)
{
	char *err = NULL;
	struct leader *l = leader_open(url, holder, me, lease_ms, &err);
	cr_assert_not_null(l, "%s", err ? err : "");
	return l;
}

/* Poll b's take until it succeeds, within a deadline well past the lease. */
static void take_when_free(struct leader *b, int64_t deadline_ms)
{
	char *err = NULL;
	int rc;
	int64_t end = clock_mono_ms() + deadline_ms;
	while ((rc = leader_try_take(b, &err)) == 0 && clock_mono_ms() < end)
		usleep(20 * 1000);
	cr_assert_eq(rc, 1, "b took the lease once it ran out (%s)", err ? err : "timed out");
}

Test(leader, one_holder_and_takeover_after_expiry)
{
	char *err = NULL;
	struct leader *a = open_as("a", "http://a:1", 500), *b = open_as("b", "http://b:2", 500);
	cr_assert_eq(leader_try_take(a, &err), 1, "%s", err ? err : "");
	cr_assert_eq(leader_epoch(a), 1);
	cr_assert_eq(leader_try_take(b, &err), 0, "a live lease is not taken");
	cr_assert_str_eq(leader_hint(b), "http://a:1", "the standby knows the leader");
	cr_assert_eq(leader_epoch(b), 0);
	cr_assert_eq(leader_renew(a, &err), 0, "the holder renews");
	cr_assert_not(leader_expired(a, clock_mono_ms()));
	/* a stops renewing (as if killed): b takes over with the next epoch */
	take_when_free(b, 5000);
	cr_assert_eq(leader_epoch(b), 2);
	cr_assert_eq(leader_renew(a, &err), 1, "the old holder is deposed");
	cr_assert(leader_expired(a, clock_mono_ms()), "a deposed leader counts as expired");
	cr_assert_eq(leader_try_take(a, &err), 0, "and cannot take it back while b renews");
	cr_assert_str_eq(leader_hint(a), "http://b:2");
	cr_assert_eq(leader_renew(b, &err), 0);
	leader_close(a);
	leader_close(b);
}

Test(leader, renewal_past_expiry_is_refused)
{
	char *err = NULL;
	struct leader *a = open_as("a", "http://a:1", 300);
	cr_assert_eq(leader_try_take(a, &err), 1, "%s", err ? err : "");
	/* wait on the database's clock until the lease has run out there (a SIGSTOPped leader) */
	struct leader *probe = open_as("probe", "http://p:3", 300);
	int64_t end = clock_mono_ms() + 5000;
	while (leader_try_take(probe, &err) == 0 && leader_hint(probe)[0] && clock_mono_ms() < end)
		usleep(20 * 1000);
	cr_assert_lt(clock_mono_ms(), end, "the lease ran out on the database's clock");
	/* the probe either took it or saw it run out: either way a is too late */
	cr_assert_eq(leader_renew(a, &err), 1, "a lease that ran out is not renewed");
	leader_close(probe);
	leader_close(a);
}

Test(leader, local_clock_expiry)
{
	char *err = NULL;
	struct leader *a = open_as("a", "http://a:1", 1000);
	cr_assert(leader_expired(a, clock_mono_ms()), "no lease before taking one");
	int64_t before = clock_mono_ms();
	cr_assert_eq(leader_try_take(a, &err), 1, "%s", err ? err : "");
	cr_assert_not(leader_expired(a, before + 999));
	cr_assert(leader_expired(a, clock_mono_ms() + 1000), "past the lease on the local clock");
	leader_close(a);
}

Test(leader, unreachable_database)
{
	char *err = NULL;
	struct leader *l = leader_open("postgres://postgres@127.0.0.1:1/none", "a", "http://a:1", 1000, &err);
	cr_assert_null(l);
	cr_assert_not_null(err);
	cr_assert(strstr(err, "the leader's lease: cannot connect") != NULL, "%s", err);
	free(err);
}
