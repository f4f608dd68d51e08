/* Spawning workers on demand (spawn.h). Every 300 ms the loop looks at the ready queue
 * classes: a class whose head no live worker has room for now, and that the workers already
 * asked for (not yet registered) will not absorb, gets one more worker sized for it — its
 * cores, RAM, GPUs and time limit, its constraints as tags — while fewer than --spawn-max
 * are pending or running. One submission is in flight at a time. A failed one, or a worker
 * that ended before it registered, backs off (1 s doubling to 60 s), and the joblets'
 * reason says what happened (sched.spawn_note). */
#include "server/spawn-int.h"
#include "server/identity.h"
#include "server/standby.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <signal.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#define TICK_MS 300
#define SPAWN_BACKOFF_FIRST_MS 1000
#define SPAWN_BACKOFF_MAX_MS 60000

static const struct spawn_backend *const backends[] = {&spawn_slurm, &spawn_local};

int spawn_backend_known(const char *name)
{
	for (size_t i = 0; i < sizeof backends / sizeof backends[0]; i++)
		if (strcmp(backends[i]->name, name) == 0)
			return (int)i;
	return -1;
}

/* "spawning a worker through Slurm: MSG" as the reason of the joblets it is for; NULL:
 * nothing to say. */
static void set_note(struct spawner *sp, const char *msg)
{
	if (msg == NULL)
		sp->note[0] = '\0';
	else
		snprintf(sp->note, sizeof sp->note, "spawning a worker %s: %s", sp->be->how, msg);
	sp->srv->sched.spawn_note = sp->note[0] ? sp->note : NULL;
}

const char *spawn_output_line(const char *out, char *buf, size_t len)
{
	size_t at = 0;
	buf[0] = '\0';
	while (*out && at + 1 < len) {
		size_t n = strcspn(out, "\n");
		if (n > 0)
			at += (size_t)snprintf(buf + at, len - at, "%s%.*s", at ? "; " : "", (int)n, out);
		out += n + (out[n] == '\n');
	}
	if (at >= len)
		buf[len - 1] = '\0';
	return buf[0] ? buf : "no output";
}

static void failed(struct spawner *sp, const char *msg)
{
	sp->backoff_ms = sp->backoff_ms ? sp->backoff_ms * 2 : SPAWN_BACKOFF_FIRST_MS;
	if (sp->backoff_ms > SPAWN_BACKOFF_MAX_MS)
		sp->backoff_ms = SPAWN_BACKOFF_MAX_MS;
	sp->next_try_mono = clock_mono_ms() + sp->backoff_ms;
	sp->failing = true;
	char text[400];
	snprintf(text, sizeof text, "%s (next try in %d s)", msg, (int)(sp->backoff_ms / 1000));
	set_note(sp, text);
	log_warn("%s", sp->note);
}

static void entry_free(struct spawned *e)
{
	for (int32_t i = 0; i < e->ntags; i++)
		free(e->tags[i]);
	free(e->tags);
	free(e);
}

static void unlink_entry(struct spawner *sp, struct spawned *e)
{
	for (struct spawned **p = &sp->list; *p; p = &(*p)->next) {
		if (*p == e) {
			*p = e->next;
			sp->nlive--;
			return;
		}
	}
}

void spawned_submitted(struct spawner *sp, struct spawned *e, bool ok, const char *msg)
{
	sp->submitting = false;
	if (!ok) {
		unlink_entry(sp, e);
		entry_free(e);
		failed(sp, msg);
		return;
	}
	e->submitted = true;
	sp->failing = false;
	log_info("spawned worker %s %s: %s (%d cores, %d MB, %d GPUs)", e->name, sp->be->how, msg,
		 (int)e->cores, (int)e->ram_mb, (int)e->gpus);
	if (sp->stopped) {	/* the answer came after a drain began: cancel it too */
		e->cancelled = true;
		sp->be->cancel(sp);
	}
}

void spawned_gone(struct spawner *sp, struct spawned *e, const char *why)
{
	unlink_entry(sp, e);
	if (!e->registered && !e->cancelled && !sp->stopped) {
		char msg[400];
		snprintf(msg, sizeof msg, "%s ended before its worker registered: %s", e->name,
			 why ? why : "no reason given");
		failed(sp, msg);
	} else {
		log_info("spawned worker %s is gone%s%s", e->name, why ? ": " : "", why ? why : "");
	}
	entry_free(e);
}

/* ---- what to spawn ------------------------------------------------------------------ */

/* Has a live worker room for k's joblets now? Then dispatch, not a new worker, serves it. */
static bool room_now(const struct sched *s, const struct qclass *k)
{
	for (size_t i = 0; i < s->workers.cap; i++) {
		const struct worker *w = s->workers.slots[i].val;
		if (w == NULL || w->placeholder || w->stopping || !class_matches(k, w))
			continue;
		if (class_fits(k, w->cores - w->used_cores, w->ram_mb - w->used_ram_mb,
			       w->gpus - w->used_gpus))
			return true;
	}
	return false;
}

static bool has_tag(const struct spawned *e, const char *key, const char *val)
{
	size_t kl = strlen(key);
	for (int32_t i = 0; i < e->ntags; i++)
		if (strncmp(e->tags[i], key, kl) == 0 && e->tags[i][kl] == '=' &&
		    strcmp(e->tags[i] + kl + 1, val) == 0)
			return true;
	return false;
}

/* How many of k's joblets a worker asked for and not yet registered will take. */
static int64_t absorbs(const struct spawned *e, const struct qclass *k)
{
	if (e->registered || e->cores < k->cores || e->ram_mb < k->ram_mb || e->gpus < k->gpus)
		return 0;
	for (int32_t i = 0; i < k->nconstraints; i++)
		if (!has_tag(e, k->ckey[i], k->cval[i]))
			return 0;
	return k->cores > 0 ? e->cores / k->cores : 1;
}

/* The class most in need of a new worker: the best head among the classes with ready
 * joblets and room to run them that neither a live worker nor a pending one will take. */
static const struct qclass *wanting(const struct spawner *sp)
{
	const struct sched *s = &sp->srv->sched;
	const struct qclass *best = NULL;
	for (size_t i = 0; i < s->q.nactive; i++) {
		const struct qclass *k = s->q.active[i];
		if (k->ready.len == 0 || !class_has_room(k) || room_now(s, k))
			continue;
		int64_t need = (int64_t)k->ready.len;
		for (const struct spawned *e = sp->list; e && need > 0; e = e->next)
			need -= absorbs(e, k);
		if (need <= 0)
			continue;
		if (best == NULL || ready_less(heap_top(&k->ready), heap_top(&best->ready)))
			best = k;
	}
	return best;
}

/* Mark the ones whose worker has registered: from then on they are running workers. */
static void see_registrations(struct spawner *sp)
{
	for (struct spawned *e = sp->list; e; e = e->next) {
		if (e->registered || sched_worker_named(&sp->srv->sched, e->name) == NULL)
			continue;
		e->registered = true;
		sp->backoff_ms = 0;	/* it works: a later failure starts the back-off anew */
		log_info("spawned worker %s registered", e->name);
	}
}

/* The worker's command line, for a worker sized as e (argv's strings live in e, sp, the
 * numbers' buffers and the token file path copy). */
struct worker_cmd {
	char *argv[40];
	char cores[16], ram[16], gpus[16], idle[24];
	char *token;			/* owned copy */
	char *servers;			/* owned: every server's URL, this one first */
};

static void worker_cmd(struct spawner *sp, struct spawned *e, struct worker_cmd *c)
{
	struct server *srv = sp->srv;
	int n = 0;
	snprintf(c->cores, sizeof c->cores, "%d", (int)(e->cores > 0 ? e->cores : 1));
	snprintf(c->ram, sizeof c->ram, "%d", (int)e->ram_mb);
	snprintf(c->gpus, sizeof c->gpus, "%d", (int)e->gpus);
	snprintf(c->idle, sizeof c->idle, "%lld", (long long)((sp->idle_ms + 999) / 1000));
	const char *token = identity_local_token(srv);
	c->token = token ? xstrdup(token) : NULL;
	c->argv[n++] = sp->exe;
	c->argv[n++] = "worker";
	c->servers = standby_worker_urls(srv);
	c->argv[n++] = "--server";
	c->argv[n++] = c->servers;
	c->argv[n++] = "--name";
	c->argv[n++] = e->name;
	c->argv[n++] = "--idle-exit";
	c->argv[n++] = c->idle;
	c->argv[n++] = "--cores";
	c->argv[n++] = c->cores;
	if (e->ram_mb > 0) {	/* else the worker counts the RAM it finds */
		c->argv[n++] = "--ram";
		c->argv[n++] = c->ram;
	}
	c->argv[n++] = "--gpus";
	c->argv[n++] = c->gpus;
	for (int32_t i = 0; i < e->ntags && n < 30; i++) {
		c->argv[n++] = "--tag";
		c->argv[n++] = e->tags[i];
	}
	if (srv->tls_ca_file) {
		c->argv[n++] = "--ca";
		c->argv[n++] = srv->tls_ca_file;
	}
	/* With authentication on, the worker token is read from a file only the server's
	 * user can read: never on a command line, where ps (or squeue) shows it. */
	if (c->token) {
		c->argv[n++] = "--token-file";
		c->argv[n++] = c->token;
	}
	c->argv[n] = NULL;
}

static struct spawned *new_entry(struct spawner *sp, const struct qclass *k)
{
	struct spawned *e = xcalloc(1, sizeof *e);
	e->sp = sp;
	snprintf(e->name, sizeof e->name, "%s-%llu", sp->prefix, (unsigned long long)++sp->seq);
	e->cores = k->cores > 0 ? k->cores : 1;
	e->ram_mb = k->ram_mb;
	e->gpus = k->gpus;
	const struct joblet *head = heap_top(&k->ready);
	e->time_ms = head ? head->job->time_ms : 0;
	e->ntags = k->nconstraints > 15 ? 15 : k->nconstraints;
	e->tags = xcalloc((size_t)e->ntags + 1, sizeof *e->tags);
	for (int32_t i = 0; i < e->ntags; i++) {
		size_t len = strlen(k->ckey[i]) + strlen(k->cval[i]) + 2;
		e->tags[i] = xmalloc(len);
		snprintf(e->tags[i], len, "%s=%s", k->ckey[i], k->cval[i]);
	}
	e->submitted_mono = clock_mono_ms();
	e->next = sp->list;
	sp->list = e;
	sp->nlive++;
	return e;
}

/* The reason the joblets a spawned worker is for show, unless a failure says more. */
static void update_note(struct spawner *sp, const struct qclass *want)
{
	if (sp->failing)
		return;
	const struct spawned *pending = NULL;
	for (const struct spawned *e = sp->list; e && !pending; e = e->next)
		if (!e->registered)
			pending = e;
	char msg[160];
	if (pending && pending->job_id[0]) {
		snprintf(msg, sizeof msg, "asked for (Slurm job %s %s), not registered yet",
			 pending->job_id, pending->state);
		set_note(sp, msg);
	} else if (pending) {
		set_note(sp, "asked for, not registered yet");
	} else if (want && sp->nlive >= sp->max) {
		snprintf(msg, sizeof msg, "%d running, the most --spawn-max allows: waiting for one"
			 " to be free or to exit", (int)sp->max);
		set_note(sp, msg);
	} else {
		set_note(sp, NULL);
	}
}

static void consider(struct spawner *sp)
{
	if (sp->stopped)
		return;
	const struct qclass *k = wanting(sp);
	if (k && !sp->submitting && sp->nlive < sp->max && clock_mono_ms() >= sp->next_try_mono) {
		struct spawned *e = new_entry(sp, k);
		struct worker_cmd c = {0};
		worker_cmd(sp, e, &c);
		sp->submitting = true;
		sp->be->submit(sp, e, c.argv);
		free(c.token);
		free(c.servers);
	}
	if (!sp->stopped)
		update_note(sp, k);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct spawner *sp = arg;
	see_registrations(sp);
	if (sp->be->poll)
		sp->be->poll(sp);
	consider(sp);
	struct timeval tv = {0, (suseconds_t)TICK_MS * 1000};
	evtimer_add(sp->tick, &tv);
}

/* ---- life ----------------------------------------------------------------------------- */

static void spawn_free_one(struct spawner *sp)
{
	while (sp->list) {
		struct spawned *e = sp->list;
		sp->list = e->next;
		entry_free(e);
	}
	if (sp->tick)
		event_free(sp->tick);
	for (int32_t i = 0; i < sp->nopts; i++)
		free(sp->opts[i]);
	free(sp->opts);
	free(sp);
}

int spawn_start(struct server *srv, const struct spawn_config *cfg, char **err)
{
	if (cfg->backend == NULL)
		return 0;
	int b = spawn_backend_known(cfg->backend);
	if (b < 0) {
		*err = xasprintf("--spawn: slurm or local, got '%s'", cfg->backend);
		return -1;
	}
	struct spawner *sp = xcalloc(1, sizeof *sp);
	sp->srv = srv;
	sp->be = backends[b];
	sp->max = cfg->max;
	sp->idle_ms = cfg->idle_ms;
	sp->nopts = cfg->nopts;
	sp->opts = xcalloc((size_t)cfg->nopts + 1, sizeof *sp->opts);
	for (int32_t i = 0; i < cfg->nopts; i++)
		sp->opts[i] = xstrdup(cfg->opts[i]);
	ssize_t n = readlink("/proc/self/exe", sp->exe, sizeof sp->exe - 1);
	if (n <= 0) {
		*err = xasprintf("--spawn: cannot find my own executable: %s", strerror(errno));
		spawn_free_one(sp);
		return -1;
	}
	sp->exe[n] = '\0';
	snprintf(sp->dir, sizeof sp->dir, "%s/spawn", srv->data_dir);
	if (mkdir(sp->dir, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("--spawn: cannot create %s: %s", sp->dir, strerror(errno));
		spawn_free_one(sp);
		return -1;
	}
	unsigned char rnd[4] = {0};
	if (getrandom(rnd, sizeof rnd, 0) != (ssize_t)sizeof rnd)
		memcpy(rnd, &(uint32_t){(uint32_t)getpid()}, sizeof rnd);
	snprintf(sp->prefix, sizeof sp->prefix, "jobgrid-spawn-%02x%02x%02x%02x", rnd[0], rnd[1],
		 rnd[2], rnd[3]);
	sp->tick = evtimer_new(srv->base, on_tick, sp);
	srv->spawner = sp;
	log_info("spawning workers %s on demand: at most %d at once, each exits after %lld s"
		 " idle; Slurm job and worker names start with %s", sp->be->how, (int)sp->max,
		 (long long)((sp->idle_ms + 999) / 1000), sp->prefix);
	on_tick(-1, 0, sp);
	return 0;
}

bool spawn_reaped(struct server *srv, pid_t pid, int status)
{
	struct spawner *sp = srv->spawner;
	if (sp == NULL || pid <= 0)
		return false;
	for (struct spawned *e = sp->list; e; e = e->next) {
		if (e->pid != pid)
			continue;
		char how[4400];
		snprintf(how, sizeof how, "it exited (%s %d); its output is in %s/%s.log",
			 WIFSIGNALED(status) ? "signal" : "status",
			 WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status), sp->dir, e->name);
		e->pid = 0;
		spawned_gone(sp, e, how);
		return true;
	}
	return false;
}

void spawn_drain(struct server *srv)
{
	struct spawner *sp = srv->spawner;
	if (sp == NULL || sp->stopped)
		return;
	sp->stopped = true;
	set_note(sp, NULL);
	bool any = false;
	for (struct spawned *e = sp->list; e; e = e->next) {
		if (!e->registered && e->submitted) {
			e->cancelled = true;
			any = true;
		}
	}
	if (any)
		sp->be->cancel(sp);
}

void spawn_stop(struct server *srv)
{
	spawn_drain(srv);
	struct spawner *sp = srv->spawner;
	if (sp && sp->be->stop)
		sp->be->stop(sp);
}

bool spawn_all_exited(const struct server *srv)
{
	const struct spawner *sp = srv->spawner;
	if (sp == NULL)
		return true;
	if (sp->be->busy(sp))
		return false;
	for (const struct spawned *e = sp->list; e; e = e->next)
		if (e->pid > 0)
			return false;
	return true;
}

void spawn_free(struct server *srv)
{
	struct spawner *sp = srv->spawner;
	if (sp == NULL)
		return;
	/* Still there after the grace (a local worker that ignored its TERM): not left behind. */
	for (struct spawned *e = sp->list; e; e = e->next) {
		if (e->pid > 0) {
			kill(-e->pid, SIGKILL);
			waitpid(e->pid, NULL, 0);
		}
	}
	srv->sched.spawn_note = NULL;
	srv->spawner = NULL;
	spawn_free_one(sp);
}

json_t *spawn_status(const struct server *srv)
{
	const struct spawner *sp = srv->spawner;
	if (sp == NULL)
		return NULL;
	json_int_t pending = 0, running = 0;
	for (const struct spawned *e = sp->list; e; e = e->next) {
		if (e->registered)
			running++;
		else
			pending++;
	}
	return json_pack("{s:s, s:i, s:I, s:I, s:I, s:s, s:s}", "backend", sp->be->name, "max",
			 (int)sp->max, "idle_ms", (json_int_t)sp->idle_ms, "pending", pending,
			 "running", running, "name_prefix", sp->prefix, "note", sp->note);
}
