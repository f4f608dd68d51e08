/* Definitions are first read by `jobgrid defcheck` in a child process with a CPU limit and
 * a wall-clock kill, never on the loop thread first: the YAML library has been seen to loop
 * forever and to crash on hostile input (tests/fuzz/corpus/defs/regress-*), and scripts
 * are compiled and their top level run there. Only the files the child parsed are read
 * again here (problems or not, for the checks across files), which is then safe because
 * reading is deterministic (and runs no Lua); libfyaml's leak on malformed input stays in
 * the child. The deploy request waits meanwhile (a kept call). */
#include "api/call.h"
#include "api/defcheck.h"
#include "server/child.h"
#include "server/server.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <string.h>

#define CHECK_SECONDS 15

struct defcheck {
	struct call *c;
	struct child_call *k;
	defcheck_done_fn done;
};

static void on_checked(void *arg, json_t *reply, const char *why)
{
	struct defcheck *d = arg;
	struct call *c = d->c;
	json_t *problems = json_object_get(reply, "problems"), *parsed = json_object_get(reply, "parsed");
	size_t nfiles = json_array_size(json_object_get(c->body, "files"));
	evhttp_connection_set_closecb(evhttp_request_get_connection(c->req), NULL, NULL);
	if (!json_is_true(json_object_get(reply, "done")) || !json_is_array(problems) ||
	    json_array_size(parsed) != nfiles) {
		log_warn("definition checker: %s", reply ? "no usable answer" : why);
		call_error(c, ERR_INVALID_DEFINITION, "files",
			   "files: the definition checker %s; nothing was deployed",
			   reply ? "gave no usable answer" : why);
	} else {
		d->done(c, reply);
	}
	free(d);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct defcheck *d = arg;
	child_call_detach(d->k);	/* the child still ends (or is killed) on its own */
	/* Answer while the request still exists; the connection is gone anyway. */
	call_error(d->c, ERR_CLIENT_CLOSED, "", "the client left during the check");
	free(d);
}

void defcheck_start(struct call *c, defcheck_done_fn done)
{
	struct defcheck *d = xcalloc(1, sizeof *d);
	const char *err = NULL;
	d->c = c;
	d->done = done;
	d->k = child_call_start(c->srv, "defcheck", c->body_text, strlen(c->body_text),
				CHECK_SECONDS, on_checked, d, &err);
	if (d->k == NULL) {
		free(d);
		call_error(c, ERR_UNAVAILABLE, "", "cannot start the definition checker: %s", err);
		return;
	}
	c->kept = true;
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_client_close, d);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
}
