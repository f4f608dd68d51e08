/* Connections: TLS, the cap and the first-request deadline (conns.h). */
#include "api/conns.h"
#include "base/clock.h"
#include "base/imap.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "server/server.h"
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/bufferevent_ssl.h>
#include <event2/http.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <sys/socket.h>
#include <sys/stat.h>

#define SWEEP_MS 250
#define PRUNE_EVERY 4	/* sweeps between recounts */

struct conn {
	int fd;
	dev_t dev;			/* the socket's identity: fd alone may be reused */
	ino_t ino;
	int64_t accepted_ms;		/* monotonic */
	bool requested;			/* its first request arrived (off the fresh list) */
	struct conn *prev, *next;	/* the fresh list */
};

struct conns {
	struct server *srv;
	struct imap by_fd;		/* fd + 1 → struct conn (owned) */
	struct conn *fresh;		/* list: waiting for their first request */
	struct bufferevent **pending;	/* owned array: accepted this turn, fd not yet known */
	size_t npending, pending_cap;
	struct event *adopt_ev;		/* owned: activated by an accept, runs in its turn */
	struct event *sweep_ev;		/* owned: the deadlines, and a recount now and then */
	int sweeps;
	int n;				/* connections known open */
	int64_t refused_logged_ms;	/* one line a second at most */
};

static bool alive(const struct conn *cn)
{
	struct stat st;
	return fstat(cn->fd, &st) == 0 && st.st_ino == cn->ino && st.st_dev == cn->dev;
}

static void fresh_unlink(struct conns *cs, struct conn *cn)
{
	if (cn->requested)
		return;
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		cs->fresh = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	cn->prev = cn->next = NULL;
	cn->requested = true;
}

static void forget(struct conns *cs, struct conn *cn)
{
	fresh_unlink(cs, cn);
	imap_del(&cs->by_fd, (uint64_t)cn->fd + 1);
	cs->n--;
	free(cn);
}

/* Forget every connection whose socket is gone. */
static void prune(struct conns *cs)
{
	struct conn **dead = NULL;
	size_t ndead = 0;
	for (size_t i = 0; i < cs->by_fd.cap; i++) {
		struct conn *cn = cs->by_fd.slots[i].key ? cs->by_fd.slots[i].val : NULL;
		if (cn && !alive(cn)) {
			dead = xrealloc(dead, ndead + 1, sizeof *dead);
			dead[ndead++] = cn;
		}
	}
	for (size_t i = 0; i < ndead; i++)	/* not while walking: deleting moves slots */
		forget(cs, dead[i]);
	free(dead);
}

/* Take the connection on fd into the count, or close it when the cap is reached. */
static void adopt(struct conns *cs, int fd)
{
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0)
		return;
	struct conn *old = imap_get(&cs->by_fd, (uint64_t)fd + 1);
	if (old)
		forget(cs, old);	/* its descriptor was closed and given to this one */
	if (cs->n >= cs->srv->max_connections)
		prune(cs);
	if (cs->n >= cs->srv->max_connections) {
		shutdown(fd, SHUT_RDWR);	/* evhttp sees the end and frees it */
		int64_t now = clock_mono_ms();
		if (now - cs->refused_logged_ms >= 1000) {
			cs->refused_logged_ms = now;
			log_warn("%d connections open (--max-connections): closing new ones", cs->n);
		}
		return;
	}
	struct conn *cn = xcalloc(1, sizeof *cn);
	cn->fd = fd;
	cn->dev = st.st_dev;
	cn->ino = st.st_ino;
	cn->accepted_ms = clock_mono_ms();
	cn->next = cs->fresh;
	if (cn->next)
		cn->next->prev = cn;
	cs->fresh = cn;
	imap_put(&cs->by_fd, (uint64_t)fd + 1, cn);
	cs->n++;
}

/* In the turn of the accepts, after evhttp gave each new bufferevent its socket and before
 * any input is read (so none of them can have been freed yet). */
static void on_adopt(evutil_socket_t fd, short what, void *arg)
{
	struct conns *cs = arg;
	for (size_t i = 0; i < cs->npending; i++)
		adopt(cs, bufferevent_getfd(cs->pending[i]));
	cs->npending = 0;
}

/* Close the connections past their first-request deadline; recount now and then. */
static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	struct conns *cs = arg;
	int64_t now = clock_mono_ms();
	for (struct conn *cn = cs->fresh, *next; cn; cn = next) {
		next = cn->next;
		if (!alive(cn)) {
			forget(cs, cn);
		} else if (now - cn->accepted_ms >= cs->srv->header_timeout_ms) {
			fresh_unlink(cs, cn);
			shutdown(cn->fd, SHUT_RDWR);
		}
	}
	if (++cs->sweeps % PRUNE_EVERY == 0)
		prune(cs);
}

/* A TLS connection writes one record per chunk of its output buffer, and evhttp puts a
 * reply's headers and its body in separate chunks: two records, two write calls and two
 * wake-ups of the client for every small reply. Joining a small reply into one chunk as it
 * is queued (the write happens later, when the socket is writable) sends it as one. */
enum { COALESCE_MAX = 16384 };

static void coalesce_output(struct evbuffer *out, const struct evbuffer_cb_info *info, void *arg)
{
	size_t len = evbuffer_get_length(out);
	if (info->n_added > 0 && len <= COALESCE_MAX && evbuffer_peek(out, -1, NULL, NULL, 0) > 1)
		evbuffer_pullup(out, -1);
}

/* evhttp's bufferevent callback: a new connection, whose socket evhttp sets next. */
static struct bufferevent *on_new_conn(struct event_base *base, void *arg)
{
	struct conns *cs = arg;
	struct bufferevent *bev;
	if (cs->srv->tls) {
		SSL *ssl = SSL_new(cs->srv->tls);
		if (ssl == NULL) {	/* never plain HTTP on the TLS port: out of memory */
			log_error("cannot make a TLS connection: out of memory");
			abort();
		}
		bev = bufferevent_openssl_socket_new(base, -1, ssl, BUFFEREVENT_SSL_ACCEPTING,
						     BEV_OPT_CLOSE_ON_FREE);
		if (bev)
			evbuffer_add_cb(bufferevent_get_output(bev), coalesce_output, NULL);
	} else
		bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (bev == NULL) {	/* evhttp would make a plain one itself */
		log_error("cannot make a connection's bufferevent: out of memory");
		abort();
	}
	if (cs->npending == cs->pending_cap) {
		cs->pending_cap = cs->pending_cap ? 2 * cs->pending_cap : 16;
		cs->pending = xrealloc(cs->pending, cs->pending_cap, sizeof *cs->pending);
	}
	cs->pending[cs->npending++] = bev;
	event_active(cs->adopt_ev, EV_READ, 0);
	return bev;
}

struct conns *conns_start(struct server *srv, struct evhttp *http)
{
	struct conns *cs = xcalloc(1, sizeof *cs);
	cs->srv = srv;
	imap_init(&cs->by_fd);
	cs->adopt_ev = event_new(srv->base, -1, 0, on_adopt, cs);
	cs->sweep_ev = event_new(srv->base, -1, EV_PERSIST, on_sweep, cs);
	struct timeval sweep = {0, (suseconds_t)SWEEP_MS * 1000};
	event_add(cs->sweep_ev, &sweep);
	struct timeval idle = {(time_t)(srv->idle_timeout_ms / 1000),
			       (suseconds_t)(srv->idle_timeout_ms % 1000) * 1000};
	evhttp_set_timeout_tv(http, &idle);
	evhttp_set_bevcb(http, on_new_conn, cs);
	return cs;
}

void conns_requested(struct conns *cs, struct bufferevent *bev)
{
	int fd = bev ? (int)bufferevent_getfd(bev) : -1;
	struct conn *cn = fd >= 0 ? imap_get(&cs->by_fd, (uint64_t)fd + 1) : NULL;
	if (cn)
		fresh_unlink(cs, cn);
}

int conns_count(struct conns *cs)
{
	prune(cs);
	return cs->n;
}

void conns_stop(struct conns *cs)
{
	for (size_t i = 0; i < cs->by_fd.cap; i++)
		if (cs->by_fd.slots[i].key)
			free(cs->by_fd.slots[i].val);
	imap_free(&cs->by_fd);
	event_free(cs->adopt_ev);
	event_free(cs->sweep_ev);
	free(cs->pending);
	free(cs);
}
