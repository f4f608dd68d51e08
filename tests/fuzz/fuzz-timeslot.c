/* Fuzz target for timeslot specs (`jobgrid add --timeslot`), which reach the server from CLI
 * options and request bodies. A spec that parses must format to text that parses back to
 * the same windows, and the open/next-open answers at a few fixed times must agree with
 * each other. Runs in Europe/Berlin so the clock changes are exercised (UTC without the
 * zone data). */
#include "fuzz.h"
#include "base/timeslot.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Mondays, a Sunday night, both Berlin clock changes, the epoch, ms fractions. */
static const int64_t probes[] = {
	1772445600000,	/* 2026-03-02T10:00:00Z, Monday */
	1772927999999,	/* 2026-03-07T23:59:59.999Z, past midnight in Berlin */
	1774746000000,	/* 2026-03-29T01:00:00Z, clocks jump 02:00 -> 03:00 in Berlin */
	1774741500123,	/* 2026-03-28T23:45:00.123Z */
	1792890000000,	/* 2026-10-25T01:00:00Z, clocks go back 03:00 -> 02:00 */
	1792884600000,	/* 2026-10-24T23:30:00Z */
	0,
};

static bool same_windows(const struct timeslot *a, const struct timeslot *b)
{
	if (a->n != b->n)
		return false;
	for (int i = 0; i < a->n; i++)
		if (a->w[i].days != b->w[i].days || a->w[i].start_s != b->w[i].start_s ||
		    a->w[i].end_s != b->w[i].end_s)
			return false;
	return true;
}

/* open, until and next_open describe one set of spans. */
static void check_times(const struct timeslot *ts, int64_t t)
{
	int64_t until = 0, next = timeslot_next_open(ts, t);
	bool open = timeslot_open(ts, t, &until);
	if (open && (until <= t || next != t))
		abort();
	if (open && until != INT64_MAX &&
	    (timeslot_open(ts, until, NULL) || !timeslot_open(ts, until - 1, NULL)))
		abort();	/* merged spans end where nothing is open */
	if (!open && next != 0 &&
	    (next <= t || !timeslot_open(ts, next, NULL) || timeslot_open(ts, next - 1, NULL)))
		abort();	/* the first opening, and nothing open just before it */
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_zone_once("Europe/Berlin");
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct timeslot ts, back;
	char err[200], text[1024];
	if (timeslot_parse(s, &ts, err, sizeof err) != 0) {
		if (memchr(err, '\0', sizeof err) == NULL || err[0] == '\0')
			abort();	/* an error always says something, NUL-terminated */
		free(s);
		return 0;
	}
	timeslot_format(&ts, text, sizeof text);
	if (strlen(text) + 1 >= sizeof text || timeslot_parse(text, &back, err, sizeof err) != 0 ||
	    !same_windows(&ts, &back))
		abort();
	for (size_t i = 0; i < sizeof probes / sizeof probes[0]; i++)
		check_times(&ts, probes[i]);
	free(s);
	return 0;
}
