/* faultproxy PORT_FILE TARGET_HOST:PORT [--max-body N] [--drop-reply TEXT:N] — an HTTP
 * reverse proxy on 127.0.0.1:0 (its port written to PORT_FILE) that forwards each request
 * to TARGET, as the proxies people put in front of servers do, with two of their faults:
 *   --max-body N      a request whose body is over N bytes is answered 413 here and never
 *                     forwarded (nginx's client_max_body_size)
 *   --drop-reply T:N  the first N requests whose path contains T are forwarded, and the
 *                     client's connection is closed instead of relaying the reply: the
 *                     server did the work, the client never hears of it
 * Each refusal and each dropped reply is a line on stderr, so a test counts them. Built on
 * evhttp, both ways. Exits by itself after 10 minutes. */
#include <event2/buffer.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>
#include "port-file.h"

static struct event_base *base;
static char target_host[64];
static int target_port;
static long max_body = -1;
static char drop_text[256];
static int drop_left;

struct pending {
	struct evhttp_request *req;	/* the client's */
	bool drop;
};

static const char *method_name(enum evhttp_cmd_type m)
{
	switch (m) {
	case EVHTTP_REQ_GET: return "GET";
	case EVHTTP_REQ_POST: return "POST";
	case EVHTTP_REQ_PUT: return "PUT";
	case EVHTTP_REQ_PATCH: return "PATCH";
	case EVHTTP_REQ_DELETE: return "DELETE";
	default: return "OTHER";
	}
}

static void copy_headers(struct evkeyvalq *from, struct evkeyvalq *to, bool request)
{
	for (struct evkeyval *h = from->tqh_first; h; h = h->next.tqe_next) {
		if (strcasecmp(h->key, "Connection") == 0 || strcasecmp(h->key, "Content-Length") == 0 ||
		    strcasecmp(h->key, "Transfer-Encoding") == 0 ||
		    (request && strcasecmp(h->key, "Host") == 0))
			continue;
		evhttp_add_header(to, h->key, h->value);
	}
}

static void on_reply(struct evhttp_request *up, void *arg)
{
	struct pending *p = arg;
	struct evhttp_request *req = p->req;
	if (p->drop) {
		fprintf(stderr, "faultproxy: dropped the reply to %s %s\n",
			method_name(evhttp_request_get_command(req)), evhttp_request_get_uri(req));
		struct evhttp_connection *c = evhttp_request_get_connection(req);
		if (c)
			evhttp_connection_free(c);	/* frees req with it */
		else
			evhttp_request_free(req);	/* the client already left */
	} else if (up == NULL || evhttp_request_get_response_code(up) == 0) {
		evhttp_send_error(req, 502, "Bad Gateway");
	} else {
		copy_headers(evhttp_request_get_input_headers(up),
			     evhttp_request_get_output_headers(req), false);
		evhttp_send_reply(req, evhttp_request_get_response_code(up),
				  evhttp_request_get_response_code_line(up),
				  evhttp_request_get_input_buffer(up));
	}
	free(p);
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct evbuffer *body = evhttp_request_get_input_buffer(req);
	size_t len = evbuffer_get_length(body);
	const char *uri = evhttp_request_get_uri(req);
	const char *method = method_name(evhttp_request_get_command(req));
	if (max_body >= 0 && (long)len > max_body) {
		fprintf(stderr, "faultproxy: refused %s %s (%zu bytes) with 413\n", method, uri, len);
		struct evbuffer *out = evbuffer_new();
		evbuffer_add_printf(out, "{\"error\": {\"code\": \"too_large\", \"message\": \"the"
				    " proxy takes bodies of at most %ld bytes\", \"field\": \"\"}}",
				    max_body);
		evhttp_add_header(evhttp_request_get_output_headers(req), "Content-Type",
				  "application/json");
		evhttp_send_reply(req, 413, "Payload Too Large", out);
		evbuffer_free(out);
		return;
	}
	struct pending *p = calloc(1, sizeof *p);
	p->req = req;
	if (drop_left > 0 && strstr(uri, drop_text)) {
		p->drop = true;
		drop_left--;
	}
	struct evhttp_connection *up = evhttp_connection_base_new(base, NULL, target_host,
								  (unsigned short)target_port);
	evhttp_connection_set_timeout(up, 120);
	struct evhttp_request *out = evhttp_request_new(on_reply, p);
	copy_headers(evhttp_request_get_input_headers(req), evhttp_request_get_output_headers(out),
		     true);
	char host[100];
	snprintf(host, sizeof host, "%s:%d", target_host, target_port);
	evhttp_add_header(evhttp_request_get_output_headers(out), "Host", host);
	evbuffer_add_buffer(evhttp_request_get_output_buffer(out), body);
	evhttp_make_request(up, out, evhttp_request_get_command(req), uri);
	evhttp_connection_free_on_completion(up);
}

int main(int argc, char **argv)
{
	if (argc < 3 || sscanf(argv[2], "%63[^:]:%d", target_host, &target_port) != 2) {
		fprintf(stderr, "usage: faultproxy PORT_FILE HOST:PORT [--max-body N] [--drop-reply"
				" TEXT:N]\n");
		return 2;
	}
	for (int i = 3; i + 1 < argc; i += 2) {
		if (strcmp(argv[i], "--max-body") == 0) {
			max_body = atol(argv[i + 1]);
		} else if (strcmp(argv[i], "--drop-reply") == 0) {
			const char *colon = strrchr(argv[i + 1], ':');
			if (colon == NULL || (size_t)(colon - argv[i + 1]) >= sizeof drop_text)
				return 2;
			memcpy(drop_text, argv[i + 1], (size_t)(colon - argv[i + 1]));
			drop_left = atoi(colon + 1);
		} else {
			fprintf(stderr, "faultproxy: unknown option %s\n", argv[i]);
			return 2;
		}
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(600);
	base = event_base_new();
	struct evhttp *http = evhttp_new(base);
	evhttp_set_max_body_size(http, (ev_ssize_t)64 << 20);
	evhttp_set_timeout(http, 120);
	evhttp_set_allowed_methods(http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_PUT |
						 EVHTTP_REQ_PATCH | EVHTTP_REQ_DELETE);
	evhttp_set_gencb(http, on_request, NULL);
	struct evhttp_bound_socket *bs = evhttp_bind_socket_with_handle(http, "127.0.0.1", 0);
	struct sockaddr_in sa;
	socklen_t sl = sizeof sa;
	if (bs == NULL || getsockname(evhttp_bound_socket_get_fd(bs), (struct sockaddr *)&sa, &sl)) {
		perror("faultproxy: listen");
		return 1;
	}
	if (port_file_write(argv[1], ntohs(sa.sin_port)) != 0)
		return 1;
	event_base_dispatch(base);
	evhttp_free(http);
	event_base_free(base);
	return 0;
}
