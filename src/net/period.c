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
#include <stdio.h>
#include <string.h>
#include <time.h>

#define MONDAY_0 4	/* 1970-01-05, the Monday multi-day periods count from */

static int64_t floor_div(int64_t a, int64_t b)
{
	return a / b - (a % b != 0 && (a < 0) != (b < 0));
}

static int64_t floor_mod(int64_t a, int64_t b)
{
	return a - floor_div(a, b) * b;
}

/* Local broken-down time of second u; a zeroed tm (UTC) if the C library cannot say. */
static struct tm local_tm(int64_t u)
{
	time_t tt = (time_t)u;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		memset(&tm, 0, sizeof tm);
	return tm;
}

/* What local clocks read at second u, counted as seconds since 1970-01-01 00:00 of the
 * local calendar. */
static int64_t wall_of(int64_t u)
{
	return u + local_tm(u).tm_gmtoff;
}

static int64_t tm_day(const struct tm *tm)
{
	struct tm d = {.tm_year = tm->tm_year, .tm_mon = tm->tm_mon, .tm_mday = tm->tm_mday};
	return floor_div((int64_t)timegm(&d), NET_DAY_S);
}

int64_t net_local_day(int64_t t_ms)
{
	struct tm tm = local_tm(floor_div(t_ms, 1000));
	return tm_day(&tm);
}

int net_day_weekday(int64_t day)
{
	return (int)floor_mod(day + 3, 7);	/* 1970-01-01 was a Thursday */
}

int64_t net_day_at(int64_t day, int32_t sec)
{
	int64_t w = day * NET_DAY_S + sec;
	/* The offsets in force a day either side give every instant that can read w. */
	int64_t a = w - local_tm(w - NET_DAY_S).tm_gmtoff, b = w - local_tm(w + NET_DAY_S).tm_gmtoff;
	int64_t lo = a < b ? a : b, hi = a < b ? b : a;
	if (wall_of(lo) == w)
		return lo * 1000;	/* the first of two passings, when clocks went back */
	if (wall_of(hi) == w)
		return hi * 1000;
	while (hi - lo > 1) {		/* w was skipped: find the jump */
		int64_t mid = lo + (hi - lo) / 2;
		if (wall_of(mid) >= w)
			hi = mid;
		else
			lo = mid;
	}
	return hi * 1000;
}

char *net_format_local(int64_t t_ms, char *buf, size_t len)
{
	int64_t u = floor_div(t_ms, 1000);
	struct tm tm = local_tm(u);
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
		int64_t per_day = NET_DAY_S / step_s(s);
		int32_t first = s->period_start_s % step_s(s);
		return net_day_at(floor_div(j, per_day),
				  first + (int32_t)floor_mod(j, per_day) * step_s(s));
	}
	return net_day_at(MONDAY_0 + j * (s->period_ms / NET_DAY_MS), s->period_start_s);
}

/* A boundary number near the period holding t. */
static int64_t guess(const struct net_schedule *s, int64_t t_ms)
{
	struct tm tm = local_tm(floor_div(t_ms, 1000));
	int64_t day = tm_day(&tm);
	if (sub_day(s)) {
		int32_t wall = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
		int32_t first = s->period_start_s % step_s(s);
		return day * (NET_DAY_S / step_s(s)) + floor_div(wall - first, step_s(s));
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
	return (c->weekdays >> net_day_weekday(day)) & 1u;
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
	struct tm tm = local_tm(u);
	int32_t wall = tm.tm_hour * 3600 + tm.tm_min * 60 + tm.tm_sec;
	return net_day_at(tm_day(&tm) + days, wall) + (t_ms - u * 1000);
}
