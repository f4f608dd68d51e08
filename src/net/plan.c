/* The job-network planner: periods' runs, the predecessor and successor checks; see plan.h
 * for the rules and how the server calls it.
 *
 * Design notes. Runs live in one array in the order they were made; every question ("has
 * P a DONE run in this window?") is a scan of it. Networks are small (tens of
 * definitions, a few runs each a period) and finished runs of left periods are pruned at
 * each tick, so a scan costs little and keeps the state a plain list the store mirrors.
 * Functions that may add a run take and return indices, never pointers, since adding may
 * move the array.
 */
#include "net/plan-int.h"
#include "base/xalloc.h"
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static const char *const state_names[NET_STATE__N] = {"planned", "waiting", "running",
						      "done", "failed", "skipped"};

const char *net_state_name(enum net_state s)
{
	return s >= 0 && s < NET_STATE__N ? state_names[s] : "?";
}

const char *net_origin_name(enum net_origin o)
{
	return o == NET_BY_START_TIME ? "start time" : o == NET_BY_TRIGGER ? "trigger" : "hand";
}

void net_actions_free(struct net_actions *acts)
{
	free(acts->a);
	memset(acts, 0, sizeof *acts);
}

static void emit(struct net_actions *acts, enum net_act_kind kind, const struct net_run *r)
{
	if (acts->n == acts->cap) {
		acts->cap = acts->cap ? acts->cap * 2 : 16;
		acts->a = xrealloc(acts->a, acts->cap, sizeof *acts->a);
	}
	acts->a[acts->n].kind = kind;
	acts->a[acts->n++].run = *r;
}

static void reasonf(struct net_run *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void reasonf(struct net_run *r, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(r->reason, sizeof r->reason, fmt, ap);
	va_end(ap);
}

/* ---- the plan and its definitions ---- */

struct net_plan *net_plan_new(const struct net_settings *server)
{
	struct net_plan *p = xcalloc(1, sizeof *p);
	net_plan_set_server(p, server);
	p->next_id = 1;
	return p;
}

void net_plan_set_server(struct net_plan *p, const struct net_settings *server)
{
	memset(&p->server, 0, sizeof p->server);
	if (server)
		p->server = *server;
}

static void free_edges(struct net_def *d)
{
	free(d->preds);
	free(d->succs);
	free(d->fails);
	d->preds = d->succs = d->fails = NULL;
	d->npreds = d->nsuccs = d->nfails = 0;
	d->fail_target = false;
}

static void free_def(struct net_def *d)
{
	free(d->name);
	net_spec_free(&d->spec);
	free_edges(d);
}

void net_plan_free(struct net_plan *p)
{
	if (p == NULL)
		return;
	for (size_t i = 0; i < p->ndefs; i++)
		free_def(&p->defs[i]);
	free(p->defs);
	free(p->runs);
	free(p);
}

static void rebuild_edges(struct net_plan *p);

struct net_plan *net_plan_clone(const struct net_plan *p)
{
	struct net_plan *c = xcalloc(1, sizeof *c);
	*c = *p;
	c->defs = p->ndefs ? xcalloc(p->ndefs, sizeof *c->defs) : NULL;
	for (size_t i = 0; i < p->ndefs; i++) {
		c->defs[i].name = xstrdup(p->defs[i].name);
		net_spec_copy(&c->defs[i].spec, &p->defs[i].spec);
		c->defs[i].paused = p->defs[i].paused;
		c->defs[i].planned_through = p->defs[i].planned_through;
	}
	c->caprun = p->nruns;
	c->runs = p->nruns ? xcalloc(p->nruns, sizeof *c->runs) : NULL;
	if (p->nruns)
		memcpy(c->runs, p->runs, p->nruns * sizeof *c->runs);
	rebuild_edges(c);
	return c;
}

ssize_t net_def_index(const struct net_plan *p, const char *name)
{
	for (size_t i = 0; i < p->ndefs; i++)
		if (strcmp(p->defs[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static struct net_def *find_def(const struct net_plan *p, const char *name)
{
	ssize_t i = net_def_index(p, name);
	return i < 0 ? NULL : &p->defs[i];
}

static void add_edge(size_t **list, size_t *n, size_t to)
{
	for (size_t i = 0; i < *n; i++)
		if ((*list)[i] == to)
			return;
	*list = xrealloc(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = to;
}

/* Both ends of every edge, so a check never has to look at the other side's spec. */
static void rebuild_edges(struct net_plan *p)
{
	for (size_t i = 0; i < p->ndefs; i++)
		free_edges(&p->defs[i]);
	for (size_t i = 0; i < p->ndefs; i++) {
		const struct net_spec *s = &p->defs[i].spec;
		for (size_t k = 0; k < s->npreds; k++) {
			ssize_t j = net_def_index(p, s->preds[k]);
			if (j >= 0) {
				add_edge(&p->defs[i].preds, &p->defs[i].npreds, (size_t)j);
				add_edge(&p->defs[j].succs, &p->defs[j].nsuccs, i);
			}
		}
		for (size_t k = 0; k < s->nsuccs; k++) {
			ssize_t j = net_def_index(p, s->succs[k]);
			if (j >= 0) {
				add_edge(&p->defs[i].succs, &p->defs[i].nsuccs, (size_t)j);
				add_edge(&p->defs[j].preds, &p->defs[j].npreds, i);
			}
		}
		for (size_t k = 0; k < s->nfail_succs; k++) {
			ssize_t j = net_def_index(p, s->fail_succs[k]);
			if (j >= 0) {
				add_edge(&p->defs[i].fails, &p->defs[i].nfails, (size_t)j);
				p->defs[j].fail_target = true;
			}
		}
	}
}

int net_pause(struct net_plan *p, const char *name, bool paused)
{
	struct net_def *d = find_def(p, name);
	if (d == NULL)
		return -1;
	d->paused = paused;
	return 0;
}

bool net_is_paused(const struct net_plan *p, const char *name)
{
	const struct net_def *d = find_def(p, name);
	return d && d->paused;
}

bool net_member(const struct net_plan *p, const char *name)
{
	const struct net_def *d = find_def(p, name);
	return d && (net_spec_has_role(&d->spec) || d->npreds || d->nsuccs || d->fail_target);
}

/* ---- runs ---- */

static ssize_t run_index(const struct net_plan *p, int64_t id)
{
	for (size_t i = 0; i < p->nruns; i++)
		if (p->runs[i].id == id)
			return (ssize_t)i;
	return -1;
}

const struct net_run *net_run_get(const struct net_plan *p, int64_t id)
{
	ssize_t i = run_index(p, id);
	return i < 0 ? NULL : &p->runs[i];
}

const struct net_run *net_run_by_job(const struct net_plan *p, int64_t job)
{
	for (size_t i = 0; job > 0 && i < p->nruns; i++)
		if (p->runs[i].job == job)
			return &p->runs[i];
	return NULL;
}

static size_t append_run(struct net_plan *p, const struct net_run *r)
{
	if (p->nruns == p->caprun) {
		p->caprun = p->caprun ? p->caprun * 2 : 32;
		p->runs = xrealloc(p->runs, p->caprun, sizeof *p->runs);
	}
	p->runs[p->nruns] = *r;
	return p->nruns++;
}

/* A new run of d planned at t in d's period holding t. Returns its index. */
static size_t add_run(struct net_plan *p, const struct net_def *d, int64_t t,
		      enum net_origin origin)
{
	struct net_run r;
	memset(&r, 0, sizeof r);
	r.id = p->next_id++;
	snprintf(r.def, sizeof r.def, "%s", d->name);
	net_period_of(&d->spec.sched, t, &r.period_start, &r.period_end);
	r.planned_at = t;
	r.state = NET_PLANNED;
	r.origin = (int8_t)origin;
	return append_run(p, &r);
}

static void remove_run(struct net_plan *p, size_t i)
{
	memmove(p->runs + i, p->runs + i + 1, (p->nruns - i - 1) * sizeof *p->runs);
	p->nruns--;
}

int net_restore(struct net_plan *p, const struct net_run *r)
{
	if (r->id <= 0 || run_index(p, r->id) >= 0 || r->state < 0 || r->state >= NET_STATE__N ||
	    memchr(r->def, '\0', sizeof r->def) == NULL)
		return -1;
	size_t i = append_run(p, r);
	p->runs[i].reason[sizeof p->runs[i].reason - 1] = '\0';
	if (r->id >= p->next_id)
		p->next_id = r->id + 1;
	return 0;
}

int net_run_job(struct net_plan *p, int64_t id, int64_t job, struct net_actions *acts)
{
	ssize_t i = run_index(p, id);
	if (i < 0)
		return -1;
	p->runs[i].job = job;
	emit(acts, NET_ACT_UPDATE, &p->runs[i]);
	return 0;
}

/* Is q (a run of any definition) in the window of r: planned inside r's period? */
static bool in_window(const struct net_run *q, int64_t from, int64_t to)
{
	return q->planned_at >= from && q->planned_at < to;
}

/* The earliest planned run of def in state `state` inside [from, to), other than run
 * `not`; -1 if none. */
static ssize_t find_in_window(const struct net_plan *p, const char *def, int state,
			      int64_t from, int64_t to, int64_t not)
{
	ssize_t best = -1;
	for (size_t i = 0; i < p->nruns; i++) {
		const struct net_run *q = &p->runs[i];
		if (q->state == state && q->id != not && in_window(q, from, to) &&
		    strcmp(q->def, def) == 0 && (best < 0 || q->planned_at < p->runs[best].planned_at))
			best = (ssize_t)i;
	}
	return best;
}

/* Is a run of def RUNNING (or, with waiting, WAITING too)? Any period. */
static bool busy(const struct net_plan *p, const char *def, bool waiting)
{
	for (size_t i = 0; i < p->nruns; i++) {
		const struct net_run *q = &p->runs[i];
		if ((q->state == NET_RUNNING || (waiting && q->state == NET_WAITING)) &&
		    strcmp(q->def, def) == 0)
			return true;
	}
	return false;
}

/* ---- periods ---- */

/* d's start times in [max(from, ps), pe), when the calendar allows the period [ps, pe).
 * Returns a malloc'd array (the caller frees it) and its length in *n. */
static int64_t *wanted_times(const struct net_def *d, int64_t ps, int64_t pe, int64_t from,
			     size_t *n)
{
	const struct net_schedule *s = &d->spec.sched;
	/* A time of day fires once a day (a skipped hour's jump included); a cron entry up to
	 * once a minute. */
	size_t ncron = 0;
	for (size_t i = 0; i < s->nstarts; i++)
		ncron += s->starts[i].tod_s < 0;
	size_t max = (s->nstarts - ncron) * (size_t)((pe - ps) / NET_DAY_MS + 2) +
		     ncron * (size_t)((pe - ps) / 60000 + 1);
	*n = 0;
	if (max == 0 || !net_calendar_allows(&s->cal, ps))
		return NULL;
	int64_t *out = xcalloc(max, sizeof *out);
	*n = net_start_times(s, from > ps ? from : ps, pe, out, max);
	return out;
}

static bool has_start_run(const struct net_plan *p, const char *def, int64_t t)
{
	for (size_t i = 0; i < p->nruns; i++)
		if (p->runs[i].planned_at == t && p->runs[i].origin == NET_BY_START_TIME &&
		    strcmp(p->runs[i].def, def) == 0)
			return true;
	return false;
}

/* Make def di's planned runs of the period [ps, pe) from `from` on, those not made yet. */
static void make_period(struct net_plan *p, size_t di, int64_t ps, int64_t pe, int64_t from,
			struct net_actions *acts)
{
	size_t n;
	int64_t *times = wanted_times(&p->defs[di], ps, pe, from, &n);
	for (size_t k = 0; k < n; k++) {
		if (has_start_run(p, p->defs[di].name, times[k]))
			continue;
		size_t i = add_run(p, &p->defs[di], times[k], NET_BY_START_TIME);
		reasonf(&p->runs[i], "planned for its start time");
		emit(acts, NET_ACT_PLAN, &p->runs[i]);
	}
	free(times);
	p->defs[di].planned_through = ps;
}

/* Make def di's runs for the period holding now, when that period is new to it. */
static void make_current(struct net_plan *p, size_t di, int64_t now, struct net_actions *acts)
{
	int64_t ps, pe;
	if (p->defs[di].spec.sched.nstarts == 0)
		return;
	net_period_of(&p->defs[di].spec.sched, now, &ps, &pe);
	if (ps > p->defs[di].planned_through)
		make_period(p, di, ps, pe, ps, acts);
}

/* ---- the predecessor check ---- */

/* What counted_preds needs besides the definition: the mode, which definitions were
 * seen, and one definition to take as active even if paused (its run just ended). */
struct walk {
	bool deep;
	bool *seen;		/* p->ndefs entries */
	size_t active;		/* an index, or SIZE_MAX */
	size_t *out, n;		/* p->ndefs entries: the counted predecessors */
};

/* The predecessors of def di that count (see plan.h), appended to w->out, each once. */
static void counted_preds(const struct net_plan *p, size_t di, struct walk *w)
{
	const struct net_def *d = &p->defs[di];
	for (size_t k = 0; k < d->npreds; k++) {
		size_t pi = d->preds[k];
		if (w->seen[pi])
			continue;
		w->seen[pi] = true;
		if (!p->defs[pi].paused || pi == w->active)
			w->out[w->n++] = pi;
		else if (w->deep)
			counted_preds(p, pi, w);
	}
}

/* Start a walk from di; walk_end frees it. */
static void walk_from(const struct net_plan *p, size_t di, bool deep, size_t active,
		      struct walk *w)
{
	w->deep = deep;
	w->seen = xcalloc(p->ndefs, sizeof *w->seen);
	w->active = active;
	w->out = xcalloc(p->ndefs, sizeof *w->out);
	w->n = 0;
	w->seen[di] = true;
	counted_preds(p, di, w);
}

static void walk_end(struct walk *w)
{
	free(w->seen);
	free(w->out);
}

/* The earliest run of pred still to come in [from, to): PLANNED, or WAITING for its
 * timeslot; -1 if none. */
static ssize_t still_to_come(const struct net_plan *p, const char *pred, int64_t from, int64_t to)
{
	ssize_t q = find_in_window(p, pred, NET_PLANNED, from, to, 0);
	ssize_t w = find_in_window(p, pred, NET_WAITING, from, to, 0);
	return q < 0 || (w >= 0 && p->runs[w].planned_at < p->runs[q].planned_at) ? w : q;
}

/* Why predecessor `pred` stops run r now, into why; false if it does not. Force start
 * (the seed's rule: "force the current order to execute even if in a predecessor job
 * chain orders are found that are scheduled for the current period") overrides runs of
 * pred still to come in r's window, whether or not pred has succeeded before them; then
 * note says which run was not waited for. It overrides nothing else: a running pred, or
 * one with nothing more to come and no success in the window (failed, skipped, never
 * run), still stops r. */
static bool pred_blocks(const struct net_plan *p, const char *pred, const struct net_run *r,
			bool force, char *why, size_t len, char *note, size_t nlen)
{
	char at[40];
	if (busy(p, pred, false)) {
		snprintf(why, len, "predecessor %s is running", pred);
		return true;
	}
	ssize_t q = still_to_come(p, pred, r->period_start, r->period_end);
	if (q >= 0)
		net_format_local(p->runs[q].planned_at, at, sizeof at);
	if (q >= 0 && !force) {
		snprintf(why, len, "predecessor %s has a run planned at %s this period", pred, at);
		return true;
	}
	if (q >= 0) {
		snprintf(note, nlen, "; predecessor %s's run planned at %s not waited for"
			 " (predecessor.force_start_in_period)", pred, at);
		return false;
	}
	if (find_in_window(p, pred, NET_DONE, r->period_start, r->period_end, 0) < 0) {
		snprintf(why, len, "predecessor %s has not completed successfully this period", pred);
		return true;
	}
	return false;
}

/* The predecessor check of run r of def di; false with why when r must be skipped. When
 * it passes, note tells what force start overrode ("" if nothing). */
static bool preds_pass(const struct net_plan *p, size_t di, const struct net_run *r,
		       const struct net_resolved *set, char *why, size_t len, char *note,
		       size_t nlen)
{
	struct walk w;
	walk_from(p, di, set->mode == NET_DEEP, SIZE_MAX, &w);
	bool pass = true;
	char forced[NET_REASON_MAX];
	note[0] = '\0';
	for (size_t k = 0; pass && k < w.n; k++) {
		forced[0] = '\0';
		pass = !pred_blocks(p, p->defs[w.out[k]].name, r, set->pred_force, why, len,
				    forced, sizeof forced);
		if (note[0] == '\0')	/* the first one is enough to say why */
			snprintf(note, nlen, "%s", forced);
	}
	walk_end(&w);
	return pass;
}

/* ---- considering a run ---- */

static void skip(struct net_plan *p, size_t i, const char *why, struct net_actions *acts)
{
	p->runs[i].state = NET_SKIPPED;
	reasonf(&p->runs[i], "%s", why);
	emit(acts, NET_ACT_SKIP, &p->runs[i]);
}

static void start(struct net_plan *p, size_t i, int64_t now, const char *why, const char *note,
		  struct net_actions *acts)
{
	struct net_run *r = &p->runs[i];
	r->state = NET_RUNNING;
	r->started_at = now;
	r->ended_at = 0;
	reasonf(r, "%s%s", why, note);
	emit(acts, NET_ACT_START, r);
}

/* Reasons that skip run r of deployed d before its timeslot is even looked at; false if
 * none. */
static bool blocked(const struct net_plan *p, const struct net_def *d, const struct net_run *r,
		    const struct net_resolved *set, int64_t now, char *why, size_t len)
{
	if (d->paused)
		snprintf(why, len, "definition is paused");
	else if (now >= r->period_end)
		snprintf(why, len, r->state == NET_WAITING ? "period ended outside its timeslot"
							    : "its period ended before it came due");
	else if (set->repeat == NET_REPEAT_NONE &&
		 find_in_window(p, r->def, NET_DONE, r->period_start, r->period_end, r->id) >= 0)
		snprintf(why, len, "already ran successfully this period (repeat: none)");
	else
		return false;
	return true;
}

static bool slot_open(const struct net_def *d, int64_t now)
{
	return !d->spec.sched.has_timeslot || timeslot_open(&d->spec.sched.slot, now, NULL);
}

static void wait_for_slot(struct net_plan *p, size_t i, const struct net_def *d, int64_t now,
			  struct net_actions *acts)
{
	struct net_run *r = &p->runs[i];
	int64_t open = timeslot_next_open(&d->spec.sched.slot, now);
	char at[40];
	r->state = NET_WAITING;
	if (open == 0 || open >= r->period_end)
		reasonf(r, "waiting for its timeslot, which does not open again this period");
	else
		reasonf(r, "waiting for its timeslot (opens %s)", net_format_local(open, at, sizeof at));
	emit(acts, NET_ACT_WAIT, r);
}

/* Did another run of r's definition pass the predecessor check in r's window? */
static bool passed_before(const struct net_plan *p, const struct net_run *r)
{
	for (size_t i = 0; i < p->nruns; i++) {
		const struct net_run *q = &p->runs[i];
		if (q->deps_ok && q->id != r->id && in_window(q, r->period_start, r->period_end) &&
		    strcmp(q->def, r->def) == 0)
			return true;
	}
	return false;
}

/* Run i should start now (due, restarted or by hand): timeslot, dependencies, start. */
static void consider(struct net_plan *p, size_t i, int64_t now, const char *why_start,
		     struct net_actions *acts)
{
	ssize_t di = net_def_index(p, p->runs[i].def);
	const struct net_def *d = di < 0 ? NULL : &p->defs[di];
	struct net_resolved set = net_settings_resolve(&p->server, d ? &d->spec.settings : NULL,
						       &p->runs[i].over);
	char why[NET_REASON_MAX], forced[NET_REASON_MAX];
	const char *note = "";
	if (d == NULL) {
		skip(p, i, "definition is not deployed", acts);
		return;
	}
	if (blocked(p, d, &p->runs[i], &set, now, why, sizeof why)) {
		skip(p, i, why, acts);
		return;
	}
	if (!slot_open(d, now)) {
		wait_for_slot(p, i, d, now, acts);
		return;
	}
	if (set.repeat == NET_REPEAT_RUN && passed_before(p, &p->runs[i])) {
		note = "; predecessors satisfied earlier this period (repeat: run)";
	} else if (!preds_pass(p, (size_t)di, &p->runs[i], &set, why, sizeof why, forced,
			       sizeof forced)) {
		skip(p, i, why, acts);
		return;
	} else {
		note = forced;
	}
	p->runs[i].deps_ok = true;
	start(p, i, now, why_start, note, acts);
}

/* ---- the successor check ---- */

/* The run of successor si to start now (see plan.h a and b), or -1. */
static ssize_t successor_run(const struct net_plan *p, size_t si, bool force, int64_t now)
{
	const struct net_def *s = &p->defs[si];
	int64_t ps, pe;
	net_period_of(&s->spec.sched, now, &ps, &pe);
	/* Any skipped run of the period, one planned later included: a run started early
	 * by a first predecessor and skipped must be restarted by the last one (fan-in). */
	ssize_t i = find_in_window(p, s->name, NET_SKIPPED, ps, pe, 0);
	if (i < 0 && force)
		i = find_in_window(p, s->name, NET_PLANNED, now + 1, pe, 0);
	return i;
}

/* A new run for successor si, which has no start times; -1 when its calendar or
 * repeat: none says no. */
static ssize_t successor_new_run(struct net_plan *p, size_t si, int64_t now)
{
	const struct net_def *s = &p->defs[si];
	struct net_resolved set = net_settings_resolve(&p->server, &s->spec.settings, NULL);
	int64_t ps, pe;
	net_period_of(&s->spec.sched, now, &ps, &pe);
	if (s->spec.sched.nstarts > 0 || !net_calendar_allows(&s->spec.sched.cal, ps) ||
	    (set.repeat == NET_REPEAT_NONE && find_in_window(p, s->name, NET_DONE, ps, pe, 0) >= 0))
		return -1;
	return (ssize_t)add_run(p, s, now, NET_BY_TRIGGER);
}

static void start_successor(struct net_plan *p, size_t si, bool force, const char *why,
			    int64_t now, struct net_actions *acts)
{
	if (p->defs[si].paused || busy(p, p->defs[si].name, true))
		return;
	make_current(p, si, now, acts);
	ssize_t i = successor_run(p, si, force, now);
	if (i < 0)
		i = successor_new_run(p, si, now);
	if (i >= 0)
		consider(p, (size_t)i, now, why, acts);
}

/* Does definition si count definition di among its predecessors (si's own mode, from
 * its definition and the server: it is about si's runs in general)? di counts as active:
 * its run just ended. */
static bool counts_as_pred(const struct net_plan *p, size_t si, size_t di)
{
	struct net_resolved set = net_settings_resolve(&p->server, &p->defs[si].spec.settings, NULL);
	struct walk w;
	walk_from(p, si, set.mode == NET_DEEP, di, &w);
	bool found = false;
	for (size_t k = 0; k < w.n && !found; k++)
		found = w.out[k] == di;
	walk_end(&w);
	return found;
}

/* Run `ended` (a copy: the array may move) of definition di ended; start what follows:
 * on success every definition that counts di among its predecessors, on failure the
 * failure successors. */
static void successor_check(struct net_plan *p, size_t di, const struct net_run *ended, bool ok,
			    int64_t now, struct net_actions *acts)
{
	const struct net_def *d = &p->defs[di];
	struct net_resolved set = net_settings_resolve(&p->server, &d->spec.settings, &ended->over);
	char why[NET_REASON_MAX];
	snprintf(why, sizeof why, "started by %s's %s", d->name, ok ? "success" : "failure");
	if (!ok) {
		for (size_t k = 0; k < p->defs[di].nfails; k++)
			start_successor(p, p->defs[di].fails[k], set.succ_force, why, now, acts);
		return;
	}
	for (size_t si = 0; si < p->ndefs; si++)
		if (si != di && counts_as_pred(p, si, di))
			start_successor(p, si, set.succ_force, why, now, acts);
}

int net_run_ended(struct net_plan *p, int64_t id, bool ok, int64_t now, struct net_actions *acts)
{
	ssize_t i = run_index(p, id);
	if (i < 0 || p->runs[i].state != NET_RUNNING)
		return -1;
	struct net_run *r = &p->runs[i];
	r->state = ok ? NET_DONE : NET_FAILED;
	r->ended_at = now;	/* the reason stays: why it ran (the job says why it failed) */
	emit(acts, NET_ACT_UPDATE, r);
	struct net_run copy = *r;
	ssize_t di = net_def_index(p, copy.def);
	if (di >= 0)
		successor_check(p, (size_t)di, &copy, ok, now, acts);
	return 0;
}

int64_t net_run_manual(struct net_plan *p, const char *name, const struct net_settings *over,
		       bool check, int64_t now, struct net_actions *acts)
{
	ssize_t di = net_def_index(p, name);
	if (di < 0)
		return -1;
	make_current(p, (size_t)di, now, acts);
	size_t i = add_run(p, &p->defs[di], now, NET_BY_HAND);
	if (over)
		p->runs[i].over = *over;
	p->runs[i].check = check;
	if (check)
		consider(p, i, now, "started by hand", acts);
	else
		start(p, i, now, "started by hand", "", acts);
	return p->runs[i].id;
}

/* ---- the timer ---- */

static bool due(const struct net_plan *p, const struct net_run *r, int64_t now)
{
	if (r->state == NET_PLANNED)
		return r->planned_at <= now;
	if (r->state != NET_WAITING)
		return false;
	const struct net_def *d = find_def(p, r->def);
	return d == NULL || now >= r->period_end || slot_open(d, now);
}

/* The due run planned first (then made first), or -1. */
static ssize_t next_due(const struct net_plan *p, int64_t now)
{
	ssize_t best = -1;
	for (size_t i = 0; i < p->nruns; i++)
		if (due(p, &p->runs[i], now) &&
		    (best < 0 || p->runs[i].planned_at < p->runs[best].planned_at))
			best = (ssize_t)i;
	return best;
}

/* Forget finished runs no definition's current window can see (the store keeps them). */
static void prune(struct net_plan *p, int64_t now)
{
	int64_t bound = now;
	for (size_t i = 0; i < p->ndefs; i++) {
		int64_t ps, pe;
		net_period_of(&p->defs[i].spec.sched, now, &ps, &pe);
		if (ps < bound)
			bound = ps;
	}
	size_t w = 0;
	for (size_t i = 0; i < p->nruns; i++) {
		const struct net_run *r = &p->runs[i];
		bool final = r->state == NET_DONE || r->state == NET_FAILED || r->state == NET_SKIPPED;
		if (!(final && r->period_end <= bound && r->planned_at < bound))
			p->runs[w++] = *r;
	}
	p->nruns = w;
}

void net_tick(struct net_plan *p, int64_t now, struct net_actions *acts)
{
	for (size_t di = 0; di < p->ndefs; di++)
		make_current(p, di, now, acts);
	ssize_t i;
	while ((i = next_due(p, now)) >= 0)
		consider(p, (size_t)i, now,
			 p->runs[i].state == NET_WAITING ? "its timeslot opened" : "its start time came",
			 acts);
	prune(p, now);
}

static int64_t min64(int64_t a, int64_t b)
{
	return a < b ? a : b;
}

/* When waiting run r can go on: its slot opens or its period ends. */
static int64_t waiting_wake(const struct net_plan *p, const struct net_run *r, int64_t now)
{
	const struct net_def *d = find_def(p, r->def);
	if (d == NULL || !d->spec.sched.has_timeslot)
		return now;
	int64_t open = timeslot_next_open(&d->spec.sched.slot, now);
	return open == 0 ? r->period_end : min64(open, r->period_end);
}

int64_t net_next_wake(const struct net_plan *p, int64_t now)
{
	int64_t wake = INT64_MAX;
	for (size_t i = 0; i < p->ndefs; i++) {
		int64_t ps, pe;
		if (p->defs[i].spec.sched.nstarts == 0)
			continue;
		net_period_of(&p->defs[i].spec.sched, now, &ps, &pe);
		wake = min64(wake, ps > p->defs[i].planned_through ? now : pe);
	}
	for (size_t i = 0; i < p->nruns; i++) {
		const struct net_run *r = &p->runs[i];
		if (r->state == NET_PLANNED)
			wake = min64(wake, r->planned_at);
		else if (r->state == NET_WAITING)
			wake = min64(wake, waiting_wake(p, r, now));
	}
	return wake;
}

/* ---- deploy ---- */

static bool wanted(const int64_t *times, size_t n, int64_t t)
{
	for (size_t k = 0; k < n; k++)
		if (times[k] == t)
			return true;
	return false;
}

/* Bring def di's current period in line with its (new) schedule from now on. */
static void reconcile(struct net_plan *p, size_t di, int64_t now, struct net_actions *acts)
{
	struct net_def *d = &p->defs[di];
	int64_t ps, pe;
	size_t n;
	net_period_of(&d->spec.sched, now, &ps, &pe);
	int64_t *times = wanted_times(d, ps, pe, now, &n);
	for (size_t i = p->nruns; i-- > 0;) {
		struct net_run *r = &p->runs[i];
		if (r->state != NET_PLANNED || r->origin != NET_BY_START_TIME || r->planned_at < now ||
		    strcmp(r->def, d->name) != 0)
			continue;
		if (!wanted(times, n, r->planned_at)) {
			emit(acts, NET_ACT_DROP, r);
			remove_run(p, i);
		} else if (r->period_start != ps || r->period_end != pe) {
			r->period_start = ps;
			r->period_end = pe;
			emit(acts, NET_ACT_UPDATE, r);
		}
	}
	free(times);
	make_period(p, di, ps, pe, now, acts);
}

static size_t put_def(struct net_plan *p, const struct net_named *nd)
{
	ssize_t di = net_def_index(p, nd->name);
	if (di >= 0) {
		net_spec_free(&p->defs[di].spec);	/* replaced; the paused flag stays */
		net_spec_copy(&p->defs[di].spec, nd->spec);
		return (size_t)di;
	}
	p->defs = xrealloc(p->defs, p->ndefs + 1, sizeof *p->defs);
	struct net_def *d = &p->defs[p->ndefs];
	memset(d, 0, sizeof *d);
	d->name = xstrdup(nd->name);
	net_spec_copy(&d->spec, nd->spec);
	d->planned_through = INT64_MIN;
	return p->ndefs++;
}

void net_deploy(struct net_plan *p, const struct net_named *defs, size_t n, int64_t now,
		struct net_actions *acts)
{
	size_t *idx = xcalloc(n + 1, sizeof *idx);
	for (size_t k = 0; k < n; k++)
		idx[k] = put_def(p, &defs[k]);
	rebuild_edges(p);
	for (size_t k = 0; k < n; k++)
		reconcile(p, idx[k], now, acts);
	free(idx);
}

int net_undeploy(struct net_plan *p, const char *name, int64_t now, struct net_actions *acts)
{
	ssize_t di = net_def_index(p, name);
	if (di < 0)
		return -1;
	for (size_t i = p->nruns; i-- > 0;) {
		if (strcmp(p->runs[i].def, name) != 0)
			continue;
		if (p->runs[i].state == NET_PLANNED) {
			emit(acts, NET_ACT_DROP, &p->runs[i]);
			remove_run(p, i);
		} else if (p->runs[i].state == NET_WAITING) {
			skip(p, i, "definition undeployed", acts);
		}
	}
	free_def(&p->defs[di]);
	memmove(p->defs + di, p->defs + di + 1, (p->ndefs - (size_t)di - 1) * sizeof *p->defs);
	p->ndefs--;
	rebuild_edges(p);
	return 0;
}

/* ---- the view ---- */

static void view_add(struct net_run **out, size_t *n, size_t *cap, const struct net_run *r)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 16;
		*out = xrealloc(*out, *cap, sizeof **out);
	}
	(*out)[(*n)++] = *r;
}

/* The runs def d will get in periods starting in [from, to) not made yet. */
static void view_future(const struct net_def *d, int64_t from, int64_t to, struct net_run **out,
			size_t *n, size_t *cap)
{
	int64_t ps, pe;
	for (int64_t t = from; t < to && d->spec.sched.nstarts > 0; t = pe) {
		net_period_of(&d->spec.sched, t, &ps, &pe);
		if (ps < from || ps <= d->planned_through)
			continue;
		size_t k;
		int64_t *times = wanted_times(d, ps, pe, ps, &k);
		for (size_t j = 0; j < k; j++) {
			struct net_run r;
			memset(&r, 0, sizeof r);
			snprintf(r.def, sizeof r.def, "%s", d->name);
			r.period_start = ps;
			r.period_end = pe;
			r.planned_at = times[j];
			reasonf(&r, "not planned yet");
			view_add(out, n, cap, &r);
		}
		free(times);
	}
}

static int by_planned(const void *a, const void *b)
{
	const struct net_run *x = a, *y = b;
	if (x->planned_at != y->planned_at)
		return x->planned_at < y->planned_at ? -1 : 1;
	int c = strcmp(x->def, y->def);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

size_t net_view(const struct net_plan *p, int64_t from, int64_t to, struct net_run **out)
{
	size_t n = 0, cap = 0;
	*out = NULL;
	for (size_t i = 0; i < p->nruns; i++)
		if (p->runs[i].period_start >= from && p->runs[i].period_start < to)
			view_add(out, &n, &cap, &p->runs[i]);
	for (size_t i = 0; i < p->ndefs; i++)
		view_future(&p->defs[i], from, to, out, &n, &cap);
	if (n > 1)
		qsort(*out, n, sizeof **out, by_planned);
	return n;
}
