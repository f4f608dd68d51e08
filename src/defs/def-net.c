/* The job-network keys of a definition file (SPEC §7), read into struct net_spec:
 *
 *   schedule:
 *     start_times: ["06:00", "18:30:15", {cron: "30 8-17 * * 1-5"}]
 *                               a list (or one entry); a text is a time of day HH:MM[:SS],
 *                               a mapping {cron: EXPR} a 5-field cron expression
 *     timeslot: "Mon-Fri 08:00-18:00"   timeslot.h text, or a list of them (windows added up)
 *     period: 1d                a duration that divides a day or is whole days (spec.h)
 *     period_start: "06:00"     the local time of day periods start at
 *     calendar: {weekdays: [Mon-Fri, Sat], include: [2026-12-27], exclude: [2026-12-24]}
 *   predecessors: [a, b]        definition names (a list, or one name)
 *   successors: [c]
 *   successors_on_failure: [alert]
 *   dependencies:
 *     mode: shallow|deep
 *     repeat: network|run|none
 *     predecessor: {force_start_in_period: false}
 *     successor: {force_start_in_period: true}
 *
 * Every problem is reported at the offending scalar (or at its key when the value is not a
 * scalar), as the rest of the reader does. A mapping key is its text, so "06:00" needs no
 * quotes under YAML 1.2, which libfyaml follows. */
#include "base/cron.h"
#include "defs/def-int.h"
#include "base/xalloc.h"
#include "net/spec.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define problem def_problem

static bool is(struct fy_node *n, enum fy_node_type t)
{
	return n && fy_node_get_type(n) == t;
}

/* Calls item(r, ctx, node) for each entry of a list, or once for a lone scalar; a mapping
 * where a list belongs is reported at keyn as `what`. */
typedef void (*item_fn)(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn);

static void each_item(struct reader *r, struct fy_node *keyn, struct fy_node *v, const char *what,
		      item_fn item, void *ctx)
{
	if (is(v, FYNT_SCALAR)) {
		item(r, ctx, v, keyn);
		return;
	}
	if (!is(v, FYNT_SEQUENCE)) {
		problem(r, keyn, "%s: must be a list", what);
		return;
	}
	struct fy_node *it;
	void *iter = NULL;
	while ((it = fy_node_sequence_iterate(v, &iter)))
		item(r, ctx, it, keyn);
}

/* Calls pair(r, ctx, key, keynode, value) for each entry of the mapping v (key NULL when
 * it is not a scalar); anything else is reported at keyn as "WHERE: must be a mapping
 * (KEYS)". */
typedef void (*pair_fn)(struct reader *r, void *ctx, const char *key, struct fy_node *kn,
			struct fy_node *val);

static void each_pair(struct reader *r, struct fy_node *keyn, struct fy_node *v,
		      const char *where, const char *keys, pair_fn pair, void *ctx)
{
	if (!is(v, FYNT_MAPPING)) {
		problem(r, keyn, "%s: must be a mapping (%s)", where, keys);
		return;
	}
	struct fy_node_pair *p;
	void *iter = NULL;
	while ((p = fy_node_mapping_iterate(v, &iter))) {
		struct fy_node *kn = fy_node_pair_key(p);
		char *k = def_scalar_dup(kn);
		pair(r, ctx, k, kn, fy_node_pair_value(p));
		free(k);
	}
}

/* "WHERE: unknown key K (KEYS)" at kn. */
static void unknown_key(struct reader *r, struct fy_node *kn, const char *where, const char *k,
			const char *keys)
{
	problem(r, kn, "%s: unknown key %s (%s)", where, k ? k : "(not a scalar)", keys);
}

static bool key_is(const char *k, const char *name)
{
	return k && strcmp(k, name) == 0;
}

/* The text of a scalar item, or NULL after reporting that it must be `what`. */
static char *item_text(struct reader *r, struct fy_node *item, struct fy_node *keyn,
		       const char *where, const char *what)
{
	char *s = def_scalar_dup(item);
	if (s == NULL)
		problem(r, keyn, "%s: each entry must be %s", where, what);
	return s;
}

/* ---- schedule ---- */

static void add_start(struct net_schedule *s, int32_t tod, char *cron)
{
	s->starts = xrealloc(s->starts, s->nstarts + 1, sizeof *s->starts);
	s->starts[s->nstarts].tod_s = tod;
	s->starts[s->nstarts++].cron = cron;
}

static bool has_tod(const struct net_schedule *s, int32_t tod)
{
	for (size_t i = 0; i < s->nstarts; i++)
		if (s->starts[i].tod_s == tod)
			return true;
	return false;
}

/* {cron: EXPR}: a cron expression (src/base/cron.h), checked here so a bad one is refused
 * at deploy with the field and the rule. */
static void read_cron(struct reader *r, struct net_schedule *s, struct fy_node *item,
		      struct fy_node *keyn)
{
	struct fy_node *e = fy_node_mapping_lookup_by_string(item, "cron", FY_NT);
	char *text = e ? def_scalar_dup(e) : NULL, why[200];
	struct cron c;
	if (e == NULL || fy_node_mapping_item_count(item) != 1 || text == NULL)
		problem(r, keyn, "schedule.start_times: a mapping entry must be {cron: EXPR}");
	else if (cron_parse(text, &c, why, sizeof why))
		problem(r, e, "schedule.start_times: cron \"%s\": %s", text, why);
	else {
		add_start(s, -1, text);
		return;
	}
	free(text);
}

/* The schedule start times go to, and whether "too many" was said. */
struct starts {
	struct net_schedule *s;
	bool full;
};

static void start_item(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn)
{
	struct starts *st = ctx;
	struct net_schedule *s = st->s;
	int32_t tod;
	if (s->nstarts == NET_STARTS_MAX) {
		if (!st->full)
			problem(r, keyn, "schedule.start_times: at most %d", NET_STARTS_MAX);
		st->full = true;
		return;
	}
	if (is(item, FYNT_MAPPING)) {
		read_cron(r, s, item, keyn);
		return;
	}
	char *t = item_text(r, item, keyn, "schedule.start_times", "HH:MM[:SS] or {cron: EXPR}");
	if (t && net_parse_tod(t, &tod))
		problem(r, item, "schedule.start_times: \"%s\" is not a time of day HH:MM[:SS]", t);
	else if (t && has_tod(s, tod))
		problem(r, item, "schedule.start_times: %s is listed twice", t);
	else if (t)
		add_start(s, tod, NULL);
	free(t);
}

static void timeslot_item(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn)
{
	struct net_schedule *s = ctx;
	struct timeslot ts;
	char err[200];
	char *t = item_text(r, item, keyn, "schedule.timeslot", "a timeslot text");
	if (t && timeslot_parse(t, &ts, err, sizeof err))
		problem(r, item, "schedule.timeslot: %s", err);
	else if (t && s->slot.n + ts.n > TIMESLOT_MAX_WINDOWS)
		problem(r, item, "schedule.timeslot: more than %d windows in all",
			TIMESLOT_MAX_WINDOWS);
	else if (t) {
		memcpy(&s->slot.w[s->slot.n], ts.w, (size_t)ts.n * sizeof ts.w[0]);
		s->slot.n += ts.n;
		s->has_timeslot = true;
	}
	free(t);
}

static void weekday_item(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn)
{
	uint8_t *mask = ctx;
	char *t = item_text(r, item, keyn, "schedule.calendar.weekdays", "a day or a range");
	if (t && net_parse_weekdays(t, mask))
		problem(r, item, "schedule.calendar.weekdays: \"%s\" is not a day or a range of days"
			" (Mon..Sun, Mon-Fri)", t);
	free(t);
}

/* Where dates of one calendar list go, and the list's name for messages. */
struct dates {
	int64_t **list;
	size_t *n;
	const char *name;
};

static void date_item(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn)
{
	struct dates *ds = ctx;
	int64_t day;
	char *t = item_text(r, item, keyn, ds->name, "a date YYYY-MM-DD");
	if (t && net_parse_date(t, &day))
		problem(r, item, "%s: \"%s\" is not a date YYYY-MM-DD", ds->name, t);
	else if (t && *ds->n == NET_DATES_MAX)
		problem(r, item, "%s: at most %d dates", ds->name, NET_DATES_MAX);
	else if (t && !net_calendar_add(ds->list, ds->n, day))
		problem(r, item, "%s: %s is listed twice", ds->name, t);
	free(t);
}

static void check_calendar(struct reader *r, const struct net_calendar *c, struct fy_node *keyn)
{
	for (size_t i = 0; i < c->ninclude; i++)
		for (size_t k = 0; k < c->nexclude; k++)
			if (c->include[i] == c->exclude[k])
				problem(r, keyn, "schedule.calendar: a date is both included and"
					" excluded");
}

#define CALENDAR_KEYS "weekdays, include, exclude"

static void calendar_pair(struct reader *r, void *ctx, const char *k, struct fy_node *kn,
			  struct fy_node *val)
{
	struct net_calendar *c = ctx;
	struct dates in = {&c->include, &c->ninclude, "schedule.calendar.include"};
	struct dates ex = {&c->exclude, &c->nexclude, "schedule.calendar.exclude"};
	if (key_is(k, "weekdays")) {
		c->weekdays = 0;
		each_item(r, kn, val, "schedule.calendar.weekdays", weekday_item, &c->weekdays);
		if (is(val, FYNT_SEQUENCE) && fy_node_sequence_item_count(val) == 0)
			problem(r, kn, "schedule.calendar.weekdays: no day given");
	} else if (key_is(k, "include")) {
		each_item(r, kn, val, in.name, date_item, &in);
	} else if (key_is(k, "exclude")) {
		each_item(r, kn, val, ex.name, date_item, &ex);
	} else {
		unknown_key(r, kn, "schedule.calendar", k, CALENDAR_KEYS);
	}
}

/* One scalar value of the schedule: period or period_start. */
static void read_schedule_scalar(struct reader *r, struct net_schedule *s, const char *k,
				 struct fy_node *kn, struct fy_node *val)
{
	char *t = def_scalar_dup(val);
	const char *why;
	if (t == NULL)
		problem(r, kn, "schedule.%s: must be text", k);
	else if (strcmp(k, "period") == 0 && net_parse_period(t, &s->period_ms, &why))
		problem(r, val, "schedule.period: \"%s\": %s", t, why);
	else if (strcmp(k, "period_start") == 0 && net_parse_tod(t, &s->period_start_s))
		problem(r, val, "schedule.period_start: \"%s\" is not a time of day HH:MM[:SS]", t);
	free(t);
}

#define SCHEDULE_KEYS "start_times, timeslot, period, period_start, calendar"

static void schedule_pair(struct reader *r, void *ctx, const char *k, struct fy_node *kn,
			  struct fy_node *val)
{
	struct net_schedule *s = ctx;
	struct starts st = {s, false};
	if (key_is(k, "start_times")) {
		each_item(r, kn, val, "schedule.start_times", start_item, &st);
	} else if (key_is(k, "timeslot")) {
		each_item(r, kn, val, "schedule.timeslot", timeslot_item, s);
	} else if (key_is(k, "period") || key_is(k, "period_start")) {
		read_schedule_scalar(r, s, k, kn, val);
	} else if (key_is(k, "calendar")) {
		each_pair(r, kn, val, "schedule.calendar", CALENDAR_KEYS, calendar_pair, &s->cal);
		check_calendar(r, &s->cal, kn);
	} else {
		unknown_key(r, kn, "schedule", k, SCHEDULE_KEYS);
	}
}

/* ---- edges ---- */

/* Where one list's names go, with where each is written. */
struct names {
	char ***list;
	size_t *n;
	struct def_pos **pos;
	const char *key;
};

static bool listed(char *const *list, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(list[i], name) == 0)
			return true;
	return false;
}

static void name_item(struct reader *r, void *ctx, struct fy_node *item, struct fy_node *keyn)
{
	struct names *ns = ctx;
	char *t = item_text(r, item, keyn, ns->key, "a definition name");
	if (t && !def_name_valid(t))
		problem(r, item, "%s: \"%s\" is not a definition name", ns->key, t);
	else if (t && listed(*ns->list, *ns->n, t))
		problem(r, item, "%s: %s is listed twice", ns->key, t);
	else if (t && *ns->n == NET_EDGES_MAX)
		problem(r, item, "%s: at most %d names", ns->key, NET_EDGES_MAX);
	else if (t) {
		net_spec_add_name(ns->list, ns->n, t);
		*ns->pos = xrealloc(*ns->pos, *ns->n, sizeof **ns->pos);
		(*ns->pos)[*ns->n - 1] = def_node_pos(item);
	}
	free(t);
}

/* ---- dependencies ---- */

static void set_setting(struct reader *r, struct net_settings *s, const char *key,
			struct fy_node *kn, struct fy_node *val)
{
	char *t = def_scalar_dup(val);
	const char *why;
	if (t == NULL)
		problem(r, kn, "dependencies.%s: must be a value", key);
	else if (net_settings_set(s, key, t, &why))
		problem(r, val, "dependencies.%s: %s", key, why);
	free(t);
}

/* Where one side's settings go: predecessor: {force_start_in_period: B}, or successor. */
struct side {
	struct net_settings *s;
	const char *name;	/* "predecessor" or "successor" */
};

static void side_pair(struct reader *r, void *ctx, const char *k, struct fy_node *kn,
		      struct fy_node *val)
{
	const struct side *sd = ctx;
	char key[64], where[64];
	snprintf(where, sizeof where, "dependencies.%s", sd->name);
	if (key_is(k, "force_start_in_period")) {
		snprintf(key, sizeof key, "%s.%s", sd->name, k);
		set_setting(r, sd->s, key, kn, val);
	} else {
		unknown_key(r, kn, where, k, "force_start_in_period");
	}
}

#define DEPENDENCIES_KEYS "mode, repeat, predecessor, successor"

static void dependencies_pair(struct reader *r, void *ctx, const char *k, struct fy_node *kn,
			      struct fy_node *val)
{
	struct net_settings *s = ctx;
	if (key_is(k, "mode") || key_is(k, "repeat")) {
		set_setting(r, s, k, kn, val);
	} else if (key_is(k, "predecessor") || key_is(k, "successor")) {
		struct side sd = {s, k};
		char where[64];
		snprintf(where, sizeof where, "dependencies.%s", k);
		each_pair(r, kn, val, where, "force_start_in_period", side_pair, &sd);
	} else {
		unknown_key(r, kn, "dependencies", k, DEPENDENCIES_KEYS);
	}
}

/* ---- the keys ---- */

bool def_net_key(const char *key)
{
	static const char *const keys[] = {"schedule", "predecessors", "successors",
					   "successors_on_failure", "dependencies", NULL};
	for (size_t i = 0; keys[i]; i++)
		if (strcmp(key, keys[i]) == 0)
			return true;
	return false;
}

void def_read_net(struct reader *r, struct definition *d, const char *key, struct fy_node *keyn,
		  struct fy_node *v)
{
	struct net_spec *s = &d->net;
	struct names ns = {&s->preds, &s->npreds, &d->edge_pos[NET_EDGE_PRED], "predecessors"};
	if (strcmp(key, "schedule") == 0) {
		each_pair(r, keyn, v, "schedule", SCHEDULE_KEYS, schedule_pair, &s->sched);
		return;
	}
	if (strcmp(key, "dependencies") == 0) {
		each_pair(r, keyn, v, "dependencies", DEPENDENCIES_KEYS, dependencies_pair,
			  &s->settings);
		return;
	}
	if (strcmp(key, "successors") == 0)
		ns = (struct names){&s->succs, &s->nsuccs, &d->edge_pos[NET_EDGE_SUCC], "successors"};
	else if (strcmp(key, "successors_on_failure") == 0)
		ns = (struct names){&s->fail_succs, &s->nfail_succs, &d->edge_pos[NET_EDGE_FAIL],
				    "successors_on_failure"};
	each_item(r, keyn, v, ns.key, name_item, &ns);
}

/* The item of the list under key naming `name`, for the message's position. */
static struct fy_node *item_named(struct fy_node *root, const char *key, const char *name)
{
	struct fy_node *list = fy_node_mapping_lookup_by_string(root, key, FY_NT), *it;
	void *iter = NULL;
	if (is(list, FYNT_SCALAR))
		return list;
	while (is(list, FYNT_SEQUENCE) && (it = fy_node_sequence_iterate(list, &iter))) {
		char *t = def_scalar_dup(it);
		bool same = t && strcmp(t, name) == 0;
		free(t);
		if (same)
			return it;
	}
	return NULL;
}

/* Take name out of d's list `edge` (reported already), with its position. */
static void drop_name(struct definition *d, enum net_edge edge, const char *name)
{
	char **list = edge == NET_EDGE_PRED ? d->net.preds : edge == NET_EDGE_SUCC ? d->net.succs
										    : d->net.fail_succs;
	size_t *n = edge == NET_EDGE_PRED ? &d->net.npreds : edge == NET_EDGE_SUCC ? &d->net.nsuccs
										   : &d->net.nfail_succs;
	struct def_pos *pos = d->edge_pos[edge];
	for (size_t i = 0; i < *n; i++) {
		if (strcmp(list[i], name) != 0)
			continue;
		free(list[i]);
		memmove(list + i, list + i + 1, (*n - i - 1) * sizeof *list);
		memmove(pos + i, pos + i + 1, (*n - i - 1) * sizeof *pos);
		(*n)--;
		return;
	}
}

static void check_self(struct reader *r, struct definition *d, struct fy_node *root,
		       enum net_edge edge)
{
	size_t n;
	char *const *list = net_spec_list(&d->net, edge, &n);
	if (!listed(list, n, d->name))
		return;
	problem(r, item_named(root, net_edge_key(edge), d->name), "%s: %s names itself",
		net_edge_key(edge), d->name);
	drop_name(d, edge, d->name);
}

void def_check_net(struct reader *r, struct definition *d, struct fy_node *root)
{
	const struct net_spec *s = &d->net;
	for (int e = 0; e < NET_EDGE__N; e++)
		check_self(r, d, root, (enum net_edge)e);
	for (size_t i = 0; i < s->nsuccs;) {
		if (!listed(s->preds, s->npreds, s->succs[i])) {
			i++;
			continue;
		}
		problem(r, item_named(root, "successors", s->succs[i]),
			"successors: %s is also a predecessor (a cycle)", s->succs[i]);
		char *name = xstrdup(s->succs[i]);
		drop_name(d, NET_EDGE_SUCC, name);
		free(name);
	}
}
