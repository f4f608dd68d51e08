/* History out of memory (history.h). */
#include "server/history.h"
#include "server/server.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "store/store.h"
#include <event2/event.h>
#include <malloc.h>
#include <stdlib.h>

/* Per sweep: job slots looked at and jobs evicted, about a millisecond's work; a sweep
 * every SWEEP_MS walks 10^6 slots in a few seconds (those of jobs out of memory a block
 * at a time). */
enum { SWEEP_SCAN = 65536, SWEEP_EVICT = 4096, SWEEP_MS = 200 };
/* A job read back stays at least this long (wall ms). */
enum { KEEP_MS = 10000 };
/* Jobs freed in a pass of the sweep after which their memory is handed back to the system
 * (malloc_trim, a few ms once per pass). */
enum { TRIM_AFTER = 10000 };

struct job *server_job(struct server *srv, int64_t seq)
{
	struct sched *s = &srv->sched;
	struct job *j = sched_job(s, seq);
	if (j || !sched_evicted(s, seq))
		return j;
	char *err = NULL;
	if (srv->store->vt->read_job(srv->store, seq, &j, &err)) {
		log_error("reading job %lld back: %s", (long long)seq, err);
		free(srv->read_back_err);
		srv->read_back_err = err;
		return NULL;
	}
	if (j == NULL)
		return NULL;
	j->keep_until = server_now(srv) + (srv->history_ms > KEEP_MS ? srv->history_ms : KEEP_MS);
	sched_restore(s, j);
	return j;
}

void history_recover_before(struct server *srv, int64_t history_ms)
{
	/* due()'s rule at the first sweep: ended at least history_ms ago. */
	srv->sched.load_history_before = history_ms < 0 ? INT64_MIN : server_now(srv) - history_ms;
}

/* Read job seq back in full in place of its history (before sched_load_done). */
static int load_dep(struct server *srv, int64_t seq, char **err)
{
	struct job *j = NULL;
	if (srv->store->vt->read_job(srv->store, seq, &j, err))
		return -1;
	if (j == NULL) {
		*err = xasprintf("job %lld is counted as history but has no row", (long long)seq);
		return -1;
	}
	sched_load_unhistory(&srv->sched, j);
	return 0;
}

/* The hour the throughput series shows (api/throughput.c), and a minute more: its first
 * minute starts up to a minute before now - 1h. */
enum { TALLY_SPAN_MS = 61 * 60 * 1000 };

/* Counted now: an attempt of a job loaded as history (not one read back in full, counted
 * in memory), or of a final joblet whose attempts the load left in the store
 * (sched_load_stored; the attempts it read are counted when they leave memory). */
static void tally_stored(void *arg, int64_t seq, int32_t idx, const char *owner,
			 int64_t started_at, int64_t ended_at, int state)
{
	struct sched *s = arg;
	const struct job *j = sched_job(s, seq);
	bool stored = j ? idx >= 0 && idx < j->njoblets && j->joblets[idx].attempts == NULL
			: sched_evicted(s, seq) && ended_at <= s->load_history_before;
	if (stored)
		sched_tally(s, intern(owner), started_at, ended_at, state);
}

int history_load_tallies(struct server *srv, char **err)
{
	struct sched *s = &srv->sched;
	int64_t from = server_now(srv) - TALLY_SPAN_MS, to = INT64_MIN;
	/* Jobs loaded as history ended at or before load_history_before, their attempts too;
	 * attempts left in the store of jobs in memory may have ended up to now. */
	if (s->nevicted > 0)
		to = s->load_history_before + 1;
	if (s->load_stored > 0)
		to = INT64_MAX;
	if (to <= from)
		return 0;
	return srv->store->vt->ended_attempts(srv->store, from, to, tally_stored, s, err);
}

int history_load_deps(struct server *srv, char **err)
{
	struct sched *s = &srv->sched;
	if (s->nevicted == 0)
		return 0;
	/* Jobs to look at: every one in memory, then each one read back (its own deps). */
	int64_t n = 0, cap = 1024, *todo = xcalloc((size_t)cap, sizeof *todo);
	for (int64_t seq = 1; seq < s->next_seq; seq++) {
		const struct job *j = sched_job(s, seq);
		if (j == NULL || j->x == NULL || j->x->ndeps == 0)
			continue;
		if (n == cap)
			todo = xrealloc(todo, (size_t)(cap *= 2), sizeof *todo);
		todo[n++] = seq;
	}
	int rc = 0;
	while (n > 0 && rc == 0) {
		const struct job *j = sched_job(s, todo[--n]);
		for (int32_t i = 0; rc == 0 && i < j->x->ndeps; i++) {
			int64_t dep = j->x->deps[i].seq;
			if (!sched_evicted(s, dep))
				continue;
			if ((rc = load_dep(srv, dep, err)) != 0)
				break;
			const struct job *d = sched_job(s, dep);
			if (d->x && d->x->ndeps) {
				if (n == cap)
					todo = xrealloc(todo, (size_t)(cap *= 2), sizeof *todo);
				todo[n++] = dep;
			}
		}
	}
	free(todo);
	return rc;
}

/* May j leave memory now? Its last change committed, finished long enough ago. */
static bool due(const struct server *srv, const struct job *j, int64_t now)
{
	return j->njoblets <= SCHED_EVICT_MAX_JOBLETS && j->put_gen <= srv->commits &&
	       now >= j->ended_at + srv->history_ms &&
	       now >= j->keep_until && sched_evictable(&srv->sched, j);
}

static void sweep(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct sched *s = &srv->sched;
	int64_t now = server_now(srv);
	int evicted = 0;
	for (int scanned = 0; scanned < SWEEP_SCAN && evicted < SWEEP_EVICT; scanned++) {
		if (srv->history_cursor < 1 || srv->history_cursor >= s->next_seq) {
			srv->history_cursor = 1;	/* a pass is through */
			if (srv->history_freed >= TRIM_AFTER) {
				/* It freed many jobs: give their pages back (glibc keeps them). */
				malloc_trim(0);
				srv->history_freed = 0;
			}
		}
		if (srv->history_cursor >= s->next_seq)
			break;	/* no job yet */
		struct job *j = sched_job(s, srv->history_cursor);
		if (j == NULL) {
			/* Past the blocks of slots that hold no job, each a look. */
			int64_t to = sched_skip_empty(s, srv->history_cursor, 1);
			scanned += (int)((to - srv->history_cursor) / SCHED_BLOCK);
			srv->history_cursor = to > srv->history_cursor ? to : to + 1;
			continue;
		}
		srv->history_cursor++;
		if (j && due(srv, j, now)) {
			job_free(sched_evict(s, j));	/* its records are committed: none borrows it */
			evicted++;
			srv->history_freed++;
		}
	}
}

void history_start(struct server *srv, int64_t history_ms)
{
	srv->history_ms = history_ms;
	if (history_ms < 0)
		return;
	srv->history_ev = event_new(srv->base, -1, EV_PERSIST, sweep, srv);
	struct timeval every = {0, (suseconds_t)SWEEP_MS * 1000};
	event_add(srv->history_ev, &every);
}

void history_free(struct server *srv)
{
	if (srv->history_ev)
		event_free(srv->history_ev);
	srv->history_ev = NULL;
}
