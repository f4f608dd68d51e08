/* Cron expressions (`30 8-17 * * mon-fri`) in the process's local time zone.
 *
 * EXPR := MINUTE HOUR DAY-OF-MONTH MONTH DAY-OF-WEEK | @yearly | @annually | @monthly |
 * @weekly | @daily | @midnight | @hourly. A field is a comma list of `*`, N, N-N, `*`/STEP
 * or N-N/STEP; months may be jan-dec and days sun-sat (any case), 7 is Sunday too.
 * When day-of-month and day-of-week are both restricted (not a bare `*`), a day matches if
 * either does (Vixie cron). A local time the clocks skip does not fire that day; one they
 * show twice fires once. An expression no month can match (`0 0 31 2 *`) is refused. */
#ifndef JG_CRON_H
#define JG_CRON_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cron {
	uint64_t minutes;	/* bit m: minute m, 0-59 */
	uint32_t hours;		/* bit h: hour h, 0-23 */
	uint32_t mdays;		/* bit d: day of month d, 1-31 */
	uint16_t months;	/* bit m: month m, 1-12 */
	uint8_t wdays;		/* bit d: day of week d, 0 = Sunday .. 6 */
	bool mday_star, wday_star;	/* the day field was a bare '*' (unrestricted) */
};

/* 0, or -1 with why (may be NULL) naming the field and the rule: "minute: 61 is out of
 * range 0-59". */
int cron_parse(const char *s, struct cron *out, char *why, size_t whylen);
/* The canonical text, which parses back to the same struct. Returns buf. */
char *cron_format(const struct cron *c, char *buf, size_t len);
/* The first instant (ms) strictly after after_ms when c fires; -1 if none within about
 * 5 years. */
int64_t cron_next(const struct cron *c, int64_t after_ms);
#endif
