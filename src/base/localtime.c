/* Local time: wall clock ↔ instants, local days and weekdays, day names and times of day.
 *
 * Design notes. The wall clock at an instant is the instant plus the UTC offset
 * localtime_r reports there. The way back cannot use mktime: with tm_isdst = -1 glibc
 * settles a time skipped or shown twice from a guess cached by earlier calls, so "02:30" on
 * a change day would depend on what was computed before. Instead the offsets in force a
 * day before and a day after the wall time give every candidate instant (no zone changes
 * twice within two days), and a candidate counts only if localtime_r reads the wall time
 * back at it. Two that do: the clocks went back and passed it twice (the fold policy
 * picks one). None: the clocks jumped over it; then the earlier candidate reads a time
 * before it and the later one a time after, and the jump is the first second between
 * them that reads it or later, found by halving (the gap policy says whether to look).
 */
#include "base/localtime.h"
#include <ctype.h>
#include <string.h>
#include <strings.h>
#include <time.h>

static const char *const day_short[7] = {"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"};
static const char *const day_long[7] = {"Monday", "Tuesday", "Wednesday", "Thursday",
					"Friday", "Saturday", "Sunday"};

bool local_wall(int64_t t, int64_t *wall)
{
	time_t tt = (time_t)t;
	struct tm tm;
	if (localtime_r(&tt, &tm) == NULL)
		return false;
	*wall = t + tm.tm_gmtoff;
	return true;
}

bool local_day_sec(int64_t t, int64_t *day, int32_t *sec)
{
	int64_t wall;
	if (!local_wall(t, &wall))
		return false;
	int64_t d = floor_div(wall, DAY_S);
	if (day != NULL)
		*day = d;
	if (sec != NULL)
		*sec = (int32_t)(wall - d * DAY_S);
	return true;
}

/* The first second in (lo, hi] whose wall clock reads wall or later, lo reading earlier
 * and hi later: the instant of the jump over wall. */
static bool jump_over(int64_t wall, int64_t lo, int64_t hi, int64_t *out)
{
	while (hi - lo > 1) {
		int64_t mid = lo + (hi - lo) / 2, r;
		if (!local_wall(mid, &r))
			return false;
		if (r < wall)
			lo = mid;
		else
			hi = mid;
	}
	*out = hi;
	return true;
}

bool local_instant(int64_t wall, enum local_gap gap, enum local_fold fold, int64_t *out)
{
	int64_t w1, w2, r1, r2;
	if (!local_wall(wall - DAY_S, &w1) || !local_wall(wall + DAY_S, &w2))
		return false;
	/* Each offset (w - t) in force gives the one instant that would read wall under it. */
	int64_t c1 = wall - (w1 - (wall - DAY_S)), c2 = wall - (w2 - (wall + DAY_S));
	if (c1 > c2) {
		int64_t x = c1;
		c1 = c2;
		c2 = x;
	}
	if (!local_wall(c1, &r1))
		return false;
	if (c1 == c2)
		r2 = r1;	/* the usual day: one offset, one look-up less */
	else if (!local_wall(c2, &r2))
		return false;
	if (r1 == wall || r2 == wall) {
		bool first = r1 == wall && (fold == LOCAL_FOLD_FIRST || r2 != wall);
		*out = first ? c1 : c2;
		return true;
	}
	if (gap == LOCAL_GAP_NONE)
		return false;
	if (r1 < wall && r2 > wall)
		return jump_over(wall, c1, c2, out);
	*out = c2;	/* the offsets around wall do not bracket it: zone data out of the ordinary */
	return true;
}

int local_weekday(int64_t day)
{
	return (int)floor_mod(day + 3, 7);
}

int local_weekday_parse(const char *s, size_t n)
{
	for (int d = 0; d < 7; d++)
		if ((n == 3 && strncasecmp(s, day_short[d], 3) == 0) ||
		    (n == strlen(day_long[d]) && strncasecmp(s, day_long[d], n) == 0))
			return d;
	return -1;
}

const char *local_weekday_name(int d)
{
	return day_short[floor_mod(d, 7)];
}

uint8_t local_weekday_range(int a, int b)
{
	uint8_t mask = 0;
	for (int d = a;; d = (d + 1) % 7) {
		mask |= (uint8_t)(1u << d);
		if (d == b)
			return mask;
	}
}

static int digit(char c)
{
	return isdigit((unsigned char)c) ? c - '0' : -1;
}

static int two_digits(const char *t)
{
	int hi = digit(t[0]), lo = digit(t[1]);
	return hi < 0 || lo < 0 ? -1 : hi * 10 + lo;
}

int32_t local_tod_parse(const char *t, size_t n)
{
	size_t h = n == 4 || n == 7 ? 1 : 2;	/* digits of the hour: "8:00" or "08:00" */
	if (n != h + 3 && n != h + 6)
		return -1;
	int hh = h == 1 ? digit(t[0]) : two_digits(t), mm = two_digits(t + h + 1), ss = 0;
	if (t[h] != ':' || hh < 0 || mm < 0 || mm > 59)
		return -1;
	if (n == h + 6 && (t[h + 3] != ':' || (ss = two_digits(t + h + 4)) < 0 || ss > 59))
		return -1;
	if (hh == 24 && mm == 0 && ss == 0)
		return DAY_S;
	return hh > 23 ? -1 : hh * 3600 + mm * 60 + ss;
}
