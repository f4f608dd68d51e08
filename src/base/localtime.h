/* Local time in the process's time zone (TZ): the wall clock at an instant, the instant of
 * a wall-clock time under a stated policy for times the clocks skip or show twice, local
 * days and weekdays, and the day and time-of-day texts that timeslots, cron and job
 * networks share.
 *
 * A "wall" value is what local clocks read, counted as seconds since 1970-01-01 00:00 of
 * the local calendar (as if local time were UTC); a "day" is floor(wall / DAY_S), a local
 * date counted as days since 1970-01-01. Instants here are seconds since the epoch. Every
 * answer is a pure function of its arguments and TZ; callers call tzset() when TZ may have
 * changed, as localtime_r need not notice by itself. */
#ifndef JG_LOCALTIME_H
#define JG_LOCALTIME_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DAY_S 86400
#define LOCAL_T_LIMIT_MS (INT64_C(1) << 50)	/* keeps every year an int and every ms an int64 */

/* a / b rounded towards minus infinity, and the remainder that goes with it; b > 0. */
static inline int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b < 0);
}

static inline int64_t floor_mod(int64_t a, int64_t b)
{
	int64_t r = a % b;	/* not a - floor_div(a, b) * b, which overflows near INT64_MIN */
	return r < 0 ? r + b : r;
}

/* What a wall time the clocks jumped over (spring forward) becomes. */
enum local_gap {
	LOCAL_GAP_NONE,		/* no instant: that time does not happen that day */
	LOCAL_GAP_JUMP,		/* the instant of the jump, the first reading a later time */
};

/* Which passing of a wall time the clocks showed twice (autumn back) is meant. */
enum local_fold {
	LOCAL_FOLD_FIRST,	/* the earlier instant, before the clocks went back */
	LOCAL_FOLD_LAST,	/* the later one, after */
};

/* *wall gets what local clocks read at instant t (s); false if the C library cannot say. */
bool local_wall(int64_t t, int64_t *wall);
/* *day and *sec (may be NULL) get the local date of instant t and the seconds of its wall
 * time after that date's 00:00; false if the C library cannot say. */
bool local_day_sec(int64_t t, int64_t *day, int32_t *sec);
/* *out gets the instant at which local clocks read wall, under gap and fold. False when
 * the time was skipped and gap is LOCAL_GAP_NONE, or the C library cannot say. */
bool local_instant(int64_t wall, enum local_gap gap, enum local_fold fold, int64_t *out);

/* 0 = Monday .. 6 = Sunday of a local date (1970-01-01 was a Thursday). */
int local_weekday(int64_t day);
/* The n bytes at s as a day name, "Mon".."Sun" or "Monday".."Sunday" in any case:
 * 0 = Monday .. 6 = Sunday, or -1. */
int local_weekday_parse(const char *s, size_t n);
/* "Mon".."Sun" for 0 .. 6 (taken modulo 7). */
const char *local_weekday_name(int d);
/* The days a .. b (0 = Monday .. 6), wrapping past Sunday when b < a: bit d for day d. */
uint8_t local_weekday_range(int a, int b);
/* The n bytes at s as a time of day H:MM, HH:MM, H:MM:SS or HH:MM:SS: seconds after
 * midnight, 0 .. DAY_S - 1, or DAY_S for 24:00 and 24:00:00 (callers that take it only as
 * an end say so); -1 for anything else. */
int32_t local_tod_parse(const char *s, size_t n);
#endif
