/* Fuzz target for the job-network value texts (src/net/spec.h) and the period arithmetic
 * built on them (src/net/period.h): times of day, dates, weekday ranges, periods and
 * dependency settings, which reach the server from definition files, the config file and
 * `run` overrides.
 *
 * Input: lines. The first line goes through every text parser, whose answers must stay in
 * range and, for times of day, print back to themselves. If it is a period and the second
 * line a time of day (period_start), the schedule's periods around fixed instants (both
 * Berlin clock changes) must hold the instant, follow each other and last no longer than
 * the period and an hour; further lines that are times of day become start times, which
 * must come out sorted inside their period. Runs in Europe/Berlin. */
#include "fuzz.h"
#include "net/period.h"
#include "net/spec.h"
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const int64_t probes[] = {
	1772445600000,	/* 2026-03-02T10:00:00Z */
	1774746000000,	/* 2026-03-29T01:00:00Z, clocks jump 02:00 -> 03:00 */
	1774741500123,	/* 2026-03-28T23:45:00.123Z */
	1792890000000,	/* 2026-10-25T01:00:00Z, clocks go back 03:00 -> 02:00 */
	1792884600000,	/* 2026-10-24T23:30:00Z */
};

#define MAX_LINES 10

static void check_texts(const char *s)
{
	int32_t tod;
	int64_t day, period;
	uint8_t mask = 0;
	const char *why;
	char back[16];
	if (net_parse_tod(s, &tod) == 0) {
		if (tod < 0 || tod >= 86400)
			abort();
		snprintf(back, sizeof back, "%02d:%02d:%02d", tod / 3600, tod / 60 % 60, tod % 60);
		int32_t again;
		if (net_parse_tod(back, &again) || again != tod)
			abort();
	}
	if (net_parse_date(s, &day) == 0 && (day < 0 || day > 3000000))
		abort();
	if (net_parse_weekdays(s, &mask) == 0 && (mask == 0 || mask > 0x7f))
		abort();
	if (net_parse_period(s, &period, &why) == 0 && !net_period_valid(period))
		abort();
	struct net_settings set = {0};
	const char *eq = strchr(s, '=');
	if (eq) {
		char key[64];
		snprintf(key, sizeof key, "%.*s", (int)(eq - s), s);
		if (net_settings_set(&set, key, eq + 1, &why) == 0 && !net_settings_key(key))
			abort();
	}
}

static void check_period(const struct net_schedule *s, int64_t t)
{
	int64_t a, b, a2, b2, next_a, next_b;
	net_period_of(s, t, &a, &b);
	if (!(a <= t && t < b) || b - a > s->period_ms + 3600000)
		abort();
	net_period_of(s, a, &a2, &b2);
	net_period_of(s, b, &next_a, &next_b);
	if (a2 != a || b2 != b || next_a != b)
		abort();
	int64_t times[MAX_LINES * 8];
	size_t n = net_start_times(s, a, b, times, sizeof times / sizeof times[0]);
	for (size_t i = 0; i < n; i++)
		if (times[i] < a || times[i] >= b || (i > 0 && times[i] <= times[i - 1]))
			abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zone_once("Europe/Berlin");
	if (size > 4096)
		return 0;
	char *text = fuzz_cstr(data, size), *lines[MAX_LINES];
	size_t n = 0;
	if (text == NULL)
		return 0;
	for (char *save = NULL, *l = strtok_r(text, "\n", &save); l && n < MAX_LINES;
	     l = strtok_r(NULL, "\n", &save))
		lines[n++] = l;
	if (n > 0)
		check_texts(lines[0]);
	struct net_spec spec;
	struct net_start starts[MAX_LINES];
	const char *why;
	net_spec_init(&spec);
	if (n > 1 && net_parse_period(lines[0], &spec.sched.period_ms, &why) == 0 &&
	    net_parse_tod(lines[1], &spec.sched.period_start_s) == 0) {
		for (size_t i = 2; i < n; i++)
			if (net_parse_tod(lines[i], &starts[spec.sched.nstarts].tod_s) == 0)
				starts[spec.sched.nstarts++].cron = NULL;
		spec.sched.starts = starts;
		for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
			check_period(&spec.sched, probes[i]);
	}
	free(text);
	return 0;
}
