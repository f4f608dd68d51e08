#include "server/leader.h"

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
static const char who_sql[] =
	"SELECT url FROM jg_leader WHERE id = 1 AND expires_at > now()";

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

struct leader *leader_open(const char *conninfo, const char *holder, const char *url,
			   int lease_ms, char **err)
{
	struct leader *l = xcalloc(1, sizeof *l);
	l->conn = PQconnectdb(conninfo);
	l->holder = xstrdup(holder);
	l->url = xstrdup(url);
	l->hint = xstrdup("");
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

int leader_renew(struct leader *l, char **err)
{
	char epoch[24];
	snprintf(epoch, sizeof epoch, "%" PRId64, l->epoch);
	const char *params[] = {epoch, l->holder};
	int64_t began = clock_mono_ms();
	if (l->epoch == 0)
		return 1;
	if (!connected(l))
		return db_error(l, "cannot connect", NULL, err);
	PGresult *r = PQexecParams(l->conn, renew_sql, 2, NULL, params, NULL, NULL, 0);
	if (PQresultStatus(r) != PGRES_COMMAND_OK)
		return db_error(l, "renewing it", r, err);
	bool held = strcmp(PQcmdTuples(r), "1") == 0;
	PQclear(r);
	if (!held) {
		l->epoch = 0;	/* deposed for good: leader_expired from now on */
		return 1;
	}
	l->valid_from = began;
	return 0;
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
