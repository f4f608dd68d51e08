/* Child calls: run `jobgrid SUBCOMMAND` in its own process, write a request to its stdin,
 * read its reply from stdout, and kill it at a wall-clock limit — all on the loop, never
 * blocking it. Used for work the server must not do on its own thread: reading untrusted
 * definition files (defcheck.c) and running Lua handlers (scripts.c). Command runs do
 * the same for other programs (sbatch, squeue, scancel for spawn-slurm.c), their stdout
 * and stderr read as text.
 *
 * A call ends when the child's stdout has closed AND the child has been reaped, so the
 * callback can say how it ended (a signal such as SIGXCPU from its CPU limit, or our kill
 * at the time limit). The children are reaped by the server's SIGCHLD handler, which
 * hands every pid that is not a local worker to child_reaped(). */
#include "server/child.h"
#include "server/server.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include <errno.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

struct child_call {
	struct server *srv;
	pid_t pid;
	struct bufferevent *in, *out;	/* the child's stdin and stdout; NULL once closed */
	struct evbuffer *result;
	struct event *timer;
	bool timed_out, reaped;
	int limit_s;			/* wall-clock limit */
	int status;			/* from waitpid, once reaped */
	child_done_fn done;		/* NULL once detached */
	child_run_fn run_done;		/* a command run (child_run_start): raw output */
	void *arg;
	struct child_call *next, *prev;	/* in srv->children */
};

static void unlink_call(struct child_call *k)
{
	if (k->prev)
		k->prev->next = k->next;
	else
		k->srv->children = k->next;
	if (k->next)
		k->next->prev = k->prev;
}

/* "stopped: killed at its time limit (15 s)", "stopped by signal 11 (…)", … */
static void describe_end(const struct child_call *k, char *buf, size_t len, int limit_s)
{
	if (k->timed_out)
		snprintf(buf, len, "stopped: killed at its time limit (%d s)", limit_s);
	else if (WIFSIGNALED(k->status) && WTERMSIG(k->status) == SIGXCPU)
		snprintf(buf, len, "stopped at its CPU time limit");
	else if (WIFSIGNALED(k->status))
		snprintf(buf, len, "stopped by signal %d (%s)", WTERMSIG(k->status),
			 strsignal(WTERMSIG(k->status)));
	else
		snprintf(buf, len, "stopped without an answer (exit status %d)",
			 WEXITSTATUS(k->status));
}

static void kfree(struct child_call *k)
{
	if (k->in)
		bufferevent_free(k->in);
	if (k->out)
		bufferevent_free(k->out);
	evbuffer_free(k->result);
	event_free(k->timer);
	free(k);
}

static void maybe_finish(struct child_call *k)
{
	if (k->out || !k->reaped)
		return;
	unlink_call(k);
	if (k->run_done) {
		evbuffer_add(k->result, "", 1);
		k->run_done(k->arg, k->timed_out ? -1 : k->status,
			    (const char *)evbuffer_pullup(k->result, -1));
		kfree(k);
		return;
	}
	json_t *reply = NULL;
	char why[160] = "";
	if (!k->timed_out) {
		size_t len = evbuffer_get_length(k->result);
		reply = json_loadb((const char *)evbuffer_pullup(k->result, -1), len, 0, NULL);
	}
	if (reply == NULL || !json_is_object(reply)) {
		json_decref(reply);
		reply = NULL;
		describe_end(k, why, sizeof why, k->limit_s);
	}
	if (k->done)
		k->done(k->arg, reply, why);
	json_decref(reply);
	kfree(k);
}

static void on_out_read(struct bufferevent *bev, void *arg)
{
	struct child_call *k = arg;
	/* A reply bigger than any the children write is not read further: it cannot parse. */
	if (evbuffer_get_length(k->result) < ((size_t)64 << 20))
		evbuffer_add_buffer(k->result, bufferevent_get_input(bev));
	else
		evbuffer_drain(bufferevent_get_input(bev), (size_t)-1);
}

static void on_out_event(struct bufferevent *bev, short what, void *arg)
{
	struct child_call *k = arg;
	if (what & (BEV_EVENT_EOF | BEV_EVENT_ERROR)) {
		on_out_read(bev, arg);
		bufferevent_free(k->out);
		k->out = NULL;
		maybe_finish(k);
	}
}

static void on_in_written(struct bufferevent *bev, void *arg)
{
	struct child_call *k = arg;
	bufferevent_free(k->in);	/* closes the pipe: the child sees the end of input */
	k->in = NULL;
}

static void on_in_event(struct bufferevent *bev, short what, void *arg)
{
	on_in_written(bev, arg);	/* the child is gone: how it ended tells the rest */
}

static void on_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct child_call *k = arg;
	k->timed_out = true;
	kill(k->pid, SIGKILL);	/* its stdout closes and it is reaped: maybe_finish follows */
}

/* argv[0] is found on PATH (an absolute path is used as is). With err_too its stderr goes
 * to out_w as well; else nowhere: a library crash on hostile input is expected there, and
 * the server reports the outcome itself. */
static pid_t spawn(char *const argv[], int in_r, int out_w, bool err_too)
{
	/* Signals stay blocked until the child has reset the server's handlers. */
	sigset_t old;
	spawn_block_signals(&old);
	pid_t pid = fork();
	if (pid == 0) {
		prctl(PR_SET_PDEATHSIG, SIGKILL);
		spawn_child_signals();
		int devnull = open("/dev/null", O_WRONLY);
		if (dup2(in_r, 0) < 0 || dup2(out_w, 1) < 0 || devnull < 0 ||
		    dup2(err_too ? out_w : devnull, 2) < 0 || spawn_cloexec_from(3) != 0)
			_exit(127);
		execvp(argv[0], argv);
		_exit(127);
	}
	int saved = errno;
	spawn_restore_signals(&old);
	errno = saved;
	return pid;
}

/* Start argv with input on its stdin and its output read into the call. */
static struct child_call *start(struct server *srv, char *const argv[], bool err_too,
				const char *input, size_t len, int limit_s, const char **err)
{
	int in[2], out[2];
	if (pipe2(in, O_CLOEXEC) != 0) {
		*err = strerror(errno);
		return NULL;
	}
	if (pipe2(out, O_CLOEXEC) != 0) {
		*err = strerror(errno);
		close(in[0]);
		close(in[1]);
		return NULL;
	}
	pid_t pid = spawn(argv, in[0], out[1], err_too);
	int spawn_errno = errno;	/* before the closes below can change it */
	close(in[0]);
	close(out[1]);
	if (pid < 0) {
		*err = strerror(spawn_errno);
		close(in[1]);
		close(out[0]);
		return NULL;
	}
	struct child_call *k = xcalloc(1, sizeof *k);
	k->srv = srv;
	k->pid = pid;
	k->limit_s = limit_s;
	k->result = evbuffer_new();
	evutil_make_socket_nonblocking(out[0]);
	k->out = bufferevent_socket_new(srv->base, out[0], BEV_OPT_CLOSE_ON_FREE);
	bufferevent_setcb(k->out, on_out_read, NULL, on_out_event, k);
	bufferevent_enable(k->out, EV_READ);
	if (len > 0) {
		evutil_make_socket_nonblocking(in[1]);
		k->in = bufferevent_socket_new(srv->base, in[1], BEV_OPT_CLOSE_ON_FREE);
		bufferevent_setcb(k->in, NULL, on_in_written, on_in_event, k);
		bufferevent_write(k->in, input, len);
		bufferevent_enable(k->in, EV_WRITE);
	} else {
		close(in[1]);	/* no input: the child reads the end at once */
	}
	k->timer = evtimer_new(srv->base, on_timeout, k);
	struct timeval tv = {limit_s, 0};
	evtimer_add(k->timer, &tv);
	k->next = srv->children;
	if (k->next)
		k->next->prev = k;
	srv->children = k;
	return k;
}

struct child_call *child_call_start(struct server *srv, const char *sub, const char *input,
				    size_t len, int limit_s, child_done_fn done, void *arg,
				    const char **err)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		*err = strerror(errno);
		return NULL;
	}
	exe[n] = '\0';
	char *argv[] = {exe, (char *)sub, NULL};
	struct child_call *k = start(srv, argv, false, input, len, limit_s, err);
	if (k) {
		k->done = done;
		k->arg = arg;
	}
	return k;
}

struct child_call *child_run_start(struct server *srv, char *const argv[], const char *input,
				   size_t len, int limit_s, child_run_fn done, void *arg,
				   const char **err)
{
	struct child_call *k = start(srv, argv, true, input, len, limit_s, err);
	if (k) {
		k->run_done = done;
		k->arg = arg;
	}
	return k;
}

void child_call_detach(struct child_call *k)
{
	k->done = NULL;
	k->run_done = NULL;
}

bool child_reaped(struct server *srv, pid_t pid, int status)
{
	for (struct child_call *k = srv->children; k; k = k->next) {
		if (k->pid != pid)
			continue;
		k->reaped = true;
		k->status = status;
		maybe_finish(k);
		return true;
	}
	return false;
}

void child_calls_free_all(struct server *srv)
{
	for (struct child_call *k = srv->children, *next; k; k = next) {
		next = k->next;
		if (!k->reaped) {
			kill(k->pid, SIGKILL);
			waitpid(k->pid, NULL, 0);
		}
		kfree(k);
	}
	srv->children = NULL;
}
