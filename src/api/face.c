/* The HTTP face as the loop sees it: each hook of `struct server_face` routed to the
 * part of src/api/ that serves it. Before start and after stop srv->api is NULL: there
 * is no one to tell. */
#include "api/api.h"
#include "api/recall.h"
#include "base/xalloc.h"

static void on_keepalive(evutil_socket_t fd, short what, void *arg)
{
	stream_keepalive(arg);
}

static int face_start(struct server *srv, int fd, const char *bound, char **err)
{
	srv->api = xcalloc(1, sizeof *srv->api);
	srv->api->recall = xcalloc(1, sizeof *srv->api->recall);
	/* Made again for the store's identity once it is loaded (api/stream.c). */
	recall_init(srv->api->recall, RECALL_MAX, srv->events.epoch, srv->events.loaded + 1);
	srv->api->keepalive_ev = event_new(srv->base, -1, EV_PERSIST, on_keepalive, srv);
	struct timeval ka = {15, 0};
	event_add(srv->api->keepalive_ev, &ka);
	return http_start(srv, fd, bound, err);
}

static void face_offer(struct server *srv)
{
	if (srv->api)
		reserve_offer(srv);
}

static void face_kills(struct server *srv)
{
	if (srv->api)
		reserve_kills(srv);
}

static void face_worker_lost(struct server *srv, struct worker *w)
{
	if (srv->api)
		reserve_worker_lost(srv, w);
}

static bool face_listening(const struct server *srv)
{
	return srv->api && stream_listening(srv);
}

static void face_publish(struct server *srv, json_t *events, const int64_t *ids)
{
	if (srv->api)
		stream_publish(srv, events, ids);
}

static void face_committed(struct server *srv)
{
	if (srv->api && srv->api->followers)
		stream_wake_followers(srv);	/* new output, or the job ended */
}

static void face_closing(struct server *srv)
{
	if (srv->api)
		reserve_answer_all(srv);
}

static void face_stop(struct server *srv)
{
	if (srv->api == NULL)
		return;
	stream_close_all(srv);
	http_stop(srv);
	event_free(srv->api->keepalive_ev);
	recall_free(srv->api->recall);
	free(srv->api->recall);
	free(srv->api);
	srv->api = NULL;
}

const struct server_face api_face = {
	.start = face_start,
	.offer = face_offer,
	.kills = face_kills,
	.worker_lost = face_worker_lost,
	.listening = face_listening,
	.publish = face_publish,
	.committed = face_committed,
	.closing = face_closing,
	.stop = face_stop,
};
