/* HTTP for the worker: libcurl's multi interface driven by the libevent loop, so the agent
 * keeps several requests in flight (a parked reserve, heartbeats, reports) on reused
 * keep-alive connections without blocking its joblets. */
#include "worker/worker.h"
#include "base/buf.h"
#include "base/failover.h"
#include "base/log.h"
#include "base/srvurl.h"
#include "base/xalloc.h"
#include "tls/trust.h"
#include <string.h>

struct xfer {
	struct worker *w;
	CURL *h;
	struct curl_slist *hdr;
	char *body;		/* owned: the request's body (JSON text or bytes) */
	struct buf resp;	/* owned: response bytes */
	http_done_cb cb;
	void *arg;			/* the callback's: it frees it, or arg_free does if the
					 * worker exits with the transfer still in flight */
	void (*arg_free)(void *);
	int url;			/* the index of the server it went to */
	struct xfer *next, *prev;	/* w->xfers: every transfer in flight */
};

static void xfer_unlink(struct worker *w, struct xfer *x)
{
	if (x->prev)
		x->prev->next = x->next;
	else
		w->xfers = x->next;
	if (x->next)
		x->next->prev = x->prev;
}

static void xfer_free(struct xfer *x)
{
	curl_easy_cleanup(x->h);
	curl_slist_free_all(x->hdr);
	free(x->body);
	buf_free(&x->resp);
	free(x);
}

struct sock {
	struct event *ev;	/* owned */
};

/* After a transfer to a server that could not be reached or is a standby (503
 * not_leader), the next ones go to another server of the list: the leader the standby
 * names when it is one of the list, else the next. Only once per server left: other
 * transfers to it that fail after this one do not move on again. */
static void fail_over(struct worker *w, const struct xfer *x, int rc, long status)
{
	char hint[1024];
	bool standby = rc == CURLE_OK && status == 503 &&
		       failover_not_leader(x->resp.data, x->resp.len, hint, sizeof hint);
	if ((rc == CURLE_OK && !standby) || w->nurls < 2 || x->url != w->cur_url)
		return;
	w->cur_url = failover_next(w->urls, w->nurls, w->cur_url, standby ? hint : NULL);
	log_info("the server at %s %s; trying %s", w->urls[x->url],
		 standby ? "is a standby" : "cannot be reached", w->urls[w->cur_url]);
}

static void check_done(struct worker *w)
{
	CURLMsg *msg;
	int left;
	while ((msg = curl_multi_info_read(w->multi, &left))) {
		if (msg->msg != CURLMSG_DONE)
			continue;
		struct xfer *x;
		long status = 0;
		CURL *h = msg->easy_handle;
		int rc = (int)msg->data.result;
		curl_easy_getinfo(h, CURLINFO_PRIVATE, (char **)&x);
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
		curl_multi_remove_handle(w->multi, h);
		xfer_unlink(w, x);
		char *untrusted = trust_failure(&w->trusts[x->url], msg->data.result);
		if (untrusted) {
			log_error("%s", untrusted);
			free(untrusted);
		}
		w->inflight--;
		json_t *reply = x->resp.data ? json_loadb(x->resp.data, x->resp.len, 0, NULL) : NULL;
		x->cb(w, rc, rc == CURLE_OK ? status : 0, reply, x->arg);
		fail_over(w, x, rc, status);
		json_decref(reply);
		xfer_free(x);
	}
}

static void on_sock_event(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int running, flags = (what & EV_READ ? CURL_CSELECT_IN : 0) |
			     (what & EV_WRITE ? CURL_CSELECT_OUT : 0);
	curl_multi_socket_action(w->multi, fd, flags, &running);
	check_done(w);
}

static void on_curl_timer(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	int running;
	curl_multi_socket_action(w->multi, CURL_SOCKET_TIMEOUT, 0, &running);
	check_done(w);
}

static int sock_cb(CURL *h, curl_socket_t fd, int what, void *userp, void *socketp)
{
	struct worker *w = userp;
	struct sock *s = socketp;
	if (what == CURL_POLL_REMOVE) {
		if (s) {
			event_free(s->ev);
			free(s);
			curl_multi_assign(w->multi, fd, NULL);
		}
		return 0;
	}
	short ev = EV_PERSIST | (what & CURL_POLL_IN ? EV_READ : 0) | (what & CURL_POLL_OUT ? EV_WRITE : 0);
	if (s == NULL) {
		s = xcalloc(1, sizeof *s);
		curl_multi_assign(w->multi, fd, s);
	} else {
		event_free(s->ev);
	}
	s->ev = event_new(w->base, fd, ev, on_sock_event, w);
	event_add(s->ev, NULL);
	return 0;
}

static int timer_cb(CURLM *m, long timeout_ms, void *userp)
{
	struct worker *w = userp;
	if (timeout_ms < 0) {
		evtimer_del(w->curl_timer);
		return 0;
	}
	struct timeval tv = {timeout_ms / 1000, (timeout_ms % 1000) * 1000};
	evtimer_add(w->curl_timer, &tv);
	return 0;
}

void http_init(struct worker *w)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	w->multi = curl_multi_init();
	w->curl_timer = evtimer_new(w->base, on_curl_timer, w);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETFUNCTION, sock_cb);
	curl_multi_setopt(w->multi, CURLMOPT_SOCKETDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERFUNCTION, timer_cb);
	curl_multi_setopt(w->multi, CURLMOPT_TIMERDATA, w);
	curl_multi_setopt(w->multi, CURLMOPT_MAXCONNECTS, 8L);
}

void http_free(struct worker *w)
{
	if (w->multi == NULL)
		return;	/* never started: bad options */
	struct xfer *x = w->xfers, *next;
	w->xfers = NULL;
	for (; x; x = next) {	/* exiting with requests in flight (a parked reserve) */
		next = x->next;
		curl_multi_remove_handle(w->multi, x->h);
		if (x->arg_free)
			x->arg_free(x->arg);
		xfer_free(x);
	}
	curl_multi_cleanup(w->multi);
	event_free(w->curl_timer);
	curl_global_cleanup();
}

/* Start a POST of body (taken: malloc'd, len bytes) as ctype. */
static void post(struct worker *w, const char *path, char *body, size_t len, const char *ctype,
		 http_done_cb cb, void *arg, void (*arg_free)(void *))
{
	struct xfer *x = xcalloc(1, sizeof *x);
	char url[4096], type[64];
	x->w = w;
	x->cb = cb;
	x->arg = arg;
	x->arg_free = arg_free;
	x->body = body;
	x->h = curl_easy_init();
	x->url = w->cur_url;
	const char *sock;
	srvurl_target(w->urls[w->cur_url], path, url, sizeof url, &sock);
	snprintf(type, sizeof type, "Content-Type: %s", ctype);
	x->hdr = curl_slist_append(NULL, type);
	x->hdr = curl_slist_append(x->hdr, "Expect:");	/* no 100-continue round trip */
	if (w->auth_header)
		x->hdr = curl_slist_append(x->hdr, w->auth_header);
	curl_easy_setopt(x->h, CURLOPT_URL, url);
	curl_easy_setopt(x->h, CURLOPT_UNIX_SOCKET_PATH, sock);	/* NULL: TCP */
	curl_easy_setopt(x->h, CURLOPT_HTTPHEADER, x->hdr);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
	curl_easy_setopt(x->h, CURLOPT_POSTFIELDS, x->body);
	curl_easy_setopt(x->h, CURLOPT_WRITEFUNCTION, buf_write_cb);
	curl_easy_setopt(x->h, CURLOPT_WRITEDATA, &x->resp);
	curl_easy_setopt(x->h, CURLOPT_PRIVATE, x);
	curl_easy_setopt(x->h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(x->h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(x->h, CURLOPT_TIMEOUT_MS, 90000L);
	curl_easy_setopt(x->h, CURLOPT_TCP_NODELAY, 1L);
	trust_apply(&w->trusts[x->url], x->h);
	w->inflight++;
	x->next = w->xfers;
	if (x->next)
		x->next->prev = x;
	w->xfers = x;
	curl_multi_add_handle(w->multi, x->h);
}

void http_post(struct worker *w, const char *path, json_t *body, http_done_cb cb, void *arg,
	       void (*arg_free)(void *))
{
	char *text = json_dumps(body, JSON_COMPACT);
	post(w, path, text, strlen(text), "application/json", cb, arg, arg_free);
}

void http_post_bytes(struct worker *w, const char *path, char *data, size_t len,
		     http_done_cb cb, void *arg, void (*arg_free)(void *))
{
	post(w, path, data, len, "application/octet-stream", cb, arg, arg_free);
}
