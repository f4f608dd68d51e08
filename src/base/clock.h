/* Time: monotonic and wall clocks in milliseconds, duration and RFC 3339 text.
 * Durations read "250ms", "30s", "5m", "2h", "1d", "1h30m": always with a unit, but "0". */
#ifndef JG_CLOCK_H
#define JG_CLOCK_H
#include <stddef.h>
#include <stdint.h>

int64_t clock_wall_ms(void);	/* ms since the Unix epoch */
int64_t clock_mono_ms(void);	/* ms on CLOCK_MONOTONIC */
int64_t clock_mono_us(void);	/* µs on CLOCK_MONOTONIC */

/* Parse a duration into *out_ms. Returns 0, or -1 with *why set to a static rule text. */
int clock_parse_duration(const char *s, int64_t *out_ms, const char **why);
/* "1h30m", "250ms", "0s" into buf; returns buf. */
char *clock_format_duration(int64_t ms, char *buf, size_t len);
/* "2026-11-22T14:47:19.123Z" into buf (≥ 25 bytes); returns buf. */
char *clock_format_rfc3339(int64_t wall_ms, char *buf, size_t len);
/* Parse RFC 3339 ("...Z" or with an offset, seconds fraction optional) into ms. 0 or -1. */
int clock_parse_rfc3339(const char *s, int64_t *out_ms);
#endif
