/* Lua job scripts on the server (SPEC §6). Every handler runs in a `jobgrid script` child
 * process (child.c, src/script/), never on the loop thread: Lua's instruction hook does not
 * fire inside C functions, so only a process with a CPU limit and a wall-clock kill can
 * stop every runaway (DECISIONS pitfall 6).
 *
 * - A run of a script definition first runs job_started; the joblets it schedules (or the
 *   definition's `joblets` when it has no job_started) make the job, whose seq was set
 *   aside first so the script sees its id. An error there refuses the run: nothing is made.
 * - joblet_completed, joblet_failed and job_completed are queued per job and run in order,
 *   a batch of calls per child, at most MAX_CHILDREN children at once. Their output and
 *   errors go to the job's log as `[server]` lines (stored as output of attempt -seq), and
 *   the facts they set are kept with the job.
 * - A joblet of a script job is handed to its worker with the script, the job's facts and
 *   its own, and runs joblet_started there (src/worker/exec.c).
 *
 * The state of a run is JSON kept in job->x->script (stored with its options): every run
 * of a definition has {"definition", "version"}; a script run adds "handlers": [...],
 * "facts": {...}, "batches": [{"n", "args"}...] (when job_started scheduled with
 * arguments) and "log_seq".
 * Calls still queued when the server stops are not kept: they are lost (docs/API.md). */
#include "server/scripts.h"
#include "server/batch.h"
#include "server/child.h"
#include "server/network.h"
#include "server/persist.h"
#include "server/registry.h"
#include "server/server.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SCRIPT_SECONDS 15	/* wall clock per child; its CPU limit is the child's own */
#define MAX_CHILDREN 4
#define MAX_BATCH 500		/* calls per child */
#define MAX_QUEUED 100000	/* calls waiting per job; more are dropped and logged */

/* job->x->script_flags: which handlers the script has (SF_KNOWN once looked up). */
enum {
	SF_KNOWN = 1, SF_JOBLET_COMPLETED = 2, SF_JOBLET_FAILED = 4, SF_JOB_COMPLETED = 8,
};

/* Handler calls waiting for one job, and its child while one runs. */
struct script_q {
	struct server *srv;
	int64_t seq;
	json_t *calls;			/* owned array of {"handler", "joblet_facts"} */
	json_t *running;		/* owned: the calls of the running child, or NULL */
	size_t dropped;			/* calls over MAX_QUEUED */
	bool waiting;			/* in srv->script_wait */
	struct script_q *wnext;		/* FIFO of jobs waiting for a free child slot */
};

/* ---- the state kept with a job ----------------------------------------------------- */

static json_t *state_of(const struct job *j)
{
	return j->x && j->x->script ? json_loads(j->x->script, 0, NULL) : NULL;
}

/* Store st (borrowed) as the job's state, with the job's row. */
static void state_put(struct server *srv, struct job *j, json_t *st)
{
	free(j->x->script);
	j->x->script = json_dumps(st, JSON_COMPACT);
	j->opts_dirty = true;
	srv->sched.hooks.job_put(srv->sched.hooks.ctx, j, false);
}

static unsigned flags_of(json_t *handlers)
{
	unsigned f = SF_KNOWN;
	size_t i;
	json_t *h;
	json_array_foreach(handlers, i, h) {
		const char *s = json_string_value(h);
		if (s && strcmp(s, "joblet_completed") == 0)
			f |= SF_JOBLET_COMPLETED;
		else if (s && strcmp(s, "joblet_failed") == 0)
			f |= SF_JOBLET_FAILED;
		else if (s && strcmp(s, "job_completed") == 0)
			f |= SF_JOB_COMPLETED;
	}
	return f;
}

static unsigned script_flags(struct job *j)
{
	if (!(j->x->script_flags & SF_KNOWN)) {
		json_t *st = state_of(j);
		j->x->script_flags = (uint8_t)flags_of(json_object_get(st, "handlers"));
		json_decref(st);
	}
	return j->x->script_flags;
}

/* The arguments job:schedule gave joblet index, or NULL (borrowed from st). */
static json_t *joblet_args(json_t *st, int32_t index)
{
	json_t *batches = json_object_get(st, "batches"), *b;
	size_t i;
	int64_t first = 0;
	json_array_foreach(batches, i, b) {
		int64_t n = json_integer_value(json_object_get(b, "n"));
		if (index < first + n)
			return json_object_get(b, "args");
		first += n;
	}
	return NULL;
}

/* ---- the job's log ----------------------------------------------------------------- */

/* Add text as `[server]` lines of the job's log, each line led by what (a handler). */
static void log_lines(struct server *srv, struct job *j, json_t *st, const char *what,
		      const char *text)
{
	if (text == NULL || *text == '\0')
		return;
	struct buf b = BUF_INIT;
	for (const char *p = text; *p;) {
		const char *nl = strchr(p, '\n');
		int n = (int)(nl ? (size_t)(nl - p) : strlen(p));
		buf_printf(&b, "%s: %.*s\n", what, n, p);
		p += n + (nl != NULL);
	}
	json_int_t seq = json_integer_value(json_object_get(st, "log_seq"));
	json_object_set_new(st, "log_seq", json_integer(seq + 1));
	size_t len = b.len;
	char *out = xmalloc(len + 1);
	memcpy(out, buf_cstr(&b), len + 1);
	buf_free(&b);
	persist_output(srv, -j->seq, seq, server_now(srv), out, len);
}

/* A call's outcome into the log: its output, then its error and traceback. */
static void log_result(struct server *srv, struct job *j, json_t *st, const char *what,
		       json_t *res)
{
	log_lines(srv, j, st, what, json_string_value(json_object_get(res, "output")));
	const char *err = json_string_value(json_object_get(res, "error"));
	if (err) {
		const char *tb = json_string_value(json_object_get(res, "traceback"));
		char *text = xasprintf("error: %s%s%s", err, tb ? "\n" : "", tb ? tb : "");
		log_lines(srv, j, st, what, text);
		free(text);
	}
}

/* ---- requests ---------------------------------------------------------------------- */

/* A request for the child: the definition's script, the job's facts, calls (taken). */
static char *request_text(const struct definition *d, json_t *facts, json_t *calls)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:O, s:o}", "mode", "server", "chunkname",
				def_script_chunk(d), "script", d->script, "first_line",
				d->script_line > 0 ? d->script_line : 1, "job_facts", facts,
				"calls", calls);
	char *text = json_dumps(req, JSON_COMPACT);
	json_decref(req);
	return text;
}

/* Facts are scalars: a list argument is passed as its comma-separated text. */
static json_t *fact_value(json_t *v)
{
	if (!json_is_array(v))
		return json_is_object(v) || json_is_null(v) ? NULL : json_incref(v);
	size_t i, len = 0;
	json_t *it;
	char *s = xstrdup("");
	json_array_foreach(v, i, it) {
		char *t = json_is_string(it) ? xstrdup(json_string_value(it))
					     : json_dumps(it, JSON_ENCODE_ANY | JSON_COMPACT);
		s = xrealloc(s, len + strlen(t) + 2, 1);
		len += (size_t)sprintf(s + len, "%s%s", i ? "," : "", t);
		free(t);
	}
	json_t *out = json_string(s);
	free(s);
	return out;
}

/* A fact given at run time as text (the CLI's k=v) takes the type of the definition's
 * value for it, when it reads as one. */
static json_t *like_declared(const struct definition *d, const char *name, json_t *v)
{
	const char *s = json_string_value(v);
	json_t *decl = NULL;
	for (size_t i = 0; i < d->nfacts && s; i++)
		if (strcmp(d->facts[i].name, name) == 0)
			decl = d->facts[i].value;
	char *end;
	if (json_is_integer(decl) && *s) {
		long long x = strtoll(s, &end, 10);
		if (*end == '\0')
			return json_integer(x);
	} else if (json_is_real(decl) && *s) {
		double x = strtod(s, &end);
		if (*end == '\0')
			return json_real(x);
	} else if (json_is_boolean(decl) && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0)) {
		return json_boolean(strcmp(s, "true") == 0);
	}
	return fact_value(v);
}

json_t *scripts_job_facts(const struct definition *d, int32_t version, const char *owner,
			  int64_t seq, json_t *args, json_t *over)
{
	json_t *f = json_object(), *v;
	const char *k;
	char id[400];
	for (size_t i = 0; i < d->nfacts; i++)
		json_object_set_new(f, d->facts[i].name, fact_value(d->facts[i].value));
	json_object_foreach(over, k, v) json_object_set_new(f, k, like_declared(d, k, v));
	snprintf(id, sizeof id, "%s.%s.%lld", owner, d->name, (long long)seq);
	json_object_set_new(f, "job.id", json_string(id));
	json_object_set_new(f, "job.name", json_string(d->name));
	json_object_set_new(f, "job.owner", json_string(owner));
	json_object_set_new(f, "job.definition", json_string(d->name));
	json_object_set_new(f, "job.version", json_integer(version));
	json_object_set_new(f, "job.joblet.maxretry", json_integer(defs_fact_retries(d, over)));
	json_object_foreach(args, k, v) {
		char name[160];
		snprintf(name, sizeof name, "jobargs.%s", k);
		json_object_set_new(f, name, fact_value(v));
	}
	/* json_object_set_new ignores NULL: values that are no scalar are left out. */
	return f;
}

/* ---- a run: job_started, then the job ---------------------------------------------- */

struct script_run {
	struct server *srv;
	struct run_waiter *w;		/* who asked; NULL for a network run */
	int64_t net_run;		/* the network run it is for, or 0
					 * (network_run_made follows) */
	const char *owner;		/* interned */
	struct child_call *k;
	const struct definition *d;	/* the registry keeps every version until exit */
	int32_t version;
	json_t *args, *facts;		/* owned */
	char *cwd;			/* owned */
	int64_t seq;			/* set aside for the job */
};

static void run_free(struct script_run *r)
{
	json_decref(r->args);
	json_decref(r->facts);
	free(r->cwd);
	free(r);
}

/* Refuse the run with the script's error (and its traceback as a field of its own). */
static void run_refuse(struct script_run *r, const char *what, const char *err, json_t *tb)
{
	char msg[4000];
	snprintf(msg, sizeof msg, "%s failed, no job was made: %s%s%s", what, err, tb ? "\n" : "",
		 tb ? json_string_value(tb) : "");
	if (r->w)
		r->w->script_failed(r->w, msg, tb);
	else
		log_warn("network run %lld of %s: %s", (long long)r->net_run, r->d->name, msg);
	if (r->net_run)
		network_run_made(r->srv, r->net_run, 0);
}

static int64_t scheduled(json_t *res, json_t **batches)
{
	json_t *sched = json_object_get(res, "schedule"), *b;
	size_t i;
	int64_t n = 0;
	bool any_args = false;
	json_array_foreach(sched, i, b) {
		n += json_integer_value(json_object_get(b, "n"));
		any_args = any_args || json_object_size(json_object_get(b, "args"));
	}
	*batches = any_args ? json_incref(sched) : NULL;
	return n;
}

static void run_started(struct script_run *r, json_t *reply)
{
	json_t *res = json_array_get(json_object_get(reply, "results"), 0), *batches = NULL;
	const char *err = json_string_value(json_object_get(reply, "error"));
	if (err || !json_is_object(res)) {
		run_refuse(r, "script", err ? err : "no result", json_object_get(reply, "traceback"));
		return;
	}
	if (!json_is_true(json_object_get(res, "ok"))) {
		run_refuse(r, "job_started", json_string_value(json_object_get(res, "error")) ?: "failed",
			   json_object_get(res, "traceback"));
		return;
	}
	long long n;
	const char *why;
	if (json_is_true(json_object_get(res, "called"))) {
		n = scheduled(res, &batches);
	} else if (def_eval_joblets(r->d->joblets, r->args, &n, &why)) {
		run_refuse(r, "joblets", why, NULL);
		return;
	}
	json_t *facts = json_object_get(reply, "job_facts");
	json_t *st = json_pack("{s:s, s:i, s:O, s:O, s:i}", "definition", r->d->name, "version",
			       r->version, "handlers", json_object_get(reply, "handlers"), "facts",
			       json_is_object(facts) ? facts : r->facts, "log_seq", 0);
	if (batches)
		json_object_set_new(st, "batches", batches);
	char *cmd = xasprintf("(script %s, version %d)", r->d->name, r->version);
	const char *bad = NULL;
	char *text = json_dumps(st, JSON_COMPACT);
	struct job *j = r->w ? defs_make_job(r->srv, r->w, r->d, r->version, r->args,
					     json_object_get(st, "facts"), cmd, n, r->seq, r->cwd,
					     text)
			     : defs_create_job(r->srv, r->owner, r->d, r->args,
					       json_object_get(st, "facts"), cmd, n, r->seq, r->cwd,
					       text, &bad);
	free(cmd);
	if (j) {
		log_result(r->srv, j, st, "job_started", res);
		state_put(r->srv, j, st);
	} else if (bad) {
		log_warn("network run %lld of %s: %s", (long long)r->net_run, r->d->name, bad);
	}
	if (r->net_run)
		network_run_made(r->srv, r->net_run, j ? j->seq : 0);
	json_decref(st);
}

static void on_run_reply(void *arg, json_t *reply, const char *why)
{
	struct script_run *r = arg;
	if (r->w)
		r->w->wait(r->w, NULL, NULL);
	if (reply == NULL) {
		char what[200];
		snprintf(what, sizeof what, "the script process %s", why);
		run_refuse(r, "job_started", what, NULL);
	} else {
		run_started(r, reply);
	}
	run_free(r);
}

static void on_run_gone(void *arg)
{
	struct script_run *r = arg;
	child_call_detach(r->k);
	r->w->refused(r->w, ERR_CLIENT_CLOSED, "", "the client left while job_started ran");
	if (r->net_run)
		network_run_made(r->srv, r->net_run, 0);
	run_free(r);
}

void scripts_start_run(struct server *srv, struct run_waiter *w, const struct definition *d,
		       int32_t version, const char *owner, json_t *args, json_t *over,
		       const char *cwd, int64_t net_run)
{
	struct script_run *r = xcalloc(1, sizeof *r);
	r->srv = srv;
	r->w = w;
	r->net_run = net_run;
	r->owner = owner;
	r->d = d;
	r->version = version;
	r->args = json_incref(args);
	r->cwd = cwd ? xstrdup(cwd) : NULL;	/* none: the default (defs_create_job) */
	r->seq = sched_reserve_seq(&srv->sched);
	r->facts = scripts_job_facts(d, version, owner, r->seq, args, over);
	char *text = request_text(d, r->facts, json_pack("[{s:s}]", "handler", "job_started"));
	const char *err = NULL;
	r->k = child_call_start(srv, "script", text, strlen(text), SCRIPT_SECONDS, on_run_reply, r,
				&err);
	free(text);
	if (r->k == NULL) {
		char what[200];
		snprintf(what, sizeof what, "cannot start the script process: %s", err);
		run_refuse(r, "job_started", what, NULL);
		run_free(r);
		return;
	}
	if (w)
		w->wait(w, on_run_gone, r);
}

/* ---- handlers after the start: queued per job --------------------------------------- */

static void q_start(struct script_q *q);

static void q_free(struct script_q *q)
{
	imap_del(&q->srv->script_qs, (uint64_t)q->seq);
	json_decref(q->calls);
	json_decref(q->running);
	free(q);
}

/* A child slot is free: start the job that waited longest. */
static void start_waiting(struct server *srv)
{
	while (srv->script_children < MAX_CHILDREN && srv->script_wait) {
		struct script_q *q = srv->script_wait;
		srv->script_wait = q->wnext;
		if (srv->script_wait == NULL)
			srv->script_wait_tail = NULL;
		q->waiting = false;
		q_start(q);
	}
}

/* Apply facts the handlers set that change how the job runs: its retry budget. */
static void apply_facts(struct job *j, json_t *facts)
{
	json_t *v = json_object_get(facts, "job.joblet.maxretry");
	if (json_is_integer(v) && json_integer_value(v) >= 0 && json_integer_value(v) <= 1000)
		j->retries = (uint16_t)json_integer_value(v);
}

static void q_done(struct script_q *q, json_t *reply, const char *why)
{
	struct server *srv = q->srv;
	struct job *j = sched_job(&srv->sched, q->seq);
	json_t *st = j ? state_of(j) : NULL;
	if (st) {
		json_t *results = json_object_get(reply, "results"), *call;
		const char *err = json_string_value(json_object_get(reply, "error"));
		size_t i;
		json_array_foreach(q->running, i, call) {
			char what[200];
			json_t *jf = json_object_get(call, "joblet_facts");
			const char *h = json_string_value(json_object_get(call, "handler"));
			if (json_object_get(jf, "joblet.number"))
				snprintf(what, sizeof what, "%s %lld", h,
					 (long long)json_integer_value(json_object_get(jf, "joblet.number")));
			else
				snprintf(what, sizeof what, "%s", h);
			json_t *res = json_array_get(results, i);
			if (reply == NULL || (err && res == NULL)) {
				char *text = xasprintf("error: %s", err ? err : why);
				log_lines(srv, j, st, what, text);
				free(text);
			} else {
				log_result(srv, j, st, what, res);
			}
		}
		json_t *facts = json_object_get(reply, "job_facts");
		if (json_is_object(facts)) {
			json_object_set(st, "facts", facts);
			apply_facts(j, facts);
		}
		state_put(srv, j, st);
		json_decref(st);
		/* Its output and facts changed, maybe after the job ended: pages read them again. */
		persist_job_notice(srv, j, "job.script");
	}
	json_decref(q->running);
	q->running = NULL;
	srv->script_children--;
	if (j && json_array_size(q->calls))
		q_start(q);
	else
		q_free(q);
	start_waiting(srv);
}

static void on_q_reply(void *arg, json_t *reply, const char *why)
{
	struct script_q *q = arg;
	char text[200];
	snprintf(text, sizeof text, "the script process %s", why);
	q_done(q, reply, text);
}

/* Run the queued calls (up to MAX_BATCH) in one child, or wait for a slot. */
static void q_start(struct script_q *q)
{
	struct server *srv = q->srv;
	struct job *j = sched_job(&srv->sched, q->seq);
	json_t *st = j ? state_of(j) : NULL;
	const struct definition *d = st ? defs_find_version(srv, json_string_value(
								     json_object_get(st, "definition")),
						    (int32_t)json_integer_value(
							    json_object_get(st, "version")))
					: NULL;
	if (d == NULL || d->script == NULL) {
		json_decref(st);
		q_free(q);	/* the job or its definition is gone: nothing to run */
		return;
	}
	if (srv->script_children >= MAX_CHILDREN) {
		json_decref(st);
		if (!q->waiting) {
			q->waiting = true;
			q->wnext = NULL;
			if (srv->script_wait_tail)
				srv->script_wait_tail->wnext = q;
			else
				srv->script_wait = q;
			srv->script_wait_tail = q;
		}
		return;
	}
	size_t n = json_array_size(q->calls), take = n < MAX_BATCH ? n : MAX_BATCH;
	q->running = json_array();
	for (size_t i = 0; i < take; i++) {
		json_t *call = json_array_get(q->calls, i);
		json_t *jf = json_object_get(call, "joblet_facts");
		json_t *args = jf ? joblet_args(st, (int32_t)json_integer_value(
							    json_object_get(jf, "joblet.number")))
				  : NULL;
		const char *k;
		json_t *v;
		json_object_foreach(args, k, v) {
			char name[160];
			snprintf(name, sizeof name, "jobletargs.%s", k);
			json_object_set(jf, name, v);
		}
		json_array_append(q->running, call);
	}
	json_t *rest = json_array();
	for (size_t i = take; i < n; i++)
		json_array_append(rest, json_array_get(q->calls, i));
	json_decref(q->calls);
	q->calls = rest;
	json_t *facts = json_deep_copy(json_object_get(st, "facts"));
	json_object_set_new(facts, "job.state", json_string(jl_state_name(j->state)));
	char *text = request_text(d, facts, json_incref(q->running));
	json_decref(facts);
	json_decref(st);
	const char *err = NULL;
	srv->script_children++;
	if (child_call_start(srv, "script", text, strlen(text), SCRIPT_SECONDS, on_q_reply, q,
			     &err) == NULL) {
		char why[200];
		snprintf(why, sizeof why, "could not be started: %s", err);
		q_done(q, NULL, why);
	}
	free(text);
}

static void enqueue(struct server *srv, struct job *j, const char *handler, json_t *jf)
{
	struct script_q *q = imap_get(&srv->script_qs, (uint64_t)j->seq);
	if (q == NULL) {
		q = xcalloc(1, sizeof *q);
		q->srv = srv;
		q->seq = j->seq;
		q->calls = json_array();
		imap_put(&srv->script_qs, (uint64_t)j->seq, q);
	}
	if (json_array_size(q->calls) >= MAX_QUEUED) {
		if (q->dropped++ == 0)
			log_warn("job %lld: more than %d script calls waiting; later ones dropped",
				 (long long)j->seq, MAX_QUEUED);
		json_decref(jf);
		return;
	}
	json_t *call = json_pack("{s:s}", "handler", handler);
	if (jf)
		json_object_set_new(call, "joblet_facts", jf);
	json_array_append_new(q->calls, call);
	if (q->running == NULL && !q->waiting)
		q_start(q);
}

static json_t *attempt_facts(const struct attempt *a)
{
	const struct joblet *jl = a->joblet;
	json_t *f = json_pack("{s:i, s:i, s:s, s:s, s:s}", "joblet.number", jl->index,
			      "joblet.retrynumber", a->n - 1, "joblet.state", jl_state_name(jl->state),
			      "joblet.node", a->node ? a->node : "", "joblet.failreason",
			      fail_reason_name(a->fail_reason));
	if (a->has_exit)
		json_object_set_new(f, "joblet.exitcode", json_integer(a->exit_code));
	if (a->message)
		json_object_set_new(f, "joblet.message", json_string(a->message));
	return f;
}

void scripts_event(struct server *srv, int ev, struct job *j, struct attempt *a)
{
	if (j->x == NULL || j->x->script == NULL || srv->stopping)
		return;
	unsigned f = script_flags(j);
	if (ev == EV_JOBLET_RETURNED && a && a->state == AS_DONE && (f & SF_JOBLET_COMPLETED))
		enqueue(srv, j, "joblet_completed", attempt_facts(a));
	else if (ev == EV_JOBLET_RETURNED && a && (a->state == AS_FAILED || a->state == AS_LOST) &&
		 (f & SF_JOBLET_FAILED))
		enqueue(srv, j, "joblet_failed", attempt_facts(a));
	else if (ev == EV_JOB_ENDED && (f & SF_JOB_COMPLETED))
		enqueue(srv, j, "job_completed", NULL);
}

/* ---- the worker's part ---------------------------------------------------------------- */

void scripts_assignment(struct server *srv, const struct attempt *a, json_t *o)
{
	const struct job *j = a->joblet->job;
	json_t *st = state_of(j);
	if (st == NULL)
		return;
	const struct definition *d = json_object_get(st, "handlers") ? defs_find_version(
		srv, json_string_value(json_object_get(st, "definition")),
		(int32_t)json_integer_value(json_object_get(st, "version"))) : NULL;
	if (d && d->script) {
		json_t *jf = json_pack("{s:i, s:i}", "joblet.number", a->joblet->index,
				       "joblet.retrynumber", a->n - 1), *v;
		const char *k;
		json_object_foreach(joblet_args(st, a->joblet->index), k, v) {
			char name[160];
			snprintf(name, sizeof name, "jobletargs.%s", k);
			json_object_set(jf, name, v);
		}
		json_t *facts = json_deep_copy(json_object_get(st, "facts"));
		json_object_set_new(facts, "job.state", json_string(jl_state_name(j->state)));
		json_object_set_new(o, "script",
				    json_pack("{s:s, s:s, s:i, s:o, s:o}", "text", d->script,
					      "chunkname", def_script_chunk(d), "first_line",
					      d->script_line > 0 ? d->script_line : 1, "job_facts",
					      facts, "joblet_facts", jf));
	}
	json_decref(st);
}

void scripts_free_all(struct server *srv)
{
	for (size_t i = 0; i < srv->script_qs.cap; i++) {
		struct script_q *q = srv->script_qs.slots[i].val;
		if (q) {
			json_decref(q->calls);
			json_decref(q->running);
			free(q);
		}
	}
	imap_free(&srv->script_qs);
}
