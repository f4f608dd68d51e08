/* `plan --simulate`: drive a copy of the plan through time with assumed outcomes and
 * record what it does. The copy is driven exactly as the server drives the real plan
 * (plan.h), so the timeline shows the rules, not a second implementation of them. */
#include "net/plan-int.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

/* A run the simulation has started and will end. */
struct pending {
	int64_t at, run_id;
	bool ok;
};

struct sim {
	struct net_plan *plan;		/* owned copy */
	const struct net_sim_outcome *outcomes;
	size_t noutcomes;
	int64_t default_ms;
	struct pending *ends;		/* owned */
	size_t nends, capends;
	struct net_timeline *out;
};

static const char *const event_names[] = {"start", "wait", "skip", "done", "failed"};

const char *net_event_name(enum net_event_kind k)
{
	return k >= NET_EV_START && k <= NET_EV_FAIL ? event_names[k] : "?";
}

void net_timeline_free(struct net_timeline *t)
{
	free(t->ev);
	memset(t, 0, sizeof *t);
}

static void record(struct net_timeline *t, int64_t at, enum net_event_kind kind,
		   const struct net_run *r)
{
	if (t->n == NET_SIM_EVENTS_MAX) {
		t->truncated = true;
		return;
	}
	if (t->n == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->ev = xrealloc(t->ev, t->cap, sizeof *t->ev);
	}
	struct net_event *e = &t->ev[t->n++];
	e->at = at;
	e->run_id = r->id;
	e->kind = (int8_t)kind;
	snprintf(e->def, sizeof e->def, "%s", r->def);
	snprintf(e->reason, sizeof e->reason, "%s", r->reason);
}

static const struct net_sim_outcome *outcome_of(const struct sim *s, const char *def)
{
	for (size_t i = 0; i < s->noutcomes; i++)
		if (s->outcomes[i].def && strcmp(s->outcomes[i].def, def) == 0)
			return &s->outcomes[i];
	return NULL;
}

static void schedule_end(struct sim *s, const struct net_run *r, int64_t not_before)
{
	const struct net_sim_outcome *o = outcome_of(s, r->def);
	int64_t at = r->started_at + (o ? o->duration_ms : s->default_ms);
	if (s->nends == s->capends) {
		s->capends = s->capends ? s->capends * 2 : 16;
		s->ends = xrealloc(s->ends, s->capends, sizeof *s->ends);
	}
	s->ends[s->nends++] = (struct pending){at < not_before ? not_before : at, r->id,
					       !(o && o->fail)};
}

/* Record what the plan did, and schedule the end of every run it started. */
static void take(struct sim *s, struct net_actions *acts, int64_t now)
{
	for (size_t i = 0; i < acts->n; i++) {
		const struct net_run *r = &acts->a[i].run;
		switch (acts->a[i].kind) {
		case NET_ACT_START:
			record(s->out, now, NET_EV_START, r);
			schedule_end(s, r, now);
			break;
		case NET_ACT_WAIT:
			record(s->out, now, NET_EV_WAIT, r);
			break;
		case NET_ACT_SKIP:
			record(s->out, now, NET_EV_SKIP, r);
			break;
		default:
			break;
		}
	}
	acts->n = 0;
}

/* The pending end that comes first (then the one started first) into *i; false if none. */
static bool first_end(const struct sim *s, size_t *i)
{
	if (s->nends == 0 || s->ends == NULL)
		return false;
	*i = 0;
	for (size_t k = 1; k < s->nends; k++)
		if (s->ends[k].at < s->ends[*i].at)
			*i = k;
	return true;
}

static void end_one(struct sim *s, size_t i, struct net_actions *acts)
{
	struct pending e = s->ends[i];
	s->ends[i] = s->ends[--s->nends];
	if (net_run_ended(s->plan, e.run_id, e.ok, e.at, acts) == 0) {
		const struct net_run *r = net_run_get(s->plan, e.run_id);
		if (r)
			record(s->out, e.at, e.ok ? NET_EV_DONE : NET_EV_FAIL, r);
	}
	take(s, acts, e.at);
}

void net_simulate(const struct net_plan *p, int64_t from, int64_t until,
		  const struct net_sim_outcome *outcomes, size_t noutcomes, int64_t default_ms,
		  struct net_timeline *out)
{
	struct sim s = {net_plan_clone(p), outcomes, noutcomes, default_ms, NULL, 0, 0, out};
	struct net_actions acts = {0};
	for (size_t i = 0; i < s.plan->nruns; i++)
		if (s.plan->runs[i].state == NET_RUNNING)
			schedule_end(&s, &s.plan->runs[i], from);
	int64_t now = from;
	net_tick(s.plan, now, &acts);
	take(&s, &acts, now);
	/* Each step ends a run or ticks at a wake-up that has work; the bound only guards
	 * against a rule change that would make a wake-up without work. */
	for (size_t steps = 0; !out->truncated; steps++) {
		if (steps == 4 * (size_t)NET_SIM_EVENTS_MAX) {
			out->truncated = true;
			break;
		}
		size_t e = 0;
		bool ending = first_end(&s, &e);
		int64_t wake = net_next_wake(s.plan, now);
		int64_t end_at = ending ? s.ends[e].at : INT64_MAX;
		int64_t t = end_at <= wake ? end_at : wake;
		if (t >= until)
			break;
		now = t > now ? t : now;
		if (ending && end_at <= now) {
			end_one(&s, e, &acts);
		} else {
			net_tick(s.plan, now, &acts);
			take(&s, &acts, now);
		}
	}
	net_actions_free(&acts);
	free(s.ends);
	net_plan_free(s.plan);
}
