/* `--local-workers N`: the server keeps N worker processes running on this machine (one
 * that dies is started again, with a growing pause if it keeps dying), so one command
 * gives a working grid. By default they share the machine: its cores and RAM are split
 * between them.
 *
 * They are workers like any other, in a session of their own with no tie to the server's
 * life: a kill -9 of the server leaves them running their joblets, keeping the results for
 * the next server. That server reads the registry the first one kept in the data directory
 * (local-registry.h) and adopts the ones still alive, watching them through a pidfd as
 * they are not its children, so each node name runs once. On a clean shutdown or a drain
 * they stop and report their joblets before the server exits. */
#include "server/local-workers.h"
#include "server/identity.h"
#include "server/child.h"
#include "server/spawn.h"
#include "server/server.h"
#include "server/local-registry.h"
#include "base/clock.h"
#include "base/host.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

struct local_worker {
	struct server *srv;
	struct local_entry e;		/* what it is started with; pid and start while it runs */
	bool child;			/* this server started it (reaped here); else adopted */
	int pidfd;			/* adopted: tells when it exits; -1 otherwise */
	int64_t started_mono;
	int64_t backoff_ms;
	struct event *restart_ev;
	struct event *exit_ev;		/* adopted: readable pidfd */
	struct local_worker *next;
};

static void spawn(struct local_worker *lw);

/* ---- processes ---------------------------------------------------------------------- */

/* The start time of a live process (not a zombie), from /proc/PID/stat; -1 if none. */
static int proc_start(int pid, unsigned long long *start)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	/* The command name may hold spaces and parentheses: count fields after the last ')'. */
	char *p = strrchr(buf, ')'), *save = NULL;
	if (p == NULL)
		return -1;
	int field = 2;
	for (char *t = strtok_r(p + 1, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
		field++;
		if (field == 3 && (t[0] == 'Z' || t[0] == 'X'))
			return -1;	/* exited, not yet reaped */
		if (field == 22)
			return sscanf(t, "%llu", start) == 1 ? 0 : -1;
	}
	return -1;
}

static bool same_process(const struct local_entry *e)
{
	unsigned long long start;
	return e->pid > 0 && proc_start(e->pid, &start) == 0 && start == e->start;
}

static int pidfd_open(int pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_signal(int pidfd, int sig)
{
	return (int)syscall(SYS_pidfd_send_signal, pidfd, sig, NULL, 0);
}

static void signal_worker(struct local_worker *lw, int sig)
{
	if (lw->e.pid <= 0)
		return;
	if (lw->child)
		kill(lw->e.pid, sig);	/* not reaped yet, so the pid is still its own */
	else
		pidfd_signal(lw->pidfd, sig);
}

static void save_registry(struct server *srv)
{
	const struct local_entry *list[LOCAL_MAX];
	int n = 0;
	for (struct local_worker *lw = srv->locals; lw && n < LOCAL_MAX; lw = lw->next)
		list[n++] = &lw->e;
	if (local_registry_save(srv->data_dir, list, n) != 0)
		log_warn("cannot write %s/local-workers.json: %s; a server started after a crash"
			 " may not find its local workers", srv->data_dir, strerror(errno));
}

/* ---- exits and restarts ------------------------------------------------------------- */

/* Its process ended (how: for the log). Its registration goes now, its joblets with it,
 * so the next one may register under the name at once. */
static void worker_gone(struct local_worker *lw, const char *how)
{
	struct server *srv = lw->srv;
	struct worker *w = sched_worker_named(&srv->sched, lw->e.name);
	if (w && w->pid == lw->e.pid) {
		sched_worker_lose(&srv->sched, w, WORKER_GONE_EXITED, server_now(srv));
		server_mark_dirty(srv);
	}
	int pid = lw->e.pid;
	lw->e.pid = 0;
	if (lw->exit_ev) {
		event_free(lw->exit_ev);
		lw->exit_ev = NULL;
	}
	if (lw->pidfd >= 0)
		close(lw->pidfd);
	lw->pidfd = -1;
	save_registry(srv);
	if (srv->stopping || srv->draining) {
		log_info("local worker %s (pid %d) %s", lw->e.name, pid, how);
		server_check_drained(srv);
		return;
	}
	/* A worker that lived a while restarts at once; one that keeps dying waits longer
	 * each time, up to 30 s. */
	if (clock_mono_ms() - lw->started_mono > 60000)
		lw->backoff_ms = 500;
	else if (lw->backoff_ms < 30000)
		lw->backoff_ms *= 2;
	log_warn("local worker %s (pid %d) %s; restarting in %lld ms", lw->e.name, pid, how,
		 (long long)lw->backoff_ms);
	struct timeval tv = {(time_t)(lw->backoff_ms / 1000),
			     (suseconds_t)(lw->backoff_ms % 1000) * 1000};
	evtimer_add(lw->restart_ev, &tv);
}

static void on_adopted_exit(evutil_socket_t fd, short what, void *arg)
{
	worker_gone(arg, "exited");
}

static void on_restart(evutil_socket_t fd, short what, void *arg)
{
	struct local_worker *lw = arg;
	if (!lw->srv->stopping && !lw->srv->draining)
		spawn(lw);
}

void local_workers_reap(struct server *srv)
{
	int status;
	pid_t pid;
	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		if (child_reaped(srv, pid, status) || spawn_reaped(srv, pid, status))
			continue;
		for (struct local_worker *lw = srv->locals; lw; lw = lw->next) {
			if (!lw->child || lw->e.pid != pid)
				continue;
			char how[64];
			snprintf(how, sizeof how, "exited (%s %d)",
				 WIFSIGNALED(status) ? "signal" : "status",
				 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
			worker_gone(lw, how);
			break;
		}
	}
}

/* ---- starting and adopting ---------------------------------------------------------- */

static void spawn(struct local_worker *lw)
{
	struct server *srv = lw->srv;
	char exe[4096], cores[16], ram[16], gpus[16], spool[4200];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0) {
		log_error("cannot find my own executable: %s", strerror(errno));
		return;
	}
	exe[n] = '\0';
	snprintf(cores, sizeof cores, "%d", (int)lw->e.cores);
	snprintf(ram, sizeof ram, "%d", (int)lw->e.ram_mb);
	snprintf(gpus, sizeof gpus, "%d", (int)lw->e.gpus);
	/* Their output waits on the disk of the data directory, not in a /tmp in RAM. */
	snprintf(spool, sizeof spool, "%s/spool", srv->data_dir);
	if (mkdir(spool, 0700) != 0 && errno != EEXIST)
		log_warn("cannot create %s for local workers' output: %s", spool, strerror(errno));
	const char *token = identity_local_token(srv);
	/* Signals stay blocked until the child has reset the server's handlers. */
	sigset_t old;
	spawn_block_signals(&old);
	pid_t pid = fork();
	if (pid == 0) {
		/* A session of its own and no death signal: it outlives the server, as any
		 * worker does, and is not stopped by a Ctrl-C meant for the server. */
		setsid();
		spawn_child_signals();
		int devnull = open("/dev/null", O_RDONLY);
		/* Nothing of the server's (its listening socket, its store) stays open in the
		 * worker. */
		if (devnull < 0 || dup2(devnull, 0) < 0 || spawn_cloexec_from(3) != 0)
			_exit(127);
		/* With authentication on, the worker token is read from a file only the
		 * server's user can read: never on a command line, where ps shows it. */
		char *argv[] = {exe, "worker", "--server", lw->e.url, "--name", lw->e.name,
				"--cores", cores, "--ram", ram, "--gpus", gpus, "--spool", spool,
				"--log-format", (char *)log_format_name(log_get_format()),
				NULL, NULL, NULL, NULL, NULL};
		int na = 16;
		if (srv->tls_ca_file) {
			argv[na++] = "--ca";
			argv[na++] = srv->tls_ca_file;
		}
		if (token) {
			argv[na++] = "--token-file";
			argv[na++] = (char *)token;
		}
		execv(exe, argv);
		_exit(127);
	}
	int fork_errno = errno;
	spawn_restore_signals(&old);
	if (pid < 0) {
		log_error("cannot start local worker %s: %s", lw->e.name, strerror(fork_errno));
		return;
	}
	lw->e.pid = pid;
	lw->child = true;
	lw->started_mono = clock_mono_ms();
	if (proc_start(pid, &lw->e.start) != 0)
		lw->e.start = 0;	/* cannot be told from a reused pid: never adopted */
	save_registry(srv);
	log_info("local worker %s started (pid %d): %d cores, %d MB, %d GPUs", lw->e.name,
		 (int)pid, (int)lw->e.cores, (int)lw->e.ram_mb, (int)lw->e.gpus);
}

/* Watch an earlier server's worker that is the one lw would start; false if it cannot be
 * watched (then it is stopped and a new one started). */
static bool adopt(struct local_worker *lw, const struct local_entry *old)
{
	int fd = pidfd_open(old->pid);
	if (fd < 0 || !same_process(old)) {	/* checked again: the pidfd holds it now */
		if (fd >= 0)
			close(fd);
		return false;
	}
	lw->e.pid = old->pid;
	lw->e.start = old->start;
	lw->child = false;
	lw->pidfd = fd;
	lw->started_mono = clock_mono_ms();
	lw->exit_ev = event_new(lw->srv->base, fd, EV_READ, on_adopted_exit, lw);
	event_add(lw->exit_ev, NULL);
	log_info("local worker %s (pid %d) adopted: it kept running while no server was up",
		 lw->e.name, old->pid);
	return true;
}

/* Why a live earlier worker cannot be adopted as lw (NULL: it can). */
static const char *mismatch(const struct local_worker *lw, const struct local_entry *old)
{
	if (lw == NULL)
		return "this server starts fewer local workers";
	if (strcmp(old->url, lw->e.url) != 0)
		return "it calls another server address";
	if (strcmp(old->name, lw->e.name) != 0)
		return "its node name differs";
	if (old->cores != lw->e.cores || old->ram_mb != lw->e.ram_mb || old->gpus != lw->e.gpus)
		return "its cores, RAM or GPUs differ from this server's settings";
	return NULL;
}

static void stop_stranger(const struct local_entry *old, const char *why)
{
	int fd = pidfd_open(old->pid);
	if (fd < 0)
		return;
	if (same_process(old)) {
		log_warn("stopping local worker %s (pid %d) of an earlier server: %s; its joblets"
			 " are stopped and queued again", old->name, old->pid, why);
		pidfd_signal(fd, SIGTERM);
	}
	close(fd);
}

/* The workers an earlier server of this data directory left running: adopt those that
 * match a slot, stop the others. */
static void take_over(struct server *srv)
{
	struct local_entry *old = xcalloc(LOCAL_MAX, sizeof *old);
	char err[700];
	int n = local_registry_load(srv->data_dir, old, err, sizeof err);
	if (n < 0)
		log_warn("ignoring the local worker registry: %s", err);
	for (int i = 0; i < n; i++) {
		if (!same_process(&old[i]))
			continue;	/* gone since */
		struct local_worker *lw = srv->locals;
		while (lw && lw->e.index != old[i].index)
			lw = lw->next;
		const char *why = mismatch(lw, &old[i]);
		if (why == NULL && lw->e.pid == 0 && adopt(lw, &old[i]))
			continue;
		stop_stranger(&old[i], why ? why : "it cannot be watched");
	}
	free(old);
}

/* Each worker's share: what was given, else an equal part of the machine (the first ones
 * take the cores left over, so all of them are used). */
static void share(struct local_worker *lw, int n, int32_t cores, int32_t ram_mb, int32_t gpus)
{
	int32_t c = host_cores();
	lw->e.cores = cores >= 0 ? cores : c >= n ? c / n + (lw->e.index <= c % n) : 1;
	lw->e.ram_mb = ram_mb >= 0 ? ram_mb : host_ram_mb() / n;
	lw->e.gpus = gpus >= 0 ? gpus : 0;
}

void local_workers_start(struct server *srv, int n, int32_t cores, int32_t ram_mb, int32_t gpus)
{
	char host[256];
	if (gethostname(host, sizeof host) != 0)
		snprintf(host, sizeof host, "local");
	host[sizeof host - 1] = '\0';
	if (n > host_cores() && cores < 0)
		log_warn("%d local workers on %d cores: each gets 1 core, so up to %d one-core"
			 " joblets run at once; --local-worker-cores sets the share", n,
			 (int)host_cores(), n);
	for (int i = n; i >= 1; i--) {
		struct local_worker *lw = xcalloc(1, sizeof *lw);
		lw->srv = srv;
		lw->e.index = i;
		lw->pidfd = -1;
		lw->backoff_ms = 500;
		snprintf(lw->e.name, sizeof lw->e.name, "%.100s-w%d", host, i);
		for (char *p = lw->e.name; *p; p++)
			if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.-", *p))
				*p = '_';
		snprintf(lw->e.url, sizeof lw->e.url, "%s", srv->url);
		share(lw, n, cores, ram_mb, gpus);
		lw->restart_ev = evtimer_new(srv->base, on_restart, lw);
		lw->next = srv->locals;
		srv->locals = lw;
		srv->nlocal++;
	}
	srv->locals_started = true;
	take_over(srv);
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next)
		if (lw->e.pid == 0)
			spawn(lw);
	save_registry(srv);
}

/* ---- stopping ----------------------------------------------------------------------- */

void local_workers_stop(struct server *srv)
{
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next) {
		evtimer_del(lw->restart_ev);
		signal_worker(lw, SIGTERM);
	}
}

bool local_workers_all_exited(const struct server *srv)
{
	for (struct local_worker *lw = srv->locals; lw; lw = lw->next)
		if (lw->e.pid > 0)
			return false;
	return true;
}

void local_workers_free(struct server *srv)
{
	while (srv->locals) {
		struct local_worker *lw = srv->locals;
		srv->locals = lw->next;
		if (lw->e.pid > 0) {	/* still there after the grace: do not leave it behind */
			signal_worker(lw, SIGKILL);
			if (lw->child) {
				waitpid(lw->e.pid, NULL, 0);
			} else {
				struct pollfd pfd = {lw->pidfd, POLLIN, 0};
				poll(&pfd, 1, 2000);
			}
			lw->e.pid = 0;
		}
		if (lw->exit_ev)
			event_free(lw->exit_ev);
		if (lw->pidfd >= 0)
			close(lw->pidfd);
		event_free(lw->restart_ev);
		free(lw);
	}
	if (srv->locals_started)
		save_registry(srv);	/* none left: the file goes */
}
