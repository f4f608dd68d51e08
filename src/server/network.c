/* Job networks on the server (SPEC §7): the planner of src/net/plan.h driven by the loop.
 *
 * The planner is pure; this module carries out what it answers. Every action's run is
 * stored (one JSON row per run, table net_runs); a START makes the run's job — a command
 * run at once, a script run after its job_started (scripts.c) — and tells the planner its
 * seq. A job's end reaches the planner at the end of the loop turn, never from inside a
 * scheduler callback, since the successors it starts add jobs to the scheduler. The timer
 * is the server's one tick (server.c asks network_tick for the next wake). */
#include "server/network.h"
#include "server/batch.h"
#include "server/persist.h"
#include "server/registry.h"
#include "server/scripts.h"
#include "server/history.h"
#include "server/server.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include "net/plan.h"
#include <stdio.h>
#include <string.h>

/* A job end waiting for the end of the loop turn. */
struct net_end {
	int64_t run;
	bool ok;
};

/* The network module's state on the server (srv->net). */
struct network {
	struct net_end *ends;		/* owned array */
	size_t n, cap;
	struct event *ev;		/* runs the pending ends */
	struct run_waiter *hand;	/* who waits for the hand run being started, or NULL */
	int64_t hand_id;
	const struct definition *hand_def;
	int32_t hand_version;
	json_t *hand_args, *hand_facts;	/* borrowed during network_run_by_hand */
	const char *hand_cwd;
	bool hand_started;
};

/* srv->net, made on first use: job ends may come while the store loads, before
 * network_start. */
static struct network *net_of(struct server *srv)
{
	if (srv->net == NULL)
		srv->net = xcalloc(1, sizeof *srv->net);
	return srv->net;
}

/* ---- runs as JSON (store and API) ----------------------------------------------------- */

static json_t *run_json(const struct net_run *r)
{
	return json_pack("{s:I, s:s, s:I, s:I, s:I, s:I, s:I, s:i, s:i, s:b, s:b, s:I, s:s,"
			 " s:{s:i, s:i, s:i, s:i}}",
			 "id", (json_int_t)r->id, "def", r->def, "period_start",
			 (json_int_t)r->period_start, "period_end", (json_int_t)r->period_end,
			 "planned_at", (json_int_t)r->planned_at, "started_at",
			 (json_int_t)r->started_at, "ended_at", (json_int_t)r->ended_at, "state",
			 r->state, "origin", r->origin, "deps_ok", r->deps_ok, "check", r->check,
			 "job", (json_int_t)r->job, "reason", r->reason, "over", "mode",
			 r->over.mode, "repeat", r->over.repeat, "pred_force", r->over.pred_force,
			 "succ_force", r->over.succ_force);
}

static int64_t geti(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

/* An integer member of o in lo..hi (a missing one is 0); false if it is out of range. */
static bool get_in(json_t *o, const char *k, int64_t lo, int64_t hi, int64_t *out)
{
	json_t *v = json_object_get(o, k);
	*out = json_integer_value(v);
	return (v == NULL || json_is_integer(v)) && *out >= lo && *out <= hi;
}

/* A run stored as JSON text back into *r. NULL, or what is wrong with the text: every
 * state, origin and setting is range-checked, since a value out of range would steer the
 * planner somewhere no code path expects. */
static const char *run_from_json(const char *text, struct net_run *r)
{
	json_t *o = json_loads(text, 0, NULL), *over = json_object_get(o, "over");
	const char *def = json_string_value(json_object_get(o, "def"));
	const char *reason = json_string_value(json_object_get(o, "reason"));
	int64_t state, origin, mode, repeat, pred, succ;
	const char *bad = !json_is_object(o) ? "not a JSON object"
		: def == NULL || def[0] == '\0' || strlen(def) > NET_NAME_MAX ? "def: not a name"
		: !json_is_integer(json_object_get(o, "id")) ? "id: not an integer"
		: !get_in(o, "state", 0, NET_STATE__N - 1, &state) ? "state: out of range"
		: !get_in(o, "origin", NET_BY_START_TIME, NET_BY_HAND, &origin) ? "origin: out of range"
		: over != NULL && !json_is_object(over) ? "over: not an object"
		: !get_in(over, "mode", NET_MODE_UNSET, NET_DEEP, &mode) ? "over.mode: out of range"
		: !get_in(over, "repeat", NET_REPEAT_UNSET, NET_REPEAT_NONE, &repeat)
			? "over.repeat: out of range"
		: !get_in(over, "pred_force", NET_TRI_UNSET, NET_TRI_TRUE, &pred)
			? "over.pred_force: out of range"
		: !get_in(over, "succ_force", NET_TRI_UNSET, NET_TRI_TRUE, &succ)
			? "over.succ_force: out of range"
		: NULL;
	if (bad == NULL) {
		memset(r, 0, sizeof *r);
		r->id = geti(o, "id");
		snprintf(r->def, sizeof r->def, "%s", def);
		snprintf(r->reason, sizeof r->reason, "%s", reason ? reason : "");
		r->period_start = geti(o, "period_start");
		r->period_end = geti(o, "period_end");
		r->planned_at = geti(o, "planned_at");
		r->started_at = geti(o, "started_at");
		r->ended_at = geti(o, "ended_at");
		r->state = (int8_t)state;
		r->origin = (int8_t)origin;
		r->deps_ok = json_is_true(json_object_get(o, "deps_ok"));
		r->check = json_is_true(json_object_get(o, "check"));
		r->job = geti(o, "job");
		r->over.mode = (int8_t)mode;
		r->over.repeat = (int8_t)repeat;
		r->over.pred_force = (int8_t)pred;
		r->over.succ_force = (int8_t)succ;
	}
	json_decref(o);
	return bad;
}

/* ---- carrying out the planner's actions ----------------------------------------------- */

static void store_run(struct server *srv, const struct net_action *a)
{
	struct batch *b = server_batch(srv);
	struct rec_net *r = &store_batch_add(&b->sb, a->kind == NET_ACT_DROP ? REC_NET_DROP
										: REC_NET_RUN)->u.net;
	r->id = a->run.id;
	r->planned_at = a->run.planned_at;
	if (a->kind != NET_ACT_DROP) {
		json_t *o = run_json(&a->run);
		r->run = json_dumps(o, JSON_COMPACT);
		json_decref(o);
	}
	server_mark_dirty(srv);
}

static void queue_end(struct server *srv, int64_t run, bool ok)
{
	struct network *nw = net_of(srv);
	if (nw->n == nw->cap) {
		nw->cap = nw->cap ? nw->cap * 2 : 16;
		nw->ends = xrealloc(nw->ends, nw->cap, sizeof *nw->ends);
	}
	nw->ends[nw->n++] = (struct net_end){run, ok};
	if (nw->ev)
		event_active(nw->ev, EV_TIMEOUT, 0);
}

/* The job exists: tell the planner; a job that ended as it was made (a script that
 * scheduled nothing) ends its run too. */
static void job_made(struct server *srv, int64_t run, const struct job *j,
		     struct net_actions *acts)
{
	net_run_job(srv->plan, run, j->seq, acts);
	if (jl_state_final(j->state))
		queue_end(srv, run, j->state == JS_DONE);
}

/* A START nobody asked for by hand: the run's job from the current version, with the
 * definition's default arguments, owned by whoever deployed that version. */
static void start_run(struct server *srv, const struct net_run *run, struct net_actions *acts)
{
	int32_t version;
	const char *owner, *why = "its definition is not deployed";
	const struct definition *d = defs_current(srv, run->def, &version, &owner);
	json_t *args = d ? defs_default_args(d, &why) : NULL;
	if (args == NULL) {
		log_warn("network run %lld of %s not started: %s", (long long)run->id, run->def, why);
		net_run_ended(srv->plan, run->id, false, server_now(srv), acts);
		return;
	}
	if (d->script) {
		scripts_start_run(srv, NULL, d, version, owner, args, NULL, NULL, run->id);
		json_decref(args);
		return;
	}
	char msg[300];
	const char *field, *bad = msg;
	long long n;
	char *cmd = defs_expand_run(d, args, &n, msg, sizeof msg, &field);
	struct job *j = cmd ? defs_create_job(srv, owner, d, args, NULL, cmd, n, 0, NULL,
					      defs_run_state(d, version), &bad)
			    : NULL;
	if (j)
		job_made(srv, run->id, j, acts);
	else {
		log_warn("network run %lld of %s not started: %s", (long long)run->id, run->def, bad);
		net_run_ended(srv->plan, run->id, false, server_now(srv), acts);
	}
	free(cmd);
	json_decref(args);
}

/* The START of a run asked for by hand: the job made for the waiting call. */
static void start_hand_run(struct server *srv, int64_t id, struct net_actions *acts)
{
	struct network *nw = net_of(srv);
	struct run_waiter *w = nw->hand;
	const struct definition *d = nw->hand_def;
	nw->hand_started = true;
	if (d->script) {
		scripts_start_run(srv, w, d, nw->hand_version, w->owner, nw->hand_args,
				  nw->hand_facts, nw->hand_cwd, id);
		return;
	}
	char msg[300];
	const char *field;
	long long n;
	char *cmd = defs_expand_run(d, nw->hand_args, &n, msg, sizeof msg, &field);
	struct job *j = NULL;
	if (cmd == NULL)
		w->refused(w, ERR_RULE_BROKEN, field, msg);
	else
		j = defs_make_job(srv, w, d, nw->hand_version, nw->hand_args, nw->hand_facts, cmd,
				  n, 0, nw->hand_cwd, defs_run_state(d, nw->hand_version));
	if (j)
		job_made(srv, id, j, acts);
	else
		net_run_ended(srv->plan, id, false, server_now(srv), acts);
	free(cmd);
}

/* Tell the event stream that run a changed (`net.run`, for every caller, as GET /v1/plan
 * is): a run skipped or waiting has no job, so no job event would say it. The job's seq is
 * left out, as the plan leaves out another user's. */
static void notify_run(struct server *srv, const struct net_action *a)
{
	static const char *const change[] = {
		[NET_ACT_PLAN] = "plan", [NET_ACT_START] = "start", [NET_ACT_WAIT] = "wait",
		[NET_ACT_SKIP] = "skip", [NET_ACT_UPDATE] = "update", [NET_ACT_DROP] = "drop",
	};
	char at[40], planned[40];
	persist_notice(srv, json_pack("{s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "event", "net.run",
				      "at", clock_format_rfc3339(server_now(srv), at, sizeof at),
				      "run", (json_int_t)a->run.id, "definition", a->run.def,
				      "state", net_state_name(a->run.state), "planned_at",
				      clock_format_rfc3339(a->run.planned_at, planned,
							   sizeof planned),
				      "change", change[a->kind]));
}

/* Store every action, tell the event stream and start the STARTs; acts grows while it is
 * walked. */
static void apply(struct server *srv, struct net_actions *acts)
{
	struct network *nw = net_of(srv);
	for (size_t i = 0; i < acts->n; i++) {
		struct net_action a = acts->a[i];	/* a copy: starting may grow the array */
		store_run(srv, &a);
		notify_run(srv, &a);
		if (a.kind != NET_ACT_START)
			continue;
		if (nw->hand && a.run.id == nw->hand_id && !nw->hand_started)
			start_hand_run(srv, a.run.id, acts);
		else
			start_run(srv, &a.run, acts);
	}
	net_actions_free(acts);
}

static void on_ends(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct network *nw = net_of(srv);
	struct net_actions acts = {0};
	for (size_t i = 0; i < nw->n; i++)	/* apply below may queue more: loop on n */
		net_run_ended(srv->plan, nw->ends[i].run, nw->ends[i].ok, server_now(srv), &acts);
	nw->n = 0;
	apply(srv, &acts);
	server_tick_now(srv);	/* the next wake may have changed */
}

void network_job_ended(struct server *srv, struct job *j)
{
	const struct net_run *r = srv->plan ? net_run_by_job(srv->plan, j->seq) : NULL;
	if (r && r->state == NET_RUNNING)
		queue_end(srv, r->id, j->state == JS_DONE);
}

void network_run_made(struct server *srv, int64_t run, int64_t seq)
{
	struct net_actions acts = {0};
	struct job *j = seq ? server_job(srv, seq) : NULL;
	if (j)
		job_made(srv, run, j, &acts);
	else
		net_run_ended(srv->plan, run, false, server_now(srv), &acts);
	apply(srv, &acts);
	server_tick_now(srv);
}

/* ---- deploy, start-up, tick ------------------------------------------------------------ */

static struct net_named *named(struct definition *const *defs, size_t n)
{
	struct net_named *out = xcalloc(n + 1, sizeof *out);
	for (size_t i = 0; i < n; i++)
		out[i] = (struct net_named){defs[i]->name, &defs[i]->net};
	return out;
}

void network_deployed(struct server *srv, struct definition *const *defs, size_t n)
{
	struct net_named *in = named(defs, n);
	struct net_actions acts = {0};
	net_deploy(srv->plan, in, n, server_now(srv), &acts);
	free(in);
	apply(srv, &acts);
	server_tick_now(srv);
}

void network_undeployed(struct server *srv, const char *name)
{
	struct net_actions acts = {0};
	if (net_undeploy(srv->plan, name, server_now(srv), &acts) == 0)
		apply(srv, &acts);
	else
		net_actions_free(&acts);
}

int64_t network_tick(struct server *srv)
{
	if (srv->plan == NULL)
		return INT64_MAX;
	struct net_actions acts = {0};
	int64_t now = server_now(srv);
	net_tick(srv->plan, now, &acts);
	apply(srv, &acts);
	return net_next_wake(srv->plan, now);
}

struct loaded {
	struct net_run *runs;
	size_t n, cap;
	char **paused;
	size_t npaused;
};

/* A stored run that does not read back stops the start (store_net_cb): dropping it
 * would plan and start its period's run again. */
static int on_stored(void *arg, int64_t id, const char *run, const char *paused, char *why,
		     size_t whylen)
{
	struct loaded *l = arg;
	if (paused) {
		l->paused = xrealloc(l->paused, l->npaused + 1, sizeof *l->paused);
		l->paused[l->npaused++] = xstrdup(paused);
		return 0;
	}
	if (l->n == l->cap) {
		l->cap = l->cap ? l->cap * 2 : 64;
		l->runs = xrealloc(l->runs, l->cap, sizeof *l->runs);
	}
	const char *bad = run ? run_from_json(run, &l->runs[l->n]) : "no run";
	if (bad == NULL && l->runs[l->n].id != id)
		bad = "id: not the row's";
	if (bad) {
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	l->n++;
	return 0;
}

/* A run left RUNNING whose job ended while the server was away, or was never made. */
static void settle_running(struct server *srv, const struct loaded *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct net_run *r = &l->runs[i];
		if (r->state != NET_RUNNING)
			continue;
		struct job *j = r->job ? server_job(srv, r->job) : NULL;
		if (j == NULL)
			queue_end(srv, r->id, false);
		else if (jl_state_final(j->state))
			queue_end(srv, r->id, j->state == JS_DONE);
	}
}

int network_start(struct server *srv, char **err)
{
	struct network *nw = net_of(srv);
	struct loaded l = {0};
	srv->plan = net_plan_new(&srv->net_config);
	nw->ev = event_new(srv->base, -1, 0, on_ends, srv);
	int rc = srv->store->vt->load_net(srv->store, on_stored, &l, err);
	for (size_t i = 0; rc == 0 && i < l.n; i++) {
		if (net_restore(srv->plan, &l.runs[i])) {
			*err = xasprintf("stored run %lld of %s cannot be restored",
					 (long long)l.runs[i].id, l.runs[i].def);
			rc = -1;
		}
	}
	if (rc) {
		for (size_t i = 0; i < l.npaused; i++)
			free(l.paused[i]);
		free(l.paused);
		free(l.runs);
		return -1;
	}
	struct definition **defs = NULL;
	size_t n = defs_active(srv, &defs);
	struct net_named *in = named(defs, n);
	struct net_actions acts = {0};
	net_deploy(srv->plan, in, n, server_now(srv), &acts);
	for (size_t i = 0; i < l.npaused; i++) {
		net_pause(srv->plan, l.paused[i], true);
		free(l.paused[i]);
	}
	settle_running(srv, &l);
	apply(srv, &acts);
	free(in);
	free(defs);
	free(l.paused);
	free(l.runs);
	if (l.n)
		log_info("job networks: %zu runs restored", l.n);
	return 0;
}

void network_free(struct server *srv)
{
	if (srv->net) {
		if (srv->net->ev)
			event_free(srv->net->ev);
		free(srv->net->ends);
		free(srv->net);
		srv->net = NULL;
	}
	net_plan_free(srv->plan);
	srv->plan = NULL;
}

/* ---- by hand ---------------------------------------------------------------------------- */

bool network_run_by_hand(struct server *srv, struct run_waiter *w, const struct definition *d,
			 int32_t version, json_t *args, json_t *facts,
			 const struct net_settings *over, const char *cwd)
{
	if (srv->plan == NULL || !net_member(srv->plan, d->name))
		return false;
	struct network *nw = net_of(srv);
	struct net_actions acts = {0};
	nw->hand = w;
	nw->hand_def = d;
	nw->hand_version = version;
	nw->hand_args = args;
	nw->hand_facts = facts;
	nw->hand_cwd = cwd;
	nw->hand_started = false;
	/* The START comes within the call, before its id is known: any START of a run made
	 * by hand just now is this one. */
	nw->hand_id = INT64_MAX;
	int64_t id = net_run_manual(srv->plan, d->name, over, false, server_now(srv), &acts);
	for (size_t i = 0; i < acts.n && id > 0; i++)
		if (acts.a[i].kind == NET_ACT_START && acts.a[i].run.id == id)
			nw->hand_id = id;
	apply(srv, &acts);
	if (id > 0 && !nw->hand_started) {
		const struct net_run *r = net_run_get(srv->plan, id);
		char msg[600];
		snprintf(msg, sizeof msg, "%s was not started: %s", d->name,
			 r ? r->reason : "the network refused it");
		w->refused(w, ERR_NOT_STARTED, "name", msg);
	}
	nw->hand = NULL;
	server_tick_now(srv);
	return id > 0;
}

/* ---- what the API shows ------------------------------------------------------------- */

struct stored_day {
	struct net_run *runs;		/* owned: the planner's runs of the day, then the stored */
	size_t nmem, n, cap;
	int64_t from, to;		/* the day: runs whose period starts in it */
};

static int on_stored_day(void *arg, int64_t id, const char *text, const char *paused,
			 char *why, size_t whylen)
{
	struct stored_day *sd = arg;
	struct net_run r;
	(void)paused;
	for (size_t i = 0; i < sd->nmem; i++)
		if (sd->runs[i].id == id)
			return 0;
	const char *bad = run_from_json(text, &r);
	if (bad) {	/* a plan with a run left out would look complete */
		snprintf(why, whylen, "%s", bad);
		return -1;
	}
	if (r.period_start < sd->from || r.period_start >= sd->to)
		return 0;
	if (sd->n == sd->cap) {
		sd->cap = sd->cap ? 2 * sd->cap : 16;
		sd->runs = xrealloc(sd->runs, sd->cap, sizeof *sd->runs);
	}
	sd->runs[sd->n++] = r;
	return 0;
}

/* The longest period of the deployed definitions, at least a day: a run of a period that
 * starts in a day is planned before that day's end plus this. */
static int64_t longest_period(struct server *srv)
{
	struct definition **defs = NULL;
	size_t n = defs_active(srv, &defs);
	int64_t longest = NET_DAY_MS;
	for (size_t i = 0; i < n; i++)
		if (defs[i]->net.sched.period_ms > longest)
			longest = defs[i]->net.sched.period_ms;
	free(defs);
	return longest;
}

ssize_t network_day(struct server *srv, int64_t from, int64_t to, struct net_run **out,
		    char **err)
{
	struct stored_day sd = {NULL, 0, 0, 0, from, to};
	sd.nmem = sd.n = sd.cap = net_view(srv->plan, from, to, &sd.runs);
	/* Runs of days the planner has let go of are read back from the store. The store
	 * finds them by planned_at, the plan shows a day's periods: a period starting in the
	 * day may hold runs planned after it (06:00-06:00 periods: the next day's 02:00), and
	 * a run planned in the day may belong to the day before's period. */
	if (srv->store->vt->read_net(srv->store, from, to + longest_period(srv), on_stored_day,
				     &sd, err)) {
		free(sd.runs);
		return -1;
	}
	*out = sd.runs;
	return (ssize_t)sd.n;
}

int network_pause(struct server *srv, const char *name, bool paused)
{
	int32_t version;
	const char *owner;
	if (defs_current(srv, name, &version, &owner) == NULL || net_pause(srv->plan, name, paused))
		return -1;
	struct rec_net *r = &store_batch_add(&server_batch(srv)->sb, REC_NET_PAUSE)->u.net;
	r->name = xstrdup(name);
	r->paused = paused;
	server_mark_dirty(srv);
	return 0;
}
