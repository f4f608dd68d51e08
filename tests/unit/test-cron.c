/* Cron expressions: every syntax element, errors naming the field, canonical text, and the
 * next match across month ends, leap days, far jumps and the clock changes of Berlin and
 * New York. The fixture runs in UTC; the DST tests set their own zone. */
#include "base/cron.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static void set_zone(const char *tz)
{
	setenv("TZ", tz, 1);
	tzset();
}

static void utc_zone(void)
{
	set_zone("UTC");
}

TestSuite(cron, .init = utc_zone);

/* ms since the epoch of a UTC date and time; 2026-03-02 is a Monday. */
static int64_t utc(int y, int mo, int d, int h, int mi)
{
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = h, .tm_min = mi};
	return (int64_t)timegm(&tm) * 1000;
}

static struct cron parse(const char *s)
{
	struct cron c;
	char why[200] = "";
	cr_assert_eq(cron_parse(s, &c, why, sizeof why), 0, "'%s': %s", s, why);
	return c;
}

static uint64_t bits(const int *v, int n)
{
	uint64_t b = 0;
	for (int i = 0; i < n; i++)
		b |= UINT64_C(1) << v[i];
	return b;
}

#define SET(...) bits((const int[]){__VA_ARGS__}, sizeof((const int[]){__VA_ARGS__}) / sizeof(int))
#define ALL_MINUTES ((UINT64_C(1) << 60) - 1)
#define ALL_HOURS ((UINT32_C(1) << 24) - 1)
#define ALL_MDAYS (((UINT32_C(1) << 31) - 1) << 1)
#define ALL_MONTHS 0x1ffe
#define ALL_WDAYS 0x7f

static bool same(const struct cron *a, const struct cron *b)
{
	return a->minutes == b->minutes && a->hours == b->hours && a->mdays == b->mdays &&
	       a->months == b->months && a->wdays == b->wdays && a->mday_star == b->mday_star &&
	       a->wday_star == b->wday_star;
}

Test(cron, plain_fields_and_stars)
{
	struct cron c = parse("0,30 6 * * 1-5");
	cr_assert_eq(c.minutes, SET(0, 30));
	cr_assert_eq(c.hours, SET(6));
	cr_assert_eq(c.mdays, ALL_MDAYS);
	cr_assert_eq(c.months, ALL_MONTHS);
	cr_assert_eq(c.wdays, SET(1, 2, 3, 4, 5));
	cr_assert(c.mday_star);
	cr_assert_not(c.wday_star);
	c = parse(" \t* * * * *\n");
	cr_assert_eq(c.minutes, ALL_MINUTES);
	cr_assert_eq(c.hours, ALL_HOURS);
	cr_assert_eq(c.wdays, ALL_WDAYS);
	cr_assert(c.mday_star && c.wday_star);
	c = parse("59 23 31 12 6");
	cr_assert_eq(c.minutes, UINT64_C(1) << 59);
	cr_assert_eq(c.hours, SET(23));
	cr_assert_eq(c.mdays, SET(31));
	cr_assert_eq(c.months, SET(12));
	cr_assert_eq(c.wdays, SET(6));
	c = parse("05 007 1-31 1 *");
	cr_assert_eq(c.minutes, SET(5));
	cr_assert_eq(c.hours, SET(7));
	cr_assert_eq(c.mdays, ALL_MDAYS);
	cr_assert_not(c.mday_star, "1-31 restricts the day even though it names them all");
	cr_assert_not(parse("0 0 * * *,1").wday_star);
}

Test(cron, steps)
{
	struct cron c = parse("*/15 */6 */10 */5 */2");
	cr_assert_eq(c.minutes, SET(0, 15, 30, 45));
	cr_assert_eq(c.hours, SET(0, 6, 12, 18));
	cr_assert_eq(c.mdays, SET(1, 11, 21, 31));
	cr_assert_eq(c.months, SET(1, 6, 11));
	cr_assert_eq(c.wdays, SET(0, 2, 4, 6));
	cr_assert_not(c.mday_star || c.wday_star, "a stepped star restricts");
	c = parse("10-30/10 1-23/11 5-5/3 2-12/12 1-7/2");
	cr_assert_eq(c.minutes, SET(10, 20, 30));
	cr_assert_eq(c.hours, SET(1, 12, 23));
	cr_assert_eq(c.mdays, SET(5));
	cr_assert_eq(c.months, SET(2));
	cr_assert_eq(c.wdays, SET(1, 3, 5, 0), "7 is Sunday");
	c = parse("*/60 */24 * */12 */7");
	cr_assert_eq(c.minutes, SET(0));
	cr_assert_eq(c.hours, SET(0));
	cr_assert_eq(c.months, SET(1));
	cr_assert_eq(c.wdays, SET(0));
	c = parse("0-10/5,50-59/3 * * * *");
	cr_assert_eq(c.minutes, SET(0, 5, 10, 50, 53, 56, 59));
}

Test(cron, names_and_sunday)
{
	struct cron c = parse("0 0 * JAN-mar,Dec sun,SAT");
	cr_assert_eq(c.months, SET(1, 2, 3, 12));
	cr_assert_eq(c.wdays, SET(0, 6));
	cr_assert_eq(parse("0 0 * * fri-sun").wdays, SET(5, 6, 0));
	cr_assert_eq(parse("0 0 * * 5-7").wdays, SET(5, 6, 0));
	cr_assert_eq(parse("0 0 * * 6-0").wdays, SET(6, 0));
	cr_assert_eq(parse("0 0 * * 7").wdays, SET(0));
	cr_assert_eq(parse("0 0 * * 0").wdays, SET(0));
	cr_assert_eq(parse("0 0 * * 0-7").wdays, ALL_WDAYS);
	cr_assert_eq(parse("0 0 * * Mon-Fri/2").wdays, SET(1, 3, 5));
	cr_assert_eq(parse("0 0 * feb-aug/3 *").months, SET(2, 5, 8));
	cr_assert_eq(parse("0 0 * 3,jul *").months, SET(3, 7));
}

Test(cron, macros)
{
	static const char *const pairs[][2] = {
		{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
		{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
		{"@hourly", "0 * * * *"}, {"  @Daily  ", "0 0 * * *"},
	};
	for (size_t i = 0; i < sizeof pairs / sizeof pairs[0]; i++) {
		struct cron a = parse(pairs[i][0]), b = parse(pairs[i][1]);
		cr_assert(same(&a, &b), "%s", pairs[i][0]);
	}
}

static void refused(const char *s, const char *want)
{
	struct cron c;
	char why[200] = "";
	cr_assert_eq(cron_parse(s, &c, why, sizeof why), -1, "'%s' parsed", s);
	cr_assert_str_eq(why, want, "'%s'", s);
}

Test(cron, errors_name_the_field_and_rule)
{
	refused("61 * * * *", "minute: 61 is out of range 0-59");
	refused("* 24 * * *", "hour: 24 is out of range 0-23");
	refused("* * 0 * *", "day-of-month: 0 is out of range 1-31");
	refused("* * * 13 *", "month: 13 is out of range 1-12");
	refused("* * * * 8", "day-of-week: 8 is out of range 0-7");
	refused("99999999999 * * * *", "minute: 99999999999 is out of range 0-59");
	refused("* * * foo *", "month: \"foo\" is not a month (1-12 or jan-dec)");
	refused("* * * jan-mon *", "month: \"mon\" is not a month (1-12 or jan-dec)");
	refused("* * * * jan", "day-of-week: \"jan\" is not a day (0-7 or sun-sat)");
	refused("* * * * monday", "day-of-week: \"monday\" is not a day (0-7 or sun-sat)");
	refused("mon * * * *", "minute: \"mon\" is not a number 0-59");
	refused("* * * * mon-", "day-of-week: expected a day (0-7 or sun-sat), found the end of the field");
	refused("-5 * * * *", "minute: expected a number 0-59, found \"-\"");
	refused("*/0 * * * *", "minute: step 0 is out of range 1-60");
	refused("* */25 * * *", "hour: step 25 is out of range 1-24");
	refused("* * * * */8", "day-of-week: step 8 is out of range 1-7");
	refused("*/ * * * *", "minute: expected a step (a number 1-60) after '/'");
	refused("5/15 * * * *", "minute: \"5/15\": a step follows '*' or a range (e.g. 5-59/...)");
	refused("30-10 * * * *", "minute: \"30-10\" runs backwards (a range goes from low to high)");
	refused("* * * dec-jan *", "month: \"dec-jan\" runs backwards (a range goes from low to high)");
	refused("1,,2 * * * *", "minute: empty item in the list");
	refused("1, * * * *", "minute: empty item in the list");
	refused(",1 * * * *", "minute: empty item in the list");
	refused("5x * * * *", "minute: \"5x\": unexpected \"x\"");
	refused("*5 * * * *", "minute: \"*5\": unexpected \"5\"");
	refused("1-5-7 * * * *", "minute: \"1-5-7\": unexpected \"-7\"");
	refused("* * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 4");
	refused("* * * * * *", "expected 5 fields (minute hour day-of-month month day-of-week), found 6");
	refused("   ", "expected 5 fields (minute hour day-of-month month day-of-week), found 0");
	refused("@daily now", "@daily takes nothing after it");
	refused("@reboot", "\"@reboot\" is not a macro (@yearly, @annually, @monthly, @weekly, "
			   "@daily, @midnight or @hourly)");
	refused("\xc3\xa9 * * * *", "minute: \"...\" is not a number 0-59");
	refused("abcdefghijklmnopqrstuvwxyz0123 * * * *",
		"minute: \"abcdefghijklmnopqrstuvwx...\" is not a number 0-59");
	refused(NULL, "no cron expression given");
}

Test(cron, never_firing_is_refused)
{
	refused("0 0 31 2 *", "never fires: no month has that day (day-of-month 31, month 2)");
	refused("0 0 30 2 *", "never fires: no month has that day (day-of-month 30, month 2)");
	refused("0 0 30,31 feb *", "never fires: no month has that day (day-of-month 30,31, month 2)");
	refused("0 0 31 4,6,9,11 *",
		"never fires: no month has that day (day-of-month 31, month 4,6,9,11)");
	parse("0 0 29 2 *");		/* leap years */
	parse("0 0 31 2 1");		/* Mondays in February, by the Vixie rule */
	parse("0 0 31 2,3 *");
}

Test(cron, error_buffer_limits)
{
	struct cron c;
	char why[8];
	memset(why, 'x', sizeof why);
	cr_assert_eq(cron_parse("61 * * * *", &c, why, sizeof why), -1);
	cr_assert_str_eq(why, "minute:");
	cr_assert_eq(cron_parse("61 * * * *", &c, NULL, 0), -1);
	cr_assert_eq(cron_parse("61 * * * *", &c, why, 0), -1);
	char long_text[1100];
	memset(long_text, ' ', sizeof long_text);
	long_text[sizeof long_text - 1] = '\0';
	refused(long_text, "a cron expression is at most 1024 bytes long");
	char ok[200] = "old";
	cr_assert_eq(cron_parse("* * * * *", &c, ok, sizeof ok), 0);
	cr_assert_str_empty(ok, "success clears the message");
}

static void formats_as(const char *in, const char *want)
{
	struct cron c = parse(in), back;
	char buf[256];
	cr_assert_str_eq(cron_format(&c, buf, sizeof buf), want, "'%s'", in);
	back = parse(buf);
	cr_assert(same(&c, &back), "'%s' -> '%s' parses differently", in, buf);
}

Test(cron, canonical_text)
{
	formats_as("0,30 6 * * 1-5", "0,30 6 * * 1-5");
	formats_as("*/15 * * * *", "*/15 * * * *");
	formats_as("0-59 0-23 * 1-12 *", "* * * * *");
	formats_as("0 0 1-31 * *", "0 0 1-31 * *");
	formats_as("0 0 * * 0-7", "0 0 * * 0-6");
	formats_as("0 0 * * 7", "0 0 * * 0");
	formats_as("1,2,3,5 * * * *", "1-3,5 * * * *");
	formats_as("1,2 * * * *", "1,2 * * * *");
	formats_as("0,20,40 * * * *", "*/20 * * * *");
	formats_as("0 0 */2 * *", "0 0 */2 * *");
	formats_as("0 0 * * */2", "0 0 * * */2");
	formats_as("0 0 * JAN-mar,Dec sun,SAT", "0 0 * 1-3,12 0,6");
	formats_as("@weekly", "0 0 * * 0");
	formats_as("@yearly", "0 0 1 1 *");
	formats_as("0-58 * * * *", "0-58 * * * *");
	char small[6];
	struct cron c = parse("0,30 6 * * 1-5");
	cr_assert_str_eq(cron_format(&c, small, sizeof small), "0,30 ");
	cr_assert_eq(cron_format(&c, small, 0), small);
}

static void next_is(const struct cron *c, int64_t after, int64_t want)
{
	int64_t got = cron_next(c, after);
	cr_assert_eq(got, want, "after %lld: got %lld, want %lld (off by %lld s)", (long long)after,
		     (long long)got, (long long)want, (long long)((got - want) / 1000));
}

/* Walk from `from`, expecting the given instants in order. */
static void sequence(const char *expr, int64_t from, const int64_t *want, int n)
{
	struct cron c = parse(expr);
	for (int i = 0; i < n; i++) {
		next_is(&c, from, want[i]);
		from = want[i];
	}
}

Test(cron, strictly_after)
{
	struct cron c = parse("30 6 * * *");
	int64_t at = utc(2026, 3, 2, 6, 30);
	next_is(&c, at - 1, at);
	next_is(&c, at, utc(2026, 3, 3, 6, 30));
	next_is(&c, at + 999, utc(2026, 3, 3, 6, 30));
	next_is(&c, utc(2026, 3, 2, 0, 0), at);
	c = parse("* * * * *");
	next_is(&c, utc(2026, 3, 2, 6, 30) + 59999, utc(2026, 3, 2, 6, 31));
	next_is(&c, -1, 0);
	next_is(&c, INT64_MAX, -1);
}

Test(cron, vixie_or_of_the_day_fields)
{
	/* Friday or the 13th: 2026-03-06 and 03-13 are Fridays, 04-13 a Monday. */
	int64_t either[] = {utc(2026, 3, 6, 0, 0), utc(2026, 3, 13, 0, 0), utc(2026, 3, 20, 0, 0),
			    utc(2026, 3, 27, 0, 0), utc(2026, 4, 3, 0, 0), utc(2026, 4, 10, 0, 0),
			    utc(2026, 4, 13, 0, 0), utc(2026, 4, 17, 0, 0)};
	sequence("0 0 13 * 5", utc(2026, 3, 1, 0, 0), either, 8);
	int64_t only_13th[] = {utc(2026, 3, 13, 0, 0), utc(2026, 4, 13, 0, 0)};
	sequence("0 0 13 * *", utc(2026, 3, 1, 0, 0), only_13th, 2);
	int64_t only_fri[] = {utc(2026, 3, 20, 0, 0), utc(2026, 3, 27, 0, 0)};
	sequence("0 0 * * 5", utc(2026, 3, 14, 0, 0), only_fri, 2);
	/* A stepped star restricts too: odd days or Mondays. */
	int64_t stepped[] = {utc(2026, 3, 1, 0, 0), utc(2026, 3, 2, 0, 0), utc(2026, 3, 3, 0, 0),
			     utc(2026, 3, 5, 0, 0), utc(2026, 3, 7, 0, 0), utc(2026, 3, 9, 0, 0)};
	sequence("0 0 */2 * mon", utc(2026, 2, 28, 12, 0), stepped, 6);
}

Test(cron, month_ends_and_leap_days)
{
	int64_t last[] = {utc(2026, 3, 31, 0, 0), utc(2026, 5, 31, 0, 0), utc(2026, 7, 31, 0, 0),
			  utc(2026, 8, 31, 0, 0)};
	sequence("0 0 31 * *", utc(2026, 1, 31, 0, 0), last, 4);
	int64_t feb29[] = {utc(2028, 2, 29, 12, 0), utc(2032, 2, 29, 12, 0)};
	sequence("0 12 29 2 *", utc(2026, 3, 1, 0, 0), feb29, 2);
	int64_t feb_end[] = {utc(2028, 2, 28, 23, 59), utc(2028, 2, 29, 23, 59),
			     utc(2029, 2, 28, 23, 59)};
	sequence("59 23 28-31 2 *", utc(2027, 3, 1, 0, 0), feb_end, 3);
	/* 2100 is not a leap year: from 2096 the next 29 February is 8 years away. */
	struct cron c = parse("0 0 29 2 *");
	next_is(&c, utc(2096, 3, 1, 0, 0), -1);
	next_is(&c, utc(2099, 3, 1, 0, 0), utc(2104, 2, 29, 0, 0));
}

Test(cron, yearly_far_jump)
{
	int64_t years[] = {utc(2027, 1, 1, 0, 0), utc(2028, 1, 1, 0, 0), utc(2029, 1, 1, 0, 0)};
	sequence("@yearly", utc(2026, 6, 15, 8, 0), years, 3);
	int64_t dec31[] = {utc(2026, 12, 31, 23, 59), utc(2027, 12, 31, 23, 59)};
	sequence("59 23 31 dec *", utc(2026, 1, 1, 0, 0), dec31, 2);
	/* The Vixie OR lets a February 31st fire on Mondays. */
	int64_t mondays[] = {utc(2027, 2, 1, 0, 0), utc(2027, 2, 8, 0, 0)};
	sequence("0 0 31 2 mon", utc(2026, 3, 1, 0, 0), mondays, 2);
}

Test(cron, dst_berlin)
{
	set_zone("Europe/Berlin");
	/* 2026-03-29: 02:00 CET jumps to 03:00 CEST at 01:00Z; 02:30 does not exist that day. */
	int64_t spring[] = {utc(2026, 3, 28, 1, 30), utc(2026, 3, 30, 0, 30)};
	sequence("30 2 * * *", utc(2026, 3, 27, 12, 0), spring, 2);
	int64_t hourly[] = {utc(2026, 3, 29, 0, 0), utc(2026, 3, 29, 1, 0), utc(2026, 3, 29, 2, 0)};
	sequence("0 * * * *", utc(2026, 3, 28, 23, 30), hourly, 3);
	int64_t minutes[] = {utc(2026, 3, 29, 0, 59), utc(2026, 3, 29, 1, 0)};
	sequence("* * * * *", utc(2026, 3, 29, 0, 58), minutes, 2);
	/* 2026-10-25: 03:00 CEST goes back to 02:00 CET at 01:00Z; 02:30 happens twice and
	 * fires at its first passing only. */
	int64_t fall[] = {utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)};
	sequence("30 2 * * *", utc(2026, 10, 24, 12, 0), fall, 2);
	int64_t fall_hourly[] = {utc(2026, 10, 25, 0, 0), utc(2026, 10, 25, 2, 0),
				 utc(2026, 10, 25, 3, 0)};
	sequence("0 * * * *", utc(2026, 10, 24, 23, 30), fall_hourly, 3);
	int64_t quarter[] = {utc(2026, 10, 25, 2, 0), utc(2026, 10, 25, 2, 15)};
	sequence("*/15 * * * *", utc(2026, 10, 25, 1, 20), quarter, 2);	/* inside the repeat */
	int64_t before[] = {utc(2026, 10, 25, 0, 45), utc(2026, 10, 25, 2, 0)};
	sequence("*/15 * * * *", utc(2026, 10, 25, 0, 40), before, 2);
}

Test(cron, dst_new_york)
{
	set_zone("America/New_York");
	/* 2026-03-08: 02:00 EST jumps to 03:00 EDT at 07:00Z. */
	int64_t spring[] = {utc(2026, 3, 7, 7, 30), utc(2026, 3, 9, 6, 30)};
	sequence("30 2 * * *", utc(2026, 3, 6, 12, 0), spring, 2);
	/* 2026-11-01: 02:00 EDT goes back to 01:00 EST at 06:00Z; 01:30 fires once. */
	int64_t fall[] = {utc(2026, 11, 1, 5, 30), utc(2026, 11, 2, 6, 30)};
	sequence("30 1 * * *", utc(2026, 10, 31, 12, 0), fall, 2);
	int64_t fall_hourly[] = {utc(2026, 11, 1, 5, 0), utc(2026, 11, 1, 7, 0)};
	sequence("0 * * * *", utc(2026, 11, 1, 4, 30), fall_hourly, 2);
	/* Weekday at a local hour stays on the local hour across the change. */
	int64_t weekdays[] = {utc(2026, 3, 6, 14, 0), utc(2026, 3, 9, 13, 0)};
	sequence("0 9 * * mon-fri", utc(2026, 3, 6, 12, 0), weekdays, 2);
}
