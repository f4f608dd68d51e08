/* Running one joblet: fork, a new process group, /dev/null stdin, stdout and stderr into
 * one pipe, the job's environment, exec of the shell. Failures before exec travel back over
 * a close-on-exec pipe as (stage, errno), so `cwd` and `start` are told apart from the
 * command's own exit (127 notfound, 126 permission). A command of plain words is executed
 * directly, as the shell would; anything else goes through bash -o pipefail (or sh).
 * Limits (the user's only: learned values book, docs/API.md "RAM and time limits"): a time
 * limit sends TERM to the group, then KILL after the grace. RAM: when the worker may use
 * memory cgroups, v2 or v1 (cgroup.h), the child joins the joblet's cgroup before exec, the
 * kernel holds the limit and the cgroup gives the peak and the OOM kills; else the group's
 * RSS is sampled and a joblet over its limit is killed. Either way a worker whose joblets
 * together hold more than its RAM ends the one furthest over its booking. When the leader
 * exits the rest of its group (and cgroup) is killed: stragglers would hold the output pipe
 * open and the joblet would never end. */
#include "worker/worker.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/spawn.h"
#include "base/xalloc.h"
#include "core/job.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#define OUT_READS 16	/* pipe reads per wake-up: a joblet that writes without pause
			 * cannot hold the worker's loop */
enum { STAGE_CWD = 1, STAGE_SETUP, STAGE_EXEC, STAGE_RUNAS };

extern char **environ;

static void set_env(char ***envp, size_t *n, const char *name, const char *value)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < *n; i++) {
		if (strncmp((*envp)[i], name, nl) == 0 && (*envp)[i][nl] == '=') {
			free((*envp)[i]);
			(*envp)[i] = xasprintf("%s=%s", name, value);
			return;
		}
	}
	*envp = xrealloc(*envp, *n + 2, sizeof **envp);
	(*envp)[(*n)++] = xasprintf("%s=%s", name, value);
	(*envp)[*n] = NULL;
}

static void unset_env(char **envp, size_t *n, const char *name)
{
	size_t nl = strlen(name);
	for (size_t i = 0; i < *n; i++) {
		if (strncmp(envp[i], name, nl) == 0 && envp[i][nl] == '=') {
			free(envp[i]);
			envp[i] = envp[--*n];
			envp[*n] = NULL;
			return;
		}
	}
}

/* A joblet run as its owner: who it is comes from the account (over what the worker's and
 * the submitter's environments say), and what named the worker's own account goes. */
static void owner_env(char ***envp, size_t *n, const struct runas *ra)
{
	static const char *const workers_own[] = {
		"MAIL", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME", "XDG_DATA_HOME", "XDG_CACHE_HOME",
		"XDG_STATE_HOME", "SUDO_USER", "SUDO_UID", "SUDO_GID", "SUDO_COMMAND", NULL,
	};
	for (size_t i = 0; workers_own[i]; i++)
		unset_env(*envp, n, workers_own[i]);
	set_env(envp, n, "HOME", ra->home);
	set_env(envp, n, "USER", ra->name);
	set_env(envp, n, "LOGNAME", ra->name);
	set_env(envp, n, "SHELL", ra->shell);
}

/* The worker's environment + the job's + JOBGRID_* (+ the owner's account: owner_env); a
 * NULL-terminated malloc'd array. */
static char **build_env(struct run *r, json_t *env, const char *cwd)
{
	size_t n = 0;
	for (char **e = environ; *e; e++)
		n++;
	char **envp = xcalloc(n + 1, sizeof *envp);
	for (size_t i = 0; i < n; i++)
		envp[i] = xstrdup(environ[i]);
	const char *k;
	json_t *v;
	json_object_foreach(env, k, v)
		if (json_is_string(v))
			set_env(&envp, &n, k, json_string_value(v));
	char num[32];
	set_env(&envp, &n, "JOBGRID_JOB", r->job);
	snprintf(num, sizeof num, "%d", r->index);
	set_env(&envp, &n, "JOBGRID_JOBLET", num);
	snprintf(num, sizeof num, "%d", r->retry);
	set_env(&envp, &n, "JOBGRID_RETRY", num);
	snprintf(num, sizeof num, "%d", r->maxretry);
	set_env(&envp, &n, "JOBGRID_MAXRETRY", num);
	snprintf(num, sizeof num, "%lld", (long long)r->attempt);
	set_env(&envp, &n, "JOBGRID_ATTEMPT", num);
	set_env(&envp, &n, "JOBGRID_NODE", r->w->name);
	set_env(&envp, &n, "PWD", cwd);	/* a shell would set it; a direct exec must too */
	if (r->ra.name)
		owner_env(&envp, &n, &r->ra);
	return envp;
}

static void free_env(char **envp)
{
	for (char **e = envp; *e; e++)
		free(*e);
	free(envp);
}

/* In the child: report (stage, errno) and leave. Only async-signal-safe calls. */
static _Noreturn void child_fail(int fd, int stage)
{
	int msg[2] = {stage, errno};
	ssize_t wr = write(fd, msg, sizeof msg);
	(void)wr;
	_exit(127);
}

/* The descriptors a child starts with: stdin (-1: /dev/null), the output pipe, the error
 * pipe to the parent, the cgroup's procs file (-1: none), a reply fd put at 3 (-1: none);
 * the worker's pid, and the account to become (NULL: stay the worker's). */
struct child_fds {
	int in, out, err, cg, reply;
	pid_t worker;
	const struct runas *ra;
};

/* Runs in a vfork child: it shares the worker's memory until exec, so it only makes
 * system calls on data prepared before the vfork. It starts with every signal blocked (see
 * spawn()), so none of the worker's handlers can run here; it puts every disposition back
 * to the default before unblocking them. */
static _Noreturn void child(const struct child_fds *f, const char *cwd, char *const *argv,
			    char *const *envp, bool search)
{
	int out_w = f->out, err_w = f->err, cg_fd = f->cg;
	spawn_child_signals();
	/* A worker that dies outright (kill -9) takes the joblet with it: nobody would report
	 * it, and after the lease it runs again elsewhere. */
	if (prctl(PR_SET_PDEATHSIG, SIGKILL) != 0 || getppid() != f->worker)
		_exit(127);
	/* Join the joblet's cgroup first, so everything it starts is counted and limited. */
	if (cg_fd >= 0 && write(cg_fd, "0", 1) != 1)
		child_fail(err_w, STAGE_SETUP);
	if (setpgid(0, 0) != 0)
		child_fail(err_w, STAGE_SETUP);
	/* The owner's account, before anything of the job's is touched: its working
	 * directory is entered with the owner's rights. A change of credentials clears the
	 * parent-death signal: set again. */
	if (f->ra && (runas_enter(f->ra) != 0 || prctl(PR_SET_PDEATHSIG, SIGKILL) != 0))
		child_fail(err_w, STAGE_RUNAS);
	if (f->ra && getppid() != f->worker)
		_exit(127);
	if (chdir(cwd) != 0)
		child_fail(err_w, STAGE_CWD);
	int in = f->in >= 0 ? f->in : open("/dev/null", O_RDONLY);
	if (in < 0 || dup2(in, 0) < 0 || dup2(out_w, 1) < 0 || dup2(out_w, 2) < 0)
		child_fail(err_w, STAGE_SETUP);
	/* The reply fd at 3, open across exec (dup2 onto itself would keep close-on-exec). */
	if (f->reply >= 0 && (f->reply == 3 ? fcntl(3, F_SETFD, 0) : dup2(f->reply, 3)) < 0)
		child_fail(err_w, STAGE_SETUP);
	/* Nothing of the worker's leaks into the job: every other descriptor closes at exec
	 * (the error pipe too, which tells the parent exec succeeded). */
	if (spawn_cloexec_from(f->reply >= 0 ? 4 : 3) != 0)
		child_fail(err_w, STAGE_SETUP);
	if (search)
		execvpe(argv[0], argv, envp);
	else
		execve(argv[0], argv, envp);
	child_fail(err_w, STAGE_EXEC);
}

/* A command of plain words — no quotes, variables, globs, redirections, pipes or other
 * shell syntax — means the same run directly as through the shell (which would exec it
 * itself), and skips a shell start per joblet. Returns a malloc'd argv, or NULL. */
static char **plain_words(const char *cmd, json_t *env)
{
	static const char safe[] = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
				   "0123456789_./:,+@%-";
	size_t n = 0;
	const char *path = json_string_value(json_object_get(env, "PATH")), *own = getenv("PATH");
	if (path && (own == NULL || strcmp(path, own) != 0))
		return NULL;	/* execvpe would search the worker's PATH, not the job's */
	for (const char *p = cmd; *p; p++) {
		if (*p == ' ')
			continue;
		if (strchr(safe, *p) == NULL)
			return NULL;
		if (p == cmd || p[-1] == ' ')
			n++;
	}
	if (n == 0)
		return NULL;
	char **argv = xcalloc(n + 1, sizeof *argv), *copy = xstrdup(cmd), *save = NULL;
	size_t i = 0;
	for (char *w = strtok_r(copy, " ", &save); w; w = strtok_r(NULL, " ", &save))
		argv[i++] = xstrdup(w);
	free(copy);
	/* Builtins and keywords of the shell mean something else than a program of the same
	 * name (`exit 3`, `cd x`); only those that behave alike may run directly. */
	static const char *const shell_words[] = {
		".", ":", "alias", "bg", "bind", "break", "builtin", "caller", "cd", "command",
		"compgen", "complete", "compopt", "continue", "declare", "dirs", "disown", "enable",
		"eval", "exec", "exit", "export", "fc", "fg", "getopts", "hash", "help", "history",
		"jobs", "let", "local", "logout", "mapfile", "popd", "pushd", "pwd", "read",
		"readarray", "readonly", "return", "set", "shift", "shopt", "source", "suspend",
		"times", "trap", "type", "typeset", "ulimit", "umask", "unalias", "unset", "wait",
		"if", "then", "else", "elif", "fi", "case", "esac", "for", "select", "while", "until",
		"do", "done", "in", "function", "time", "coproc", NULL,
	};
	bool shell = strchr(argv[0], '=') != NULL;	/* VAR=value cmd */
	for (size_t k = 0; shell_words[k] && !shell; k++)
		shell = strcmp(argv[0], shell_words[k]) == 0;
	if (shell) {
		for (i = 0; argv[i]; i++)
			free(argv[i]);
		free(argv);
		return NULL;
	}
	return argv;
}

/* vfork: no copy of the worker's page tables for every joblet. Kept apart so nothing of
 * the caller's frame lives across the vfork. Every signal is blocked until the child has
 * reset its handlers (base/spawn.h). */
static __attribute__((noinline)) pid_t spawn(const struct child_fds *f, const char *cwd,
					     char *const *argv, char *const *envp, bool search)
{
	sigset_t old;
	spawn_block_signals(&old);
	/* Deliberate: the child only makes system calls on prepared data, then execs. */
	pid_t pid = vfork(); // NOLINT(clang-analyzer-security.insecureAPI.vfork)
	if (pid == 0)
		child(f, cwd, argv, envp, search); // NOLINT(clang-analyzer-unix.Vfork)
	int saved = errno;
	spawn_restore_signals(&old);
	errno = saved;
	return pid;
}

static void on_output(evutil_socket_t fd, short what, void *arg);
static void on_limit(evutil_socket_t fd, short what, void *arg);

/* r failed before its command ran, with reason; its message is set. */
static void not_run(struct run *r, int reason)
{
	r->fail_reason = reason;
	r->exited = true;
	r->start_failed = true;
	r->ended_ms = clock_wall_ms();
	r->ended_mono = clock_mono_ms();
}

static void start_failed(struct run *r, int stage, int err)
{
	int reason = stage == STAGE_CWD ? FR_CWD : FR_START;
	if (stage == STAGE_EXEC && (err == ENOENT || err == ENOTDIR))
		reason = FR_NOTFOUND;	/* as the shell's 127 would say */
	else if (stage == STAGE_EXEC && err == EACCES)
		reason = FR_PERMISSION;	/* as the shell's 126 */
	if (stage == STAGE_RUNAS)
		snprintf(r->message, sizeof r->message, "run as owner: cannot become '%s' (uid %ld):"
			 " %s", r->ra.name, (long)r->ra.uid, strerror(err));
	else
		snprintf(r->message, sizeof r->message, "%s: %s",
			 stage == STAGE_CWD ? "chdir" : stage == STAGE_EXEC ? "exec" : "setup",
			 strerror(err));
	not_run(r, reason);
}

/* --run-as-owner: the owner's account into r->ra, and the working directory of a job that
 * named none: the account's home. 0, or -1 once r failed (permission: no such account, or
 * root; start: the lookup failed). */
static int take_owner(struct run *r, const char **cwd)
{
	if (r->owner == NULL || r->owner[0] == '\0') {
		snprintf(r->message, sizeof r->message, "run as owner: the server sent no owner");
		not_run(r, FR_START);
		return -1;
	}
	int reason = runas_lookup(r->owner, &r->ra, r->message, sizeof r->message);
	if (reason != 0) {
		not_run(r, reason);
		return -1;
	}
	if (r->cwd_default)
		*cwd = r->ra.home;
	return 0;
}

/* The joblet's spool file and cgroup become the owner's (cgroup.h: cgroup_delegate). A
 * cgroup that cannot be handed over is dropped, as one that cannot be made: sampling. */
static int give_to_owner(struct run *r, int *cg_fd)
{
	if (fchown(r->spool.fd, r->ra.uid, r->ra.gid) != 0) {
		snprintf(r->message, sizeof r->message, "run as owner: cannot give its output spool"
			 " file (in %s) to '%s': %s", r->w->spool_dir, r->ra.name, strerror(errno));
		not_run(r, FR_START);
		return -1;
	}
	if (r->cgroup[0] && cgroup_delegate(r->cgroup, r->ra.uid, r->ra.gid) != 0) {
		log_warn("joblet %s/%d: cannot give its cgroup %s to '%s' (%s): RSS sampling for it",
			 r->job, r->index, r->cgroup, r->ra.name, strerror(errno));
		close(*cg_fd);
		*cg_fd = -1;
		(void)cgroup_remove(r->cgroup);
		r->cgroup[0] = '\0';
	}
	return 0;
}

/* Start argv for r; in_fd (-1: /dev/null) and reply_fd (-1: none) as in struct child_fds.
 * search: look argv[0] up in PATH. */
static int launch(struct run *r, char **argv, bool search, const char *cwd, json_t *env,
		  int in_fd, int reply_fd)
{
	int out[2], err[2];
	r->out_fd = -1;
	r->started_ms = clock_wall_ms();
	r->started_mono = clock_mono_ms();
	if (r->w->run_as_owner && take_owner(r, &cwd) != 0) {
		worker_run_done(r->w, r);
		return 0;
	}
	if (spool_open(&r->spool, r->w->spool_dir, r->attempt, r->output_limit) != 0) {
		start_failed(r, STAGE_SETUP, errno);
		snprintf(r->message, sizeof r->message, "cannot make its output spool file in %s: %s",
			 r->w->spool_dir, strerror(errno));
		worker_run_done(r->w, r);
		return 0;
	}
	if (pipe2(out, O_CLOEXEC) != 0 || pipe2(err, O_CLOEXEC) != 0) {
		start_failed(r, STAGE_SETUP, errno);
		worker_run_done(r->w, r);
		return 0;
	}
	char **envp = build_env(r, env, cwd);
	int cg_fd = -1;
	r->cgroup[0] = '\0';
	/* The user's limit; without one, the worker's RAM: one joblet never takes more. */
	r->cg_limit_mb = r->ram_limit_mb > 0 ? r->ram_limit_mb : r->w->ram_mb;
	if (r->w->cg.usable && cgroup_create(&r->w->cg, r->attempt, r->cg_limit_mb, r->cgroup,
					     sizeof r->cgroup, &cg_fd)) {
		log_warn("joblet %s/%d: no cgroup (%s): RSS sampling for it", r->job, r->index,
			 strerror(errno));
		r->cgroup[0] = '\0';
	}
	if (r->ra.name && give_to_owner(r, &cg_fd) != 0) {
		if (cg_fd >= 0)
			close(cg_fd);
		if (r->cgroup[0])
			(void)cgroup_remove(r->cgroup);
		r->cgroup[0] = '\0';
		free_env(envp);
		close(out[0]);
		close(out[1]);
		close(err[0]);
		close(err[1]);
		worker_run_done(r->w, r);
		return 0;
	}
	struct child_fds fds = {in_fd, out[1], err[1], cg_fd, reply_fd, getpid(),
				r->ra.name ? &r->ra : NULL};
	pid_t pid = spawn(&fds, cwd, argv, envp, search);
	int spawn_errno = errno;
	if (cg_fd >= 0)
		close(cg_fd);
	free_env(envp);
	close(out[1]);
	close(err[1]);
	if (pid < 0) {
		close(out[0]);
		close(err[0]);
		if (r->cgroup[0] && cgroup_remove(r->cgroup) != 0)
			log_warn("cgroup %s: %s", r->cgroup, strerror(errno));
		r->cgroup[0] = '\0';
		start_failed(r, STAGE_SETUP, spawn_errno);
		worker_run_done(r->w, r);
		return 0;
	}
	setpgid(pid, pid);	/* also in the parent: no race with an early kill */
	r->pid = pid;
	r->ran_as = r->ra.name ? r->ra.name : r->w->user;
	int msg[2];
	ssize_t n;
	do
		n = read(err[0], msg, sizeof msg);
	while (n < 0 && errno == EINTR);
	close(err[0]);
	if (n == (ssize_t)sizeof msg)
		start_failed(r, msg[0], msg[1]);	/* the child exits 127; reaped below */
	fcntl(out[0], F_SETFL, O_NONBLOCK);
	r->out_fd = out[0];
	r->out_ev = event_new(r->w->base, out[0], EV_READ | EV_PERSIST, on_output, r);
	event_add(r->out_ev, NULL);
	if (r->time_ms > 0) {
		r->limit_ev = evtimer_new(r->w->base, on_limit, r);
		struct timeval tv = {(time_t)(r->time_ms / 1000), (suseconds_t)(r->time_ms % 1000) * 1000};
		evtimer_add(r->limit_ev, &tv);
	}
	r->sampled_kb = 0;
	return 0;
}

int exec_start(struct run *r, const char *cmd, const char *cwd, json_t *env)
{
	char *argv_bash[] = {"/bin/bash", "-o", "pipefail", "-c", (char *)cmd, NULL};
	char *argv_sh[] = {"/bin/sh", "-c", (char *)cmd, NULL};
	char **words = plain_words(cmd, env);
	char **argv = words ? words : r->w->have_bash ? argv_bash : argv_sh;
	int rc = launch(r, argv, words != NULL, cwd, env, -1, -1);
	for (size_t i = 0; words && words[i]; i++)
		free(words[i]);
	free(words);
	return rc;
}

/* A memfd holding text, at offset 0; -1 on failure. */
static int memfd_with(const char *name, const char *text)
{
	int fd = memfd_create(name, MFD_CLOEXEC);
	size_t len = text ? strlen(text) : 0, off = 0;
	while (fd >= 0 && off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			close(fd);
			return -1;
		}
		off += (size_t)n;
	}
	if (fd >= 0 && lseek(fd, 0, SEEK_SET) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

int exec_start_script(struct run *r, const char *request, const char *cwd, json_t *env)
{
	/* memfds, not pipes: the request and the reply may exceed a pipe's buffer, and the
	 * worker never blocks on either. The script process is this binary itself. */
	int in = memfd_with("jobgrid-request", request), reply = memfd_with("jobgrid-reply", "");
	r->script = true;
	r->reply_fd = reply;
	if (in < 0 || reply < 0) {
		if (in >= 0)
			close(in);
		spool_none(&r->spool);
		r->out_fd = -1;
		r->started_ms = clock_wall_ms();
		r->started_mono = clock_mono_ms();
		start_failed(r, STAGE_SETUP, errno);
		worker_run_done(r->w, r);
		return 0;
	}
	char *argv[] = {"/proc/self/exe", "script", "--reply-fd", "3", NULL};
	int rc = launch(r, argv, false, cwd, env, in, reply);
	close(in);
	return rc;
}

/* joblet_started failed: its error and traceback (from the reply) become the message. */
static void read_script_reply(struct run *r)
{
	char buf[65536];
	ssize_t n = pread(r->reply_fd, buf, sizeof buf - 1, 0);
	close(r->reply_fd);
	r->reply_fd = -1;
	if (n <= 0)
		return;
	json_t *reply = json_loadb(buf, (size_t)n, 0, NULL);
	json_t *res = json_array_get(json_object_get(reply, "results"), 0);
	const char *err = json_string_value(json_object_get(res, "error"));
	if (err == NULL)
		err = json_string_value(json_object_get(reply, "error"));
	if (err && !json_is_true(json_object_get(res, "ok"))) {
		const char *tb = json_string_value(json_object_get(res, "traceback"));
		if (tb == NULL)
			tb = json_string_value(json_object_get(reply, "traceback"));
		snprintf(r->message, sizeof r->message, "joblet_started: %s%s%s", err,
			 tb ? "\n" : "", tb ? tb : "");
	}
	json_decref(reply);
}

static void maybe_done(struct run *r)
{
	if (r->exited && r->out_fd < 0 && !r->finished)
		worker_run_done(r->w, r);
}

static void close_output(struct run *r)
{
	if (r->out_fd < 0)
		return;
	event_free(r->out_ev);
	r->out_ev = NULL;
	close(r->out_fd);
	r->out_fd = -1;
}

static void on_output(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	char buf[65536];
	for (int reads = 0; reads < OUT_READS; reads++) {
		ssize_t n = read(fd, buf, sizeof buf);
		if (n > 0) {
			spool_add(&r->spool, buf, (size_t)n);
			continue;
		}
		if (n < 0 && errno == EINTR)
			continue;
		if (n == 0 || errno != EAGAIN)
			close_output(r);
		break;
	}
	maybe_done(r);
}

/* One pass over /proc adds each process's RSS to the run whose process group it is in
 * (r->sampled_kb). One scan per tick for all joblets: the cost does not grow with them. */
static void scan_group_rss(struct worker *w)
{
	DIR *d = opendir("/proc");
	struct dirent *de;
	long page_kb = sysconf(_SC_PAGESIZE) / 1024;
	if (d == NULL)
		return;
	while ((de = readdir(d))) {
		char path[300], stat[1024];
		if (de->d_name[0] < '0' || de->d_name[0] > '9')
			continue;
		snprintf(path, sizeof path, "/proc/%s/stat", de->d_name);
		int fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		ssize_t n = read(fd, stat, sizeof stat - 1);
		close(fd);
		if (n <= 0)
			continue;
		stat[n] = '\0';
		const char *p = strrchr(stat, ')');	/* the command name may hold spaces */
		long pgrp = 0, rss = 0;
		if (p && sscanf(p + 2, "%*c %*d %ld %*d %*d %*d %*u %*u %*u %*u %*u %*u %*u %*d %*d"
				       " %*d %*d %*d %*d %*u %*u %ld", &pgrp, &rss) != 2)
			continue;
		for (struct run *r = w->runs; r; r = r->next)
			if (r->pid > 0 && r->pid == pgrp)
				r->sampled_kb += (int)(rss * page_kb);
	}
	closedir(d);
}

/* A joblet's cgroup is removed once its last process is gone; one still busy at reap
 * (its processes dying) is tried again on each sample tick, never waited for. */
static void keep_leftover(struct worker *w, const char *path)
{
	w->cg_leftover = xrealloc(w->cg_leftover, w->ncg_leftover + 1, sizeof *w->cg_leftover);
	w->cg_leftover[w->ncg_leftover].path = xstrdup(path);
	w->cg_leftover[w->ncg_leftover++].tries = 0;
}

static void retry_leftovers(struct worker *w)
{
	size_t k = 0;
	for (size_t i = 0; i < w->ncg_leftover; i++) {
		struct cg_leftover *l = &w->cg_leftover[i];
		if (cgroup_remove(l->path) == 0 || errno == ENOENT) {
			free(l->path);
			continue;
		}
		if (++l->tries == 20) {	/* 10 s: say so once, and kill again */
			log_warn("cgroup %s still busy: %s", l->path, strerror(errno));
			cgroup_kill(&w->cg, l->path);
		}
		w->cg_leftover[k++] = *l;
	}
	w->ncg_leftover = k;
}

void exec_cgroups_cleanup(struct worker *w, int64_t wait_ms)
{
	int64_t deadline = clock_mono_ms() + wait_ms;
	while (w->ncg_leftover > 0) {
		retry_leftovers(w);
		if (w->ncg_leftover == 0 || clock_mono_ms() >= deadline)
			break;
		usleep(20000);
	}
	for (size_t i = 0; i < w->ncg_leftover; i++) {
		log_warn("cgroup %s left behind: still busy", w->cg_leftover[i].path);
		free(w->cg_leftover[i].path);
	}
	free(w->cg_leftover);
	w->cg_leftover = NULL;
	w->ncg_leftover = 0;
	cgroup_teardown(&w->cg);
}

/* The kernel killed (part of) the joblet: over its limit, over the worker's RAM (the cap
 * of a joblet without a limit of its own), or the machine ran out. */
static void say_oom(struct run *r)
{
	if (r->ram_limit_mb > 0)
		snprintf(r->message, sizeof r->message,
			 "killed by the kernel: over the cgroup limit of %d MB (peak %d MB)",
			 r->ram_limit_mb, (r->peak_rss_kb + 1023) / 1024);
	else if (r->cg_limit_mb > 0)
		snprintf(r->message, sizeof r->message,
			 "killed by the kernel: over the worker's %d MB, the most a joblet without a "
			 "RAM limit of its own may take (peak %d MB)", r->cg_limit_mb,
			 (r->peak_rss_kb + 1023) / 1024);
	else
		snprintf(r->message, sizeof r->message,
			 "killed by the kernel: out of memory (peak %d MB)",
			 (r->peak_rss_kb + 1023) / 1024);
}

/* At reap: the peak, an OOM kill, the stragglers, the directory. */
static void cgroup_done(struct run *r)
{
	const struct cgroup_base *cg = &r->w->cg;
	/* The group's peak is what its limit holds; the largest process's RSS (wait4) also
	 * counts pages charged elsewhere (shared libraries), so it gives way. Without a peak
	 * file (v2 before 5.19) the samples and wait4 stand in. */
	int64_t peak = cgroup_peak_kb(cg, r->cgroup);
	if (peak >= 0)
		r->peak_rss_kb = (int)peak;
	/* An OOM kill in its group fails the joblet with ram, also when its shell carried on
	 * and exited 0 before the sample tick ended the rest: part of it was killed. Not
	 * re-read: what the worker ended itself (cancel, time, stop) or a start failure. */
	if ((r->fail_reason == FR_NONE || r->fail_reason == FR_SIGNAL ||
	     r->fail_reason == FR_EXIT || r->why_kill_ram) && !r->why_kill_stop &&
	    !r->why_kill_cancel && !r->why_kill_time && cgroup_oom_kills(cg, r->cgroup) > 0) {
		r->fail_reason = FR_RAM;
		say_oom(r);
	}
	cgroup_kill(cg, r->cgroup);	/* whatever left the process group */
	if (cgroup_remove(r->cgroup) != 0 && errno != ENOENT)
		keep_leftover(r->w, r->cgroup);
	r->cgroup[0] = '\0';
}

/* SIGKILL the joblet's process group and its cgroup (also what left the group). */
static void kill_now(struct run *r)
{
	if (r->pid > 0)
		kill(-r->pid, SIGKILL);
	if (r->cgroup[0])
		cgroup_kill(&r->w->cg, r->cgroup);
}

/* A joblet's RAM now (kb, also in r->sampled_kb), its peak, and the kills of its own:
 * over the limit the user set (the kernel holds it in a cgroup; sampled otherwise), or
 * partly OOM-killed in its cgroup (v1 has no memory.oom.group: the rest goes too). */
static int64_t sample_one(struct worker *w, struct run *r)
{
	if (r->cgroup[0]) {
		int64_t kb = cgroup_current_kb(&w->cg, r->cgroup);
		r->sampled_kb = kb > 0 ? (int)kb : 0;
		if (!r->why_kill_ram && cgroup_oom_kills(&w->cg, r->cgroup) > 0) {
			r->why_kill_ram = true;
			say_oom(r);
			kill_now(r);
		}
	} else if (r->ram_limit_mb > 0 && r->sampled_kb / 1024 > r->ram_limit_mb &&
		   !r->why_kill_ram) {
		r->why_kill_ram = true;
		snprintf(r->message, sizeof r->message, "RSS %d MB over the limit of %d MB",
			 r->sampled_kb / 1024, r->ram_limit_mb);
		exec_kill(r);
	}
	if (r->sampled_kb > r->peak_rss_kb)	/* the peak where no peak file has it */
		r->peak_rss_kb = r->sampled_kb;
	return r->sampled_kb;
}

/* The node is short: its joblets hold more than the worker's RAM (--ram). The one furthest
 * over what it booked, among those without a limit of their own (their RAM learned or not
 * given), is ended with reason ram — one a tick, what is already being ended not counted.
 * A learned value alone never ends a joblet. */
static void relieve_node(struct worker *w, int64_t total_kb)
{
	struct run *worst = NULL;
	int64_t worst_over = 0;
	for (struct run *r = w->runs; r; r = r->next)
		if (r->pid > 0 && (r->why_kill_ram || r->why_kill_time || r->why_kill_cancel ||
				   r->why_kill_stop))
			total_kb -= r->sampled_kb;
	if (w->ram_mb <= 0 || total_kb / 1024 <= w->ram_mb)
		return;
	for (struct run *r = w->runs; r; r = r->next) {
		int64_t over = r->sampled_kb / 1024 - r->ram_mb;
		if (r->pid > 0 && r->ram_limit_mb == 0 && !r->why_kill_ram && !r->why_kill_stop &&
		    !r->why_kill_cancel && !r->why_kill_time && over > worst_over) {
			worst = r;
			worst_over = over;
		}
	}
	if (worst == NULL)
		return;
	worst->why_kill_ram = true;
	snprintf(worst->message, sizeof worst->message,
		 "RAM %d MB, %lld MB over the %d MB it booked, while the joblets on this worker "
		 "held %lld MB of its %d MB", worst->sampled_kb / 1024, (long long)worst_over,
		 worst->ram_mb, (long long)(total_kb / 1024), w->ram_mb);
	exec_kill(worst);
}

/* Every 500 ms: peak RAM of the joblets that have run for 250 ms or more (shorter ones
 * never pay for a scan), their limits, and the node's. A joblet in a cgroup costs a read of
 * its usage and of its OOM count; /proc is scanned only for joblets without one. */
void exec_sample(struct worker *w)
{
	int64_t old_enough = clock_wall_ms() - 250, total_kb = 0;
	bool any = false, scan = false;
	retry_leftovers(w);
	for (struct run *r = w->runs; r; r = r->next) {
		r->sampled_kb = 0;
		if (r->pid > 0 && r->started_ms <= old_enough) {
			any = true;
			scan = scan || r->cgroup[0] == '\0';
		}
	}
	if (!any)
		return;
	if (scan)
		scan_group_rss(w);
	for (struct run *r = w->runs; r; r = r->next)
		if (r->pid > 0)
			total_kb += sample_one(w, r);
	relieve_node(w, total_kb);
}

static void on_kill(evutil_socket_t fd, short what, void *arg)
{
	kill_now(arg);
}

static void on_limit(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	r->why_kill_time = true;
	snprintf(r->message, sizeof r->message, "time limit of %lld ms reached",
		 (long long)r->time_ms);
	exec_kill(r);
}

void exec_kill(struct run *r)
{
	if (r->pid <= 0)
		return;
	kill(-r->pid, SIGTERM);
	if (r->kill_ev == NULL) {
		r->kill_ev = evtimer_new(r->w->base, on_kill, r);
		struct timeval tv = {(time_t)(r->w->grace_ms / 1000),
				     (suseconds_t)(r->w->grace_ms % 1000) * 1000};
		evtimer_add(r->kill_ev, &tv);
	}
}

static void classify(struct run *r)
{
	int st = r->status;
	if (r->fail_reason != FR_NONE)
		return;	/* a start failure, already described */
	if (r->why_kill_stop)
		r->fail_reason = FR_SIGNAL;
	else if (r->why_kill_cancel)
		r->fail_reason = FR_CANCELLED;
	else if (r->why_kill_time)
		r->fail_reason = FR_TIME;
	else if (r->why_kill_ram)
		r->fail_reason = FR_RAM;
	else if (WIFSIGNALED(st)) {
		r->fail_reason = FR_SIGNAL;
		snprintf(r->message, sizeof r->message, "%s", strsignal(WTERMSIG(st)));
	} else if (WIFEXITED(st) && WEXITSTATUS(st) == 127)
		r->fail_reason = FR_NOTFOUND;
	else if (WIFEXITED(st) && WEXITSTATUS(st) == 126)
		r->fail_reason = FR_PERMISSION;
	else if (WIFEXITED(st) && WEXITSTATUS(st) != 0)
		r->fail_reason = FR_EXIT;
}

void exec_reap(struct worker *w)
{
	int status;
	struct rusage ru;
	siginfo_t si;
	/* Peek first (WNOWAIT): the rest of a joblet's group is killed while its leader, not
	 * yet reaped, still holds the group's id, so the id cannot have gone to another
	 * process meanwhile. */
	for (;;) {
		memset(&si, 0, sizeof si);
		if (waitid(P_ALL, 0, &si, WEXITED | WNOHANG | WNOWAIT) != 0 || si.si_pid == 0)
			break;
		pid_t pid = si.si_pid;
		struct run *r = w->runs;
		while (r && r->pid != pid)
			r = r->next;
		if (r)
			kill(-pid, SIGKILL);	/* the rest of its group */
		pid_t got;
		do
			got = wait4(pid, &status, 0, &ru);
		while (got < 0 && errno == EINTR);
		if (r == NULL || got != pid)
			continue;
		r->pid = 0;
		r->status = status;
		r->ru = ru;
		r->ended_ms = clock_wall_ms();
		r->ended_mono = clock_mono_ms();
		if (r->ru.ru_maxrss > r->peak_rss_kb)
			r->peak_rss_kb = (int)r->ru.ru_maxrss;
		if (r->fail_reason == FR_NONE || !r->exited)
			classify(r);
		if (r->script && r->reply_fd >= 0) {
			if (r->fail_reason == FR_EXIT)
				read_script_reply(r);
			else {
				close(r->reply_fd);
				r->reply_fd = -1;
			}
		}
		if (r->cgroup[0])
			cgroup_done(r);
		r->exited = true;
		if (r->limit_ev)
			evtimer_del(r->limit_ev);
		if (r->kill_ev)
			evtimer_del(r->kill_ev);
		if (r->out_fd >= 0)
			on_output(r->out_fd, EV_READ, r);	/* drain what is there; EOF follows */
		else
			maybe_done(r);
	}
}

void exec_end_all(struct worker *w, int64_t wait_ms)
{
	int64_t deadline = clock_mono_ms() + wait_ms;
	for (struct run *r = w->runs; r; r = r->next)
		if (r->pid > 0 && !r->why_kill_time && !r->why_kill_cancel && !r->why_kill_ram)
			r->why_kill_stop = true;
	for (;;) {
		exec_reap(w);
		bool left = false;
		for (struct run *r = w->runs; r; r = r->next) {
			if (r->pid > 0) {
				kill_now(r);	/* again each round: what the group forked meanwhile */
				left = true;
			}
		}
		if (!left || clock_mono_ms() >= deadline)
			break;
		usleep(10000);
	}
	for (struct run *r = w->runs; r; r = r->next) {
		if (r->pid > 0) {
			log_error("attempt %lld: process group %d still there after SIGKILL",
				  (long long)r->attempt, (int)r->pid);
		} else if (r->exited && !r->finished) {
			/* Output a process that left the group may still hold open is not waited
			 * for: the result goes with what came. */
			if (r->out_fd >= 0)
				on_output(r->out_fd, EV_READ, r);
			close_output(r);
			maybe_done(r);
		}
	}
}

void exec_free(struct run *r)
{
	if (r == NULL)
		return;
	close_output(r);
	if (r->script && r->reply_fd >= 0)
		close(r->reply_fd);
	struct event *evs[] = {r->limit_ev, r->kill_ev};
	for (size_t i = 0; i < 2; i++)
		if (evs[i])
			event_free(evs[i]);
	spool_free(&r->spool);
	runas_free(&r->ra);
	free(r->job);
	free(r->owner);
	free(r);
}
