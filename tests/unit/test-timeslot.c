/* Timeslots: parsing, errors, canonical text, open spans and next openings. The fixture
 * runs in UTC; one test runs in Europe/Berlin across the March and October clock changes. */
#include "base/timeslot.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void utc_zone(void)
{
	setenv("TZ", "UTC", 1);
	tzset();
}

TestSuite(timeslot, .init = utc_zone);

/* ms since the epoch of a UTC date and time; 2026-03-02 is a Monday. */
static int64_t utc(int y, int mo, int d, int h, int mi, int s)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d,
			.tm_hour = h, .tm_min = mi, .tm_sec = s};
	return (int64_t)timegm(&tm) * 1000;
}

static struct timeslot parse(const char *spec)
{
	struct timeslot ts;
	char err[200] = "";
	cr_assert_eq(timeslot_parse(spec, &ts, err, sizeof err), 0, "'%s': %s", spec, err);
	return ts;
}

static void window_is(const struct timeslot *ts, int i, uint8_t days, int32_t start, int32_t end)
{
	cr_assert_lt(i, ts->n);
	cr_assert_eq(ts->w[i].days, days, "window %d days %#x, want %#x", i, ts->w[i].days, days);
	cr_assert_eq(ts->w[i].start_s, start, "window %d start %d, want %d", i, ts->w[i].start_s, start);
	cr_assert_eq(ts->w[i].end_s, end, "window %d end %d, want %d", i, ts->w[i].end_s, end);
}

#define H(h, m, s) ((h) * 3600 + (m) * 60 + (s))
#define MON 0x01
#define TUE 0x02
#define WED 0x04
#define THU 0x08
#define FRI 0x10
#define SAT 0x20
#define SUN 0x40
#define ALL 0x7f

Test(timeslot, parse_forms)
{
	struct timeslot ts = parse("Mon-Fri 08:00-18:00");
	cr_assert_eq(ts.n, 1);
	window_is(&ts, 0, MON | TUE | WED | THU | FRI, H(8, 0, 0), H(18, 0, 0));
	ts = parse("08:00-18:00");
	window_is(&ts, 0, ALL, H(8, 0, 0), H(18, 0, 0));
	ts = parse("daily 7:05-9:00:30");
	window_is(&ts, 0, ALL, H(7, 5, 0), H(9, 0, 30));
	ts = parse("Sat,Sun 10:00-12:30:15");
	window_is(&ts, 0, SAT | SUN, H(10, 0, 0), H(12, 30, 15));
	ts = parse("fri-MON 22:00-06:00");
	window_is(&ts, 0, FRI | SAT | SUN | MON, H(22, 0, 0), H(6, 0, 0));
	ts = parse("Monday,tuesday , WEDNESDAY-Thursday 00:00-24:00");
	window_is(&ts, 0, MON | TUE | WED | THU, 0, 86400);
	ts = parse("Sunday-Sunday 23:59:59-24:00");
	window_is(&ts, 0, SUN, H(23, 59, 59), 86400);
	ts = parse("Tue-Mon 01:00-02:00");
	window_is(&ts, 0, ALL, H(1, 0, 0), H(2, 0, 0));
	ts = parse("Mon,daily 01:00-02:00");
	window_is(&ts, 0, ALL, H(1, 0, 0), H(2, 0, 0));
	ts = parse("Thu 23:00-00:00");
	window_is(&ts, 0, THU, H(23, 0, 0), 0);
}

Test(timeslot, parse_several_windows_and_spaces)
{
	struct timeslot ts = parse("  Mon , Wed - Fri\t08:00 - 18:00 ;Sun 00:00-24:00;22:00-06:00  ");
	cr_assert_eq(ts.n, 3);
	window_is(&ts, 0, MON | WED | THU | FRI, H(8, 0, 0), H(18, 0, 0));
	window_is(&ts, 1, SUN, 0, 86400);
	window_is(&ts, 2, ALL, H(22, 0, 0), H(6, 0, 0));

	char spec[1024] = "";
	for (int i = 0; i < TIMESLOT_MAX_WINDOWS; i++)
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%02d:00-%02d:30",
			 i ? ";" : "", i, i);
	ts = parse(spec);
	cr_assert_eq(ts.n, TIMESLOT_MAX_WINDOWS, "16 windows are allowed");
	window_is(&ts, 15, ALL, H(15, 0, 0), H(15, 30, 0));
}

/* spec must be refused with a message holding every one of the texts. */
static void refused(const char *spec, const char *t1, const char *t2)
{
	struct timeslot ts = {.n = 99};
	char err[200] = "unset";
	cr_assert_eq(timeslot_parse(spec, &ts, err, sizeof err), -1, "'%s' should be refused", spec);
	cr_assert_eq(ts.n, 99, "'%s': out is untouched on error", spec);
	cr_assert(strstr(err, t1) != NULL, "'%s': error '%s' should contain '%s'", spec, err, t1);
	cr_assert(t2 == NULL || strstr(err, t2) != NULL, "'%s': error '%s' should contain '%s'",
		  spec, err, t2);
}

Test(timeslot, errors_name_window_and_text)
{
	char err[200];
	struct timeslot ts;
	cr_assert_eq(timeslot_parse("Mon 08:00-09:00; 10:00-25:00", &ts, err, sizeof err), -1);
	cr_assert_str_eq(err, "window 2: \"25:00\" is not a time HH:MM[:SS] (00:00..24:00)");

	refused("", "window 1: ", "empty");
	refused("   ", "window 1: ", "empty");
	refused(";08:00-09:00", "window 1: ", "empty");
	refused("Mon-Fri 08:00-18:00;", "window 2: ", "empty");
	refused("08:00-09:00;;10:00-11:00", "window 2: ", "empty");
	refused("Mon 08:00-09:00; Mun 10:00-11:00", "window 2: ", "\"Mun\" is not a day");
	refused("Mon/Fri 08:00-10:00", "window 1: ", "\"Mon/Fri\"");
	refused("Mon08:00-10:00", "window 1: ", "\"Mon08:00\"");
	refused("Mon- 08:00-09:00", "window 1: ", "\"08:00\" is not a day");
	refused("Mon, 08:00-09:00", "window 1: ", "\"08:00\" is not a day");
	refused("Mon-;", "window 1: ", "expected a day, found \";\"");
	refused("daily-Fri 08:00-09:00", "window 1: ", "\"daily-Fri\"");
	refused("Mon-Fri", "window 1: ", "expected a time HH:MM[:SS], found the end");
	refused("Mon-Fri;", "window 1: ", "found \";\"");
	refused("Mon Tue 08:00-09:00", "window 1: ", "\"Tue\" is not a time");
	refused("08:00 18:00", "window 1: ", "expected '-' between two times, found \"18:00\"");
	refused("08:00", "window 1: ", "found the end");
	refused("08:00-", "window 1: ", "found the end");
	refused("25:00-26:00", "window 1: ", "\"25:00\" is not a time");
	refused("08:60-09:00", "window 1: ", "\"08:60\"");
	refused("08:00:60-09:00", "window 1: ", "\"08:00:60\"");
	refused("8:0-9:00", "window 1: ", "\"8:0\"");
	refused("123:00-13:00", "window 1: ", "\"123:00\"");
	refused("08:00am-09:00", "window 1: ", "\"08:00am\"");
	refused("08:00-24:01", "window 1: ", "\"24:01\"");
	refused("08:00-24:00:01", "window 1: ", "\"24:00:01\"");
	refused("Mon 24:00-06:00", "window 1: ", "\"24:00\" can only end a window");
	refused("08:00-08:00", "window 1: ", "empty window \"08:00-08:00\"");
	refused("00:00-00:00", "window 1: ", "empty window");
	refused("08:00-18:00 x", "window 1: ", "unexpected \"x\" after the times");
	refused("08:00-18:00 Mon", "window 1: ", "unexpected \"Mon\"");
	refused("08:00-18:00, 19:00-20:00", "window 1: ", "\", 19:00-20:00\" after the times (windows are separated by ';')");
	refused("-08:00-09:00", "window 1: ", "expected a time HH:MM[:SS], found \"-08:00-09:00\"");

	char spec[1100] = "";
	for (int i = 0; i <= TIMESLOT_MAX_WINDOWS; i++)
		snprintf(spec + strlen(spec), sizeof spec - strlen(spec), "%s%02d:00-%02d:30",
			 i ? ";" : "", i, i);
	refused(spec, "window 17: ", "at most 16");
	memset(spec, ' ', 1025);
	memcpy(spec + 1014, "08:00-09:00", 11);
	spec[1025] = '\0';
	refused(spec, "at most 1024 bytes", NULL);
}

Test(timeslot, error_buffer_limits)
{
	struct timeslot ts;
	char err[12];
	memset(err, 'x', sizeof err);
	cr_assert_eq(timeslot_parse("Mon 99:00-10:00", &ts, err, 8), -1);
	cr_assert_eq(strlen(err), 7, "cut to errlen, NUL-terminated");
	cr_assert_eq(err[8], 'x', "nothing written past errlen");
	cr_assert_eq(timeslot_parse("Mon 99:00-10:00", &ts, NULL, 0), -1, "no buffer is fine");
	cr_assert_eq(timeslot_parse(NULL, &ts, err, sizeof err), -1);

	/* A long offending text is cut to a whole UTF-8 character. */
	char e2[200];
	const char *spec = "Mon 08:00-09:00 \xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9\xc3\xa9"
			   "\xc3\xa9x\xc3\xa9\xc3\xa9";
	cr_assert_eq(timeslot_parse(spec, &ts, e2, sizeof e2), -1);
	const char *q = strstr(e2, "\"\xc3\xa9");
	cr_assert_not_null(q, "%s", e2);
	cr_assert(strstr(e2, "\xc3\xa9\" after") != NULL, "cut between characters: %s", e2);
	/* errlen cutting inside a 2-byte character drops its first byte too */
	cr_assert_eq(timeslot_parse("\xc3\xa9\xc3\xa9 08:00-09:00", &ts, e2, 15), -1);
	cr_assert_str_eq(e2, "window 1: \"\xc3\xa9", "'%s'", e2);
	cr_assert_eq(timeslot_parse("\xc3\xa9\xc3\xa9 08:00-09:00", &ts, e2, 13), -1);
	cr_assert_str_eq(e2, "window 1: \"", "'%s'", e2);
}

/* spec formats to want, and want parses back to the same windows. */
static void formats(const char *spec, const char *want)
{
	char buf[1024];
	struct timeslot a = parse(spec), b;
	cr_assert_str_eq(timeslot_format(&a, buf, sizeof buf), want, "'%s'", spec);
	b = parse(buf);
	cr_assert_eq(a.n, b.n);
	for (int i = 0; i < a.n; i++)
		window_is(&b, i, a.w[i].days, a.w[i].start_s, a.w[i].end_s);
}

Test(timeslot, format_round_trips)
{
	formats("mon-fri 8:00-18:00;sat , sun 10:00-12:30:15",
		"Mon-Fri 08:00-18:00; Sat,Sun 10:00-12:30:15");
	formats("daily 00:00-24:00", "00:00-24:00");
	formats("Mon-Sun 1:02:03-04:05:06", "01:02:03-04:05:06");
	formats("Fri-Mon 22:00-06:00", "Fri-Mon 22:00-06:00");
	formats("Sun,Mon 01:00-02:00", "Sun,Mon 01:00-02:00");
	formats("Mon,Wed,Fri 09:00-10:00", "Mon,Wed,Fri 09:00-10:00");
	formats("Wed,Sat-Mon 08:00-09:00", "Wed,Sat-Mon 08:00-09:00");
	formats("Sun,Tue-Thu,Sat 08:00-09:00", "Tue-Thu,Sat,Sun 08:00-09:00");
	formats("Mon,Tue,Wed,Thu,Fri,Sat 08:00-09:00", "Mon-Sat 08:00-09:00");
	formats("Tue-Sun,Mon 08:00-09:00", "08:00-09:00");
	formats("Thu 23:00-00:00", "Thu 23:00-00:00");
	formats("Mon 22:00-24:00; Tue 00:00-06:00", "Mon 22:00-24:00; Tue 00:00-06:00");

	char buf[10];
	struct timeslot ts = parse("Mon-Fri 08:00-18:00");
	cr_assert_str_eq(timeslot_format(&ts, buf, sizeof buf), "Mon-Fri 0", "cut, NUL-terminated");
	cr_assert_eq(timeslot_format(&ts, buf, 0), buf, "len 0 writes nothing");
	ts.n = 0;
	cr_assert_str_eq(timeslot_format(&ts, buf, sizeof buf), "");
}

Test(timeslot, open_and_until)
{
	struct timeslot ts = parse("Mon-Fri 08:00-18:00");
	int64_t until = 0;
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 10, 0, 0), &until), "Monday 10:00");
	cr_assert_eq(until, utc(2026, 3, 2, 18, 0, 0));
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 8, 0, 0), NULL), "the start is inside");
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 2, 8, 0, 0) - 1, &until), "1 ms before");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 18, 0, 0) - 1, &until), "1 ms before the end");
	cr_assert_eq(until, utc(2026, 3, 2, 18, 0, 0));
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 2, 18, 0, 0), NULL), "the end is outside");
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 7, 10, 0, 0), NULL), "Saturday");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 6, 17, 0, 0), &until), "Friday");
	cr_assert_eq(until, utc(2026, 3, 6, 18, 0, 0));

	struct timeslot none = {.n = 0};
	cr_assert_not(timeslot_open(&none, utc(2026, 3, 2, 10, 0, 0), NULL));
	cr_assert_not(timeslot_open(&ts, INT64_MAX, NULL), "out of range counts as closed");
	cr_assert_not(timeslot_open(&ts, INT64_MIN, NULL));
}

Test(timeslot, touching_and_overlapping_windows_merge)
{
	int64_t until = 0;
	struct timeslot ts = parse("Mon 22:00-24:00; Tue 00:00-06:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 23, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 3, 6, 0, 0), "one span through midnight");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 3, 0, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 3, 6, 0, 0));

	ts = parse("11:00-14:00; 08:00-12:00; 14:00-15:00; 15:00:01-16:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 4, 9, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 4, 15, 0, 0), "overlap and touch merge, a gap does not");
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 4, 15, 0, 0), NULL));

	ts = parse("Mon-Sat 00:00-24:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 10, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 8, 0, 0, 0), "six days long, ends Sunday 00:00");

	ts = parse("00:00-24:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 2, 10, 0, 0), &until));
	cr_assert_eq(until, INT64_MAX, "always open never closes");
	ts = parse("Mon-Fri 00:00-12:00; 12:00-24:00; Sat,Sun 00:00-12:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 7, 1, 0, 0), &until));
	cr_assert_eq(until, INT64_MAX, "covered by several windows, still never closes");
	ts = parse("Sun 12:00-11:00; daily 11:00-12:00; Mon-Sat 12:00-11:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 4, 11, 30, 0), &until));
	cr_assert_eq(until, INT64_MAX, "past-midnight windows chained all week");
	ts = parse("Sun 12:00-11:00; Mon-Sat 11:00-12:00; Mon-Sat 12:00-11:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 4, 11, 30, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 8, 11, 0, 0), "the same chain with Sunday 11-12 missing");
}

Test(timeslot, past_midnight_windows)
{
	int64_t until = 0;
	struct timeslot ts = parse("Fri 22:00-06:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 6, 23, 0, 0), &until), "Friday 23:00");
	cr_assert_eq(until, utc(2026, 3, 7, 6, 0, 0));
	cr_assert(timeslot_open(&ts, utc(2026, 3, 7, 5, 0, 0), &until), "Saturday 05:00");
	cr_assert_eq(until, utc(2026, 3, 7, 6, 0, 0));
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 7, 22, 30, 0), NULL), "starts on Fridays only");
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 6, 21, 0, 0), NULL));
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 6, 5, 0, 0), NULL), "Friday morning is closed");

	ts = parse("Sun 22:00-02:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 9, 1, 0, 0), &until), "over the week end");
	cr_assert_eq(until, utc(2026, 3, 9, 2, 0, 0));

	ts = parse("Thu 23:00-00:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 5, 23, 30, 0), &until), "ending at 00:00");
	cr_assert_eq(until, utc(2026, 3, 6, 0, 0, 0));
}

Test(timeslot, next_open)
{
	struct timeslot ts = parse("Mon-Fri 08:00-18:00");
	int64_t t = utc(2026, 3, 3, 12, 0, 0);
	cr_assert_eq(timeslot_next_open(&ts, t), t, "inside: now");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 3, 7, 0, 0)), utc(2026, 3, 3, 8, 0, 0),
		     "before: today");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 3, 18, 0, 0)), utc(2026, 3, 4, 8, 0, 0),
		     "at the end: tomorrow");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 6, 19, 0, 0)), utc(2026, 3, 9, 8, 0, 0),
		     "Friday evening: Monday");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 8, 23, 59, 59)), utc(2026, 3, 9, 8, 0, 0),
		     "Sunday night: Monday");

	ts = parse("Mon 08:00-09:00");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 2, 9, 0, 0)), utc(2026, 3, 9, 8, 0, 0),
		     "a week later");
	ts = parse("Sun 22:00-02:00");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 8, 21, 0, 0)), utc(2026, 3, 8, 22, 0, 0));
	t = utc(2026, 3, 9, 1, 59, 59);
	cr_assert_eq(timeslot_next_open(&ts, t), t, "inside, on the day after it started");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 9, 2, 0, 0)), utc(2026, 3, 15, 22, 0, 0));

	ts = parse("Sat 10:00-11:00; Wed 09:00-09:30; Sat 09:00-09:30");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 5, 0, 0, 0)), utc(2026, 3, 7, 9, 0, 0),
		     "the earliest of several windows");

	struct timeslot none = {.n = 0};
	cr_assert_eq(timeslot_next_open(&none, t), 0, "no windows: never");
	cr_assert_eq(timeslot_next_open(&ts, INT64_MAX), 0, "out of range: never");
}

/* In Berlin on 2026-03-29 clocks go 02:00 CET -> 03:00 CEST (01:00Z), on 2026-10-25
 * 03:00 CEST -> 02:00 CET (01:00Z): windows keep their wall-clock times. */
Test(timeslot, dst_in_berlin)
{
	setenv("TZ", "Europe/Berlin", 1);
	tzset();
	time_t probe = (time_t)(utc(2026, 3, 29, 12, 0, 0) / 1000);
	struct tm tm;
	localtime_r(&probe, &tm);
	if (tm.tm_hour != 14)
		cr_skip_test("no Europe/Berlin zone data");
	int64_t until = 0;
	struct timeslot ts = parse("08:00-18:00");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 28, 17, 0, 0)), utc(2026, 3, 29, 6, 0, 0),
		     "Sunday 08:00 CEST");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 29, 6, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 29, 16, 0, 0), "18:00 CEST");
	cr_assert_not(timeslot_open(&ts, utc(2026, 3, 28, 6, 30, 0), NULL), "Saturday 07:30 CET");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 28, 7, 0, 0), &until), "Saturday 08:00 CET");
	cr_assert_eq(until, utc(2026, 3, 28, 17, 0, 0));

	ts = parse("Sat 22:00-24:00; Sun 00:00-03:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 28, 21, 0, 0), &until), "Saturday 22:00 CET");
	cr_assert_eq(until, utc(2026, 3, 29, 1, 0, 0), "one span to 03:00 CEST, 4 h in all");

	ts = parse("Sun 00:00-24:00");
	cr_assert(timeslot_open(&ts, utc(2026, 10, 24, 22, 0, 0), &until), "Sunday 00:00 CEST");
	cr_assert_eq(until, utc(2026, 10, 25, 23, 0, 0), "a day of 25 hours");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 10, 25, 23, 0, 0)), utc(2026, 10, 31, 23, 0, 0),
		     "next Sunday 00:00 CET");

	/* Skipped wall times mean the jump (01:00Z), so a window straddling the gap keeps its
	 * real part and one wholly inside it does not happen that Sunday. */
	ts = parse("Sun 02:30-03:30");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 28, 12, 0, 0)), utc(2026, 3, 29, 1, 0, 0));
	cr_assert(timeslot_open(&ts, utc(2026, 3, 29, 1, 0, 0), &until));
	cr_assert_eq(until, utc(2026, 3, 29, 1, 30, 0), "03:30 CEST");
	ts = parse("Sun 02:15-02:45");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 3, 28, 12, 0, 0)), utc(2026, 4, 5, 0, 15, 0),
		     "the next Sunday, 02:15 CEST");
	ts = parse("Sun 01:30-02:30; Sun 03:00-04:00");
	cr_assert(timeslot_open(&ts, utc(2026, 3, 29, 0, 30, 0), &until), "01:30 CET");
	cr_assert_eq(until, utc(2026, 3, 29, 2, 0, 0), "02:30 is 03:00 CEST, touching 03:00-04:00");

	/* A wall time met twice means its first passing, whatever was computed before. */
	ts = parse("Sun 00:00-02:30; Sun 02:30-06:00");
	for (int i = 0; i < 3; i++) {
		cr_assert(timeslot_open(&ts, utc(2026, 10, 24, 22, 0, 0) + i * 3600000, &until));
		cr_assert_eq(until, utc(2026, 10, 25, 5, 0, 0), "one span to 06:00 CET");
	}
	ts = parse("Sun 02:15-02:45");
	cr_assert_eq(timeslot_next_open(&ts, utc(2026, 10, 24, 12, 0, 0)), utc(2026, 10, 25, 0, 15, 0),
		     "02:15 CEST, the first 02:15");
	cr_assert(timeslot_open(&ts, utc(2026, 10, 25, 0, 15, 0), &until));
	cr_assert_eq(until, utc(2026, 10, 25, 0, 45, 0));
	cr_assert_not(timeslot_open(&ts, utc(2026, 10, 25, 1, 30, 0), NULL), "not again at 02:30 CET");
}
