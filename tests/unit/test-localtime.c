/* Local time: wall clock <-> instants under each policy for skipped and repeated times
 * across the clock changes of Berlin, New York and Lord Howe (a 30-minute change), checked
 * against fixed instants and against a plain scan of the instants around each wall time;
 * local days and weekdays, day names, day ranges and times of day. The fixture runs in
 * UTC; the zone tests set their own zone. */
#include "base/localtime.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define H 3600
#define CHANGE_S (3 * H)	/* wall times checked either side of a clock change */
#define SCAN_S (4 * H)		/* instants scanned either side of the change for each */
#define SCAN_STEP_S 60		/* zones change on whole minutes */
#define NONE INT64_MIN		/* no such instant */

static void set_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void utc_zone(void)
{
	set_zone("UTC");
}

TestSuite(localtime, .init = utc_zone);

/* s since the epoch of a UTC date and time. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s};
	return (int64_t)timegm(&tm);
}

/* A wall time: the same date and time counted as if local time were UTC. */
static int64_t wall(int y, int mo, int d, int h, int mi, int s)
{
	return utc(y, mo, d, h, mi, s);
}

/* Switch to zone tz, skipping the test when the system has no data for it: the zone then
 * falls back to UTC, while none used here is at UTC+0 in January or July. */
static void zone(const char *tz)
{
	set_zone(tz);
	int64_t jan, jul;
	cr_assert(local_wall(utc(2026, 1, 15, 12, 0, 0), &jan));
	cr_assert(local_wall(utc(2026, 7, 15, 12, 0, 0), &jul));
	if (jan == utc(2026, 1, 15, 12, 0, 0) || jul == utc(2026, 7, 15, 12, 0, 0))
		cr_skip_test("no %s zone data", tz);
}

/* The instant of wall under gap and fold; NONE when there is none. */
static int64_t instant(int64_t w, enum local_gap gap, enum local_fold fold)
{
	int64_t t = 0;
	return local_instant(w, gap, fold, &t) ? t : NONE;
}

/* What the policies should make of a wall time: its first and last passings (NONE when the
 * clocks skipped it) and, for a skipped one, the instant of the jump over it (else NONE). */
struct seen {
	int64_t first, last, jump;
};

#define ONCE(t) ((struct seen){(t), (t), NONE})
#define TWICE(a, b) ((struct seen){(a), (b), NONE})
#define SKIPPED(jump) ((struct seen){NONE, NONE, (jump)})

/* All four policy pairs at w against want. */
static void policies_are(const char *tz, int64_t w, struct seen want)
{
	cr_assert_eq(instant(w, LOCAL_GAP_NONE, LOCAL_FOLD_FIRST), want.first,
		     "%s wall %lld: first passing", tz, (long long)w);
	cr_assert_eq(instant(w, LOCAL_GAP_NONE, LOCAL_FOLD_LAST), want.last,
		     "%s wall %lld: last passing", tz, (long long)w);
	cr_assert_eq(instant(w, LOCAL_GAP_JUMP, LOCAL_FOLD_FIRST),
		     want.first != NONE ? want.first : want.jump, "%s wall %lld: first or jump", tz,
		     (long long)w);
	cr_assert_eq(instant(w, LOCAL_GAP_JUMP, LOCAL_FOLD_LAST),
		     want.last != NONE ? want.last : want.jump, "%s wall %lld: last or jump", tz,
		     (long long)w);
}

Test(localtime, floor_div_and_mod_round_down)
{
	cr_assert_eq(floor_div(7, 2), 3);
	cr_assert_eq(floor_div(-7, 2), -4);
	cr_assert_eq(floor_div(-8, 2), -4);
	cr_assert_eq(floor_div(-1, DAY_S), -1);
	cr_assert_eq(floor_div(0, DAY_S), 0);
	cr_assert_eq(floor_mod(-1, DAY_S), DAY_S - 1);
	cr_assert_eq(floor_mod(-7, 7), 0);
	cr_assert_eq(floor_mod(9, 7), 2);
	/* The ends of the range: no overflow on the way (the sanitizers would stop the test). */
	cr_assert_eq(floor_div(INT64_MIN, DAY_S), INT64_C(-106751991167301));
	cr_assert_eq(floor_mod(INT64_MIN, DAY_S), 30592);
	cr_assert_eq(floor_mod(INT64_MIN, 7), 6);
	cr_assert_eq(floor_mod(INT64_MAX, 7), 0);
}

Test(localtime, utc_is_the_identity)
{
	int64_t w = 0;
	cr_assert(local_wall(utc(2026, 3, 29, 1, 30, 0), &w));
	cr_assert_eq(w, utc(2026, 3, 29, 1, 30, 0));
	policies_are("UTC", wall(2026, 3, 29, 2, 30, 0), ONCE(utc(2026, 3, 29, 2, 30, 0)));
	policies_are("UTC", wall(1969, 12, 31, 23, 59, 58), ONCE(-2));
}

Test(localtime, day_and_second_of_an_instant)
{
	int64_t day = 0;
	int32_t sec = 0;
	cr_assert(local_day_sec(-1, &day, &sec));
	cr_assert(day == -1 && sec == DAY_S - 1, "before 1970 the day rounds down: %lld %d",
		  (long long)day, sec);
	cr_assert(local_day_sec(utc(2026, 3, 2, 8, 30, 5), &day, NULL));
	cr_assert_eq(day, utc(2026, 3, 2, 0, 0, 0) / DAY_S);
	cr_assert(local_day_sec(utc(2026, 3, 2, 8, 30, 5), NULL, &sec));
	cr_assert_eq(sec, 8 * H + 30 * 60 + 5);

	zone("Europe/Berlin");
	/* 23:30Z on 2026-03-01 is 00:30 CET on 2026-03-02; 22:30Z in July is 00:30 CEST. */
	cr_assert(local_day_sec(utc(2026, 3, 1, 23, 30, 0), &day, &sec));
	cr_assert(day == utc(2026, 3, 2, 0, 0, 0) / DAY_S && sec == 30 * 60);
	cr_assert(local_day_sec(utc(2026, 6, 30, 22, 30, 0), &day, &sec));
	cr_assert(day == utc(2026, 7, 1, 0, 0, 0) / DAY_S && sec == 30 * 60);
	cr_assert(local_wall(utc(2026, 10, 25, 0, 30, 0), &day));
	cr_assert_eq(day, wall(2026, 10, 25, 2, 30, 0), "CEST before the change");
	cr_assert(local_wall(utc(2026, 10, 25, 1, 30, 0), &day));
	cr_assert_eq(day, wall(2026, 10, 25, 2, 30, 0), "CET after it: 02:30 again");
}

/* Berlin 2026-03-29: 02:00 CET -> 03:00 CEST at 01:00Z; 2026-10-25: 03:00 CEST -> 02:00
 * CET at 01:00Z. New York 2026-03-08: 02:00 EST -> 03:00 EDT at 07:00Z; 2026-11-01:
 * 02:00 EDT -> 01:00 EST at 06:00Z. */
Test(localtime, policies_at_the_changes)
{
	const struct {
		const char *tz;
		int64_t wall;
		struct seen want;
	} rows[] = {
		{"Europe/Berlin", wall(2026, 3, 29, 1, 59, 59), ONCE(utc(2026, 3, 29, 0, 59, 59))},
		{"Europe/Berlin", wall(2026, 3, 29, 2, 0, 0), SKIPPED(utc(2026, 3, 29, 1, 0, 0))},
		{"Europe/Berlin", wall(2026, 3, 29, 2, 30, 0), SKIPPED(utc(2026, 3, 29, 1, 0, 0))},
		{"Europe/Berlin", wall(2026, 3, 29, 2, 59, 59), SKIPPED(utc(2026, 3, 29, 1, 0, 0))},
		{"Europe/Berlin", wall(2026, 3, 29, 3, 0, 0), ONCE(utc(2026, 3, 29, 1, 0, 0))},
		{"Europe/Berlin", wall(2026, 3, 29, 12, 0, 0), ONCE(utc(2026, 3, 29, 10, 0, 0))},
		{"Europe/Berlin", wall(2026, 10, 25, 0, 0, 0), ONCE(utc(2026, 10, 24, 22, 0, 0))},
		{"Europe/Berlin", wall(2026, 10, 25, 1, 59, 59), ONCE(utc(2026, 10, 24, 23, 59, 59))},
		{"Europe/Berlin", wall(2026, 10, 25, 2, 0, 0),
		 TWICE(utc(2026, 10, 25, 0, 0, 0), utc(2026, 10, 25, 1, 0, 0))},
		{"Europe/Berlin", wall(2026, 10, 25, 2, 30, 0),
		 TWICE(utc(2026, 10, 25, 0, 30, 0), utc(2026, 10, 25, 1, 30, 0))},
		{"Europe/Berlin", wall(2026, 10, 25, 2, 59, 59),
		 TWICE(utc(2026, 10, 25, 0, 59, 59), utc(2026, 10, 25, 1, 59, 59))},
		{"Europe/Berlin", wall(2026, 10, 25, 3, 0, 0), ONCE(utc(2026, 10, 25, 2, 0, 0))},
		/* Midnight is never skipped there: a day's start is found like any other time. */
		{"America/New_York", wall(2026, 3, 8, 0, 0, 0), ONCE(utc(2026, 3, 8, 5, 0, 0))},
		{"America/New_York", wall(2026, 3, 8, 1, 59, 59), ONCE(utc(2026, 3, 8, 6, 59, 59))},
		{"America/New_York", wall(2026, 3, 8, 2, 0, 0), SKIPPED(utc(2026, 3, 8, 7, 0, 0))},
		{"America/New_York", wall(2026, 3, 8, 2, 30, 0), SKIPPED(utc(2026, 3, 8, 7, 0, 0))},
		{"America/New_York", wall(2026, 3, 8, 3, 0, 0), ONCE(utc(2026, 3, 8, 7, 0, 0))},
		{"America/New_York", wall(2026, 11, 1, 0, 59, 59), ONCE(utc(2026, 11, 1, 4, 59, 59))},
		{"America/New_York", wall(2026, 11, 1, 1, 0, 0),
		 TWICE(utc(2026, 11, 1, 5, 0, 0), utc(2026, 11, 1, 6, 0, 0))},
		{"America/New_York", wall(2026, 11, 1, 1, 30, 0),
		 TWICE(utc(2026, 11, 1, 5, 30, 0), utc(2026, 11, 1, 6, 30, 0))},
		{"America/New_York", wall(2026, 11, 1, 2, 0, 0), ONCE(utc(2026, 11, 1, 7, 0, 0))},
		{"America/New_York", wall(2026, 11, 2, 0, 0, 0), ONCE(utc(2026, 11, 2, 5, 0, 0))},
	};
	for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
		zone(rows[i].tz);
		policies_are(rows[i].tz, rows[i].wall, rows[i].want);
	}
}

/* What a scan of the minutes within SCAN_S of near finds: the first and last instants
 * reading w and the first reading a later time right after one reading an earlier time,
 * the jump over w (each NONE when none). */
static struct seen scan(int64_t w, int64_t near)
{
	struct seen s = {NONE, NONE, NONE};
	int64_t before = w;
	for (int64_t t = near - SCAN_S; t <= near + SCAN_S; t += SCAN_STEP_S) {
		int64_t r;
		cr_assert(local_wall(t, &r));
		if (r == w && s.first == NONE)
			s.first = t;
		if (r == w)
			s.last = t;
		if (r > w && before < w && s.jump == NONE)
			s.jump = t;
		before = r;
	}
	return s;
}

/* Every wall minute within CHANGE_S of each clock change of year in zone tz, under all four
 * policies, against the scan. *nskipped and *nrepeated count the minutes the clocks
 * skipped and showed twice, so the caller can tell the changes were met. */
static void against_scan(const char *tz, int year, int *nskipped, int *nrepeated)
{
	zone(tz);
	*nskipped = *nrepeated = 0;
	int64_t off = 0, now;
	cr_assert(local_wall(utc(year, 1, 1, 0, 0, 0), &now));
	off = now - utc(year, 1, 1, 0, 0, 0);
	for (int64_t t = utc(year, 1, 1, 0, 0, 0); t < utc(year + 1, 1, 1, 0, 0, 0); t += H) {
		cr_assert(local_wall(t, &now));
		if (now - t == off)
			continue;	/* no change in the hour before t */
		off = now - t;
		for (int64_t w = now - CHANGE_S; w <= now + CHANGE_S; w += SCAN_STEP_S) {
			struct seen s = scan(w, t);
			cr_assert(s.first != NONE || s.jump != NONE, "%s wall %lld: scan too short", tz,
				  (long long)w);
			if (s.first != NONE)
				s.jump = NONE;	/* a time that happens is nobody's jump */
			policies_are(tz, w, s);
			*nskipped += s.first == NONE;
			*nrepeated += s.first != NONE && s.last != s.first;
		}
	}
}

Test(localtime, berlin_against_a_scan)
{
	int skipped_min, repeated_min;
	against_scan("Europe/Berlin", 2026, &skipped_min, &repeated_min);
	cr_assert(skipped_min == 60 && repeated_min == 60, "%d %d", skipped_min, repeated_min);
}

Test(localtime, new_york_against_a_scan)
{
	int skipped_min, repeated_min;
	against_scan("America/New_York", 2026, &skipped_min, &repeated_min);
	cr_assert(skipped_min == 60 && repeated_min == 60, "%d %d", skipped_min, repeated_min);
}

/* Lord Howe Island moves its clocks by 30 minutes, at 02:00 local both ways. */
Test(localtime, lord_howe_against_a_scan)
{
	int skipped_min, repeated_min;
	against_scan("Australia/Lord_Howe", 2026, &skipped_min, &repeated_min);
	cr_assert(skipped_min == 30 && repeated_min == 30, "%d %d", skipped_min, repeated_min);
}

Test(localtime, weekdays)
{
	cr_assert_eq(local_weekday(0), 3, "1970-01-01 was a Thursday");
	cr_assert_eq(local_weekday(-1), 2, "and the day before a Wednesday");
	cr_assert_eq(local_weekday(-4), 6);
	cr_assert_eq(local_weekday(utc(2026, 3, 2, 0, 0, 0) / DAY_S), 0, "2026-03-02 is a Monday");
	cr_assert_eq(local_weekday(utc(2026, 3, 8, 0, 0, 0) / DAY_S), 6);
	cr_assert_str_eq(local_weekday_name(0), "Mon");
	cr_assert_str_eq(local_weekday_name(6), "Sun");
	cr_assert_str_eq(local_weekday_name(7), "Mon");
	cr_assert_str_eq(local_weekday_name(-1), "Sun");
}

static int day(const char *s)
{
	return local_weekday_parse(s, strlen(s));
}

Test(localtime, weekday_names)
{
	static const char *const names[7][3] = {
		{"Mon", "monday", "MONDAY"},	   {"tue", "Tuesday", "TUE"},
		{"Wed", "wednesday", "WeDnEsDaY"}, {"thu", "Thursday", "THU"},
		{"Fri", "friday", "FRIDAY"},	   {"sat", "Saturday", "SAT"},
		{"Sun", "sunday", "SUNDAY"},
	};
	for (int d = 0; d < 7; d++)
		for (int k = 0; k < 3; k++)
			cr_assert_eq(day(names[d][k]), d, "%s", names[d][k]);
	static const char *const bad[] = {"", "M", "Mo", "Mond", "Monda", "mondays", "Tues",
					  "Thur", "daily", "Mon ", " Mon", "Mon-Fri", "sun\n"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(day(bad[i]), -1, "\"%s\"", bad[i]);
	cr_assert_eq(local_weekday_parse("Friday-Monday", 6), 4, "only the n bytes count");
	cr_assert_eq(local_weekday_parse("Monday", 3), 0);
	cr_assert_eq(local_weekday_parse("Monday", 4), -1);
}

Test(localtime, weekday_ranges)
{
	cr_assert_eq(local_weekday_range(0, 4), 0x1f, "Mon-Fri");
	cr_assert_eq(local_weekday_range(2, 2), 0x04, "Wed alone");
	cr_assert_eq(local_weekday_range(4, 0), 0x71, "Fri-Mon wraps past Sunday");
	cr_assert_eq(local_weekday_range(6, 5), 0x7f, "Sun-Sat is every day");
	cr_assert_eq(local_weekday_range(0, 6), 0x7f);
}

static int32_t tod(const char *s)
{
	return local_tod_parse(s, strlen(s));
}

Test(localtime, times_of_day)
{
	cr_assert_eq(tod("0:00"), 0);
	cr_assert_eq(tod("00:00"), 0);
	cr_assert_eq(tod("8:05"), 8 * H + 5 * 60);
	cr_assert_eq(tod("08:05"), 8 * H + 5 * 60);
	cr_assert_eq(tod("8:05:09"), 8 * H + 5 * 60 + 9);
	cr_assert_eq(tod("23:59:59"), DAY_S - 1);
	cr_assert_eq(tod("24:00"), DAY_S, "24:00 is the end of the day");
	cr_assert_eq(tod("24:00:00"), DAY_S);
	static const char *const bad[] = {"", "8", "800", "0800", "8:0", "8:000", "08:00:",
					  "08:00:0", "08:00:000", "24:01", "24:00:01", "25:00",
					  "99:00", "12:60", "12:00:60", "-1:00", "+8:00", " 8:00",
					  "8:00 ", "08-00", "08:00-00", "0x:00", "12:5a", "008:00"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(tod(bad[i]), -1, "\"%s\"", bad[i]);
	cr_assert_eq(local_tod_parse("08:00-18:00", 5), 8 * H, "only the n bytes count");
}
