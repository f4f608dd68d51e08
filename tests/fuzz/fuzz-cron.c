/* Fuzz target for cron expressions (`--cron`), which reach the server from CLI options and
 * request bodies. An expression that parses must format to text that parses back to the
 * same struct, and a few steps of cron_next from fixed times must rise strictly, land on
 * local times the fields allow, and skip no matching minute in a gap of up to a day.
 * Runs in Europe/Berlin so the clock changes are crossed. */
#include "fuzz.h"
#include "base/cron.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define STEPS 4
#define SCAN_MAX_S 86400	/* gaps up to this long are checked minute by minute */

/* Before both Berlin clock changes of 2026, and an ordinary Monday. */
static const int64_t starts[] = {
	1774738800000,	/* 2026-03-28T23:00:00Z, three hours before the jump 02:00 -> 03:00 */
	1792882800000,	/* 2026-10-24T23:00:00Z, two hours before 03:00 -> 02:00 */
	1772445600123,	/* 2026-03-02T10:00:00.123Z */
};

static bool same(const struct cron *a, const struct cron *b)
{
	return a->minutes == b->minutes && a->hours == b->hours && a->mdays == b->mdays &&
	       a->months == b->months && a->wdays == b->wdays && a->mday_star == b->mday_star &&
	       a->wday_star == b->wday_star;
}

static bool bit(uint64_t bits, int i)
{
	return ((bits >> i) & 1u) != 0;
}

/* Does the local time at t (s) match the fields, on a whole minute? */
static bool matches(const struct cron *c, int64_t t, struct tm *tm)
{
	time_t tt = (time_t)t;
	if (localtime_r(&tt, tm) == NULL || tm->tm_sec != 0)
		return false;
	bool md = bit(c->mdays, tm->tm_mday), wd = bit(c->wdays, tm->tm_wday);
	bool day = c->mday_star || c->wday_star ? md && wd : md || wd;
	return day && bit(c->minutes, tm->tm_min) && bit(c->hours, tm->tm_hour) &&
	       bit(c->months, tm->tm_mon + 1);
}

/* Is t the second passing of its local time (the clocks went back over it)? */
static bool repeated(int64_t t, const struct tm *tm)
{
	time_t day_before = (time_t)(t - 86400), earlier;
	struct tm b, e;
	if (localtime_r(&day_before, &b) == NULL || b.tm_gmtoff <= tm->tm_gmtoff)
		return false;
	/* The clocks went back by the difference: did they read this wall time that much
	 * earlier, under the old offset? */
	earlier = (time_t)(t - (b.tm_gmtoff - tm->tm_gmtoff));
	return localtime_r(&earlier, &e) != NULL && e.tm_gmtoff == b.tm_gmtoff;
}

/* No instant between from_ms and next_ms (exclusive) should have fired. */
static void check_gap(const struct cron *c, int64_t from_ms, int64_t next_ms)
{
	struct tm tm;
	if (next_ms - from_ms > SCAN_MAX_S * INT64_C(1000))
		return;
	for (int64_t t = from_ms / 1000 / 60 * 60 + 60; t * 1000 < next_ms; t += 60)
		if (t * 1000 > from_ms && matches(c, t, &tm) && !repeated(t, &tm))
			abort();
}

static void check_steps(const struct cron *c, int64_t from)
{
	struct tm tm;
	for (int i = 0; i < STEPS; i++) {
		int64_t next = cron_next(c, from);
		if (next <= from || next % 1000 != 0 || !matches(c, next / 1000, &tm))
			abort();	/* every expression that parses fires within 5 years */
		check_gap(c, from, next);
		from = next;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zone_once("Europe/Berlin");
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct cron c, back;
	char why[200], text[512];
	if (cron_parse(s, &c, why, sizeof why) != 0) {
		if (memchr(why, '\0', sizeof why) == NULL || why[0] == '\0')
			abort();	/* an error always says something, NUL-terminated */
		for (const char *p = why; *p != '\0'; p++)
			if (*p < 0x20 || *p > 0x7e)
				abort();	/* and in printable ASCII, whatever the input held */
		free(s);
		return 0;
	}
	cron_format(&c, text, sizeof text);
	if (strlen(text) + 1 >= sizeof text || cron_parse(text, &back, why, sizeof why) != 0 ||
	    !same(&c, &back))
		abort();
	for (size_t i = 0; i < sizeof starts / sizeof starts[0]; i++)
		check_steps(&c, starts[i]);
	free(s);
	return 0;
}
