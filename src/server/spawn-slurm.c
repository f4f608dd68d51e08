/* `--spawn slurm`: each worker is a Slurm batch job, submitted with sbatch --parsable (its
 * id comes back), named after the spawner's prefix so that one squeue --name finds them
 * all. squeue runs at most once a second while any is known: a job no longer listed
 * has ended (completed, failed, cancelled or timed out) and frees its slot. Draining or
 * stopping the server scancels the ones whose worker has not registered yet. sbatch,
 * squeue and scancel are child processes the loop watches (child.h), found on PATH; the
 * cluster is the one SLURM_CONF (or the default configuration) names. */
#include "server/spawn-int.h"
#include "server/child.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

#define CMD_LIMIT_S 30		/* a Slurm command that has not answered by then is killed */
#define POLL_EVERY_MS 1000

static bool exited_ok(int status)
{
	return status >= 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/* What went wrong with a command run, for the joblets' reason. */
static const char *failure(const char *cmd, int status, const char *out, char *buf, size_t len)
{
	char line[300];
	if (status < 0)
		snprintf(buf, len, "%s did not answer in %d s", cmd, CMD_LIMIT_S);
	else if (*out)
		snprintf(buf, len, "%s", spawn_output_line(out, line, sizeof line));
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
		snprintf(buf, len, "%s could not be run (is it installed and on PATH?)", cmd);
	else
		snprintf(buf, len, "%s failed (%s %d)", cmd, WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	return buf;
}

/* ---- sbatch --------------------------------------------------------------------------- */

static void on_submitted(void *arg, int status, const char *out)
{
	struct spawned *e = arg;
	char msg[400];
	if (!exited_ok(status)) {
		spawned_submitted(e->sp, e, false, failure("sbatch", status, out, msg, sizeof msg));
		return;
	}
	/* "ID" or "ID;CLUSTER" */
	size_t n = strspn(out, "0123456789");
	if (n == 0 || n >= sizeof e->job_id) {
		char line[300];
		snprintf(msg, sizeof msg, "sbatch gave no job id: %s",
			 spawn_output_line(out, line, sizeof line));
		spawned_submitted(e->sp, e, false, msg);
		return;
	}
	memcpy(e->job_id, out, n);
	e->job_id[n] = '\0';
	snprintf(e->state, sizeof e->state, "PENDING");
	snprintf(msg, sizeof msg, "Slurm job %s", e->job_id);
	spawned_submitted(e->sp, e, true, msg);
}

/* The worker's command line as sh text: every word single-quoted (' as '\''). */
static char *wrap_text(char *const argv[])
{
	size_t cap = 8;
	for (size_t i = 0; argv[i]; i++)
		cap += strlen(argv[i]) * 4 + 3;
	char *s = xmalloc(cap), *p = s;
	p += sprintf(p, "exec");
	for (size_t i = 0; argv[i]; i++) {
		*p++ = ' ';
		*p++ = '\'';
		for (const char *c = argv[i]; *c; c++) {
			if (*c == '\'') {
				memcpy(p, "'\\''", 4);
				p += 4;
			} else {
				*p++ = *c;
			}
		}
		*p++ = '\'';
	}
	*p = '\0';
	return s;
}

static void submit(struct spawner *sp, struct spawned *e, char *const argv[])
{
	char name[64], out[4300], dir[4300], cores[24], mem[32], time[32], gres[32];
	char *wrap = wrap_text(argv);
	char *wrap_opt = xasprintf("--wrap=%s", wrap);
	free(wrap);
	snprintf(name, sizeof name, "--job-name=%s", sp->prefix);
	snprintf(out, sizeof out, "--output=%s/slurm-%%j.out", sp->dir);
	snprintf(dir, sizeof dir, "--chdir=%s", sp->dir);
	snprintf(cores, sizeof cores, "--cpus-per-task=%d", (int)e->cores);
	char **a = xcalloc((size_t)sp->nopts + 16, sizeof *a);
	int n = 0;
	a[n++] = "sbatch";
	a[n++] = "--parsable";
	a[n++] = name;
	a[n++] = out;
	a[n++] = dir;
	a[n++] = cores;
	if (e->ram_mb > 0) {
		snprintf(mem, sizeof mem, "--mem=%dM", (int)e->ram_mb);
		a[n++] = mem;
	}
	if (e->time_ms > 0) {	/* whole minutes, with the idle wait on top */
		snprintf(time, sizeof time, "--time=%lld",
			 (long long)((e->time_ms + sp->idle_ms + 59999) / 60000));
		a[n++] = time;
	}
	if (e->gpus > 0) {
		snprintf(gres, sizeof gres, "--gres=gpu:%d", (int)e->gpus);
		a[n++] = gres;
	}
	for (int32_t i = 0; i < sp->nopts; i++)
		a[n++] = sp->opts[i];
	a[n++] = wrap_opt;
	a[n] = NULL;
	const char *err = NULL;
	if (child_run_start(sp->srv, a, NULL, 0, CMD_LIMIT_S, on_submitted, e, &err) == NULL) {
		char msg[300];
		snprintf(msg, sizeof msg, "cannot run sbatch: %s", err);
		spawned_submitted(sp, e, false, msg);
	}
	free(a);
	free(wrap_opt);
}

/* ---- squeue --------------------------------------------------------------------------- */

/* The state squeue listed for job id, or NULL if it is not listed. */
static const char *listed(const char *out, const char *id, char *state, size_t len)
{
	size_t idl = strlen(id);
	for (const char *p = out; *p;) {
		size_t n = strcspn(p, "\n");
		if (n > idl && strncmp(p, id, idl) == 0 && p[idl] == ' ') {
			snprintf(state, len, "%.*s", (int)(n - idl - 1), p + idl + 1);
			return state;
		}
		p += n + (p[n] == '\n');
	}
	return NULL;
}

static void on_polled(void *arg, int status, const char *out)
{
	struct spawner *sp = arg;
	sp->poll_call = NULL;
	sp->last_poll_mono = clock_mono_ms();
	if (!exited_ok(status)) {
		char msg[400];
		log_warn("cannot tell which spawned Slurm jobs run: %s",
			 failure("squeue", status, out, msg, sizeof msg));
		return;
	}
	for (struct spawned *e = sp->list, *next; e; e = next) {
		next = e->next;
		/* One submitted after this squeue began may not be listed yet. */
		if (e->job_id[0] == '\0' || e->submitted_mono >= sp->poll_started_mono)
			continue;
		if (listed(out, e->job_id, e->state, sizeof e->state))
			continue;
		char why[4400];
		snprintf(why, sizeof why, "its Slurm job %s ended (its output: %s/slurm-%s.out)",
			 e->job_id, sp->dir, e->job_id);
		spawned_gone(sp, e, why);
	}
}

static void on_cancelled(void *arg, int status, const char *out)
{
	struct spawner *sp = arg;
	sp->cancel_call = NULL;
	char msg[400];
	if (!exited_ok(status))
		log_warn("cancelling spawned Slurm jobs: %s",
			 failure("scancel", status, out, msg, sizeof msg));
}

static void cancel(struct spawner *sp)
{
	if (sp->cancel_call)
		return;	/* the next poll sends the rest */
	char **a = xcalloc((size_t)sp->nlive + 3, sizeof *a);
	int n = 0;
	a[n++] = "scancel";
	for (struct spawned *e = sp->list; e; e = e->next) {
		if (e->cancelled && !e->cancel_sent && e->job_id[0] && !e->registered) {
			e->cancel_sent = true;
			a[n++] = e->job_id;
		}
	}
	a[n] = NULL;
	const char *err = NULL;
	if (n > 1) {
		log_info("cancelling %d spawned Slurm job(s) whose worker has not registered", n - 1);
		sp->cancel_call = child_run_start(sp->srv, a, NULL, 0, CMD_LIMIT_S, on_cancelled, sp, &err);
		if (sp->cancel_call == NULL)
			log_warn("cannot run scancel: %s", err);
	}
	free(a);
}

static void poll_jobs(struct spawner *sp)
{
	cancel(sp);	/* any still to cancel: one submitted during a drain */
	if (sp->poll_call || clock_mono_ms() - sp->last_poll_mono < POLL_EVERY_MS)
		return;
	bool any = false;
	for (const struct spawned *e = sp->list; e && !any; e = e->next)
		any = e->job_id[0] != '\0';
	if (!any)
		return;
	char name[64];
	snprintf(name, sizeof name, "--name=%s", sp->prefix);
	char *a[] = {"squeue", "--noheader", name, "--format=%i %T", NULL};
	const char *err = NULL;
	sp->poll_started_mono = clock_mono_ms();
	sp->poll_call = child_run_start(sp->srv, a, NULL, 0, CMD_LIMIT_S, on_polled, sp, &err);
	if (sp->poll_call == NULL) {
		sp->last_poll_mono = clock_mono_ms();
		log_warn("cannot run squeue: %s", err);
	}
}

static bool busy(const struct spawner *sp)
{
	return sp->cancel_call != NULL || sp->submitting;
}

const struct spawn_backend spawn_slurm = {
	.name = "slurm",
	.how = "through Slurm",
	.submit = submit,
	.poll = poll_jobs,
	.cancel = cancel,
	.stop = NULL,
	.busy = busy,
};
