/* Local days, wall-clock instants and periods; see period.h.
 *
 * Design notes. Boundaries of a schedule's periods are numbered: for P < 1 day, boundary
 * k·day + i is the i-th of the day's boundaries on local day `day`; for P of n days,
 * boundary j is at period_start on day MONDAY_0 + j·n. Their instants never decrease with
 * the number (two may coincide when the clocks jump over both), so the period holding t is
 * found by guessing a number from t's local date and time and stepping until boundary(j)
 * <= t < boundary(j + 1).
 */
#include "net/period.h"
#include "base/cron.h"
#include "base/localtime.h"
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MONDAY_0 4	/* 1970-01-05, the Monday multi-day periods count from */

/* The local date of second u; its UTC date if the C library cannot say. */
static int64_t day_of(int64_t u, int32_t *sec)
{
	int64_t day;
	if (local_day_sec(u, &day, sec))
		return day;
	day = floor_div(u, DAY_S);
	if (sec != NULL)
		*sec = (int32_t)(u - day * DAY_S);
	return day;
}

int64_t net_local_day(int64_t t_ms)
{
	return day_of(floor_div(t_ms, 1000), NULL);
}

int64_t net_day_at(int64_t day, int32_t sec)
{
	/* A time met twice is its first passing (a period is never run twice), one the clocks
	 * jumped over the instant of the jump (never lost, only moved). */
	int64_t w = day * DAY_S + sec, t;
	if (!local_instant(w, LOCAL_GAP_JUMP, LOCAL_FOLD_FIRST, &t))
		t = w;	/* no zone data that far: UTC */
	return t * 1000;
}

char *net_format_local(int64_t t_ms, char *buf, size_t len)
{
	time_t u = (time_t)floor_div(t_ms, 1000);
	struct tm tm;
	if (localtime_r(&u, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	if (len > 0 && strftime(buf, len, tm.tm_sec ? "%a %Y-%m-%d %H:%M:%S" : "%a %Y-%m-%d %H:%M",
				&tm) == 0)
		buf[0] = '\0';
	return buf;
}

/* ---- periods ---- */

static int32_t step_s(const struct net_schedule *s)
{
	return (int32_t)(s->period_ms / 1000);
}

static bool sub_day(const struct net_schedule *s)
{
	return s->period_ms < NET_DAY_MS;
}

/* The instant of boundary number j (see the design notes). */
static int64_t boundary(const struct net_schedule *s, int64_t j)
{
	if (sub_day(s)) {
		int64_t per_day = DAY_S / step_s(s);
		int32_t first = s->period_start_s % step_s(s);
		return net_day_at(floor_div(j, per_day),
				  first + (int32_t)floor_mod(j, per_day) * step_s(s));
	}
	return net_day_at(MONDAY_0 + j * (s->period_ms / NET_DAY_MS), s->period_start_s);
}

/* A boundary number near the period holding t. */
static int64_t guess(const struct net_schedule *s, int64_t t_ms)
{
	int32_t wall;
	int64_t day = day_of(floor_div(t_ms, 1000), &wall);
	if (sub_day(s)) {
		int32_t first = s->period_start_s % step_s(s);
		return day * (DAY_S / step_s(s)) + floor_div(wall - first, step_s(s));
	}
	return floor_div(day - MONDAY_0, s->period_ms / NET_DAY_MS);
}

void net_period_of(const struct net_schedule *s, int64_t t_ms, int64_t *start, int64_t *end)
{
	struct net_schedule fixed = *s;
	if (!net_period_valid(fixed.period_ms))
		fixed.period_ms = NET_DAY_MS;	/* the reader refuses such; never loop on one */
	int64_t j = guess(&fixed, t_ms);
	while (boundary(&fixed, j) > t_ms)
		j--;
	while (boundary(&fixed, j + 1) <= t_ms)
		j++;
	*start = boundary(&fixed, j);
	*end = boundary(&fixed, j + 1);
}

static bool has_day(const int64_t *list, size_t n, int64_t day)
{
	size_t lo = 0, hi = n;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (list[mid] == day)
			return true;
		if (list[mid] < day)
			lo = mid + 1;
		else
			hi = mid;
	}
	return false;
}

bool net_calendar_allows(const struct net_calendar *c, int64_t start_ms)
{
	int64_t day = net_local_day(start_ms);
	if (has_day(c->exclude, c->nexclude, day))
		return false;
	if (has_day(c->include, c->ninclude, day))
		return true;
	return (c->weekdays >> local_weekday(day)) & 1u;
}

/* Insert t into the sorted out[0 .. *n) unless there. */
static void add_sorted(int64_t *out, size_t *n, size_t max, int64_t t)
{
	size_t at = *n;
	while (at > 0 && out[at - 1] > t)
		at--;
	if ((at > 0 && out[at - 1] == t) || *n == max)
		return;
	memmove(out + at + 1, out + at, (*n - at) * sizeof *out);
	out[at] = t;
	(*n)++;
}

/* The firings of cron text in [start, end) into out (sorted, no repeats). */
static void cron_times(const char *text, int64_t start_ms, int64_t end_ms, int64_t *out,
		       size_t *n, size_t max)
{
	struct cron c;
	if (cron_parse(text, &c, NULL, 0))
		return;	/* refused at deploy; a stored one that no longer reads plans nothing */
	for (int64_t t = cron_next(&c, start_ms - 1); t >= 0 && t < end_ms && *n < max;
	     t = cron_next(&c, t))
		add_sorted(out, n, max, t);
}

size_t net_start_times(const struct net_schedule *s, int64_t start_ms, int64_t end_ms,
		       int64_t *out, size_t max)
{
	size_t n = 0;
	int64_t last = net_local_day(end_ms - 1);
	for (size_t i = 0; i < s->nstarts; i++)
		if (s->starts[i].tod_s < 0 && s->starts[i].cron)
			cron_times(s->starts[i].cron, start_ms, end_ms, out, &n, max);
	for (int64_t day = net_local_day(start_ms); day <= last; day++) {
		for (size_t i = 0; i < s->nstarts; i++) {
			if (s->starts[i].tod_s < 0)
				continue;
			int64_t t = net_day_at(day, s->starts[i].tod_s);
			if (t >= start_ms && t < end_ms)
				add_sorted(out, &n, max, t);
		}
	}
	return n;
}

void net_day_bounds(int64_t day, int64_t *from, int64_t *to)
{
	*from = net_day_at(day, 0);
	*to = net_day_at(day + 1, 0);
}

int64_t net_days_later(int64_t t_ms, int days)
{
	int64_t u = floor_div(t_ms, 1000);
	int32_t wall;
	int64_t day = day_of(u, &wall);
	return net_day_at(day + days, wall) + (t_ms - u * 1000);
}
