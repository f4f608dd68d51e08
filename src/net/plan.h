/* Job networks (SPEC §7, JobScheduler's dependency handling): the planner.
 *
 * Pure logic, like core/: no I/O, no clock. Every call takes `now` (wall ms) and answers
 * with actions the caller carries out; the state is a set of definitions (name + struct
 * net_spec, spec.h) and a set of runs (`struct net_run`, plain data the server stores).
 *
 * ==== What it does ====================================================================
 *
 * Periods and planned runs. Each definition has its own periods (period.h: `period`,
 * `period_start`, local time). When a definition's period begins, the planner makes one
 * PLANNED run for each of its start times inside the period, if the calendar allows the
 * period's date. A definition without start times has no planned runs: it runs only when
 * a predecessor's end starts it or by hand.
 *
 * "This period", seen from a run R of definition D, is D's period holding R's planned_at,
 * the window [R.period_start, R.period_end). Another definition's run belongs to that
 * window when its planned_at (its start time, or the instant it was made) lies inside it.
 *
 * A run comes due at its planned_at; a successor check or a hand start brings one forward.
 * Either way it goes through `consider`, in the precedence:
 *   0. definition not deployed / paused -> SKIPPED ("definition is paused");
 *      repeat: none and D already has a DONE run in the window -> SKIPPED;
 *   1. timeslot: outside it -> WAITING ("waiting for its timeslot (opens …)"); when the
 *      slot opens it is considered again; if its period ends first -> SKIPPED ("period
 *      ended outside its timeslot");
 *   2. predecessor check (below) failed -> SKIPPED with the first reason found;
 *   3. otherwise -> RUNNING: the action START tells the server to create the job.
 *
 * Predecessor check of run R of D. The counted predecessors: D's predecessors that are
 * deployed and active; a paused one is dropped (mode shallow) or replaced by its own
 * predecessors, recursively (mode deep, through any number of paused members); undeployed
 * names are dropped. The check fails if a counted predecessor P
 *   - has a RUNNING run (of any period)                       "predecessor P is running"
 *   - has a PLANNED or WAITING run in R's window, unless predecessor.force_start_in_period
 *                                                 "predecessor P has a run planned at …"
 *   - has no DONE run in R's window and none still to come in it (failed, skipped or
 *     never ran)                         "predecessor P has not completed successfully …"
 * Force start (JobScheduler's jobnet.predecessor.force_start_for_orders_in_period: start
 * "even if in a predecessor job chain orders are found that are scheduled for the current
 * period") overrides P's PLANNED and WAITING runs only, whether or not P succeeded before
 * them: R starts, its reason noting the run not waited for. A RUNNING P and a P with
 * nothing to come and no success still skip R.
 * Edges: "X successors: [Y]" and "Y predecessors: [X]" are the same edge X -> Y.
 * `successors_on_failure` edges are not predecessors.
 *
 * Successor check, when run R of X ends. DONE: the candidates are the definitions that
 * count X among their predecessors (as above, X taken as active: its run just ended): X's
 * successors, and with mode deep (the candidate's definition or server setting) those
 * beyond paused successors, so a deep dependency skipped for X is also restarted by X.
 * FAILED: the candidates are X's successors_on_failure (the failure branch) only. For
 * each candidate Y that is active and has no RUNNING or WAITING run, in Y's current
 * period, the first of:
 *   a. Y's earliest SKIPPED run of the period                 (restarted); one planned
 *      later than now was started early and skipped: it does not come due again
 *   b. if successor.force_start_in_period: Y's earliest PLANNED run not yet due (started
 *      early; false leaves planned runs to their start times, but a. still applies)
 *   c. if Y has no start times and its calendar allows the period (and repeat: none has
 *      not already been satisfied): a new run made now
 * is considered (steps 0-3 above): so a fan-in successor started by its first predecessor
 * is skipped while the others are unfinished, and restarted by the last one's success.
 *
 * Repeat, per period of the definition:
 *   network (default) any number of runs: each start time, each predecessor's success
 *                     (through a-c) and each hand start may run it again; every run goes
 *                     through the predecessor check.
 *   run               as network, but once a run of D passed the predecessor check in a
 *                     window, later runs of D in that window skip the check.
 *   none              at most one DONE run of D per window: a later run is skipped
 *                     ("already ran successfully this period (repeat: none)") and the
 *                     successor check does not make new runs for D.
 *
 * Settings (spec.h) resolve as server < definition < run. Which run's: mode, repeat and
 * predecessor.force_start_in_period come from the run being considered;
 * successor.force_start_in_period from the run that ended (it is the predecessor's
 * successor check, as in JobScheduler). Planned and triggered runs have no run layer;
 * hand runs carry the one given to net_run_manual.
 *
 * Hand runs (`jobgrid run NAME`) are runs of their period: shown by plan, counted as DONE
 * or RUNNING by others' checks, and their end runs the successor check. With check=false
 * they start at once (no timeslot, calendar, repeat or predecessor check: a person asked);
 * with check=true they are considered like a due planned run.
 *
 * Pause / resume: a paused definition's runs are skipped when they come due, it is never
 * started as a successor, and it is not counted as a predecessor (see mode). Nothing is
 * re-evaluated at the moment of pausing or resuming: checks happen when runs come due or
 * end, as in JobScheduler.
 *
 * Periods and time: a RUNNING run is not touched at its period's end (it may run past it,
 * and counts as running for everyone). A PLANNED run first looked at after its period
 * ended (the server was down) is SKIPPED ("its period ended before it came due"); one
 * looked at late within its period starts late. Finished runs of periods every definition
 * has left are dropped from memory at each tick (the store keeps history).
 *
 * Deploy. The server hands over every deployed definition (non-members are inert). For a
 * new or replaced definition the current period is reconciled from `now` on: PLANNED
 * runs at or after now that the new schedule no longer has are dropped (DROP), missing
 * ones are made (PLAN); earlier start times of the current period are not made up. A
 * replaced definition keeps its paused flag. Undeploy drops its PLANNED runs and skips its
 * WAITING ones; its RUNNING runs end as usual but start no successors.
 *
 * Start times are times of day or cron expressions (src/base/cron.h); both give the
 * period's planned runs (period.c, net_start_times).
 *
 * Decided here, beyond the words:
 *   - The calendar judges a period by the local date it starts on (a 06:00-06:00 period
 *     is Friday's, its 02:00 Saturday run included), and it also keeps the successor
 *     check from making runs (c.) in periods it excludes; hand runs ignore it.
 *   - Weekly (and n-day) periods start on Mondays (period.h).
 *   - A successor check starts at most one run per successor, the earliest skipped one
 *     before an early planned one; other skipped runs stay skipped.
 *   - A WAITING run counts as busy for the successor check and as still to come for the
 *     predecessor check.
 *   - A run keeps its reason when it ends: the reason says why it ran; the job says how.
 *   - Start times in a skipped hour run at the jump (two there become one run); a wall
 *     time met twice runs at its first passing.
 *   - Unknown names are refused at deploy (net_check_deploy); an edge left dangling by a
 *     later undeploy is ignored, by the planner and by later deploys' checks. The cycle
 *     check follows failure edges too; a definition naming itself is refused by the reader.
 *   - repeat: none does not limit unchecked hand runs (a person asked), checked ones it
 *     does; a paused definition's hand run still starts its successors when it succeeds.
 *   - A cancelled run is not ok: it starts the failure branch like a failed one.
 *
 * ==== How the server drives it =========================================================
 *
 *   start:    p = net_plan_new(&config_settings);
 *             for each stored run: net_restore(p, &run);          (before any deploy)
 *             net_deploy(p, every definition, n, now, &acts); net_pause(p, name, true) for
 *             each paused one; net_tick(p, now, &acts); apply(acts); arm the timer.
 *   timer:    at net_next_wake(p, now): net_tick(p, now, &acts); apply(acts); re-arm.
 *   job end:  the job of run id R reached a final state: net_run_ended(p, R, ok, now, &acts)
 *             (ok = done; failed and cancelled are not ok); apply; re-arm.
 *   deploy:   net_check_deploy(p, incoming, n, &cb) must find nothing (cycles, unknown names);
 *             then net_deploy(p, incoming, n, now, &acts); apply; re-arm.
 *   undeploy: net_undeploy(p, name, now, &acts); apply; re-arm.
 *   pause:    net_pause(p, name, true/false).
 *   run:      if net_member(p, name): id = net_run_manual(p, name, &overrides, check, now,
 *             &acts); apply (START creates the job with the user's arguments: keep them by
 *             run id); else run it as before.
 *   plan:     net_view(p, from, to, &runs) with [from, to) from net_day_bounds
 *             (period.h) of the date (net_parse_date, spec.h); past
 *             dates: read the store.
 *   simulate: net_simulate(p, now, net_days_later(now, DAYS), outcomes, n, 60000, &tl).
 * apply(acts): for every action store a->run (upsert by id; DROP deletes it); for START
 * also create a job for definition a->run.def and call net_run_job(p, id, seq, &acts2),
 * storing its UPDATE; if the job cannot be created, net_run_ended(p, id, false, ...).
 * Any call with actions may change the next wake: re-arm after each.
 *
 * Ownership: the plan owns its copies of everything it is given; action, view and
 * timeline arrays belong to the caller (net_actions_free, free, net_timeline_free).
 * Not thread-safe: the server's loop thread only.
 */
#ifndef JG_NET_PLAN_H
#define JG_NET_PLAN_H
#include "net/period.h"
#include "net/spec.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_REASON_MAX 200

/* Run states. Transitions (the function that makes each):
 *   (made) -> PLANNED                   period start, deploy         make_period
 *   PLANNED|SKIPPED -> WAITING|RUNNING|SKIPPED                       consider
 *   WAITING -> RUNNING|SKIPPED          slot opened / period ended   consider, tick
 *   RUNNING -> DONE|FAILED              net_run_ended
 * DONE and FAILED are final; SKIPPED is final unless a successor check restarts it. */
enum net_state { NET_PLANNED, NET_WAITING, NET_RUNNING, NET_DONE, NET_FAILED, NET_SKIPPED,
		 NET_STATE__N };
enum net_origin { NET_BY_START_TIME, NET_BY_TRIGGER, NET_BY_HAND };

/* One run, as stored (one row; every field a column). */
struct net_run {
	int64_t id;			/* > 0, unique in the plan, increasing */
	char def[NET_NAME_MAX + 1];	/* the definition's name */
	int64_t period_start, period_end;	/* wall ms: the definition's period holding planned_at */
	int64_t planned_at;		/* wall ms: its start time; or when it was made */
	int64_t started_at, ended_at;	/* wall ms, 0 until then */
	int8_t state;			/* enum net_state */
	int8_t origin;			/* enum net_origin */
	bool deps_ok;			/* it passed a predecessor check (repeat: run) */
	bool check;			/* by hand: considered (true) or started at once */
	int64_t job;			/* the job's seq once the server made it, else 0 */
	struct net_settings over;	/* the run-time settings layer (unset but by hand) */
	char reason[NET_REASON_MAX];	/* why it is in its state, for `plan` */
};

enum net_act_kind {
	NET_ACT_PLAN,	/* a new run: store it */
	NET_ACT_START,	/* the run is RUNNING: create its job, then net_run_job */
	NET_ACT_WAIT,	/* the run waits for its timeslot */
	NET_ACT_SKIP,	/* the run was skipped */
	NET_ACT_UPDATE,	/* anything else changed (ended, job set, period moved): store it */
	NET_ACT_DROP,	/* the run is gone (deploy, undeploy): delete it */
};

struct net_action {
	enum net_act_kind kind;
	struct net_run run;		/* the run as it is after the change */
};

/* A growing array the caller owns; calls append to it. Zero-initialise. */
struct net_actions {
	struct net_action *a;
	size_t n, cap;
};
void net_actions_free(struct net_actions *acts);

/* A definition as handed to the planner; both pointers are only read during the call. */
struct net_named {
	const char *name;
	const struct net_spec *spec;
};

struct net_plan;

struct net_plan *net_plan_new(const struct net_settings *server);	/* server may be NULL */
void net_plan_free(struct net_plan *p);
struct net_plan *net_plan_clone(const struct net_plan *p);
void net_plan_set_server(struct net_plan *p, const struct net_settings *server);

/* Put back a stored run (start-up, before net_deploy). -1 if r->id is taken or bad. */
int net_restore(struct net_plan *p, const struct net_run *r);
/* Add or replace definitions (see Deploy above). */
void net_deploy(struct net_plan *p, const struct net_named *defs, size_t n, int64_t now,
		struct net_actions *acts);
/* -1 if name is not deployed. */
int net_undeploy(struct net_plan *p, const char *name, int64_t now, struct net_actions *acts);
/* -1 if name is not deployed. */
int net_pause(struct net_plan *p, const char *name, bool paused);
bool net_is_paused(const struct net_plan *p, const char *name);
/* Is name deployed and part of a network (a schedule, a timeslot or any edge, either way)? */
bool net_member(const struct net_plan *p, const char *name);

/* Make the periods' runs and consider every run that is due. */
void net_tick(struct net_plan *p, int64_t now, struct net_actions *acts);
/* When net_tick has something to do next: a period start, a planned run, a timeslot
 * opening or a period end for a waiting run. INT64_MAX if never; <= now means at once. */
int64_t net_next_wake(const struct net_plan *p, int64_t now);

/* The server made job seq for run id. -1 if no such run. */
int net_run_job(struct net_plan *p, int64_t id, int64_t job, struct net_actions *acts);
/* Run id's job ended; ok = done. The successor check follows. -1 if the run is not RUNNING. */
int net_run_ended(struct net_plan *p, int64_t id, bool ok, int64_t now, struct net_actions *acts);
/* A hand run of name with the run-time layer over (may be NULL). Returns the run id, or -1
 * if name is not deployed. */
int64_t net_run_manual(struct net_plan *p, const char *name, const struct net_settings *over,
		       bool check, int64_t now, struct net_actions *acts);

const struct net_run *net_run_get(const struct net_plan *p, int64_t id);
const struct net_run *net_run_by_job(const struct net_plan *p, int64_t job);

/* The runs whose period starts in [from, to), by planned_at: those in memory, and those
 * the plan will make for periods not yet begun (id 0, PLANNED, "not planned yet"). *out is
 * malloc'd (NULL when none), the caller frees it. Returns the count. */
size_t net_view(const struct net_plan *p, int64_t from, int64_t to, struct net_run **out);
const char *net_state_name(enum net_state s);	/* planned, waiting, running, done, … */
const char *net_origin_name(enum net_origin o);	/* start time, trigger, hand */

/* ---- graph checks (graph.c) ---- */

/* One hop of a cycle, from -> to, and the list entry that makes it: `decl`'s list `edge`
 * (to's predecessors naming from, or from's successors or successors_on_failure naming
 * to). The names are borrowed for the callback. */
struct net_hop {
	const char *from, *to, *decl;
	enum net_edge edge;
};
typedef void (*net_cycle_cb)(void *arg, const struct net_hop *hops, size_t n);

/* A cycle through predecessor, successor and failure edges among defs, as "a -> b -> a"
 * into path: 1 if one was found, else 0. A definition naming itself is the reader's to
 * refuse, not counted here. */
int net_find_cycle(const struct net_named *defs, size_t n, char *path, size_t len);

/* What a deploy check reports to; either callback may be NULL. */
struct net_check_cb {
	net_cycle_cb cycle;	/* a cycle: its hops in order, the first declared by an
				 * incoming definition */
	void (*unknown)(void *arg, const char *def, enum net_edge edge, const char *ref);
	void *arg;
};
/* The deployed definitions with incoming replacing those of the same name: every cycle
 * a depth-first search finds (one for each edge that closes one) and every edge of an
 * incoming definition naming a definition neither incoming nor deployed. Returns how many
 * problems were reported; 0 means the deploy may go on. */
size_t net_check_deploy(const struct net_plan *p, const struct net_named *incoming, size_t n,
			const struct net_check_cb *cb);

/* ---- simulation (simulate.c) ---- */

/* Assumed outcome of a definition's runs; definitions not listed succeed after the
 * default duration. */
struct net_sim_outcome {
	const char *def;
	int64_t duration_ms;
	bool fail;
};

enum net_event_kind { NET_EV_START, NET_EV_WAIT, NET_EV_SKIP, NET_EV_DONE, NET_EV_FAIL };

struct net_event {
	int64_t at;			/* wall ms */
	int64_t run_id;
	int8_t kind;			/* enum net_event_kind */
	char def[NET_NAME_MAX + 1];
	char reason[NET_REASON_MAX];
};

struct net_timeline {
	struct net_event *ev;		/* owned by the caller: net_timeline_free */
	size_t n, cap;
	bool truncated;			/* stopped at NET_SIM_EVENTS_MAX */
};
#define NET_SIM_EVENTS_MAX 100000

/* What would happen from `from` until `until` on a copy of p: runs already RUNNING end
 * at started_at + their duration (not before from). p is not changed. */
void net_simulate(const struct net_plan *p, int64_t from, int64_t until,
		  const struct net_sim_outcome *outcomes, size_t noutcomes, int64_t default_ms,
		  struct net_timeline *out);
void net_timeline_free(struct net_timeline *t);
const char *net_event_name(enum net_event_kind k);	/* start, wait, skip, done, failed */
#endif
