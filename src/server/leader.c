#include "server/leader.h"

#include "base/buf.h"
#include "base/clock.h"
#include "base/xalloc.h"

#include <inttypes.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct leader {
	PGconn *conn;		/* owned: a connection of the lease's own */
	char *holder;		/* owned */
	char *url;		/* owned: this server's advertised URL */
	char *hint;		/* owned: the leader last seen, "" for none */
	char *peers;		/* owned: the other servers seen lately, "URL,URL", or "" */
	int64_t announced_mono;	/* when leader_announce last asked the database */
	int lease_ms;
	int64_t epoch;		/* held, or 0 */
	int64_t valid_from;	/* mono ms when the last successful take or renewal began */
};

/* Only a row whose lease has run out on the database's clock is taken. */
static const char take_sql[] =
	"UPDATE jg_leader SET epoch = epoch + 1, holder = $1, url = $2, lease_ms = $3,"
	" renewed_at = now(), expires_at = now() + $3::int * interval '1 millisecond'"
	" WHERE id = 1 AND expires_at < now() RETURNING epoch";
static const char renew_sql[] =
	"UPDATE jg_leader SET renewed_at = now(), expires_at = now() + lease_ms * interval"
	" '1 millisecond' WHERE id = 1 AND epoch = $1 AND holder = $2 AND expires_at > now()";
static const char release_sql[] =
	"UPDATE jg_leader SET expires_at = now() - interval '1 millisecond'"
	" WHERE id = 1 AND epoch = $1 AND holder = $2";
static const char who_sql[] =
	"SELECT url FROM jg_leader WHERE id = 1 AND expires_at > now()";
/* Say where this server is, and read where the others were lately: a server counts as
 * present for ten leases (at least 10 s) after it last said so, so a restart or a slow
 * poll does not drop it from the spawned workers' lists. The CTE's insert is not seen by
 * its select: this server is left out either way. */
static const char announce_sql[] =
	"WITH me AS (INSERT INTO jg_servers(url, holder, seen_at) VALUES($1, $2, now())"
	" ON CONFLICT (url) DO UPDATE SET holder = EXCLUDED.holder, seen_at = now())"
	" SELECT url FROM jg_servers WHERE url <> $1"
	" AND seen_at > now() - greatest(10000, 10 * $3::int) * interval '1 millisecond'"
	" ORDER BY url";

/* *err from the connection's last error; -1. */
static int db_error(struct leader *l, const char *what, PGresult *r, char **err)
{
	char *msg = xstrdup(PQerrorMessage(l->conn));
	size_t n = strlen(msg);
	while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == ' '))
		msg[--n] = '\0';
	*err = xasprintf("the leader's lease: %s: %s", what, msg);
	free(msg);
	PQclear(r);
	return -1;
}

/* A lost connection is made again at the next call, so a database that restarts does not
 * leave the lease unrenewable. */
static bool connected(struct leader *l)
{
	if (PQstatus(l->conn) == CONNECTION_OK)
		return true;
	PQreset(l->conn);
	return PQstatus(l->conn) == CONNECTION_OK;
}

/* conninfo with limits of its own: a database that stops answering (a partition) fails a
 * call within about a lease instead of blocking it for the kernel's TCP timeout (many
 * minutes). The user's own settings in conninfo come later and win. */
static PGconn *connect_bounded(const char *conninfo, const char *holder, int lease_ms)
{
	char timeout_s[16], user_timeout_ms[16], app[128];
	snprintf(app, sizeof app, "jobgrid lease %s", holder);
	snprintf(timeout_s, sizeof timeout_s, "%d", lease_ms / 1000 < 2 ? 2 : lease_ms / 1000);
	snprintf(user_timeout_ms, sizeof user_timeout_ms, "%d", lease_ms);
	const char *const keys[] = {"connect_timeout", "tcp_user_timeout", "keepalives_idle",
				    "keepalives_interval", "keepalives_count",
				    "fallback_application_name", "dbname", NULL};
	const char *const values[] = {timeout_s, user_timeout_ms, "5", "2", "3", app, conninfo,
				      NULL};
	return PQconnectdbParams(keys, values, 1);
}

struct leader *leader_open(const char *conninfo, const char *holder, const char *url,
			   int lease_ms, char **err)
{
	struct leader *l = xcalloc(1, sizeof *l);
	l->conn = connect_bounded(conninfo, holder, lease_ms);
	l->holder = xstrdup(holder);
	l->url = xstrdup(url);
	l->hint = xstrdup("");
	l->peers = xstrdup("");
	l->lease_ms = lease_ms;
	if (PQstatus(l->conn) != CONNECTION_OK) {
		db_error(l, "cannot connect", NULL, err);
		leader_close(l);
		return NULL;
	}
	PGresult *r = PQexec(l->conn, "SELECT 1 FROM jg_leader WHERE id = 1");
	if (PQresultStatus(r) != PGRES_TUPLES_OK || PQntuples(r) != 1) {
		if (PQresultStatus(r) == PGRES_TUPLES_OK)
			*err = xstrdup("the leader's lease: the database has no jg_leader row");
		else
			db_error(l, "reading jg_leader", NULL, err);
		PQclear(r);
		leader_close(l);
		return NULL;
	}
	PQclear(r);
	return l;
}

void leader_close(struct leader *l)
{
	if (l == NULL)
		return;
	PQfinish(l->conn);
	free(l->holder);
	free(l->url);
	free(l->hint);
	free(l->peers);
	free(l);
}

static void set_hint(struct leader *l, const char *url)
{
	free(l->hint);
	l->hint = xstrdup(url);
}

int leader_try_take(struct leader *l, char **err)
{
	char lease[16];
	snprintf(lease, sizeof lease, "%d", l->lease_ms);
	const char *params[] = {l->holder, l->url, lease};
	int64_t began = clock_mono_ms();
	if (!connected(l))
		return db_error(l, "cannot connect", NULL, err);
	PGresult *r = PQexecParams(l->conn, take_sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return db_error(l, "taking it", r, err);
	if (PQntuples(r) == 1) {
		l->epoch = strtoll(PQgetvalue(r, 0, 0), NULL, 10);
		l->valid_from = began;
		set_hint(l, l->url);
		PQclear(r);
		return 1;
	}
	PQclear(r);
	r = PQexec(l->conn, who_sql);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return db_error(l, "reading who holds it", r, err);
	set_hint(l, PQntuples(r) == 1 ? PQgetvalue(r, 0, 0) : "");
	PQclear(r);
	return 0;
}

/* sql (an UPDATE of the lease held) under this leader's epoch and holder: the rows it
 * changed (0 or 1), or -1 with *err naming what (the database did not answer). */
static int update_held(struct leader *l, const char *sql, const char *what, char **err)
{
	char epoch[24];
	snprintf(epoch, sizeof epoch, "%" PRId64, l->epoch);
	const char *params[] = {epoch, l->holder};
	if (!connected(l))
		return db_error(l, "cannot connect", NULL, err);
	PGresult *r = PQexecParams(l->conn, sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return db_error(l, what, r, err);
	int changed = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	return changed;
}

int leader_renew(struct leader *l, char **err)
{
	int64_t began = clock_mono_ms();
	if (l->epoch == 0)
		return 1;
	int held = update_held(l, renew_sql, "renewing it", err);
	if (held < 0)
		return -1;
	if (!held) {
		l->epoch = 0;	/* deposed for good: leader_expired from now on */
		return 1;
	}
	l->valid_from = began;
	return 0;
}

int leader_release(struct leader *l, char **err)
{
	if (l->epoch == 0)
		return 0;
	if (update_held(l, release_sql, "giving it up", err) < 0)
		return -1;
	l->epoch = 0;
	return 0;
}

int leader_announce(struct leader *l, char **err)
{
	int64_t now = clock_mono_ms();
	if (l->announced_mono != 0 && now - l->announced_mono < 1000)
		return 0;	/* once a second is often enough for a list of servers */
	char lease[16];
	snprintf(lease, sizeof lease, "%d", l->lease_ms);
	const char *params[] = {l->url, l->holder, lease};
	if (!connected(l))
		return db_error(l, "cannot connect", NULL, err);
	PGresult *r = PQexecParams(l->conn, announce_sql, 3, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_TUPLES_OK)
		return db_error(l, "saying where this server is", r, err);
	struct buf b = BUF_INIT;
	for (int i = 0; i < PQntuples(r); i++)
		buf_printf(&b, "%s%s", i ? "," : "", PQgetvalue(r, i, 0));
	PQclear(r);
	free(l->peers);
	l->peers = xstrdup(buf_cstr(&b));
	buf_free(&b);
	l->announced_mono = now;
	return 0;
}

const char *leader_peers(const struct leader *l)
{
	return l->peers;
}

int64_t leader_valid_until(const struct leader *l)
{
	return l->epoch == 0 ? 0 : l->valid_from + l->lease_ms;
}

bool leader_expired(const struct leader *l, int64_t now_mono_ms)
{
	return l->epoch == 0 || now_mono_ms >= l->valid_from + l->lease_ms;
}

int64_t leader_epoch(const struct leader *l)
{
	return l->epoch;
}

const char *leader_hint(const struct leader *l)
{
	return l->hint;
}
