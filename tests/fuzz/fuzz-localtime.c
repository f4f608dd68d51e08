/* Fuzz target for base/localtime: the time-of-day and day-name parsers (timeslots, cron and
 * job networks read user text with them) and the wall time -> instant conversion under
 * every policy. A parsed time or day prints back to itself; an instant found for a wall
 * time reads that wall time, and no earlier (first) or later (last) instant does; a time
 * without an instant is one the clocks jumped over, and the jump is where they did. The
 * first 8 bytes, as a number, pick two wall times: one anywhere in the range callers
 * accept, one in 1900..2099 where the zone's changes are. Runs in Europe/Berlin (UTC
 * without the zone data). */
#include "fuzz.h"
#include "base/localtime.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LIMIT_S (LOCAL_T_LIMIT_MS / 1000)
#define WALL_1900 INT64_C(-2208988800)	/* 1900-01-01 00:00 */
#define SPAN_200Y (INT64_C(200) * 36524 * DAY_S)	/* about 200 years */

static void check_tod(const uint8_t *data, size_t size)
{
	int32_t s = local_tod_parse((const char *)data, size);
	if (s == -1)
		return;
	if (s < 0 || s > DAY_S)
		abort();	/* -1 or a time of day */
	char back[16];
	snprintf(back, sizeof back, "%02d:%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60),
		 (int)(s % 60));
	if (local_tod_parse(back, strlen(back)) != s)
		abort();
}

static void check_weekday(const uint8_t *data, size_t size)
{
	int d = local_weekday_parse((const char *)data, size);
	if (d == -1)
		return;
	if (d < 0 || d > 6)
		abort();
	const char *name = local_weekday_name(d);
	if (local_weekday_parse(name, strlen(name)) != d || local_weekday_range(d, d) != 1u << d)
		abort();
}

/* The wall clock at t; aborts if the C library cannot say, as it always can in range. */
static int64_t wall_at(int64_t t)
{
	int64_t w;
	if (!local_wall(t, &w))
		abort();
	return w;
}

static bool at(int64_t w, enum local_gap gap, enum local_fold fold, int64_t *t)
{
	return local_instant(w, gap, fold, t);
}

static void check_instant(int64_t w)
{
	int64_t first, last, jump_first, jump_last;
	bool happens = at(w, LOCAL_GAP_NONE, LOCAL_FOLD_FIRST, &first);
	if (at(w, LOCAL_GAP_NONE, LOCAL_FOLD_LAST, &last) != happens ||
	    !at(w, LOCAL_GAP_JUMP, LOCAL_FOLD_FIRST, &jump_first) ||
	    !at(w, LOCAL_GAP_JUMP, LOCAL_FOLD_LAST, &jump_last))
		abort();	/* a gap policy always gives an instant */
	if (happens) {
		if (wall_at(first) != w || wall_at(last) != w || last < first ||
		    wall_at(first - 1) >= w || wall_at(last + 1) <= w)
			abort();	/* the first and the last passing, and no other */
		if (jump_first != first || jump_last != last)
			abort();	/* the gap policy is only for skipped times */
		return;
	}
	if (jump_first != jump_last || wall_at(jump_first) <= w || wall_at(jump_first - 1) >= w)
		abort();	/* skipped: the instant the clocks jumped over it */
}

static void check_day(int64_t t)
{
	int64_t day;
	int32_t sec;
	if (!local_day_sec(t, &day, &sec) || sec < 0 || sec >= DAY_S ||
	    day * DAY_S + sec != wall_at(t) || local_weekday(day) != (int)floor_mod(day + 3, 7))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zone_once("Europe/Berlin");
	check_tod(data, size);
	check_weekday(data, size);
	int64_t x = 0;
	memcpy(&x, data, size < sizeof x ? size : sizeof x);
	int64_t anywhere = floor_mod(x, 2 * LIMIT_S) - LIMIT_S;
	int64_t recent = WALL_1900 + floor_mod(x, SPAN_200Y);
	check_instant(anywhere);
	check_instant(recent);
	check_day(anywhere);
	check_day(recent);
	return 0;
}
