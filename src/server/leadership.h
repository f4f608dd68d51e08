/* The lease of src/server/leader.c kept by a thread of its own (docs/SCALE.md "The leader"):
 * as a standby it tries to take the lease at every poll; as the leader it renews it every
 * lease/3. The loop hears of every change through an event, and asks for the state with
 * its own monotonic clock: a renewal stuck in a database call that does not answer cannot
 * keep a deposed leader serving. The thread's calls block (libpq): that is why they are
 * not on the loop. */
#ifndef JG_LEADERSHIP_H
#define JG_LEADERSHIP_H
#include <event2/event.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct leadership;

enum lead_state {
	LEAD_STANDBY,	/* another server holds the lease (or none could be asked yet) */
	LEAD_LEADING,	/* this server holds it */
	LEAD_DEPOSED,	/* it held it and lost it: for good, the server steps down */
};

/* Connect to conninfo as holder (unique among the servers) advertised as url, with leases
 * of lease_ms, and start the thread. changed(arg) runs on base's thread after each change
 * of state. NULL with *err (malloc'd) when the database cannot be reached. */
struct leadership *leadership_start(struct event_base *base, const char *conninfo,
				    const char *holder, const char *url, int lease_ms,
				    void (*changed)(void *arg), void *arg, char **err);

/* The state at now_mono_ms: a lease held but not renewed within lease_ms by then is
 * LEAD_DEPOSED from now on. *epoch (when not NULL) gets the epoch held, or 0. */
enum lead_state leadership_state(struct leadership *ls, int64_t now_mono_ms, int64_t *epoch);

/* Why the lease was lost (static or owned by ls), "" while it was not. */
const char *leadership_why(struct leadership *ls);

/* Into out (outlen bytes): the URL of the leader as last seen, "" when none is known or it
 * is this server's own. */
void leadership_hint(struct leadership *ls, char *out, size_t outlen);

/* Into out (outlen bytes): the other servers sharing the database, seen there lately,
 * "URL,URL" or "" (none, or not read yet). */
void leadership_peers(struct leadership *ls, char *out, size_t outlen);

/* Stop the thread and close; with release, a lease still held is given up (call it after
 * the store's last commit) so that a standby takes over at its next poll. */
void leadership_stop(struct leadership *ls, bool release);
#endif
