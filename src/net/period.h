/* Local calendar arithmetic for job networks: days, the instant of a wall-clock time on a
 * day, periods, the start times inside a period, and calendars.
 *
 * Everything follows the process's local time zone (TZ) and is a pure function of its
 * arguments and TZ (src/base/localtime.h): a "day" is a local calendar date counted as
 * days since 1970-01-01; "06:00 on day D" is the first instant local clocks read 06:00 that
 * day, or, when the clocks jump over it, the instant of the jump (LOCAL_FOLD_FIRST,
 * LOCAL_GAP_JUMP, as timeslots have it). So a daily period starting at 02:30 lasts 23
 * hours on the spring change day and 25 on the autumn one, and a start time at 02:30 runs
 * at the jump (03:00) on the day 02:30 does not exist.
 *
 * Periods. A schedule's period P and period_start S give the boundaries:
 *   P < 1 day (it divides the day): every day at the local times S + k·P (mod 24h), so
 *     12h from 06:00 gives 06:00 and 18:00;
 *   P = n days: at S on every n-th day counted from Monday 1970-01-05, so 1w periods start
 *     on Mondays and 2d periods on alternate days.
 * A period is the half-open span [a boundary, the next boundary). Its date (for the
 * calendar and for `plan --date`) is the local date of its start: a period from 06:00
 * Friday to 06:00 Saturday is Friday's, runs after midnight included.
 */
#ifndef JG_NET_PERIOD_H
#define JG_NET_PERIOD_H
#include "net/spec.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

int64_t net_local_day(int64_t t_ms);			/* the local date of instant t */
int64_t net_day_at(int64_t day, int32_t sec);		/* ms: sec after 00:00 on day's wall */
/* [local midnight of day, next local midnight): what `plan --date` shows. */
void net_day_bounds(int64_t day, int64_t *from, int64_t *to);
/* The same local time of day `days` local days after t (for `plan --simulate DAYS`). */
int64_t net_days_later(int64_t t_ms, int days);
/* "Mon 2026-03-02 08:00" style text of instant t in local time; returns buf. */
char *net_format_local(int64_t t_ms, char *buf, size_t len);

/* The period of s that holds t: *start <= t < *end. */
void net_period_of(const struct net_schedule *s, int64_t t_ms, int64_t *start, int64_t *end);
/* Does the calendar let the period starting at start_ms have planned runs? */
bool net_calendar_allows(const struct net_calendar *c, int64_t start_ms);
/* The time-of-day start times of s inside [start, end), sorted, without repeats, at most
 * max of them into out; returns how many. Cron entries are not expanded here. */
size_t net_start_times(const struct net_schedule *s, int64_t start_ms, int64_t end_ms,
		       int64_t *out, size_t max);
#endif
