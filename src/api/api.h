/* The HTTP face of the server: what src/server/ calls through `api_face` (face.c), and the
 * state the face keeps in srv->api, shared by its parts: the listener (http.c), the
 * parked reserve long-polls (workers.c) and the streams (stream.c). */
#ifndef JG_API_H
#define JG_API_H
#include "server/server.h"
#include "server/unix-listen.h"
#include <event2/http.h>

struct parked;
struct sse_client;
struct log_follower;

struct api {
	struct evhttp *http;		/* owned: TCP (--listen) */
	struct conns *conns;		/* owned: the TCP connections (conns.h) */
	struct evhttp *http_unix;	/* owned: DATA/jobgrid.sock, callers known by uid */
	struct unix_listener unix_sock;	/* its file, removed at stop */
	struct event *keepalive_ev;	/* owned: the streams' keep-alive comments */
	struct parked *parked;		/* list of parked reserves */
	struct sse_client *sse;		/* list */
	struct log_follower *followers;	/* list */
	struct recall *recall;		/* owned: the recent events, for resumed streams */
};

extern const struct server_face api_face;

/* http.c: serve on the listening socket fd (taken, closed on failure too). */
int http_start(struct server *srv, int fd, const char *bound, char **err);
void http_stop(struct server *srv);

/* workers.c: the parked reserves. */
void reserve_offer(struct server *srv);	/* hand out what became ready */
void reserve_kills(struct server *srv);	/* answer the polls that carry a kill */
void reserve_worker_lost(struct server *srv, struct worker *w);
void reserve_answer_all(struct server *srv);	/* answer every parked poll now */
void reserve_answer(struct worker *w);	/* answer w's parked poll now, if it has one */

/* stream.c */
/* After a commit: events[i] (null: a gap) has id ids[i]. */
void stream_publish(struct server *srv, json_t *events, const int64_t *ids);
void stream_wake_followers(struct server *srv);
/* Event-stream clients, or with followers true log readers, connected now (/metrics). */
size_t stream_count(const struct server *srv, bool followers);
void stream_keepalive(struct server *srv);
void stream_close_all(struct server *srv);
/* Is an event stream open? (A closed one sets srv->events.until_mono: it may resume.) */
bool stream_listening(const struct server *srv);
#endif
