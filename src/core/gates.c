/* Gates: what holds a job back before (and, for timeslots, while) it runs.
 *
 * Dependencies are counted, never rescanned. Each edge (an --after-* on a job, or an
 * --after-group on a dep group) has a status, pending, met or broken, and the waiting
 * job keeps how many of its edges are pending and broken. When a job changes state only
 * the edges that point at it are looked at; a dep group keeps counts of its open and
 * broken members and tells its waiters only when its own status flips. So a 10^4-wide
 * fan-in or a 10^4-long chain costs O(1) per state change, not O(members).
 *
 * Jobs whose edges changed are put on a settle list that the scheduler works through after
 * the change that caused it, in a loop rather than by recursion, so a long chain of skips
 * cannot overflow the stack. Time gates (not-before, timeslot windows) keep one deadline per
 * job in the timer heap. See gates.h for what it may change. */
#include "base/buf.h"
#include "base/clock.h"
#include "base/timeslot.h"
#include "base/xalloc.h"
#include "core/gates.h"
#include <stdio.h>
#include <string.h>

/* What a member contributes to its dep group. */
enum { PART_NONE, PART_OPEN, PART_BROKEN };

static int member_part(int st)
{
	if (!jl_state_final(st))
		return PART_OPEN;
	return st == JS_DONE ? PART_NONE : PART_BROKEN;
}

static int edge_status(int type, int st)
{
	if (st < 0)
		return DS_BROKEN;	/* removed */
	if (!jl_state_final(st))
		return DS_PENDING;
	if (type == DEP_OK)
		return st == JS_DONE ? DS_MET : DS_BROKEN;
	if (type == DEP_FAIL)
		return st != JS_DONE ? DS_MET : DS_BROKEN;
	return DS_MET;
}

static int group_status(const struct dep_group *g)
{
	return g->broken ? DS_BROKEN : g->open ? DS_PENDING : DS_MET;
}

/* ---- timers ------------------------------------------------------------------------ */

static int timers_less(const void *a, const void *b)
{
	return ((const struct job *)a)->x->wake_at < ((const struct job *)b)->x->wake_at;
}

static void timers_setpos(void *e, size_t pos)
{
	((struct job *)e)->x->wake_pos = pos;
}

static void timer_set(struct gates *g, struct job *j, int64_t at)
{
	struct job_ext *x = j->x;
	if (x->wake_at == at)
		return;
	if (x->wake_at)
		heap_remove(&g->timers, x->wake_pos);
	x->wake_at = at;
	if (at)
		heap_push(&g->timers, j);
}

int64_t gates_next(const struct gates *g)
{
	const struct job *j = heap_top(&g->timers);
	return j ? j->x->wake_at : 0;
}

struct job *gates_due(struct gates *g, int64_t now)
{
	struct job *j = heap_top(&g->timers);
	if (j == NULL || j->x->wake_at > now)
		return NULL;
	timer_set(g, j, 0);
	return j;
}

/* ---- life cycle -------------------------------------------------------------------- */

void gates_init(struct gates *g)
{
	memset(g, 0, sizeof *g);
	imap_init(&g->dep_groups);
	heap_init(&g->timers, timers_less, timers_setpos);
}

void gates_free(struct gates *g)
{
	for (size_t i = 0; i < g->dep_groups.cap; i++) {
		struct dep_group *d = g->dep_groups.slots[i].val;
		if (d) {
			free(d->members);
			free(d->waiters);
			free(d);
		}
	}
	imap_free(&g->dep_groups);
	heap_free(&g->timers);
	free(g->settle);
}

/* ---- small arrays ------------------------------------------------------------------ */

static void ptr_push(struct job ***arr, int32_t *n, int32_t *cap, struct job *j)
{
	if (*n == *cap) {
		*cap = *cap ? *cap * 2 : 4;
		*arr = xrealloc(*arr, (size_t)*cap, sizeof **arr);
	}
	(*arr)[(*n)++] = j;
}

static void ptr_del(struct job **arr, int32_t *n, const struct job *j)
{
	for (int32_t i = *n - 1; i >= 0; i--) {
		if (arr[i] == j) {
			arr[i] = arr[--*n];
			return;
		}
	}
}

static struct dep_group *dep_group(struct gates *gs, const char *name, bool create)
{
	struct dep_group *g = imap_get(&gs->dep_groups, (uint64_t)(uintptr_t)name);
	if (g == NULL && create) {
		g = xcalloc(1, sizeof *g);
		g->name = name;
		imap_put(&gs->dep_groups, (uint64_t)(uintptr_t)name, g);
	}
	return g;
}

static void settle_push(struct gates *gs, struct job *j)
{
	if (gs->nsettle == gs->capsettle) {
		gs->capsettle = gs->capsettle ? gs->capsettle * 2 : 64;
		gs->settle = xrealloc(gs->settle, gs->capsettle, sizeof *gs->settle);
	}
	gs->settle[gs->nsettle++] = j;
}

struct job *gates_settle_next(struct gates *gs)
{
	if (gs->settle_at < gs->nsettle)
		return gs->settle[gs->settle_at++];
	gs->nsettle = gs->settle_at = 0;
	return NULL;
}

/* ---- edges ------------------------------------------------------------------------- */

static void count_status(struct job_ext *x, int st, int delta)
{
	if (st == DS_PENDING)
		x->dep_pending += delta;
	else if (st == DS_BROKEN)
		x->dep_broken += delta;
}

static void edge_update(struct gates *gs, struct job *w, uint8_t *status, int st)
{
	if (*status == st)
		return;
	count_status(w->x, *status, -1);
	count_status(w->x, st, +1);
	*status = (uint8_t)st;
	settle_push(gs, w);
}

static void group_adjust(struct gates *gs, struct dep_group *g, int old_part, int new_part)
{
	if (old_part == new_part)
		return;
	int before = group_status(g);
	g->open -= old_part == PART_OPEN;
	g->broken -= old_part == PART_BROKEN;
	g->open += new_part == PART_OPEN;
	g->broken += new_part == PART_BROKEN;
	int after = group_status(g);
	if (before == after)
		return;
	for (int32_t i = 0; i < g->nwaiters; i++) {
		struct job *w = g->waiters[i];
		for (int32_t k = 0; k < w->x->nafter_groups; k++)
			if (w->x->after_groups[k].g == g)
				edge_update(gs, w, &w->x->after_groups[k].status, after);
	}
}

static void add_dependant(struct job *target, struct job *w, int32_t dep)
{
	struct job_ext *t = job_ext(target);
	if (t->ndependants == t->capdependants) {
		t->capdependants = t->capdependants ? t->capdependants * 2 : 4;
		t->dependants = xrealloc(t->dependants, (size_t)t->capdependants,
					 sizeof *t->dependants);
	}
	t->dependants[t->ndependants++] = (struct dependant){w, dep};
}

static void del_dependant(struct job *target, const struct job *w)
{
	struct job_ext *t = target->x;
	for (int32_t i = 0; t && i < t->ndependants;) {
		if (t->dependants[i].job == w)
			t->dependants[i] = t->dependants[--t->ndependants];
		else
			i++;
	}
}

void gates_link(struct gates *gs, struct job_table jobs, struct job *j)
{
	struct job_ext *x = j->x;
	x->dep_pending = x->dep_broken = 0;
	for (int32_t i = 0; i < x->ndeps; i++) {
		struct job *t = job_table_get(jobs, x->deps[i].seq);
		x->deps[i].status = (uint8_t)edge_status(x->deps[i].type,
							 job_table_state(jobs, x->deps[i].seq));
		count_status(x, x->deps[i].status, +1);
		if (t)
			add_dependant(t, j, i);
	}
	for (int32_t i = 0; i < x->ngroups; i++) {
		struct dep_group *g = x->groups[i].g = dep_group(gs, x->groups[i].name, true);
		ptr_push(&g->members, &g->nmembers, &g->capmembers, j);
		group_adjust(gs, g, PART_NONE, member_part(j->state));
	}
	for (int32_t i = 0; i < x->nafter_groups; i++) {
		struct dep_group *g = x->after_groups[i].g =
			dep_group(gs, x->after_groups[i].name, true);
		ptr_push(&g->waiters, &g->nwaiters, &g->capwaiters, j);
		x->after_groups[i].status = (uint8_t)group_status(g);
		count_status(x, x->after_groups[i].status, +1);
	}
}

void gates_unlink(struct gates *gs, struct job_table jobs, struct job *j)
{
	struct job_ext *x = j->x;
	for (int32_t i = 0; i < x->ndeps; i++) {
		struct job *t = job_table_get(jobs, x->deps[i].seq);
		if (t)
			del_dependant(t, j);
	}
	for (int32_t i = 0; i < x->ngroups; i++) {
		struct dep_group *g = x->groups[i].g;
		ptr_del(g->members, &g->nmembers, j);
		group_adjust(gs, g, member_part(j->state), PART_NONE);
	}
	for (int32_t i = 0; i < x->nafter_groups; i++)
		ptr_del(x->after_groups[i].g->waiters, &x->after_groups[i].g->nwaiters, j);
	x->dep_pending = x->dep_broken = 0;
	timer_set(gs, j, 0);
}

void gates_remove(struct gates *gs, struct job_table jobs, struct job *j)
{
	struct job_ext *x = j->x;
	/* Whoever waits for it by id can no longer be satisfied. */
	for (int32_t i = 0; i < x->ndependants; i++) {
		struct job *w = x->dependants[i].job;
		edge_update(gs, w, &w->x->deps[x->dependants[i].dep].status, DS_BROKEN);
	}
	x->ndependants = 0;
	gates_unlink(gs, jobs, j);
}

void gates_job_changed(struct gates *gs, struct job *j, int old, int st)
{
	struct job_ext *x = j->x;
	for (int32_t i = 0; i < x->ndependants; i++) {
		struct job *w = x->dependants[i].job;
		struct ext_dep *d = &w->x->deps[x->dependants[i].dep];
		edge_update(gs, w, &d->status, edge_status(d->type, st));
	}
	if (member_part(old) != member_part(st))
		for (int32_t i = 0; i < x->ngroups; i++)
			group_adjust(gs, x->groups[i].g, member_part(old), member_part(st));
}

/* ---- evaluation -------------------------------------------------------------------- */

static void describe_dep(struct job_table jobs, const struct ext_dep *d, char *buf, size_t len)
{
	const struct job *t = job_table_get(jobs, d->seq);
	char id[400];
	static const char *const flag[DEP__N] = {"--after-ok", "--after-fail", "--after-any"};
	int gone = t ? -1 : job_table_state(jobs, d->seq);	/* out of memory: its state */
	if (t == NULL && gone >= 0) {
		snprintf(buf, len, "dependency %lld %s (%s)", (long long)d->seq,
			 gone == JS_DONE ? "succeeded" : jl_state_name(gone), flag[d->type]);
		return;
	}
	if (t == NULL) {
		snprintf(buf, len, "dependency %lld was removed (%s)", (long long)d->seq, flag[d->type]);
		return;
	}
	snprintf(buf, len, "dependency %s %s (%s)", job_id(t, id, sizeof id),
		 t->state == JS_DONE ? "succeeded" : jl_state_name(t->state), flag[d->type]);
}

char *gates_broken_reason(struct job_table jobs, const struct job *j)
{
	const struct job_ext *x = j->x;
	char buf[512];
	for (int32_t i = 0; i < x->ndeps; i++) {
		if (x->deps[i].status == DS_BROKEN) {
			describe_dep(jobs, &x->deps[i], buf, sizeof buf);
			return xstrdup(buf);
		}
	}
	for (int32_t i = 0; i < x->nafter_groups; i++) {
		const struct dep_group *g = x->after_groups[i].g;
		if (x->after_groups[i].status == DS_BROKEN)
			return xasprintf("dep group %s: %d member%s did not succeed (--after-group)",
					 g->name, g->broken, g->broken == 1 ? "" : "s");
	}
	return xstrdup("a dependency can no longer be met");
}

struct gate_verdict gates_eval(struct gates *gs, struct job *j, int64_t now)
{
	struct gate_verdict v = {GV_KEEP, 0, false, false};
	struct job_ext *x = j->x;
	if (x == NULL)
		return v;
	if (jl_state_final(j->state) && !(j->state == JS_SKIPPED && !j->started)) {
		timer_set(gs, j, 0);
		return v;
	}
	int64_t wake = 0;
	if (!j->started) {
		if (x->dep_broken > 0) {
			timer_set(gs, j, 0);
			if (j->state != JS_SKIPPED)
				v.act = GV_SKIP;
			return v;
		}
		v.unskip = j->state == JS_SKIPPED;
		if (x->dep_pending > 0)
			v.gates |= GATE_DEPS;
		if (x->not_before > now) {
			v.gates |= GATE_NOT_BEFORE;
			wake = x->not_before;
		}
	}
	if (x->slot) {
		int64_t until = 0;
		if (timeslot_open(x->slot, now, &until)) {
			if (until != INT64_MAX && (wake == 0 || until < wake))
				wake = until;
		} else {
			v.gates |= GATE_SLOT;
			int64_t open = timeslot_next_open(x->slot, now);
			if (open > now && (wake == 0 || open < wake))
				wake = open;
			v.slot_kill = x->kill_at_slot_end && j->nrunning > 0;
		}
	}
	timer_set(gs, j, wake);
	v.act = GV_APPLY;
	return v;
}

/* ---- questions --------------------------------------------------------------------- */

bool gates_has_waiters(const struct job *j)
{
	const struct job_ext *x = j->x;
	if (x == NULL)
		return false;
	for (int32_t i = 0; i < x->ndependants; i++) {
		const struct job *w = x->dependants[i].job;
		if (!w->started && !jl_state_final(w->state))
			return true;
	}
	for (int32_t i = 0; i < x->ngroups; i++) {
		const struct dep_group *g = x->groups[i].g;
		for (int32_t k = 0; k < g->nwaiters; k++)
			if (!g->waiters[k]->started && !jl_state_final(g->waiters[k]->state))
				return true;
	}
	return false;
}

static void deps_reason(struct job_table jobs, const struct job_ext *x, char *buf, size_t len,
			size_t *at)
{
	int shown = 0;
	char id[400];
	buf_fixed_printf(buf, len, at, "waiting for ");
	for (int32_t i = 0; i < x->ndeps && shown < 3; i++) {
		const struct job *t = job_table_get(jobs, x->deps[i].seq);
		if (x->deps[i].status == DS_PENDING && t)
			buf_fixed_printf(buf, len, at, "%s%s (%s)", shown++ ? ", " : "", job_id(t, id, sizeof id),
			     jl_state_name(t->state));
	}
	for (int32_t i = 0; i < x->nafter_groups && shown < 3; i++) {
		const struct dep_group *g = x->after_groups[i].g;
		if (x->after_groups[i].status == DS_PENDING)
			buf_fixed_printf(buf, len, at, "%sgroup %s (%d of %d members done)", shown++ ? ", " : "",
			     g->name, g->nmembers - g->open - g->broken, g->nmembers);
	}
	if (x->dep_pending > shown)
		buf_fixed_printf(buf, len, at, " and %d more", x->dep_pending - shown);
}

const char *gates_reason(struct job_table jobs, const struct job *j, int64_t now, char *buf,
			 size_t len)
{
	const struct job_ext *x = j->x;
	size_t at = 0;
	char t[48], ts[1024];
	buf[0] = '\0';
	if (x == NULL || j->gates == 0)
		return "waiting";
	if (j->gates & GATE_DEPS)
		deps_reason(jobs, x, buf, len, &at);
	if (j->gates & GATE_NOT_BEFORE)
		buf_fixed_printf(buf, len, &at, "%snot before %s", at ? "; " : "",
		     clock_format_rfc3339(x->not_before, t, sizeof t));
	if (j->gates & GATE_SLOT && x->slot) {
		int64_t open = timeslot_next_open(x->slot, now);
		buf_fixed_printf(buf, len, &at, "%soutside its timeslot %s", at ? "; " : "",
		     timeslot_format(x->slot, ts, sizeof ts));
		if (open > 0)
			buf_fixed_printf(buf, len, &at, "; opens %s", clock_format_rfc3339(open, t, sizeof t));
	}
	return buf;
}

/* ---- cycles ------------------------------------------------------------------------ */

static bool names_meet(const struct ext_group *a, int32_t na, const struct ext_group *b, int32_t nb)
{
	for (int32_t i = 0; i < na; i++)
		for (int32_t k = 0; k < nb; k++)
			if (a[i].name == b[k].name)
				return true;
	return false;
}

struct walk {
	struct job **stack;	/* owned */
	size_t n, cap;
};

static void walk_push(struct walk *w, struct job *j)
{
	if (w->n == w->cap) {
		w->cap = w->cap ? w->cap * 2 : 64;
		w->stack = xrealloc(w->stack, w->cap, sizeof *w->stack);
	}
	w->stack[w->n++] = j;
}

/* Push what x waits for: jobs by id and the members of its after-groups. */
static void walk_deps(struct gates *gs, struct job_table jobs, struct walk *w,
		      const struct job_ext *x)
{
	for (int32_t i = 0; i < x->ndeps; i++) {
		struct job *t = job_table_get(jobs, x->deps[i].seq);
		if (t)
			walk_push(w, t);
	}
	for (int32_t i = 0; i < x->nafter_groups; i++) {
		const struct dep_group *g = dep_group(gs, x->after_groups[i].name, false);
		for (int32_t k = 0; g && k < g->nmembers; k++)
			walk_push(w, g->members[k]);
	}
}

/* Would a job with options x (self: the job being changed, or NULL for a new one) close a
 * cycle? Only jobs that have not started still wait, so only they are followed. */
static int cycle_check(struct gates *gs, struct job_table jobs, const struct job_ext *x,
		       const struct job *self, char *buf, size_t len)
{
	if (names_meet(x->groups, x->ngroups, x->after_groups, x->nafter_groups)) {
		snprintf(buf, len, "dependency cycle: it would wait for a dep group it is a member of");
		return -1;
	}
	if (x->ngroups == 0 && self == NULL)
		return 0;	/* a new job nobody can wait for yet */
	struct walk w = {0};
	uint32_t gen = ++gs->visit_gen;
	int rc = 0;
	char id[400];
	walk_deps(gs, jobs, &w, x);
	while (w.n && rc == 0) {
		struct job *t = w.stack[--w.n];
		if (t == self) {
			snprintf(buf, len, "dependency cycle: it would wait for itself");
			rc = -1;
		} else if (t->x && t->x->visit != gen && !t->started && !jl_state_final(t->state)) {
			t->x->visit = gen;
			if (names_meet(x->groups, x->ngroups, t->x->after_groups, t->x->nafter_groups)) {
				snprintf(buf, len,
					 "dependency cycle: %s waits for a dep group this job would join",
					 job_id(t, id, sizeof id));
				rc = -1;
			}
			walk_deps(gs, jobs, &w, t->x);
		}
	}
	free(w.stack);
	return rc;
}

int gates_check(struct gates *gs, struct job_table jobs, const struct job_ext *x,
		const struct job *self, char *buf, size_t len, const char **field)
{
	for (int32_t i = 0; i < x->ndeps; i++) {
		*field = dep_type_name(x->deps[i].type);
		if (job_table_get(jobs, x->deps[i].seq) == NULL) {
			snprintf(buf, len, "no job %lld", (long long)x->deps[i].seq);
			return -1;
		}
		if (self && x->deps[i].seq == self->seq) {
			snprintf(buf, len, "dependency cycle: a job cannot wait for itself");
			return -1;
		}
	}
	*field = x->ngroups ? "dep_groups" : "after_groups";
	return cycle_check(gs, jobs, x, self, buf, len);
}
