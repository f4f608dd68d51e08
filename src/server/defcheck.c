/* Definitions are first read by `jobgrid defcheck` in a child process with a CPU limit and
 * a wall-clock kill, never on the loop thread first: the YAML library has been seen to loop
 * forever and to crash on hostile input (tests/fuzz/corpus/defs/regress-*). Only a set the
 * child read cleanly is read again here, which is then safe because reading is
 * deterministic. The deploy request waits meanwhile (a kept call). */
#include "server/server.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#define CHECK_SECONDS 15

struct defcheck {
	struct server *srv;
	struct call *c;			/* NULL once the client went away */
	pid_t pid;
	struct bufferevent *in, *out;	/* the child's stdin and stdout */
	struct evbuffer *result;
	struct event *timer;
	bool timed_out;
	defcheck_done_fn done;
};

static void finish(struct defcheck *k)
{
	json_t *r = NULL;
	if (!k->timed_out) {
		size_t len = evbuffer_get_length(k->result);
		r = json_loadb((const char *)evbuffer_pullup(k->result, -1), len, 0, NULL);
	}
	json_t *problems = json_object_get(r, "problems");
	if (k->c == NULL) {
		/* The client left: nothing to answer. */
	} else if (!json_is_true(json_object_get(r, "done")) || !json_is_array(problems)) {
		log_warn("definition checker %d %s", (int)k->pid,
			 k->timed_out ? "killed at its time limit" : "stopped without an answer");
		call_error(k->c, 422, "invalid_definition", "files",
			   "files: the definition checker %s; nothing was deployed",
			   k->timed_out ? "ran past its time limit" : "stopped (the input broke it)");
	} else {
		k->done(k->c, problems);
	}
	json_decref(r);
	if (k->c)
		evhttp_connection_set_closecb(evhttp_request_get_connection(k->c->req), NULL, NULL);
	if (k->in)
		bufferevent_free(k->in);
	bufferevent_free(k->out);
	evbuffer_free(k->result);
	event_free(k->timer);
	free(k);
}

static void on_out_read(struct bufferevent *bev, void *arg)
{
	struct defcheck *k = arg;
	evbuffer_add_buffer(k->result, bufferevent_get_input(bev));
}

static void on_out_event(struct bufferevent *bev, short what, void *arg)
{
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		on_out_read(bev, arg);
		finish(arg);
	}
}

static void on_in_written(struct bufferevent *bev, void *arg)
{
	struct defcheck *k = arg;
	bufferevent_free(k->in);	/* closes the pipe: the child sees the end of input */
	k->in = NULL;
}

static void on_in_event(struct bufferevent *bev, short what, void *arg)
{
	on_in_written(bev, arg);	/* the child is gone: its output tells the rest */
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct defcheck *k = arg;
	k->timed_out = true;
	kill(k->pid, SIGKILL);	/* its stdout closes: finish follows */
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct defcheck *k = arg;
	struct call *c = k->c;
	k->c = NULL;
	/* Answer while the request still exists; the connection is gone anyway. */
	call_error(c, 499, "client_closed", "", "the client left during the check");
}

static pid_t spawn_checker(int in_r, int out_w)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return -1;
	exe[n] = '\0';
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		sigset_t none;
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL);
		/* Its stderr goes nowhere: a library crash on hostile input is expected there,
		 * and the server reports the outcome itself. */
		int devnull = open("/dev/null", O_WRONLY);
		if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || devnull < 0 || dup2(devnull, 2) < 0)
			_exit(127);
		char *argv[] = {exe, "defcheck", NULL};
		execv(exe, argv);
		_exit(127);
	}
	return pid;
}

void defcheck_start(struct call *c, defcheck_done_fn done)
{
	struct server *srv = c->srv;
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		call_error(c, 503, "unavailable", "", "cannot start the definition checker: %s",
			   strerror(errno));
		return;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		close(in[0]);
		close(in[1]);
		call_error(c, 503, "unavailable", "", "cannot start the definition checker: %s",
			   strerror(errno));
		return;
	}
	pid_t pid = spawn_checker(in[0], out[1]);
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		close(in[1]);
		close(out[0]);
		call_error(c, 503, "unavailable", "", "cannot start the definition checker");
		return;
	}
	struct defcheck *k = xcalloc(1, sizeof *k);
	k->srv = srv;
	k->c = c;
	k->pid = pid;
	k->done = done;
	k->result = evbuffer_new();
	evutil_make_socket_nonblocking(in[1]);
	evutil_make_socket_nonblocking(out[0]);
	k->in = bufferevent_socket_new(srv->base, in[1], BEV_OPT_CLOSE_ON_FREE);
	k->out = bufferevent_socket_new(srv->base, out[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(k->in, NULL, on_in_written, on_in_event, k);
	bufferevent_setcb(k->out, on_out_read, NULL, on_out_event, k);
	bufferevent_enable(k->out, EV_READ);
	bufferevent_write(k->in, c->body_text, strlen(c->body_text));
	bufferevent_enable(k->in, EV_WRITE);
	k->timer = evtimer_new(srv->base, on_timeout, k);
	struct timeval tv = {CHECK_SECONDS, 0};
	evtimer_add(k->timer, &tv);
	c->kept = true;
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_client_close, k);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
}
