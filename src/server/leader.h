/* Leadership among servers sharing one PostgreSQL database (docs/SCALE.md "The leader"):
 * a lease on row 1 of jg_leader, taken and renewed on the database's clock, on a
 * connection of its own. The calls block (libpq): the server runs them on a thread of
 * their own, so a database that hangs cannot stop the loop from noticing that the lease
 * ran out (leader_expired, on the local monotonic clock). */
#ifndef JG_LEADER_H
#define JG_LEADER_H
#include <stdbool.h>
#include <stdint.h>

struct leader;

/* A connection to conninfo (a libpq URL or keyword string) for holder (this server's id,
 * unique among the servers) advertised as url, with leases of lease_ms. NULL with *err
 * (malloc'd) when the database cannot be reached or has no jg_leader table yet (the store
 * creates it: open the store first). */
struct leader *leader_open(const char *conninfo, const char *holder, const char *url,
			   int lease_ms, char **err /* OUT: malloc'd */);
void leader_close(struct leader *l);

/* Take the lease if it has run out: 1 taken (a new epoch, leader_epoch), 0 held by another
 * (leader_hint names it), -1 with *err (malloc'd) when the database did not answer. */
int leader_try_take(struct leader *l, char **err);

/* Renew the lease this leader holds: 0 renewed, 1 deposed (another epoch holds it, or it
 * ran out on the database's clock), -1 with *err (malloc'd) when the database did not
 * answer (the caller goes on trying until leader_expired). */
int leader_renew(struct leader *l, char **err);

/* Whether the lease has run out by the local monotonic clock: no take or renewal that
 * began less than lease_ms ago succeeded. The database's expiry is never earlier, so a
 * leader that stops serving here has stopped before any standby can take over. */
bool leader_expired(const struct leader *l, int64_t now_mono_ms);

/* Give the lease up at a clean stop, after the store's last commit: a standby takes over
 * at its next poll rather than when the lease runs out. 0, or -1 with *err (malloc'd). */
int leader_release(struct leader *l, char **err);

/* The monotonic ms at which the lease runs out locally (see leader_expired); 0 when none is
 * held. For a thread other than the one making the calls, copied under its own lock. */
int64_t leader_valid_until(const struct leader *l);

/* Say in jg_servers that this server is at its URL, and read the other servers seen there
 * lately (at most once a second; between, 0 at once). 0, or -1 with *err (malloc'd). */
int leader_announce(struct leader *l, char **err);
/* The other servers' URLs as last read, "URL,URL" or "". Owned by l. */
const char *leader_peers(const struct leader *l);

int64_t leader_epoch(const struct leader *l);	/* 0 before the lease was taken */
/* The URL of the leader last seen (by leader_try_take), "" when none is known. Owned by l. */
const char *leader_hint(const struct leader *l);
#endif
