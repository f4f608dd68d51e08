/* `--spawn local`: spawned workers are processes on this machine, children of the server
 * in a process group of their own (a Ctrl-C meant for the server does not reach them; the
 * server stops them on shutdown, and they report their joblets as they go). Their output
 * goes to DATA/spawn/NAME.log. */
#include "server/spawn-int.h"
#include "base/log.h"
#include "base/spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static void submit(struct spawner *sp, struct spawned *e, char *const argv[])
{
	char log[4400];
	snprintf(log, sizeof log, "%s/%s.log", sp->dir, e->name);
	sigset_t old;
	spawn_block_signals(&old);
	pid_t pid = fork();
	if (pid == 0) {
		setpgid(0, 0);
		spawn_child_signals();
		int in = open("/dev/null", O_RDONLY);
		int out = open(log, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0600);
		if (in < 0 || out < 0 || dup2(in, 0) < 0 || dup2(out, 1) < 0 || dup2(out, 2) < 0 ||
		    spawn_cloexec_from(3) != 0)
			_exit(127);
		execv(argv[0], argv);
		_exit(127);
	}
	int fork_errno = errno;
	spawn_restore_signals(&old);
	if (pid < 0) {
		spawned_submitted(sp, e, false, strerror(fork_errno));
		return;
	}
	setpgid(pid, pid);	/* also here: a signal sent before the child ran must reach it */
	e->pid = pid;
	char msg[32];
	snprintf(msg, sizeof msg, "pid %d", (int)pid);
	spawned_submitted(sp, e, true, msg);
}

static void signal_all(struct spawner *sp, bool only_cancelled)
{
	for (struct spawned *e = sp->list; e; e = e->next)
		if (e->pid > 0 && (!only_cancelled || e->cancelled))
			kill(-e->pid, SIGTERM);
}

static void cancel(struct spawner *sp)
{
	signal_all(sp, true);
}

static void stop(struct spawner *sp)
{
	signal_all(sp, false);
}

static bool busy(const struct spawner *sp)
{
	return false;	/* its workers are waited for through their pids */
}

const struct spawn_backend spawn_local = {
	.name = "local",
	.how = "as a local process",
	.submit = submit,
	.poll = NULL,
	.cancel = cancel,
	.stop = stop,
	.busy = busy,
};
