/* The lease kept by a thread of its own (leadership.h). */
#include "server/leadership.h"
#include "server/leader.h"

#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct leadership {
	struct leader *l;	/* owned; used by the thread only once it runs */
	pthread_t thread;
	pthread_mutex_t mu;	/* guards what follows */
	pthread_cond_t cv;	/* on CLOCK_MONOTONIC: wakes the thread to stop */
	bool stop;
	enum lead_state state;
	int64_t epoch;		/* held, or 0 */
	int64_t valid_until;	/* mono ms: the lease held runs out locally */
	char hint[512];		/* the leader last seen */
	char peers[2048];	/* the other servers seen lately (leader_peers) */
	char *url;		/* owned: this server's advertised URL */
	const char *why;	/* static: why the lease was lost, "" while held */
	int lease_ms;
	struct event *ev;	/* owned: made active on the loop after each change */
	void (*changed)(void *arg);	/* run by ev */
	void *arg;
};

/* As a standby: how often the lease is asked for. Often enough that a takeover follows its
 * expiry closely, seldom enough to cost the database nothing (4 cheap statements a second). */
static int poll_ms(const struct leadership *ls)
{
	return ls->lease_ms / 4 < 250 ? ls->lease_ms / 4 : 250;
}

/* Thread, ls->mu held: sleep ms or until told to stop. */
static void nap(struct leadership *ls, int ms)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (long)(ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	while (!ls->stop && pthread_cond_timedwait(&ls->cv, &ls->mu, &ts) == 0)
		;
}

/* Thread: one call to the database for the state the lease is in; ls->mu not held. True
 * when the state changed. A failure is logged once until the database answers again. */
static bool step(struct leadership *ls, enum lead_state state, bool *failing)
{
	char *err = NULL;
	bool changed = false;
	int rc = state == LEAD_STANDBY ? leader_try_take(ls->l, &err) : leader_renew(ls->l, &err);
	pthread_mutex_lock(&ls->mu);
	if (state == LEAD_STANDBY && rc == 1) {
		ls->state = LEAD_LEADING;
		ls->epoch = leader_epoch(ls->l);
		ls->valid_until = leader_valid_until(ls->l);
		changed = true;
	} else if (state == LEAD_STANDBY && rc == 0) {
		snprintf(ls->hint, sizeof ls->hint, "%s", leader_hint(ls->l));
	} else if (state == LEAD_LEADING && rc == 0) {
		ls->valid_until = leader_valid_until(ls->l);
	} else if (state == LEAD_LEADING && ls->state == LEAD_LEADING &&
		   (rc == 1 || clock_mono_ms() >= ls->valid_until)) {
		ls->state = LEAD_DEPOSED;
		ls->why = rc == 1 ? "another server holds the lease, or it ran out on the database's"
				    " clock" : "the lease ran out before the database confirmed it";
		changed = true;
	}
	pthread_mutex_unlock(&ls->mu);
	/* Where the others are matters only to the workers this server spawns: a failure
	 * here keeps the last list and says nothing, as the lease's own call says it. */
	if (rc >= 0 && leader_announce(ls->l, &err) == 0) {
		pthread_mutex_lock(&ls->mu);
		snprintf(ls->peers, sizeof ls->peers, "%s", leader_peers(ls->l));
		pthread_mutex_unlock(&ls->mu);
	}
	if (rc < 0 && !*failing)
		log_warn("%s; asking again", err);
	else if (rc >= 0 && *failing)
		log_info("the leader's lease: the database answers again");
	*failing = rc < 0;
	free(err);
	return changed;
}

static void *lease_main(void *arg)
{
	struct leadership *ls = arg;
	bool failing = false;
	pthread_mutex_lock(&ls->mu);
	while (!ls->stop) {
		enum lead_state state = ls->state;
		if (state == LEAD_DEPOSED) {	/* for good: nothing more to ask */
			nap(ls, 60000);
			continue;
		}
		pthread_mutex_unlock(&ls->mu);
		if (step(ls, state, &failing))
			event_active(ls->ev, EV_TIMEOUT, 0);
		pthread_mutex_lock(&ls->mu);
		nap(ls, ls->state == LEAD_LEADING ? ls->lease_ms / 3 : poll_ms(ls));
	}
	pthread_mutex_unlock(&ls->mu);
	return NULL;
}

static void on_changed(evutil_socket_t fd, short what, void *arg)
{
	struct leadership *ls = arg;
	ls->changed(ls->arg);
}

struct leadership *leadership_start(struct event_base *base, const char *conninfo,
				    const char *holder, const char *url, int lease_ms,
				    void (*changed)(void *arg), void *arg, char **err)
{
	struct leader *l = leader_open(conninfo, holder, url, lease_ms, err);
	if (l == NULL)
		return NULL;
	struct leadership *ls = xcalloc(1, sizeof *ls);
	ls->l = l;
	ls->lease_ms = lease_ms;
	ls->url = xstrdup(url);
	ls->why = "";
	ls->state = LEAD_STANDBY;
	pthread_mutex_init(&ls->mu, NULL);
	pthread_condattr_t ca;
	pthread_condattr_init(&ca);
	pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
	pthread_cond_init(&ls->cv, &ca);
	pthread_condattr_destroy(&ca);
	ls->changed = changed;
	ls->arg = arg;
	ls->ev = event_new(base, -1, 0, on_changed, ls);
	int rc = pthread_create(&ls->thread, NULL, lease_main, ls);
	if (rc != 0) {
		*err = xasprintf("the leader's lease: cannot start its thread: %s", strerror(rc));
		event_free(ls->ev);
		leader_close(l);
		free(ls->url);
		free(ls);
		return NULL;
	}
	return ls;
}

enum lead_state leadership_state(struct leadership *ls, int64_t now_mono_ms, int64_t *epoch)
{
	pthread_mutex_lock(&ls->mu);
	if (ls->state == LEAD_LEADING && now_mono_ms >= ls->valid_until) {
		ls->state = LEAD_DEPOSED;
		ls->why = "the lease ran out on this server's clock before a renewal came back";
	}
	enum lead_state state = ls->state;
	if (epoch)
		*epoch = state == LEAD_LEADING ? ls->epoch : 0;
	pthread_mutex_unlock(&ls->mu);
	return state;
}

const char *leadership_why(struct leadership *ls)
{
	pthread_mutex_lock(&ls->mu);
	const char *why = ls->why;
	pthread_mutex_unlock(&ls->mu);
	return why;
}

void leadership_hint(struct leadership *ls, char *out, size_t outlen)
{
	pthread_mutex_lock(&ls->mu);
	bool own = strcmp(ls->hint, ls->url) == 0;
	snprintf(out, outlen, "%s", own ? "" : ls->hint);
	pthread_mutex_unlock(&ls->mu);
}

void leadership_peers(struct leadership *ls, char *out, size_t outlen)
{
	pthread_mutex_lock(&ls->mu);
	snprintf(out, outlen, "%s", ls->peers);
	pthread_mutex_unlock(&ls->mu);
}

void leadership_stop(struct leadership *ls, bool release)
{
	if (ls == NULL)
		return;
	pthread_mutex_lock(&ls->mu);
	ls->stop = true;
	pthread_cond_signal(&ls->cv);
	bool held = ls->state == LEAD_LEADING;
	pthread_mutex_unlock(&ls->mu);
	pthread_join(ls->thread, NULL);
	char *err = NULL;
	if (release && held && leader_release(ls->l, &err) == 0)
		log_info("the leader's lease is given up: a standby takes over at its next poll");
	else if (err) {
		log_warn("%s (a standby takes over once it runs out)", err);
		free(err);
	}
	event_free(ls->ev);
	leader_close(ls->l);
	pthread_cond_destroy(&ls->cv);
	pthread_mutex_destroy(&ls->mu);
	free(ls->url);
	free(ls);
}
