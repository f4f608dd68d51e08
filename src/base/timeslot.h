/* Weekly time windows (`--timeslot "Mon-Fri 08:00-18:00; Sat 10:00-12:00"`) in the
 * process's local time zone: outside them a job starts nothing.
 *
 * SPEC := WINDOW (';' WINDOW)*, WINDOW := [DAYS] TIME '-' TIME, DAYS := DAY[-DAY] (',' …),
 * DAY := Mon..Sun (or full names, any case; `daily` = all), TIME := HH:MM[:SS], 24:00 as an
 * end only. No DAYS means every day. An end at or before the start runs past midnight. */
#ifndef JG_TIMESLOT_H
#define JG_TIMESLOT_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TIMESLOT_MAX_WINDOWS 16

struct timeslot_window {
	uint8_t days;		/* bit 0 = Monday … bit 6 = Sunday: the days it starts on */
	int32_t start_s, end_s;	/* seconds after local midnight; end ≤ start: next day */
};

struct timeslot {
	int n;
	struct timeslot_window w[TIMESLOT_MAX_WINDOWS];
};

/* 0, or -1 with err saying which window and what is wrong. */
int timeslot_parse(const char *spec, struct timeslot *out, char *err, size_t errlen);
/* The canonical text, which parses back to the same windows. Returns buf. */
char *timeslot_format(const struct timeslot *ts, char *buf, size_t len);
/* Is t (ms since the epoch) inside a window? If so, *until_ms (may be NULL) gets the end of
 * the open span, windows that touch merged, INT64_MAX if it does not close within 8 days. */
bool timeslot_open(const struct timeslot *ts, int64_t t_ms, int64_t *until_ms);
/* The first time ≥ t when a window is open; 0 if none within 8 days. */
int64_t timeslot_next_open(const struct timeslot *ts, int64_t t_ms);
#endif
