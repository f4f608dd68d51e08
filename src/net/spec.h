/* What a definition says about its place in job networks (SPEC §7): its schedule, its
 * predecessor, successor and failure edges, and its dependency settings; the text forms of
 * their values. Pure data and parsing: the planner (plan.h) decides what they mean.
 *
 * Settings come in three layers, the later beating the earlier: the server's config, the
 * definition, the run (`jobgrid run NAME dependencies.mode=deep`). Each layer is a
 * `struct net_settings` whose fields may be unset (0), and net_settings_resolve folds them
 * with the defaults into a `struct net_resolved`. All four fields are small integers, so a
 * layer is stored as four integer columns.
 *
 * Text forms (also used by the definition reader, the config file and run-time overrides):
 *   mode                                shallow | deep                (default shallow)
 *   repeat                              network | run | none          (default network)
 *   predecessor.force_start_in_period   true | false                  (default false)
 *   successor.force_start_in_period     true | false                  (default true)
 *   a time of day                       H:MM, HH:MM, HH:MM:SS         (00:00 .. 23:59:59)
 *   a date                              YYYY-MM-DD
 *   weekdays                            Mon..Sun or full names, any case, and ranges
 *                                       "Mon-Fri" (which may wrap: "Sat-Mon")
 *   a period                            a duration (clock.h) of at least 1m that divides a
 *                                       day (1h, 12h, 15m) or is whole days (1d, 2d, 1w),
 *                                       at most 52w
 */
#ifndef JG_NET_SPEC_H
#define JG_NET_SPEC_H
#include "base/localtime.h"
#include "base/timeslot.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define NET_NAME_MAX 200	/* bytes of a definition name, as def_name_valid allows */
#define NET_STARTS_MAX 64	/* start times in one schedule */
#define NET_DATES_MAX 400	/* dates in one calendar list */
#define NET_EDGES_MAX 64	/* names in one predecessors/successors list */
#define NET_DAY_MS (INT64_C(1000) * DAY_S)

/* ---- settings ---- */

enum net_mode { NET_MODE_UNSET, NET_SHALLOW, NET_DEEP };
enum net_repeat { NET_REPEAT_UNSET, NET_REPEAT_NETWORK, NET_REPEAT_RUN, NET_REPEAT_NONE };
enum net_tri { NET_TRI_UNSET, NET_TRI_FALSE, NET_TRI_TRUE };

/* One layer; all-zero is "nothing set". */
struct net_settings {
	int8_t mode;		/* enum net_mode */
	int8_t repeat;		/* enum net_repeat */
	int8_t pred_force;	/* enum net_tri: predecessor.force_start_in_period */
	int8_t succ_force;	/* enum net_tri: successor.force_start_in_period */
};

/* Every setting decided. */
struct net_resolved {
	enum net_mode mode;
	enum net_repeat repeat;
	bool pred_force, succ_force;
};

/* server, def and run may each be NULL (= nothing set). */
struct net_resolved net_settings_resolve(const struct net_settings *server,
					 const struct net_settings *def,
					 const struct net_settings *run);
/* Set one setting from its text form; key is one of the four names above, optionally
 * prefixed "dependencies.". 0, or -1 with *why a static text (unknown key, bad value). */
int net_settings_set(struct net_settings *s, const char *key, const char *value,
		     const char **why);
/* Is key one of the setting names (with or without "dependencies.")? */
bool net_settings_key(const char *key);
const char *net_mode_name(enum net_mode m);	/* "shallow", "deep", "unset" */
const char *net_repeat_name(enum net_repeat r);	/* "network", "run", "none", "unset" */

/* ---- schedule ---- */

/* One start time: a time of day, or a cron expression. */
struct net_start {
	int32_t tod_s;		/* seconds after local midnight; -1 for a cron entry */
	char *cron;		/* owned cron text when tod_s < 0, else NULL */
};

/* Which periods get planned runs, judged by the local date their period starts on:
 * excluded dates never, included dates always, other dates when their weekday is in
 * weekdays. */
struct net_calendar {
	uint8_t weekdays;	/* bit 0 = Monday … bit 6 = Sunday; 0x7f when not given */
	int64_t *include;	/* owned, sorted local day numbers (days since 1970-01-01) */
	int64_t *exclude;	/* owned, sorted */
	size_t ninclude, nexclude;
};

struct net_schedule {
	struct net_start *starts;	/* owned, in the order given */
	size_t nstarts;
	bool has_timeslot;
	struct timeslot slot;		/* every window of every timeslot text given */
	int64_t period_ms;		/* default NET_DAY_MS; net_period_valid */
	int32_t period_start_s;		/* local time of day periods start at; default 0 */
	struct net_calendar cal;
};

/* The three lists of names a definition gives: its edges. */
enum net_edge { NET_EDGE_PRED, NET_EDGE_SUCC, NET_EDGE_FAIL, NET_EDGE__N };
const char *net_edge_key(enum net_edge e);	/* "predecessors", "successors", … */
const char *net_edge_word(enum net_edge e);	/* "predecessor", "successor", "successor on
						 * failure" */

/* A definition's network part. Zeroed by net_spec_init. */
struct net_spec {
	struct net_schedule sched;
	char **preds, **succs, **fail_succs;	/* owned arrays of owned names */
	size_t npreds, nsuccs, nfail_succs;
	struct net_settings settings;		/* the definition layer */
};

void net_spec_init(struct net_spec *s);		/* empty: no starts, 1d from 00:00, every day */
void net_spec_free(struct net_spec *s);		/* frees what it owns; s itself is the caller's */
void net_spec_copy(struct net_spec *dst, const struct net_spec *src);	/* dst uninitialised */
/* Does the spec make its definition a network member: a start time, a timeslot, or an
 * edge of its own? (Another definition naming it makes it a member too: see plan.h.) */
bool net_spec_has_role(const struct net_spec *s);
/* Append name to a list (predecessors, ...), copying it. */
void net_spec_add_name(char ***list, size_t *n, const char *name);
/* The list of one kind of edge and, in *n, its length. */
char *const *net_spec_list(const struct net_spec *s, enum net_edge e, size_t *n);

/* ---- text forms ---- */

/* "HH:MM[:SS]" into seconds after midnight. 0 or -1. */
int net_parse_tod(const char *s, int32_t *out_s);
/* "YYYY-MM-DD" (a real date, years 1970..9999) into a day number. 0 or -1. */
int net_parse_date(const char *s, int64_t *out_day);
/* A day name or range ("Mon", "friday", "Mon-Fri") ORed into *mask. 0 or -1. */
int net_parse_weekdays(const char *s, uint8_t *mask);
/* A period duration; 0, or -1 with *why a static text. */
int net_parse_period(const char *s, int64_t *out_ms, const char **why);
bool net_period_valid(int64_t period_ms);
/* Add a calendar date to a sorted list; false if it is already there. */
bool net_calendar_add(int64_t **list, size_t *n, int64_t day);
#endif
