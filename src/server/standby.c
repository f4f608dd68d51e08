/* A server on a shared PostgreSQL database (docs/SCALE.md "The leader"): it waits as a
 * standby until it holds the lease, watches the lease while it leads, and steps down when
 * it loses it. The lease itself is leadership.c's thread. */
#include "server/standby.h"
#include "server/leadership.h"
#include "server/options.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/host.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <unistd.h>

/* The loop's look at the lease, after each change the thread reports and every lease/4 (a
 * renewal that hangs reports nothing: the local clock decides then). */
static void check(struct server *srv)
{
	int64_t epoch = 0;
	enum lead_state state = leadership_state(srv->lead, clock_mono_ms(), &epoch);
	if (!srv->leading && srv->lead_epoch == 0 && state == LEAD_LEADING && !srv->stopping) {
		srv->lead_epoch = epoch;
		event_base_loopbreak(srv->base);	/* standby_wait returns: take over */
	} else if (srv->lead_epoch != 0 && state == LEAD_DEPOSED) {
		server_step_down(srv, leadership_why(srv->lead));
	}
}

static void on_changed(void *arg)
{
	check(arg);
}

static void on_check(evutil_socket_t fd, short what, void *arg)
{
	check(arg);
}

int standby_start(struct server *srv, const struct server_config *o, char **err)
{
	char rnd[17], host[256];
	host_random_hex(rnd, sizeof rnd, 8);
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	/* Unique among the servers, and new at each start (a re-exec keeps the PID). */
	srv->holder = xasprintf("%s:%d:%s", host, (int)getpid(), rnd);
	const char *url = srv->advertise ? srv->advertise : srv->url;
	srv->lead = leadership_start(srv->base, o->store, srv->holder, url, (int)o->leader_lease_ms,
				     on_changed, srv, err);
	if (srv->lead == NULL)
		return -1;
	int64_t every = o->leader_lease_ms / 4;
	struct timeval tv = {(time_t)(every / 1000), (suseconds_t)(every % 1000) * 1000};
	srv->lead_check_ev = event_new(srv->base, -1, EV_PERSIST, on_check, srv);
	event_add(srv->lead_check_ev, &tv);
	return 0;
}

void standby_wait(struct server *srv)
{
	char lease[32];
	clock_format_duration(srv->lead_lease_ms, lease, sizeof lease);
	log_info("standby at %s (holder %s): answering 503 not_leader until the leader's lease"
		 " (%s) runs out", srv->url, srv->holder, lease);
	event_base_dispatch(srv->base);
	if (!srv->stopping && srv->lead_epoch != 0)
		log_info("took the leader's lease (epoch %lld): loading the store",
			 (long long)srv->lead_epoch);
}

void standby_serving(struct server *srv)
{
	srv->leading = true;
	check(srv);	/* the lease may have been lost while the store was loading */
}

static void on_store_lost(void *arg)
{
	server_step_down(arg, "a commit found the lease in another server's hands, or run out");
}

struct pg_fence standby_fence(struct server *srv)
{
	return (struct pg_fence){.epoch = srv->lead_epoch, .holder = srv->holder,
				 .lost = on_store_lost, .arg = srv,
				 .lease_ms = (int)srv->lead_lease_ms};
}

const char *server_not_leading(struct server *srv)
{
	if (srv->lead == NULL || (srv->leading && !srv->deposed))
		return NULL;
	leadership_hint(srv->lead, srv->leader_hint, sizeof srv->leader_hint);
	return srv->leader_hint;
}

void server_step_down(struct server *srv, const char *why)
{
	if (srv->deposed || srv->lead == NULL)
		return;
	srv->deposed = true;
	if (srv->stopping)	/* a stop asked for goes on as one: no restart */
		return;
	srv->stepping_down = true;
	log_warn("deposed: %s. Answering 503 not_leader, committing nothing more, stopping the"
		 " local workers and the spawner, then starting again as a standby", why);
	server_shutdown(srv, "stepping down");
}

void standby_free(struct server *srv)
{
	/* After the store's last commit: a clean stop gives the lease up at once. */
	leadership_stop(srv->lead, !srv->deposed);
	srv->lead = NULL;
	if (srv->lead_check_ev)
		event_free(srv->lead_check_ev);
	srv->lead_check_ev = NULL;
	free(srv->holder);
	srv->holder = NULL;
}

char *standby_worker_urls(struct server *srv)
{
	const char *self = srv->advertise ? srv->advertise : srv->url;
	char peers[2048] = "";
	if (srv->lead)
		leadership_peers(srv->lead, peers, sizeof peers);
	return peers[0] ? xasprintf("%s,%s", self, peers) : xstrdup(self);
}
