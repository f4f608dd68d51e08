/* `--local-workers N`: the server starts N worker processes on this machine and keeps
 * them running (restarting one that dies, with a growing pause if it keeps dying), so
 * one command gives a working grid. On shutdown they get SIGTERM and report their
 * joblets before the server exits. */
#include "server/server.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

struct local_worker {
	struct server *srv;
	int index;
	pid_t pid;			/* 0 while not running */
	int64_t started_mono;
	int64_t backoff_ms;
	struct event *restart_ev;
	struct local_worker *next;
};

static void spawn(struct local_worker *lw)
{
	struct server *srv = lw->srv;
	char exe[4096], host[256], name[300], spool[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		log_error("cannot find my own executable: %s", strerror(errno));
		return;
	}
	exe[n] = '\0';
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "local");
	host[sizeof host - 1] = '\0';
	snprintf(name, sizeof name, "%s-w%d", host, lw->index);
	/* Their output waits on the disk of the data directory, not in a /tmp in RAM. */
	snprintf(spool, sizeof spool, "%s/spool", srv->data_dir);
	if (mkdir(spool, 0700) != 0 && errno != EEXIST)
		log_warn("cannot create %s for local workers' output: %s", spool, strerror(errno));
	for (char *p = name; *p; p++)
		if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
			*p = '_';
	/* Signals stay blocked until the child has reset the server's handlers. */
	sigset_t old;
	spawn_block_signals(&old);
	pid_t pid = fork();
	if (pid == 0) {
		/* If the server dies (kill -9), its workers stop too and report what they ran
		 * when a server is back, instead of living on as orphans. */
		prctl(PR_SET_PDEATHSIG, SIGTERM);
		spawn_child_signals();
		/* Nothing of the server's (its listening socket, its store) stays open in the
		 * worker. */
		if (spawn_cloexec_from(3) != 0)
			_exit(127);
		char *argv[] = {exe, "worker", "--server", srv->url, "--name", name, "--spool", spool,
				NULL};
		execv(exe, argv);
		_exit(127);
	}
	int fork_errno = errno;
	spawn_restore_signals(&old);
	if (pid < 0) {
		log_error("cannot start local worker %d: %s", lw->index, strerror(fork_errno));
		return;
	}
	lw->pid = pid;
	lw->started_mono = clock_mono_ms();
	log_info("local worker %s started (pid %d)", name, (int)pid);
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	struct local_worker *lw = arg;
	if (!lw->srv->stopping)
		spawn(lw);
}

void local_workers_start(struct server *srv, int n)
{
	for (int i = n; i >= 1; i--) {
		struct local_worker *lw = xcalloc(1, sizeof *lw);
		lw->srv = srv;
		lw->index = i;
		lw->backoff_ms = 500;
		lw->restart_ev = evtimer_new(srv->base, on_restart, lw);
		lw->next = srv->locals;
		srv->locals = lw;
		srv->nlocal++;
	}
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next)
		spawn(lw);
}

void local_workers_reap(struct server *srv)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (child_reaped(srv, pid, status))
			continue;
		for (struct local_worker *lw = srv->locals; lw; lw = lw->next) {
			if (lw->pid != pid)
				continue;
			lw->pid = 0;
			if (srv->stopping)
				break;
			/* A worker that lived a while restarts at once; one that keeps dying
			 * waits longer each time, up to 30 s. */
			if (clock_mono_ms() - lw->started_mono > 60000)
				lw->backoff_ms = 500;
			else if (lw->backoff_ms < 30000)
				lw->backoff_ms *= 2;
			log_warn("local worker %d (pid %d) exited (%s %d); restarting in %lld ms",
				 lw->index, (int)pid, WIFSIGNALED(status) ? "signal" : "status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status),
				 (long long)lw->backoff_ms);
			struct timeval tv = {(time_t)(lw->backoff_ms / 1000),
					     (suseconds_t)(lw->backoff_ms % 1000) * 1000};
			evtimer_add(lw->restart_ev, &tv);
		}
	}
}

void local_workers_stop(struct server *srv)
{
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next) {
		evtimer_del(lw->restart_ev);
		if (lw->pid > 0)
			kill(lw->pid, SIGTERM);
	}
}

bool local_workers_all_exited(const struct server *srv)
{
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next)
		if (lw->pid > 0)
			return false;
	return true;
}

void local_workers_free(struct server *srv)
{
	while (srv->locals) {
		struct local_worker *lw = srv->locals;
		srv->locals = lw->next;
		if (lw->pid > 0) {	/* still there after the grace: do not leave it behind */
			kill(lw->pid, SIGKILL);
			waitpid(lw->pid, NULL, 0);
		}
		event_free(lw->restart_ev);
		free(lw);
	}
}
