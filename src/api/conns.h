/* Every client connection from accept to close (conns.c): the bufferevent evhttp reads
 * through (TLS when the server has a context), the cap on connections at once
 * (--max-connections: one above it is closed at once), and the deadline for a new
 * connection's first request (--header-timeout), so clients that connect and send nothing
 * or half a header (slowloris) cannot hold the slots. evhttp's own timeout
 * (evhttp_set_timeout_tv, --idle-timeout) closes connections that go silent later.
 *
 * libevent 2.1 has no connection limit and no hook for a connection's end, so each
 * connection is known by its socket: its descriptor and inode, learnt in the loop turn
 * that accepted it (before any of its input is read), and it is gone when that
 * descriptor no longer names that socket. Counted exactly whenever the cap is near. */
#ifndef JG_API_CONNS_H
#define JG_API_CONNS_H
#include <stdbool.h>
#include <stdint.h>

struct server;
struct evhttp;
struct bufferevent;
struct conns;

/* Start counting srv's connections on http (sets its bufferevent callback and timeout). */
struct conns *conns_start(struct server *srv, struct evhttp *http);
/* A request arrived on the connection of bev: its first-request deadline is met. */
void conns_requested(struct conns *cs, struct bufferevent *bev);
/* Connections open now (counted again). */
int conns_count(struct conns *cs);
/* Stop (before evhttp_free). */
void conns_stop(struct conns *cs);
#endif
