/* The job-network planner (src/net/plan.h), end to end on a test clock: each scenario is
 * a set of definitions (read by the real definition reader), a server settings layer, and
 * a list of steps (advance the clock, end a run, pause, resume, run by hand, deploy); the
 * harness drives the plan exactly as the server will (tick at every next_wake, end runs
 * after their duration), keeps every run the actions report as the server's store would,
 * and compares the whole store with the expected text at EXPECT steps.
 *
 * Times in steps read "Mon 08:00" (the scenario's week, Monday 2026-03-02 unless given)
 * or "Mon2 08:00" (the week after); runs print as DEF@DAYHH:MM=STATE sorted by planned
 * time then name. */
#include "defs/def.h"
#include "net/plan.h"
#include "base/clock.h"
#include <criterion/criterion.h>
#include <criterion/parameterized.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define MIN INT64_C(60000)
#define HOUR INT64_C(3600000)

enum op { OP_END, OP_AT, OP_OK, OP_FAIL, OP_PAUSE, OP_RESUME, OP_HAND, OP_HAND_CHECK,
	  OP_DEPLOY, OP_UNDEPLOY, OP_EXPECT, OP_REASON };

struct step {
	enum op op;
	const char *at;		/* "Mon 08:00" */
	const char *arg;	/* a name, a YAML text, the expected runs, "def@Mon08:00" */
	const char *arg2;	/* run-time settings "k=v k=v", or a reason's part */
};

#define AT(t) {OP_AT, t, NULL, NULL}
#define OK(t, d) {OP_OK, t, d, NULL}
#define FAIL(t, d) {OP_FAIL, t, d, NULL}
#define PAUSE(t, d) {OP_PAUSE, t, d, NULL}
#define RESUME(t, d) {OP_RESUME, t, d, NULL}
#define HAND(t, d) {OP_HAND, t, d, NULL}
#define HAND_CHECK(t, d, over) {OP_HAND_CHECK, t, d, over}
#define DEPLOY(t, yaml) {OP_DEPLOY, t, yaml, NULL}
#define UNDEPLOY(t, d) {OP_UNDEPLOY, t, d, NULL}
#define EXPECT(t, runs) {OP_EXPECT, t, runs, NULL}
#define REASON(t, run, part) {OP_REASON, t, run, part}

struct scenario {
	const char *name;
	const char *tz;			/* NULL: UTC */
	const char *week;		/* the Monday day names count from; NULL: 2026-03-02 */
	const char *server;		/* server settings "k=v k=v" */
	const char *defs[10];		/* one YAML definition each ("command: x" is added) */
	const char *paused;		/* names paused after the first deploy */
	const char *durations;		/* "a=2h b=never": how long runs take; default 1m */
	const char *fails;		/* names whose runs fail when their duration is up */
	const char *deploy_at;		/* NULL: "Mon 00:00" */
	struct step steps[24];
};

/* ---- the harness ---- */

struct pending {
	int64_t at, id;
	bool ok;
};

struct world {
	const struct scenario *sc;
	struct net_plan *plan;
	int64_t now, monday;		/* monday: local day number */
	struct net_run *store;		/* what the server would have stored, by id */
	size_t nstore;
	struct pending ends[64];
	size_t nends;
};

static int64_t at(const struct world *w, const char *text)
{
	static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	char day[8];
	int week = 1;
	int32_t tod;
	const char *sp = strchr(text, ' ');
	cr_assert(sp && sp - text >= 3 && sp - text < 5, "%s: bad time %s", w->sc->name, text);
	snprintf(day, sizeof day, "%.*s", (int)(sp - text), text);
	if (day[3])
		week = day[3] - '0';
	day[3] = '\0';
	cr_assert_eq(net_parse_tod(sp + 1, &tod), 0, "%s: bad time %s", w->sc->name, text);
	for (int d = 0; d < 7; d++)
		if (strcmp(day, days[d]) == 0)
			return net_day_at(w->monday + (int64_t)(week - 1) * 7 + d, tod);
	cr_assert_fail("%s: bad day in %s", w->sc->name, text);
	return 0;
}

/* "Mon08:00" or "Mon208:00" for the week after. */
static void when(const struct world *w, int64_t t, char *buf, size_t len)
{
	static const char *const days[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
	int64_t day = net_local_day(t) - w->monday;
	time_t u = (time_t)(t / 1000);
	struct tm tm;
	localtime_r(&u, &tm);
	char week[4] = "";
	if (day >= 7)
		snprintf(week, sizeof week, "%d", (int)(day / 7 + 1));
	snprintf(buf, len, "%s%s%02d:%02d", days[((day % 7) + 7) % 7], week, tm.tm_hour, tm.tm_min);
}

static bool word_in(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list ? strstr(list, word) : NULL; p; p = strstr(p + 1, word))
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '='))
			return true;
	return false;
}

/* The duration of def's runs: its entry in durations, else 1m; -1 for "never". */
static int64_t duration(const struct world *w, const char *def)
{
	const char *d = w->sc->durations;
	size_t n = strlen(def);
	for (const char *p = d ? strstr(d, def) : NULL; p; p = strstr(p + 1, def)) {
		if ((p != d && p[-1] != ' ') || p[n] != '=')
			continue;
		char v[16];
		int64_t ms;
		const char *why;
		snprintf(v, sizeof v, "%.*s", (int)strcspn(p + n + 1, " "), p + n + 1);
		if (strcmp(v, "never") == 0)
			return -1;
		cr_assert_eq(clock_parse_duration(v, &ms, &why), 0);
		return ms;
	}
	return MIN;
}

static void store_put(struct world *w, const struct net_run *r)
{
	for (size_t i = 0; i < w->nstore; i++) {
		if (w->store[i].id == r->id) {
			w->store[i] = *r;
			return;
		}
	}
	w->store = realloc(w->store, (w->nstore + 1) * sizeof *w->store);
	w->store[w->nstore++] = *r;
}

static void store_drop(struct world *w, int64_t id)
{
	for (size_t i = 0; i < w->nstore; i++)
		if (w->store[i].id == id)
			w->store[i] = w->store[--w->nstore];
}

/* Carry out actions as the server would: store each run, make a job for each start. */
static void apply(struct world *w, struct net_actions *acts)
{
	for (size_t i = 0; i < acts->n; i++) {
		const struct net_run *r = &acts->a[i].run;
		if (acts->a[i].kind == NET_ACT_DROP) {
			store_drop(w, r->id);
			continue;
		}
		store_put(w, r);
		if (acts->a[i].kind != NET_ACT_START)
			continue;
		struct net_actions more = {0};
		cr_assert_eq(net_run_job(w->plan, r->id, 1000 + r->id, &more), 0);
		store_put(w, &more.a[0].run);
		net_actions_free(&more);
		int64_t d = duration(w, r->def);
		if (d >= 0) {
			cr_assert_lt(w->nends, 64);
			w->ends[w->nends++] = (struct pending){w->now + d, r->id,
							       !word_in(w->sc->fails, r->def)};
		}
	}
	acts->n = 0;
}

static void end_run(struct world *w, int64_t id, bool ok)
{
	struct net_actions acts = {0};
	cr_assert_eq(net_run_ended(w->plan, id, ok, w->now, &acts), 0, "%s: run %lld did not end",
		     w->sc->name, (long long)id);
	apply(w, &acts);
	net_actions_free(&acts);
}

/* Move the clock to t, ending runs and ticking on the way as the server's timer would. */
static void advance(struct world *w, int64_t t)
{
	struct net_actions acts = {0};
	for (int guard = 0; guard < 10000; guard++) {
		size_t e = w->nends;
		for (size_t i = 0; i < w->nends; i++)
			if (e == w->nends || w->ends[i].at < w->ends[e].at)
				e = i;
		int64_t wake = net_next_wake(w->plan, w->now);
		int64_t next = e < w->nends && w->ends[e].at <= wake ? w->ends[e].at : wake;
		if (next > t)
			break;
		if (next > w->now)
			w->now = next;
		if (e < w->nends && w->ends[e].at <= w->now) {
			struct pending p = w->ends[e];
			w->ends[e] = w->ends[--w->nends];
			end_run(w, p.id, p.ok);
		} else {
			net_tick(w->plan, w->now, &acts);
			apply(w, &acts);
		}
	}
	cr_assert_geq(t, w->now, "%s: the clock cannot go back", w->sc->name);
	w->now = t;
	net_actions_free(&acts);
}

static int by_time(const void *a, const void *b)
{
	const struct net_run *x = a, *y = b;
	if (x->planned_at != y->planned_at)
		return x->planned_at < y->planned_at ? -1 : 1;
	int c = strcmp(x->def, y->def);
	return c ? c : (x->id > y->id) - (x->id < y->id);
}

/* Every stored run as "a@Mon06:00=done b@Mon08:00=skipped"; checks the store agrees
 * with the plan on every run the plan still holds. */
static void render(struct world *w, char *out, size_t len)
{
	size_t at_ = 0;
	out[0] = '\0';
	if (w->nstore > 1)
		qsort(w->store, w->nstore, sizeof *w->store, by_time);
	for (size_t i = 0; i < w->nstore; i++) {
		const struct net_run *r = &w->store[i], *mem = net_run_get(w->plan, r->id);
		char t[16];
		if (mem)
			cr_assert(mem->state == r->state && strcmp(mem->reason, r->reason) == 0,
				  "%s: run %lld stored %s, planner says %s", w->sc->name,
				  (long long)r->id, net_state_name(r->state), net_state_name(mem->state));
		when(w, r->planned_at, t, sizeof t);
		at_ += (size_t)snprintf(out + at_, len - at_, "%s%s@%s=%s", i ? " " : "", r->def, t,
					net_state_name(r->state));
		cr_assert_lt(at_, len);
	}
}

static const struct net_run *stored(struct world *w, const char *which)
{
	for (size_t i = 0; i < w->nstore; i++) {
		char name[240], t[16];
		when(w, w->store[i].planned_at, t, sizeof t);
		snprintf(name, sizeof name, "%s@%s", w->store[i].def, t);
		if (strcmp(name, which) == 0)
			return &w->store[i];
	}
	cr_assert_fail("%s: no run %s", w->sc->name, which);
	return NULL;
}

static void settings_from(const char *text, struct net_settings *s)
{
	char buf[400];
	memset(s, 0, sizeof *s);
	snprintf(buf, sizeof buf, "%s", text ? text : "");
	for (char *save = NULL, *kv = strtok_r(buf, " ", &save); kv; kv = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(kv, '=');
		const char *why;
		cr_assert_not_null(eq, "setting %s", kv);
		*eq = '\0';
		cr_assert_eq(net_settings_set(s, kv, eq + 1, &why), 0, "%s: %s", kv, why);
	}
}

static struct definition *read_def(const char *yaml)
{
	char *text = NULL;
	cr_assert_geq(asprintf(&text, "command: x\n%s\n", yaml), 0);
	struct def_errors e = {0};
	struct definition *d = def_read("s.yaml", text, strlen(text), "unnamed", &e);
	cr_assert_not_null(d, "%s\n%s", e.n ? e.msgs[0] : "", text);
	def_errors_free(&e);
	free(text);
	return d;
}

/* What a deploy check said, one "…;" a problem: "cycle a -> b -> a (a successors b, b
 * predecessors a)" naming each hop's declaring definition, list and entry, or "b
 * successor on failure x". */
static void said_cycle(void *arg, const struct net_hop *hops, size_t n)
{
	char *out = arg;
	size_t at = strlen(out);
	at += (size_t)snprintf(out + at, 600 - at, "cycle ");
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(out + at, 600 - at, "%s -> ", hops[i].from);
	at += (size_t)snprintf(out + at, 600 - at, "%s (", hops[0].from);
	for (size_t i = 0; i < n; i++)
		at += (size_t)snprintf(out + at, 600 - at, "%s%s %s %s", i ? ", " : "", hops[i].decl,
				       net_edge_key(hops[i].edge),
				       hops[i].edge == NET_EDGE_PRED ? hops[i].from : hops[i].to);
	snprintf(out + at, 600 - at, ");");
}

static void said_unknown(void *arg, const char *def, enum net_edge edge, const char *ref)
{
	char *out = arg;
	snprintf(out + strlen(out), 600 - strlen(out), "%s %s %s;", def, net_edge_word(edge), ref);
}

static size_t check(struct net_plan *p, const struct net_named *in, size_t n, char *said)
{
	struct net_check_cb cb = {said_cycle, said_unknown, said};
	said[0] = '\0';
	return net_check_deploy(p, in, n, &cb);
}

static void deploy(struct world *w, const char *const *yamls, size_t n)
{
	struct definition *d[10];
	struct net_named named[10];
	struct net_actions acts = {0};
	char said[600];
	for (size_t i = 0; i < n; i++) {
		d[i] = read_def(yamls[i]);
		named[i] = (struct net_named){d[i]->name, &d[i]->net};
	}
	cr_assert_eq(check(w->plan, named, n, said), 0, "%s: %s", w->sc->name, said);
	net_deploy(w->plan, named, n, w->now, &acts);
	apply(w, &acts);
	for (size_t i = 0; i < n; i++)
		def_free(d[i]);
	net_actions_free(&acts);
}

/* The one RUNNING run of def. */
static int64_t running(struct world *w, const char *def)
{
	int64_t id = 0;
	for (size_t i = 0; i < w->nstore; i++)
		if (w->store[i].state == NET_RUNNING && strcmp(w->store[i].def, def) == 0) {
			cr_assert_eq(id, 0, "%s: %s runs twice", w->sc->name, def);
			id = w->store[i].id;
		}
	cr_assert_neq(id, 0, "%s: %s is not running", w->sc->name, def);
	return id;
}

static void hand(struct world *w, const struct step *s)
{
	struct net_settings over;
	struct net_actions acts = {0};
	settings_from(s->arg2, &over);
	cr_assert_gt(net_run_manual(w->plan, s->arg, &over, s->op == OP_HAND_CHECK, w->now, &acts), 0);
	apply(w, &acts);
	net_actions_free(&acts);
}

static void expect(struct world *w, const struct step *s)
{
	char got[4096];
	render(w, got, sizeof got);
	cr_assert_str_eq(got, s->arg, "%s at %s:\n got  %s\n want %s", w->sc->name, s->at, got,
			 s->arg);
}

static void step(struct world *w, const struct step *s)
{
	struct net_actions acts = {0};
	advance(w, at(w, s->at));
	switch (s->op) {
	case OP_OK:
	case OP_FAIL:
		for (size_t i = 0; i < w->nends; i++)	/* ended by hand, not by the clock */
			if (w->ends[i].id == running(w, s->arg))
				w->ends[i] = w->ends[--w->nends];
		end_run(w, running(w, s->arg), s->op == OP_OK);
		break;
	case OP_PAUSE:
	case OP_RESUME:
		cr_assert_eq(net_pause(w->plan, s->arg, s->op == OP_PAUSE), 0);
		break;
	case OP_HAND:
	case OP_HAND_CHECK:
		hand(w, s);
		break;
	case OP_DEPLOY:
		deploy(w, &s->arg, 1);
		break;
	case OP_UNDEPLOY:
		cr_assert_eq(net_undeploy(w->plan, s->arg, w->now, &acts), 0);
		apply(w, &acts);
		break;
	case OP_EXPECT:
		expect(w, s);
		break;
	case OP_REASON: {
		const struct net_run *r = stored(w, s->arg);
		cr_assert(strstr(r->reason, s->arg2), "%s: %s's reason is \"%s\", want \"%s\"",
			  w->sc->name, s->arg, r->reason, s->arg2);
		break;
	}
	default:
		break;
	}
	net_actions_free(&acts);
}

static void run_scenario(const struct scenario *sc)
{
	struct world w = {.sc = sc};
	struct net_settings server;
	size_t n = 0;
	setenv("TZ", sc->tz ? sc->tz : "UTC", 1);
	tzset();
	cr_assert_eq(net_parse_date(sc->week ? sc->week : "2026-03-02", &w.monday), 0);
	settings_from(sc->server, &server);
	w.plan = net_plan_new(&server);
	w.now = at(&w, sc->deploy_at ? sc->deploy_at : "Mon 00:00");
	while (n < 10 && sc->defs[n])
		n++;
	deploy(&w, sc->defs, n);
	for (const char *p = sc->paused; p && *p; p += strspn(p, " ")) {
		char name[64];
		size_t k = strcspn(p, " ");
		snprintf(name, sizeof name, "%.*s", (int)k, p);
		cr_assert_eq(net_pause(w.plan, name, true), 0);
		p += k;
	}
	for (const struct step *s = sc->steps; s->op != OP_END; s++)
		step(&w, s);
	net_plan_free(w.plan);
	free(w.store);
}

/* ---- the scenarios ---- */

#define START(t) "schedule: {start_times: [\"" t "\"]}"

static struct scenario scenarios[] = {
{
	.name = "chain: a success starts the successor's planned run at once",
	.defs = {"name: a\n" START("06:00"), "name: b\npredecessors: [a]\n" START("08:00")},
	.steps = {
		EXPECT("Mon 05:00", "a@Mon06:00=planned b@Mon08:00=planned"),
		EXPECT("Mon 06:01", "a@Mon06:00=done b@Mon08:00=running"),
		REASON("Mon 06:01", "b@Mon08:00", "started by a's success"),
		EXPECT("Tue 00:00", "a@Mon06:00=done b@Mon08:00=done a@Tue06:00=planned"
				    " b@Tue08:00=planned"),
	},
},
{
	.name = "successor.force_start_in_period false (definition): the successor keeps its time",
	.defs = {"name: a\n" START("06:00") "\ndependencies: {successor: {force_start_in_period: false}}",
		 "name: b\npredecessors: [a]\n" START("08:00")},
	.steps = {
		EXPECT("Mon 07:00", "a@Mon06:00=done b@Mon08:00=planned"),
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon08:00=running"),
		REASON("Mon 08:00", "b@Mon08:00", "its start time came"),
	},
},
{
	.name = "a skipped run is restarted by its predecessor's success",
	.defs = {"name: a\n" START("08:00"), "name: b\npredecessors: [a]\n" START("09:00")},
	.durations = "a=2h",
	.steps = {
		EXPECT("Mon 09:30", "a@Mon08:00=running b@Mon09:00=skipped"),
		REASON("Mon 09:30", "b@Mon09:00", "predecessor a is running"),
		EXPECT("Mon 10:00", "a@Mon08:00=done b@Mon09:00=running"),
		REASON("Mon 10:00", "b@Mon09:00", "started by a's success"),
		EXPECT("Mon 12:00", "a@Mon08:00=done b@Mon09:00=done"),
	},
},
{
	.name = "a predecessor still planned later in the period skips; its success restarts",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}",
		 "name: b\npredecessors: [a]\n" START("08:00")},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon08:00=skipped a@Mon18:00=planned"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a has a run planned at Mon 2026-03-02 18:00"),
		EXPECT("Mon 18:01", "a@Mon06:00=done b@Mon08:00=running a@Mon18:00=done"),
		EXPECT("Mon 23:00", "a@Mon06:00=done b@Mon08:00=done a@Mon18:00=done"),
	},
},
{
	.name = "predecessor.force_start_in_period true in the server config",
	.server = "successor.force_start_in_period=false predecessor.force_start_in_period=true",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}",
		 "name: b\npredecessors: [a]\n" START("08:00")},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon08:00=running a@Mon18:00=planned"),
		EXPECT("Mon 23:00", "a@Mon06:00=done b@Mon08:00=done a@Mon18:00=done"),
	},
},
{
	.name = "predecessor.force_start_in_period true in the definition",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}",
		 "name: b\npredecessors: [a]\n" START("08:00") "\n"
		 "dependencies: {predecessor: {force_start_in_period: true}}"},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon08:00=running a@Mon18:00=planned"),
	},
},
{
	.name = "force-start layers: definition beats server, run beats definition",
	.server = "successor.force_start_in_period=false predecessor.force_start_in_period=true",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}",
		 "name: b\npredecessors: [a]\n" START("08:00") "\n"
		 "dependencies: {predecessor: {force_start_in_period: false}}"},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon08:00=skipped a@Mon18:00=planned"),
		HAND_CHECK("Mon 10:00", "b", ""),
		REASON("Mon 10:00", "b@Mon10:00", "has a run planned at"),
		HAND_CHECK("Mon 11:00", "b", "predecessor.force_start_in_period=true"),
		EXPECT("Mon 11:00", "a@Mon06:00=done b@Mon08:00=skipped b@Mon10:00=skipped"
				    " b@Mon11:00=running a@Mon18:00=planned"),
		EXPECT("Mon 18:02", "a@Mon06:00=done b@Mon08:00=done b@Mon10:00=skipped"
				    " b@Mon11:00=done a@Mon18:00=done"),
	},
},
/* Predecessor force start against each state of the predecessor's run in b's period
 * (issue 10 item 19): planned or waiting (overridden), running and failed (not). The
 * successor check's force is off, so a's end does not start b's planned run early. */
#define PRED_FORCE "\ndependencies: {predecessor: {force_start_in_period: true}}"
#define B_AFTER_A "name: b\npredecessors: [a]\n" START("08:00")
{
	.name = "predecessor planned, force false: skipped; a's success restarts it",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("10:00"), B_AFTER_A},
	.steps = {
		EXPECT("Mon 08:00", "b@Mon08:00=skipped a@Mon10:00=planned"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a has a run planned at Mon 2026-03-02 10:00"),
		EXPECT("Mon 10:01", "b@Mon08:00=running a@Mon10:00=done"),
	},
},
{
	.name = "predecessor planned (its only run this period), force true: starts",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("10:00"), B_AFTER_A PRED_FORCE},
	.steps = {
		EXPECT("Mon 08:00", "b@Mon08:00=running a@Mon10:00=planned"),
		REASON("Mon 08:00", "b@Mon08:00", "its start time came; predecessor a's run planned at"
			" Mon 2026-03-02 10:00 not waited for (predecessor.force_start_in_period)"),
		EXPECT("Mon 11:00", "b@Mon08:00=done a@Mon10:00=done"),
	},
},
{
	.name = "predecessor waiting for its timeslot, force true: starts",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\"], timeslot: \"09:00-17:00\"}",
		 B_AFTER_A PRED_FORCE},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=waiting b@Mon08:00=running"),
		REASON("Mon 08:00", "b@Mon08:00", "a's run planned at Mon 2026-03-02 06:00 not waited for"),
	},
},
{
	.name = "predecessor waiting for its timeslot, force false: skipped",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\"], timeslot: \"09:00-17:00\"}",
		 B_AFTER_A},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=waiting b@Mon08:00=skipped"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a has a run planned at Mon 2026-03-02 06:00"),
	},
},
{
	.name = "predecessor running, force false: skipped; a's success restarts it",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"), B_AFTER_A},
	.durations = "a=4h",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=running b@Mon08:00=skipped"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a is running"),
		EXPECT("Mon 10:00", "a@Mon06:00=done b@Mon08:00=running"),
	},
},
{
	.name = "predecessor running, force true: still skipped (force does not override running)",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"), B_AFTER_A PRED_FORCE},
	.durations = "a=4h",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=running b@Mon08:00=skipped"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a is running"),
	},
},
{
	.name = "predecessor failed, force false: skipped",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"), B_AFTER_A},
	.fails = "a",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=failed b@Mon08:00=skipped"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a has not completed successfully this period"),
	},
},
{
	.name = "predecessor failed, force true: still skipped (force does not override failed)",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"), B_AFTER_A PRED_FORCE},
	.fails = "a",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=failed b@Mon08:00=skipped"),
		REASON("Mon 08:00", "b@Mon08:00", "predecessor a has not completed successfully this period"),
	},
},
{
	.name = "predecessor failed, then planned again this period, force true: starts",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"10:00\"]}", B_AFTER_A PRED_FORCE},
	.fails = "a",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=failed b@Mon08:00=running a@Mon10:00=planned"),
		REASON("Mon 08:00", "b@Mon08:00", "a's run planned at Mon 2026-03-02 10:00 not waited for"),
	},
},
#undef PRED_FORCE
#undef B_AFTER_A
{
	.name = "successor.force_start_in_period false at run level (a hand run of the predecessor)",
	.defs = {"name: a",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"08:00\", \"12:00\"]}"},
	.steps = {
		HAND("Mon 06:00", "a"),
		EXPECT("Mon 06:01", "a@Mon06:00=done b@Mon08:00=running b@Mon12:00=planned"),
		HAND_CHECK("Mon 09:00", "a", "successor.force_start_in_period=false"),
		EXPECT("Mon 09:01", "a@Mon06:00=done b@Mon08:00=done a@Mon09:00=done"
				    " b@Mon12:00=planned"),
		EXPECT("Mon 12:01", "a@Mon06:00=done b@Mon08:00=done a@Mon09:00=done"
				    " b@Mon12:00=done"),
	},
},
{
	.name = "shallow: a paused predecessor is dropped",
	.defs = {"name: a\n" START("06:00"), "name: p\npredecessors: [a]\n" START("07:00"),
		 "name: c\npredecessors: [p]\n" START("08:00")},
	.paused = "p",
	.fails = "a",
	.steps = {
		EXPECT("Mon 09:00", "a@Mon06:00=failed p@Mon07:00=skipped c@Mon08:00=done"),
		REASON("Mon 09:00", "p@Mon07:00", "definition is paused"),
	},
},
{
	.name = "deep: a dependency through two paused members",
	.defs = {"name: a\n" START("06:00"), "name: p1\npredecessors: [a]",
		 "name: p2\npredecessors: [p1]",
		 "name: c\npredecessors: [p2]\n" START("08:00") "\ndependencies: {mode: deep}"},
	.paused = "p1 p2",
	.durations = "a=3h",
	.steps = {
		EXPECT("Mon 08:30", "a@Mon06:00=running c@Mon08:00=skipped"),
		REASON("Mon 08:30", "c@Mon08:00", "predecessor a is running"),
		EXPECT("Mon 09:00", "a@Mon06:00=done c@Mon08:00=running"),
		REASON("Mon 09:00", "c@Mon08:00", "started by a's success"),
	},
},
{
	.name = "shallow through the same two paused members: c does not wait for a",
	.defs = {"name: a\n" START("06:00"), "name: p1\npredecessors: [a]",
		 "name: p2\npredecessors: [p1]", "name: c\npredecessors: [p2]\n" START("08:00")},
	.paused = "p1 p2",
	.durations = "a=3h",
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=running c@Mon08:00=running"),
		EXPECT("Mon 12:00", "a@Mon06:00=done c@Mon08:00=done"),
	},
},
{
	.name = "deep mode from the server config, one paused member with a fan-in behind it",
	.server = "mode=deep",
	.defs = {"name: a\n" START("06:00"), "name: b\n" START("06:00"),
		 "name: p\npredecessors: [a, b]", "name: c\npredecessors: [p]\n" START("07:00")},
	.paused = "p",
	.durations = "a=3m b=never",
	.steps = {
		FAIL("Mon 06:02", "b"),
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon06:00=failed c@Mon07:00=skipped"),
		REASON("Mon 08:00", "c@Mon07:00", "predecessor b has not completed successfully"),
		RESUME("Mon 09:00", "p"),
		HAND("Mon 09:00", "b"),
		OK("Mon 09:01", "b"),
		EXPECT("Mon 09:03", "a@Mon06:00=done b@Mon06:00=failed c@Mon07:00=done"
				    " b@Mon09:00=done p@Mon09:01=done"),
		REASON("Mon 09:03", "c@Mon07:00", "started by p's success"),
	},
},
{
	.name = "fan-out and fan-in of definitions without start times",
	.defs = {"name: a\n" START("06:00") "\nsuccessors: [b, c]", "name: b", "name: c",
		 "name: d\npredecessors: [b, c]"},
	.durations = "c=10m",
	.steps = {
		EXPECT("Mon 06:02", "a@Mon06:00=done b@Mon06:01=done c@Mon06:01=running"
				    " d@Mon06:02=skipped"),
		REASON("Mon 06:02", "d@Mon06:02", "predecessor c is running"),
		EXPECT("Mon 06:12", "a@Mon06:00=done b@Mon06:01=done c@Mon06:01=done"
				    " d@Mon06:02=done"),
		REASON("Mon 06:12", "d@Mon06:02", "started by c's success"),
	},
},
{
	.name = "no start times: runs only by hand or when a predecessor starts it",
	.defs = {"name: x\nsuccessors: [y]", "name: y"},
	.steps = {
		EXPECT("Tue 12:00", ""),
		HAND("Tue 12:00", "x"),
		EXPECT("Tue 13:00", "x@Tue12:00=done y@Tue12:01=done"),
		REASON("Tue 13:00", "x@Tue12:00", "started by hand"),
	},
},
{
	.name = "a run that fails: no successor starts, the failure branch does",
	.defs = {"name: a\n" START("06:00") "\nsuccessors: [b]\nsuccessors_on_failure: [alert]",
		 "name: b", "name: b2\npredecessors: [a]\n" START("08:00"), "name: alert"},
	.fails = "a",
	.steps = {
		EXPECT("Mon 06:01", "a@Mon06:00=failed alert@Mon06:01=running b2@Mon08:00=planned"),
		REASON("Mon 06:01", "alert@Mon06:01", "started by a's failure"),
		EXPECT("Mon 09:00", "a@Mon06:00=failed alert@Mon06:01=done b2@Mon08:00=skipped"),
		REASON("Mon 09:00", "b2@Mon08:00", "predecessor a has not completed successfully"),
	},
},
{
	.name = "a run that succeeds: successors start, the failure branch does not",
	.defs = {"name: a\n" START("06:00") "\nsuccessors: [b]\nsuccessors_on_failure: [alert]",
		 "name: b", "name: alert"},
	.steps = {
		EXPECT("Mon 09:00", "a@Mon06:00=done b@Mon06:01=done"),
	},
},
{
	.name = "timeslot: a due run waits, then starts when the slot opens",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\"], timeslot: \"08:00-18:00\"}"},
	.steps = {
		EXPECT("Mon 07:00", "a@Mon06:00=waiting"),
		REASON("Mon 07:00", "a@Mon06:00", "waiting for its timeslot (opens Mon 2026-03-02 08:00)"),
		EXPECT("Mon 08:00", "a@Mon06:00=running"),
		REASON("Mon 08:00", "a@Mon06:00", "its timeslot opened"),
	},
},
{
	.name = "timeslot: the period ends while a run waits",
	.defs = {"name: a\nschedule: {start_times: [\"20:00\"], timeslot: [\"Mon-Fri 08:00-12:00\","
		 " \"Sat 09:00-10:00\"]}"},
	.steps = {
		EXPECT("Mon 21:00", "a@Mon20:00=waiting"),
		REASON("Mon 21:00", "a@Mon20:00", "does not open again this period"),
		EXPECT("Tue 01:00", "a@Mon20:00=skipped a@Tue20:00=planned"),
		REASON("Tue 01:00", "a@Mon20:00", "period ended outside its timeslot"),
	},
},
{
	.name = "timeslot: a successor started outside its slot waits, then is checked",
	.defs = {"name: a\n" START("06:00"),
		 "name: b\npredecessors: [a]\nschedule: {timeslot: \"09:00-17:00\"}"},
	.steps = {
		EXPECT("Mon 08:00", "a@Mon06:00=done b@Mon06:01=waiting"),
		EXPECT("Mon 09:00", "a@Mon06:00=done b@Mon06:01=running"),
	},
},
{
	.name = "a period that runs past midnight (period_start 06:00)",
	.server = "successor.force_start_in_period=false",
	.deploy_at = "Mon 07:00",
	.defs = {"name: a\nschedule: {start_times: [\"22:00\"], period_start: \"06:00\"}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"02:00\"], period_start: \"06:00\"}"},
	.steps = {
		EXPECT("Mon 23:00", "a@Mon22:00=done b@Tue02:00=planned"),
		EXPECT("Tue 03:00", "a@Mon22:00=done b@Tue02:00=done"),
		EXPECT("Tue 06:00", "a@Mon22:00=done b@Tue02:00=done a@Tue22:00=planned"
				    " b@Wed02:00=planned"),
	},
},
{
	.name = "the same network with periods from midnight: 02:00 is a new period",
	.server = "successor.force_start_in_period=false",
	.deploy_at = "Mon 07:00",
	.defs = {"name: a\nschedule: {start_times: [\"22:00\"]}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"02:00\"]}"},
	.steps = {
		EXPECT("Tue 03:00", "a@Mon22:00=done b@Tue02:00=skipped a@Tue22:00=planned"),
		REASON("Tue 03:00", "b@Tue02:00", "predecessor a has a run planned at Tue 2026-03-03 22:00"),
	},
},
{
	.name = "periods of 12h: a predecessor's evening run is another period",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"], period: 12h}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"07:00\", \"19:00\"], period: 12h}"},
	.steps = {
		EXPECT("Mon 07:00", "a@Mon06:00=done b@Mon07:00=running"),
		EXPECT("Mon 20:00", "a@Mon06:00=done b@Mon07:00=done a@Mon18:00=done b@Mon19:00=done"),
	},
},
{
	.name = "repeat network: a second planned run in the period runs again",
	.server = "successor.force_start_in_period=false predecessor.force_start_in_period=true",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"12:00\"]}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"07:00\", \"13:00\"]}"},
	.steps = {
		EXPECT("Mon 14:00", "a@Mon06:00=done b@Mon07:00=done a@Mon12:00=done b@Mon13:00=done"),
	},
},
{
	.name = "repeat none: at most one successful run a period",
	.server = "successor.force_start_in_period=false predecessor.force_start_in_period=true",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"12:00\"]}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"07:00\", \"13:00\"]}\n"
		 "dependencies: {repeat: none}"},
	.steps = {
		EXPECT("Mon 14:00", "a@Mon06:00=done b@Mon07:00=done a@Mon12:00=done b@Mon13:00=skipped"),
		REASON("Mon 14:00", "b@Mon13:00", "already ran successfully this period (repeat: none)"),
		EXPECT("Tue 07:01", "a@Mon06:00=done b@Mon07:00=done a@Mon12:00=done b@Mon13:00=skipped"
				    " a@Tue06:00=done b@Tue07:00=done a@Tue12:00=planned b@Tue13:00=planned"),
	},
},
{
	.name = "repeat run: a later run skips the check once one passed it",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"),
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"09:00\", \"13:00\"]}\n"
		 "dependencies: {repeat: run}"},
	.durations = "a=2h",
	.steps = {
		HAND("Mon 12:30", "a"),
		EXPECT("Mon 13:00", "a@Mon06:00=done b@Mon09:00=done a@Mon12:30=running"
				    " b@Mon13:00=running"),
		REASON("Mon 13:00", "b@Mon13:00", "predecessors satisfied earlier this period (repeat: run)"),
	},
},
{
	.name = "repeat network with the same runs: the later run is checked again",
	.server = "successor.force_start_in_period=false",
	.defs = {"name: a\n" START("06:00"),
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"09:00\", \"13:00\"]}"},
	.durations = "a=2h",
	.steps = {
		HAND("Mon 12:30", "a"),
		EXPECT("Mon 13:00", "a@Mon06:00=done b@Mon09:00=done a@Mon12:30=running"
				    " b@Mon13:00=skipped"),
		EXPECT("Mon 14:31", "a@Mon06:00=done b@Mon09:00=done a@Mon12:30=done"
				    " b@Mon13:00=done"),
		REASON("Mon 14:31", "b@Mon13:00", "started by a's success"),
	},
},
{
	.name = "two networks share a root: each goes on by itself",
	.defs = {"name: s\nschedule: {start_times: [\"06:00\"]}",
		 "name: b1\npredecessors: [s]\nsuccessors: [c1]",
		 "name: c1",
		 "name: b2\npredecessors: [s]\nsuccessors_on_failure: [alert2]",
		 "name: alert2"},
	.fails = "b2",
	.steps = {
		EXPECT("Mon 07:00", "s@Mon06:00=done b1@Mon06:01=done b2@Mon06:01=failed"
				    " alert2@Mon06:02=done c1@Mon06:02=done"),
	},
},
{
	.name = "two networks share a successor: it waits for both",
	.defs = {"name: a1\n" START("06:00") "\nsuccessors: [s]",
		 "name: a2\n" START("10:00") "\nsuccessors: [s]", "name: s"},
	.steps = {
		EXPECT("Mon 07:00", "a1@Mon06:00=done s@Mon06:01=skipped a2@Mon10:00=planned"),
		EXPECT("Mon 11:00", "a1@Mon06:00=done s@Mon06:01=done a2@Mon10:00=done"),
		REASON("Mon 11:00", "s@Mon06:01", "started by a2's success"),
	},
},
{
	.name = "calendar weekdays: Monday to Friday",
	.deploy_at = "Fri 00:00",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\"], calendar: {weekdays: [Mon-Fri]}}"},
	.steps = {
		EXPECT("Mon2 07:00", "a@Fri06:00=done a@Mon206:00=done"),
	},
},
{
	.name = "calendar include and exclude dates",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\"], calendar: {weekdays: [Mon],"
		 " include: [2026-03-04], exclude: [2026-03-09]}}"},
	.steps = {
		EXPECT("Tue2 07:00", "a@Mon06:00=done a@Wed06:00=done"),
	},
},
{
	.name = "calendar over midnight: the period's date decides, and triggered runs obey it",
	.deploy_at = "Thu 07:00",
	.defs = {"name: a\nschedule: {start_times: [\"02:00\"], period_start: \"06:00\","
		 " calendar: {weekdays: [Mon-Fri]}}\nsuccessors: [b]",
		 "name: b\nschedule: {calendar: {weekdays: [Fri]}}"},
	.steps = {
		EXPECT("Tue2 07:00", "a@Fri02:00=done b@Fri02:01=done a@Sat02:00=done"
				     " a@Tue202:00=done a@Wed202:00=planned"),
	},
},
{
	.name = "DST: a start time the clocks skip runs at the jump (Europe/Berlin, spring)",
	.tz = "Europe/Berlin",
	.week = "2026-03-23",
	.deploy_at = "Sat 00:00",
	.defs = {"name: a\nschedule: {start_times: [\"02:30\"]}",
		 "name: b\npredecessors: [a]\nschedule: {start_times: [\"03:30\"], period_start: \"02:30\"}"},
	.steps = {
		EXPECT("Mon2 00:00", "a@Sat02:30=done b@Sat03:30=done a@Sun03:00=done"
				     " b@Sun03:30=done a@Mon202:30=planned"),
		REASON("Mon2 00:00", "b@Sun03:30", "started by a's success"),
	},
},
{
	.name = "DST: a start time met twice runs once (Europe/Berlin, autumn)",
	.tz = "Europe/Berlin",
	.week = "2026-10-19",
	.deploy_at = "Sun 00:00",
	.defs = {"name: a\nschedule: {start_times: [\"02:30\"]}"},
	.steps = {
		EXPECT("Sun 04:00", "a@Sun02:30=done"),
	},
},
{
	.name = "pause and resume",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}\nsuccessors: [b]", "name: b"},
	.steps = {
		PAUSE("Mon 05:00", "a"),
		EXPECT("Mon 07:00", "a@Mon06:00=skipped a@Mon18:00=planned"),
		RESUME("Mon 12:00", "a"),
		PAUSE("Mon 12:00", "b"),
		EXPECT("Mon 19:00", "a@Mon06:00=skipped a@Mon18:00=done"),
		RESUME("Mon 19:00", "b"),
		HAND("Mon 20:00", "a"),
		EXPECT("Mon 21:00", "a@Mon06:00=skipped a@Mon18:00=done a@Mon20:00=done"
				    " b@Mon20:01=done"),
	},
},
{
	.name = "deploy replaces a schedule from now on; undeploy drops what is planned",
	.defs = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"]}", "name: b\n" START("09:00")},
	.steps = {
		DEPLOY("Mon 12:00", "name: a\nschedule: {start_times: [\"06:00\", \"20:00\"]}"),
		EXPECT("Mon 12:00", "a@Mon06:00=done b@Mon09:00=done a@Mon20:00=planned"),
		UNDEPLOY("Mon 13:00", "a"),
		EXPECT("Tue 10:00", "a@Mon06:00=done b@Mon09:00=done b@Tue09:00=done"),
	},
},
{
	.name = "a run of the previous period is still running: it blocks, then restarts",
	.defs = {"name: a\n" START("23:00"), "name: b\npredecessors: [a]\n" START("01:00")},
	.durations = "a=3h",
	.deploy_at = "Mon 12:00",
	.steps = {
		EXPECT("Tue 01:00", "a@Mon23:00=running b@Tue01:00=skipped a@Tue23:00=planned"),
		REASON("Tue 01:00", "b@Tue01:00", "predecessor a is running"),
		EXPECT("Tue 02:00", "a@Mon23:00=done b@Tue01:00=skipped a@Tue23:00=planned"),
		REASON("Tue 02:00", "b@Tue01:00", "predecessor a has a run planned at Tue 2026-03-03 23:00"),
	},
},
};

#define NSCENARIOS (sizeof scenarios / sizeof scenarios[0])

/* Criterion runs each parameter in a fresh process image (pointers into static data do not
 * survive the trip), so the parameter is the scenario's index. */
ParameterizedTestParameters(plan, scenarios)
{
	static int index[NSCENARIOS];
	for (size_t i = 0; i < NSCENARIOS; i++)
		index[i] = (int)i;
	return cr_make_param_array(int, index, NSCENARIOS);
}

ParameterizedTest(int *i, plan, scenarios)
{
	run_scenario(&scenarios[*i]);
}

/* The table is known when this file compiles, so its size is checked then. */
_Static_assert(NSCENARIOS >= 25, "the plan scenarios cover at least 25 cases");

/* ---- graph checks ---- */

static struct net_spec spec_with(const char *preds, const char *succs, const char *fails)
{
	struct net_spec s;
	const char *lists[3] = {preds, succs, fails};
	char **const *dst[3] = {&s.preds, &s.succs, &s.fail_succs};
	size_t *n[3] = {&s.npreds, &s.nsuccs, &s.nfail_succs};
	net_spec_init(&s);
	for (int k = 0; k < 3; k++) {
		char buf[200];
		snprintf(buf, sizeof buf, "%s", lists[k] ? lists[k] : "");
		for (char *save = NULL, *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
			net_spec_add_name((char ***)dst[k], n[k], t);
	}
	return s;
}

Test(plan, cycles_are_reported_as_a_path)
{
	struct net_spec a = spec_with(NULL, "b", NULL), b = spec_with(NULL, NULL, NULL),
			c = spec_with("b", NULL, NULL), d = spec_with(NULL, NULL, NULL);
	struct net_named defs[] = {{"a", &a}, {"b", &b}, {"c", &c}, {"d", &d}};
	char path[200];
	cr_assert_eq(net_find_cycle(defs, 4, path, sizeof path), 0, "a -> b -> c is no cycle");
	cr_assert_str_eq(path, "");
	net_spec_add_name(&a.preds, &a.npreds, "c");	/* c -> a closes it */
	cr_assert_eq(net_find_cycle(defs, 4, path, sizeof path), 1);
	cr_assert_str_eq(path, "a -> b -> c -> a");
	net_spec_free(&a);
	a = spec_with(NULL, "b", NULL);
	net_spec_add_name(&c.fail_succs, &c.nfail_succs, "a");	/* a failure edge closes it too */
	cr_assert_eq(net_find_cycle(defs, 4, path, sizeof path), 1);
	cr_assert_str_eq(path, "a -> b -> c -> a");
	net_spec_add_name(&d.succs, &d.nsuccs, "d");	/* the reader's to refuse (names itself) */
	cr_assert_eq(net_find_cycle(&defs[3], 1, path, sizeof path), 0);
	net_spec_free(&a);
	net_spec_free(&b);
	net_spec_free(&c);
	net_spec_free(&d);
}

Test(plan, deploy_check_sees_deployed_and_incoming_together)
{
	struct net_spec a = spec_with(NULL, "b", NULL), b = spec_with(NULL, NULL, "x");
	struct net_named defs[] = {{"a", &a}, {"b", &b}};
	char said[600];
	struct net_plan *p = net_plan_new(NULL);
	struct net_actions acts = {0};
	cr_assert_eq(check(p, defs, 2, said), 1);
	cr_assert_str_eq(said, "b successor on failure x;");
	net_spec_free(&b);
	b = spec_with(NULL, NULL, NULL);
	cr_assert_eq(check(p, defs, 2, said), 0, "%s", said);
	net_deploy(p, defs, 2, 0, &acts);
	cr_assert(net_member(p, "a") && net_member(p, "b"), "b is a member through a's edge");
	/* A new version of b that names a as its successor closes a cycle with the deployed a;
	 * the cycle starts at the hop the incoming b declares. */
	struct net_spec b2 = spec_with(NULL, "a", NULL);
	struct net_named next[] = {{"b", &b2}};
	cr_assert_eq(check(p, next, 1, said), 1);
	cr_assert_str_eq(said, "cycle b -> a -> b (b successors a, a successors b);");
	struct net_spec lone = spec_with(NULL, NULL, NULL);
	struct net_named solo[] = {{"solo", &lone}};
	net_deploy(p, solo, 1, 0, &acts);
	cr_assert(!net_member(p, "solo"), "no schedule, no edges: not a network member");
	net_plan_free(p);
	net_actions_free(&acts);
	net_spec_free(&a);
	net_spec_free(&b);
	net_spec_free(&b2);
	net_spec_free(&lone);
}

/* Issue 10 item 18: every problem of a deploy at once, each cycle with the entries that
 * make it. */
Test(plan, deploy_check_reports_every_cycle_and_unknown_name)
{
	/* x -> y -> x (x successors: y, x predecessors: y), p -> q -> r -> p through a failure
	 * edge and a predecessors entry, and two unknown names. */
	struct net_spec x = spec_with("y", "y nosuch", NULL), y = spec_with(NULL, NULL, NULL),
			pp = spec_with(NULL, "q", NULL), q = spec_with(NULL, NULL, "r"),
			r = spec_with(NULL, NULL, NULL), pp2 = spec_with("r gone", NULL, NULL);
	net_spec_free(&pp);
	pp = pp2;
	net_spec_add_name(&q.preds, &q.npreds, "p");	/* p -> q twice: reported once */
	struct net_named defs[] = {{"x", &x}, {"y", &y}, {"p", &pp}, {"q", &q}, {"r", &r}};
	char said[600];
	struct net_plan *p = net_plan_new(NULL);
	cr_assert_eq(check(p, defs, 5, said), 4, "%s", said);
	cr_assert(strstr(said, "cycle x -> y -> x (x successors y, x predecessors y);"), "%s", said);
	cr_assert(strstr(said, "cycle p -> q -> r -> p (q predecessors p, q successors_on_failure r,"
			 " p predecessors r);"), "%s", said);
	cr_assert(strstr(said, "x successor nosuch;"), "%s", said);
	cr_assert(strstr(said, "p predecessor gone;"), "%s", said);
	net_plan_free(p);
	net_spec_free(&x);
	net_spec_free(&y);
	net_spec_free(&pp);
	net_spec_free(&q);
	net_spec_free(&r);
}

/* An edge a deployed definition keeps after its target was undeployed is ignored (plan.h):
 * it must not stop an unrelated deploy, only a new version of that definition. */
Test(plan, a_dangling_deployed_edge_does_not_stop_other_deploys)
{
	struct net_spec a = spec_with(NULL, NULL, NULL), b = spec_with("a", NULL, NULL),
			c = spec_with(NULL, NULL, NULL);
	struct net_named ab[] = {{"a", &a}, {"b", &b}}, cc[] = {{"c", &c}}, bb[] = {{"b", &b}};
	struct net_plan *p = net_plan_new(NULL);
	struct net_actions acts = {0};
	char said[600];
	net_deploy(p, ab, 2, 0, &acts);
	cr_assert_eq(net_undeploy(p, "a", 0, &acts), 0);
	cr_assert_eq(check(p, cc, 1, said), 0, "an unrelated deploy goes on: %s", said);
	cr_assert_eq(check(p, bb, 1, said), 1);
	cr_assert_str_eq(said, "b predecessor a;");
	net_plan_free(p);
	net_actions_free(&acts);
	net_spec_free(&a);
	net_spec_free(&b);
	net_spec_free(&c);
}

/* ---- settings ---- */

Test(plan, settings_resolve_in_three_layers)
{
	struct net_settings server = {0}, def = {0}, run = {0};
	struct net_resolved r = net_settings_resolve(NULL, NULL, NULL);
	const char *why;
	cr_assert(r.mode == NET_SHALLOW && r.repeat == NET_REPEAT_NETWORK && !r.pred_force &&
		  r.succ_force, "the defaults");
	cr_assert_eq(net_settings_set(&server, "mode", "deep", &why), 0);
	cr_assert_eq(net_settings_set(&server, "dependencies.repeat", "none", &why), 0);
	cr_assert_eq(net_settings_set(&def, "repeat", "run", &why), 0);
	cr_assert_eq(net_settings_set(&def, "successor.force_start_in_period", "false", &why), 0);
	cr_assert_eq(net_settings_set(&run, "successor.force_start_in_period", "true", &why), 0);
	r = net_settings_resolve(&server, &def, &run);
	cr_assert(r.mode == NET_DEEP && r.repeat == NET_REPEAT_RUN && r.succ_force && !r.pred_force);
	r = net_settings_resolve(&server, &def, NULL);
	cr_assert(!r.succ_force);
	cr_assert_eq(net_settings_set(&run, "mode", "wide", &why), -1);
	cr_assert_str_eq(why, "must be shallow or deep");
	cr_assert_eq(net_settings_set(&run, "predecessor.force_start_in_period", "yes", &why), -1);
	cr_assert_eq(net_settings_set(&run, "colour", "red", &why), -1);
	cr_assert(net_settings_key("dependencies.predecessor.force_start_in_period"));
	cr_assert(!net_settings_key("predecessor"));
}

/* ---- periods and local time ---- */

static int64_t utc_ms(const char *text)
{
	int64_t ms;
	cr_assert_eq(clock_parse_rfc3339(text, &ms), 0, "%s", text);
	return ms;
}

static void period_is(const struct net_schedule *s, const char *t, const char *from, const char *to)
{
	int64_t a, b;
	net_period_of(s, utc_ms(t), &a, &b);
	cr_assert(a == utc_ms(from) && b == utc_ms(to), "period of %s: [%lld, %lld), want [%s, %s)",
		  t, (long long)a, (long long)b, from, to);
}

Test(plan, periods_in_utc)
{
	struct net_spec s;
	setenv("TZ", "UTC", 1);
	tzset();
	net_spec_init(&s);
	period_is(&s.sched, "2026-03-04T12:00:00Z", "2026-03-04T00:00:00Z", "2026-03-05T00:00:00Z");
	s.sched.period_ms = 12 * HOUR;
	s.sched.period_start_s = 6 * 3600;
	period_is(&s.sched, "2026-03-02T05:00:00Z", "2026-03-01T18:00:00Z", "2026-03-02T06:00:00Z");
	period_is(&s.sched, "2026-03-02T06:00:00Z", "2026-03-02T06:00:00Z", "2026-03-02T18:00:00Z");
	s.sched.period_ms = HOUR * 24 * 7;
	s.sched.period_start_s = 0;
	period_is(&s.sched, "2026-03-08T23:59:59Z", "2026-03-02T00:00:00Z", "2026-03-09T00:00:00Z");
	s.sched.period_ms = 15 * MIN;
	s.sched.period_start_s = 5 * 60;
	period_is(&s.sched, "2026-03-02T00:04:00Z", "2026-03-01T23:50:00Z", "2026-03-02T00:05:00Z");
	int64_t p;
	const char *why;
	cr_assert_eq(net_parse_period("2d", &p, &why), 0);
	cr_assert_eq(net_parse_period("5h", &p, &why), -1, "5h does not divide a day");
	cr_assert_eq(net_parse_period("30s", &p, &why), -1, "too short");
	cr_assert_eq(net_parse_period("1d1h", &p, &why), -1);
	net_spec_free(&s);
}

Test(plan, cron_start_times_give_the_period_its_runs)
{
	setenv("TZ", "UTC", 1);
	tzset();
	struct net_spec s;
	net_spec_init(&s);
	net_spec_add_name(&s.preds, &s.npreds, "x");	/* (a member; edges do not matter here) */
	s.sched.starts = calloc(2, sizeof *s.sched.starts);
	s.sched.starts[0] = (struct net_start){-1, strdup("0 */6 * * mon-fri")};
	s.sched.starts[1] = (struct net_start){6 * 3600, NULL};	/* 06:00 as well: once */
	s.sched.nstarts = 2;
	int64_t out[16];
	/* Friday 2026-03-06: 00, 06, 12, 18; Saturday: only the 06:00 time of day. */
	size_t n = net_start_times(&s.sched, utc_ms("2026-03-06T00:00:00Z"),
				   utc_ms("2026-03-08T00:00:00Z"), out, 16);
	cr_assert_eq(n, 5);
	cr_assert_eq(out[0], utc_ms("2026-03-06T00:00:00Z"));
	cr_assert_eq(out[1], utc_ms("2026-03-06T06:00:00Z"), "the cron and the time of day meet once");
	cr_assert_eq(out[3], utc_ms("2026-03-06T18:00:00Z"));
	cr_assert_eq(out[4], utc_ms("2026-03-07T06:00:00Z"));
	net_spec_free(&s);
}

Test(plan, periods_and_start_times_across_clock_changes)
{
	struct net_spec s;
	int64_t times[8];
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	net_spec_init(&s);
	int64_t spring, autumn;
	cr_assert_eq(net_parse_date("2026-03-29", &spring), 0);
	cr_assert_eq(net_parse_date("2026-10-25", &autumn), 0);
	/* 02:30 does not exist on the spring day: the jump; it exists twice in autumn: the first. */
	cr_assert_eq(net_day_at(spring, 9000), utc_ms("2026-03-29T01:00:00Z"));
	cr_assert_eq(net_day_at(autumn, 9000), utc_ms("2026-10-25T00:30:00Z"));
	cr_assert_eq(net_day_at(spring, 3600), utc_ms("2026-03-29T00:00:00Z"));
	cr_assert_eq(net_day_at(autumn, 4 * 3600), utc_ms("2026-10-25T03:00:00Z"));
	/* Daily periods from 02:30: 23.5 hours into the spring day, 25 hours on the autumn one. */
	s.sched.period_start_s = 9000;
	period_is(&s.sched, "2026-03-29T10:00:00Z", "2026-03-29T01:00:00Z", "2026-03-30T00:30:00Z");
	period_is(&s.sched, "2026-10-25T10:00:00Z", "2026-10-25T00:30:00Z", "2026-10-26T01:30:00Z");
	/* Local days are 23 and 25 hours long. */
	int64_t from, to;
	net_day_bounds(spring, &from, &to);
	cr_assert_eq(to - from, 23 * HOUR);
	net_day_bounds(autumn, &from, &to);
	cr_assert_eq(to - from, 25 * HOUR);
	cr_assert_eq(net_days_later(utc_ms("2026-03-28T11:00:00Z"), 1), utc_ms("2026-03-29T10:00:00Z"),
		     "the same local time (12:00) a day later");
	/* Two start times inside the skipped hour become one run at the jump. */
	s.sched.period_start_s = 0;
	s.sched.starts = calloc(2, sizeof *s.sched.starts);
	s.sched.starts[0].tod_s = 2 * 3600 + 15 * 60;
	s.sched.starts[1].tod_s = 2 * 3600 + 45 * 60;
	s.sched.nstarts = 2;
	net_day_bounds(spring, &from, &to);
	cr_assert_eq(net_start_times(&s.sched, from, to, times, 8), 1);
	cr_assert_eq(times[0], utc_ms("2026-03-29T01:00:00Z"));
	net_day_bounds(autumn, &from, &to);
	cr_assert_eq(net_start_times(&s.sched, from, to, times, 8), 2, "once each, not twice");
	net_spec_free(&s);
}

/* ---- restart, view, simulation ---- */

struct fixture {
	struct net_plan *plan;
	struct definition *defs[6];
	size_t n;
	struct net_actions acts;
};

static void fixture_deploy(struct fixture *f, const char *const *yamls, int64_t now)
{
	struct net_named named[6];
	for (f->n = 0; yamls[f->n]; f->n++) {
		f->defs[f->n] = read_def(yamls[f->n]);
		named[f->n] = (struct net_named){f->defs[f->n]->name, &f->defs[f->n]->net};
	}
	net_deploy(f->plan, named, f->n, now, &f->acts);
}

static void fixture_free(struct fixture *f)
{
	for (size_t i = 0; i < f->n; i++)
		def_free(f->defs[i]);
	net_plan_free(f->plan);
	net_actions_free(&f->acts);
}

static size_t count_kind(const struct net_actions *acts, enum net_act_kind k)
{
	size_t n = 0;
	for (size_t i = 0; i < acts->n; i++)
		n += acts->a[i].kind == k;
	return n;
}

Test(plan, a_restart_restores_runs_without_making_them_twice)
{
	static const char *const yamls[] = {"name: a\n" START("06:00"),
					    "name: b\npredecessors: [a]\n" START("08:00"), NULL};
	struct fixture one = {.plan = net_plan_new(NULL)}, two = {.plan = net_plan_new(NULL)};
	struct net_run saved[8];
	size_t nsaved = 0;
	setenv("TZ", "UTC", 1);
	tzset();
	fixture_deploy(&one, yamls, utc_ms("2026-03-02T00:00:00Z"));
	net_tick(one.plan, utc_ms("2026-03-02T06:00:00Z"), &one.acts);
	cr_assert_eq(count_kind(&one.acts, NET_ACT_PLAN), 2);
	cr_assert_eq(count_kind(&one.acts, NET_ACT_START), 1);
	struct net_run *all;
	size_t n = net_view(one.plan, utc_ms("2026-03-02T00:00:00Z"), utc_ms("2026-03-03T00:00:00Z"),
			    &all);
	cr_assert_eq(n, 2);
	for (size_t i = 0; i < n; i++)
		saved[nsaved++] = all[i];
	free(all);
	/* The server comes back the next day: the stored runs first, then the definitions. */
	for (size_t i = 0; i < nsaved; i++)
		cr_assert_eq(net_restore(two.plan, &saved[i]), 0);
	cr_assert_eq(net_restore(two.plan, &saved[0]), -1, "an id is taken once");
	fixture_deploy(&two, yamls, utc_ms("2026-03-03T07:00:00Z"));
	cr_assert_eq(count_kind(&two.acts, NET_ACT_PLAN), 1, "only b@Tue08:00; a@06:00 is past");
	two.acts.n = 0;
	net_tick(two.plan, utc_ms("2026-03-03T07:00:00Z"), &two.acts);
	cr_assert_eq(two.acts.n, 1);
	cr_assert_eq(two.acts.a[0].kind, NET_ACT_SKIP);
	cr_assert_str_eq(two.acts.a[0].run.def, "b");
	cr_assert_str_eq(two.acts.a[0].run.reason, "its period ended before it came due");
	const struct net_run *a = net_run_get(two.plan, saved[0].id);
	cr_assert(a && a->state == NET_RUNNING, "a's run is still running");
	cr_assert_eq(net_run_job(two.plan, a->id, 77, &two.acts), 0);
	cr_assert_eq(net_run_by_job(two.plan, 77), a);
	cr_assert_gt(net_run_manual(two.plan, "a", NULL, false, utc_ms("2026-03-03T07:00:00Z"),
				    &two.acts), saved[1].id, "new ids follow the restored ones");
	cr_assert_eq(net_run_manual(two.plan, "nosuch", NULL, false, 0, &two.acts), -1);
	fixture_free(&one);
	fixture_free(&two);
}

Test(plan, the_view_shows_days_not_planned_yet)
{
	static const char *const yamls[] = {"name: a\nschedule: {start_times: [\"06:00\", \"18:00\"],"
					    " calendar: {exclude: [2026-03-04]}}", NULL};
	struct fixture f = {.plan = net_plan_new(NULL)};
	struct net_run *runs;
	int64_t day, from, to;
	setenv("TZ", "UTC", 1);
	tzset();
	fixture_deploy(&f, yamls, utc_ms("2026-03-02T12:00:00Z"));
	cr_assert_eq(net_parse_date("2026-03-02", &day), 0);
	net_day_bounds(day, &from, &to);
	size_t n = net_view(f.plan, from, to, &runs);
	cr_assert_eq(n, 1, "deployed at noon: only 18:00 today");
	cr_assert_eq(runs[0].state, NET_PLANNED);
	cr_assert_gt(runs[0].id, 0);
	free(runs);
	net_day_bounds(day + 1, &from, &to);
	n = net_view(f.plan, from, to, &runs);
	cr_assert_eq(n, 2);
	cr_assert_eq(runs[0].id, 0);
	cr_assert_str_eq(runs[0].reason, "not planned yet");
	cr_assert_eq(runs[0].planned_at, utc_ms("2026-03-03T06:00:00Z"));
	free(runs);
	net_day_bounds(day + 2, &from, &to);
	cr_assert_eq(net_view(f.plan, from, to, &runs), 0, "an excluded date");
	cr_assert_null(runs);
	fixture_free(&f);
}

/* The timeline as "Mon06:00 a start, ..." */
static void timeline_text(const struct net_timeline *tl, char *out, size_t len)
{
	struct world w = {.sc = &scenarios[0]};
	size_t at_ = 0;
	cr_assert_eq(net_parse_date("2026-03-02", &w.monday), 0);
	out[0] = '\0';
	for (size_t i = 0; i < tl->n; i++) {
		char t[16];
		when(&w, tl->ev[i].at, t, sizeof t);
		at_ += (size_t)snprintf(out + at_, len - at_, "%s%s %s %s", i ? ", " : "", t,
					tl->ev[i].def, net_event_name(tl->ev[i].kind));
		cr_assert_lt(at_, len);
	}
}

Test(plan, simulate_shows_what_would_happen_and_changes_nothing)
{
	static const char *const yamls[] = {
		"name: a\n" START("06:00") "\nsuccessors: [b]\nsuccessors_on_failure: [alert]",
		"name: b", "name: alert",
		"name: c\npredecessors: [b]\nschedule: {start_times: [\"07:00\"], timeslot: \"08:00-09:00\"}",
		NULL};
	struct fixture f = {.plan = net_plan_new(NULL)};
	struct net_timeline tl = {0};
	char text[2000];
	setenv("TZ", "UTC", 1);
	tzset();
	int64_t mon = utc_ms("2026-03-02T00:00:00Z");
	fixture_deploy(&f, yamls, mon);
	net_simulate(f.plan, mon, net_days_later(mon, 1), NULL, 0, MIN, &tl);
	timeline_text(&tl, text, sizeof text);
	cr_assert_str_eq(text, "Mon06:00 a start, Mon06:01 a done, Mon06:01 b start,"
			 " Mon06:02 b done, Mon06:02 c wait, Mon08:00 c start, Mon08:01 c done");
	cr_assert_str_eq(tl.ev[4].reason, "waiting for its timeslot (opens Mon 2026-03-02 08:00)");
	net_timeline_free(&tl);
	struct net_sim_outcome fail[] = {{"a", 5 * MIN, true}};
	net_simulate(f.plan, mon, net_days_later(mon, 2), fail, 1, MIN, &tl);
	timeline_text(&tl, text, sizeof text);
	cr_assert_str_eq(text, "Mon06:00 a start, Mon06:05 a failed, Mon06:05 alert start,"
			 " Mon06:06 alert done, Mon07:00 c wait, Mon08:00 c skip,"
			 " Tue06:00 a start, Tue06:05 a failed, Tue06:05 alert start,"
			 " Tue06:06 alert done, Tue07:00 c wait, Tue08:00 c skip");
	cr_assert_str_eq(tl.ev[5].reason, "predecessor b has not completed successfully this period");
	net_timeline_free(&tl);
	struct net_run *runs;
	size_t n = net_view(f.plan, mon, net_days_later(mon, 1), &runs);
	cr_assert_eq(n, 2);
	cr_assert(runs[0].state == NET_PLANNED && runs[1].state == NET_PLANNED, "nothing ran");
	free(runs);
	fixture_free(&f);
}
