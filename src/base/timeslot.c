/* Timeslots: parse and print weekly windows, and answer "is it open now, until when, and
 * when does it next open" for an instant.
 *
 * Design notes. A window is a span of wall-clock time that starts on some weekdays; on a
 * given calendar day it becomes one occurrence, a half-open interval of instants. Every
 * question about an instant t is answered from the occurrences that start between the day
 * before t's local day and 8 days after it: a window lasts less than two days, so nothing
 * that starts earlier can cover t, and 8 days ahead cover a whole week with a day to spare.
 * Beyond that a span is reported as never closing (a span open for more than a week is open
 * for ever, the windows being weekly).
 *
 * Instants follow the wall clock: "08:00" stays 08:00 on a day of 23 or 25 hours. A day is
 * located by its date and the UTC offsets localtime_r reports (base/localtime.c), which
 * makes every answer a pure function of the instant and TZ; a wall time met twice means its
 * first passing, a skipped one the instant of the jump (wall_instant). A day exactly
 * 86400 s long has no clock change inside it, and its times are its midnight plus the
 * seconds. "24:00" and the end of a window that runs past midnight are both taken from the
 * next day, so a window ending at 24:00 touches one starting at 00:00 exactly.
 */
#include "base/buf.h"
#include "base/localtime.h"
#include "base/timeslot.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define SPEC_MAX 1024		/* bytes, as the API accepts */
#define ALL_DAYS 0x7f
#define DAILY 7			/* parse_day's answer for "daily" */
#define QUOTE_MAX 32		/* bytes of offending text quoted in an error */

/* Occurrences looked at start on days -1 .. SPAN_DAYS - 2 relative to t's local day; their
 * ends and day lengths need two more midnights. */
#define FIRST_DAY (-1)
#define SPAN_DAYS 10

/* ---- parsing ---- */

struct parser {
	const char *p;		/* next byte of the spec */
	int wn;			/* window number for messages, from 1; 0 for the spec as a whole */
	char *err;		/* caller's buffer, may be NULL */
	size_t errlen;
};

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

/* A token runs to the next space or separator ('-', ',', ';') or the end. */
static size_t token_len(const char *p)
{
	size_t n = 0;
	while (p[n] != '\0' && !is_space(p[n]) && strchr("-,;", p[n]) == NULL)
		n++;
	return n;
}

/* How many of the n bytes at s to quote: at most QUOTE_MAX, never half a UTF-8 character
 * (messages end up in JSON strings, which must stay valid UTF-8). */
static int quote_len(const char *s, size_t n)
{
	if (n <= QUOTE_MAX)
		return (int)n;
	n = QUOTE_MAX;
	while (n > 0 && ((unsigned char)s[n] & 0xc0) == 0x80)
		n--;
	return (int)n;
}

/* After truncation by snprintf, drop a trailing partial UTF-8 character. */
static void trim_utf8(char *s)
{
	size_t n = strlen(s), k = n;
	while (k > 0 && ((unsigned char)s[k - 1] & 0xc0) == 0x80)
		k--;
	if (k == 0 || ((unsigned char)s[k - 1] & 0x80) == 0)
		return;		/* ASCII: nothing was cut */
	unsigned char lead = (unsigned char)s[k - 1];
	size_t want = lead >= 0xf0 ? 4 : lead >= 0xe0 ? 3 : 2;
	if (n - (k - 1) < want)
		s[k - 1] = '\0';
}

/* Write "window N: <message>" into the caller's buffer; returns -1 for `return fail(...)`. */
static int fail(const struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct parser *ps, const char *fmt, ...)
{
	if (ps->err == NULL || ps->errlen == 0)
		return -1;
	int at = ps->wn > 0 ? snprintf(ps->err, ps->errlen, "window %d: ", ps->wn) : 0;
	if (at >= 0 && (size_t)at < ps->errlen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->err + at, ps->errlen - (size_t)at, fmt, ap);
		va_end(ap);
	}
	trim_utf8(ps->err);
	return -1;
}

/* "expected WHAT, found ..." naming the text at ps->p up to the end of its window. */
static int fail_found(const struct parser *ps, const char *what)
{
	const char *p = ps->p;
	if (*p == '\0')
		return fail(ps, "expected %s, found the end", what);
	size_t n = *p == ';' ? 1 : strcspn(p, ";");
	while (n > 1 && is_space(p[n - 1]))
		n--;
	return fail(ps, "expected %s, found \"%.*s\"", what, quote_len(p, n), p);
}

/* One day name: 0 (Monday) .. 6 (Sunday), DAILY, or -1 with the error written. */
static int parse_day(struct parser *ps)
{
	size_t n = token_len(ps->p);
	if (n == 0) {
		fail_found(ps, "a day");
		return -1;
	}
	int d = local_weekday_parse(ps->p, n);
	if (d >= 0) {
		ps->p += n;
		return d;
	}
	if (n == 5 && strncasecmp(ps->p, "daily", 5) == 0) {
		ps->p += n;
		return DAILY;
	}
	fail(ps, "\"%.*s\" is not a day (Mon..Sun, Monday..Sunday or daily)", quote_len(ps->p, n),
	     ps->p);
	return -1;
}

/* DAY or DAY-DAY, added to *days; a range may wrap past Sunday. */
static int parse_dayspec(struct parser *ps, uint8_t *days)
{
	const char *from = ps->p;
	int a = parse_day(ps), b;
	if (a < 0)
		return -1;
	ps->p = skip_space(ps->p);
	if (*ps->p != '-') {
		*days |= a == DAILY ? ALL_DAYS : (uint8_t)(1u << a);
		return 0;
	}
	ps->p = skip_space(ps->p + 1);
	if ((b = parse_day(ps)) < 0)
		return -1;
	if (a == DAILY || b == DAILY)
		return fail(ps, "\"%.*s\": daily cannot be one end of a day range",
			    quote_len(from, (size_t)(ps->p - from)), from);
	*days |= local_weekday_range(a, b);
	return 0;
}

static int parse_days(struct parser *ps, uint8_t *days)
{
	*days = 0;
	for (;;) {
		if (parse_dayspec(ps, days))
			return -1;
		ps->p = skip_space(ps->p);
		if (*ps->p != ',')
			return 0;
		ps->p = skip_space(ps->p + 1);
	}
}

static int parse_time(struct parser *ps, int32_t *out)
{
	size_t n = token_len(ps->p);
	if (n == 0)
		return fail_found(ps, "a time HH:MM[:SS]");
	int32_t s = local_tod_parse(ps->p, n);	/* 24:00 too, refused as a start by the caller */
	if (s < 0)
		return fail(ps, "\"%.*s\" is not a time HH:MM[:SS] (00:00..24:00)",
			    quote_len(ps->p, n), ps->p);
	ps->p += n;
	*out = s;
	return 0;
}

/* [DAYS] TIME '-' TIME, leaving ps->p on the ';' or the end that follows. */
static int parse_window(struct parser *ps, struct timeslot_window *w)
{
	ps->p = skip_space(ps->p);
	if (*ps->p == '\0' || *ps->p == ';')
		return fail(ps, "empty; expected a window such as \"Mon-Fri 08:00-18:00\"");
	w->days = ALL_DAYS;
	if (isalpha((unsigned char)*ps->p) && parse_days(ps, &w->days))
		return -1;
	const char *from = ps->p;
	if (parse_time(ps, &w->start_s))
		return -1;
	if (w->start_s == DAY_S)
		return fail(ps, "\"%.*s\" can only end a window, not start it",
			    quote_len(from, (size_t)(ps->p - from)), from);
	ps->p = skip_space(ps->p);
	if (*ps->p != '-')
		return fail_found(ps, "'-' between two times");
	ps->p = skip_space(ps->p + 1);
	if (parse_time(ps, &w->end_s))
		return -1;
	if (w->end_s == w->start_s)
		return fail(ps, "empty window \"%.*s\" (it ends where it starts)",
			    quote_len(from, (size_t)(ps->p - from)), from);
	ps->p = skip_space(ps->p);
	if (*ps->p != '\0' && *ps->p != ';') {
		size_t n = strcspn(ps->p, ";");
		while (n > 1 && is_space(ps->p[n - 1]))
			n--;
		return fail(ps, "unexpected \"%.*s\" after the times%s", quote_len(ps->p, n), ps->p,
			    *ps->p == ',' ? " (windows are separated by ';')" : "");
	}
	return 0;
}

int timeslot_parse(const char *spec, struct timeslot *out, char *err, size_t errlen)
{
	struct parser ps = {spec, 0, err, errlen};
	struct timeslot ts;
	memset(&ts, 0, sizeof ts);
	if (spec == NULL)
		return fail(&ps, "no timeslot given");
	if (strnlen(spec, SPEC_MAX + 1) > SPEC_MAX)
		return fail(&ps, "a timeslot is at most %d bytes long", SPEC_MAX);
	for (ps.wn = 1;; ps.wn++) {
		if (ts.n == TIMESLOT_MAX_WINDOWS)
			return fail(&ps, "too many windows (at most %d)", TIMESLOT_MAX_WINDOWS);
		if (parse_window(&ps, &ts.w[ts.n]))
			return -1;
		ts.n++;
		if (*ps.p == '\0')
			break;
		ps.p++;		/* the ';' */
	}
	*out = ts;
	if (err != NULL && errlen > 0)
		err[0] = '\0';
	return 0;
}

/* ---- printing ---- */

/* The days of mask as runs, Monday first ("Mon-Fri", "Sat,Sun", "Mon,Wed"), except that a
 * run through Sunday into Monday stays whole ("Wed,Fri-Mon"). Every day (or none, which
 * the parser never makes) writes nothing; returns whether something was written. */
static bool put_days(char *buf, size_t len, size_t *at, uint8_t mask)
{
	mask &= ALL_DAYS;
	if (mask == ALL_DAYS || mask == 0)
		return false;
	int start = 0;
	if ((mask & 1) && (mask & 0x40))
		while (mask & (1u << start))
			start++;	/* begin at a day not in mask, so no run is cut in two */
	bool any = false;
	for (int k = 0; k < 7;) {
		int d = (start + k) % 7, n = 1;
		if (!(mask & (1u << d))) {
			k++;
			continue;
		}
		while (k + n < 7 && (mask & (1u << ((d + n) % 7))))
			n++;
		buf_fixed_printf(buf, len, at, "%s%s", any ? "," : "", local_weekday_name(d));
		if (n > 1)
			buf_fixed_printf(buf, len, at, "%c%s", n == 2 ? ',' : '-',
					 local_weekday_name(d + n - 1));
		any = true;
		k += n;
	}
	return true;
}

static void put_time(char *buf, size_t len, size_t *at, int32_t s)
{
	buf_fixed_printf(buf, len, at, "%02d:%02d", (int)(s / 3600), (int)(s / 60 % 60));
	if (s % 60 != 0)
		buf_fixed_printf(buf, len, at, ":%02d", (int)(s % 60));
}

static int windows(const struct timeslot *ts)
{
	return ts->n < 0 ? 0 : ts->n > TIMESLOT_MAX_WINDOWS ? TIMESLOT_MAX_WINDOWS : ts->n;
}

char *timeslot_format(const struct timeslot *ts, char *buf, size_t len)
{
	size_t at = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	for (int i = 0; i < windows(ts); i++) {
		const struct timeslot_window *w = &ts->w[i];
		if (i > 0)
			buf_fixed_printf(buf, len, &at, "; ");
		if (put_days(buf, len, &at, w->days))
			buf_fixed_printf(buf, len, &at, " ");
		put_time(buf, len, &at, w->start_s);
		buf_fixed_printf(buf, len, &at, "-");
		put_time(buf, len, &at, w->end_s);
	}
	return buf;
}

/* ---- time ---- */

struct day {
	int64_t midnight;	/* s since the epoch when the day starts on local clocks */
	int64_t wall;		/* its 00:00 counted as if local time were UTC */
	int wday;		/* 0 = Monday .. 6 = Sunday */
};

struct occ {
	int64_t start_ms, end_ms;	/* half-open */
};

/* The occurrences around an instant, and where the days they were taken from end. */
struct occs {
	int n;
	struct occ o[SPAN_DAYS * TIMESLOT_MAX_WINDOWS];
	int64_t horizon_ms;	/* a span reaching this may go on: it counts as never closing */
};

/* The instant local clocks read wall (s, counted as if local time were UTC): a time met
 * twice means its first passing, one the clocks jumped over the instant of the jump, so a
 * window is never lost to a clock change, only shortened. */
static bool wall_instant(int64_t wall, int64_t *out)
{
	return local_instant(wall, LOCAL_GAP_JUMP, LOCAL_FOLD_FIRST, out);
}

/* days[0 .. SPAN_DAYS + 1]: from the day before t's local day on. */
static bool fill_days(int64_t t_ms, struct day *days)
{
	int64_t first;
	if (!local_day_sec(floor_div(t_ms, 1000), &first, NULL))
		return false;
	first += FIRST_DAY;
	for (int i = 0; i < SPAN_DAYS + 2; i++) {
		days[i].wall = (first + i) * DAY_S;
		days[i].wday = local_weekday(first + i);
		if (!wall_instant(days[i].wall, &days[i].midnight))
			return false;
	}
	return true;
}

/* The instant s seconds after 00:00 on the wall of days[i] (s <= DAY_S, i <= SPAN_DAYS). */
static bool day_time(const struct day *days, int i, int32_t s, int64_t *out)
{
	if (s == 0 || s >= DAY_S) {
		*out = days[s == 0 ? i : i + 1].midnight;
		return true;
	}
	if (days[i + 1].midnight - days[i].midnight == DAY_S) {
		*out = days[i].midnight + s;	/* no clock change that day */
		return true;
	}
	return wall_instant(days[i].wall + s, out);
}

/* Every occurrence that starts on days[0 .. SPAN_DAYS - 1]. */
static bool collect(const struct timeslot *ts, int64_t t_ms, struct occs *oc)
{
	struct day days[SPAN_DAYS + 2];
	oc->n = 0;
	tzset();	/* localtime_r need not notice a changed TZ by itself */
	if (t_ms < -LOCAL_T_LIMIT_MS || t_ms > LOCAL_T_LIMIT_MS || !fill_days(t_ms, days))
		return false;
	oc->horizon_ms = days[SPAN_DAYS].midnight * 1000;
	for (int i = 0; i < SPAN_DAYS; i++) {
		for (int k = 0; k < windows(ts); k++) {
			const struct timeslot_window *w = &ts->w[k];
			int64_t a, b;
			if (!(w->days & (1u << days[i].wday)))
				continue;
			if (!day_time(days, i, w->start_s, &a) ||
			    !day_time(days, w->end_s > w->start_s ? i : i + 1, w->end_s, &b) || b <= a)
				continue;	/* b <= a: the clocks skipped the whole window */
			oc->o[oc->n++] = (struct occ){a * 1000, b * 1000};
		}
	}
	return true;
}

static void sort_by_start(struct occs *oc)
{
	for (int i = 1; i < oc->n; i++) {
		struct occ x = oc->o[i];
		int j = i;
		for (; j > 0 && oc->o[j - 1].start_ms > x.start_ms; j--)
			oc->o[j] = oc->o[j - 1];
		oc->o[j] = x;
	}
}

/* The end of the run of touching or overlapping occurrences that covers t; false if none. */
static bool span_end(struct occs *oc, int64_t t_ms, int64_t *end_ms)
{
	int64_t from = 0, to = 0;
	bool have = false;
	sort_by_start(oc);
	for (int i = 0; i < oc->n; i++) {
		const struct occ *o = &oc->o[i];
		if (have && o->start_ms > to) {
			if (from <= t_ms && t_ms < to)
				break;
			have = false;
		}
		if (!have) {
			from = o->start_ms;
			to = o->end_ms;
			have = true;
		} else if (o->end_ms > to) {
			to = o->end_ms;
		}
	}
	if (!have || t_ms < from || t_ms >= to)
		return false;
	*end_ms = to;
	return true;
}

bool timeslot_open(const struct timeslot *ts, int64_t t_ms, int64_t *until_ms)
{
	struct occs oc;
	int64_t end;
	if (!collect(ts, t_ms, &oc) || !span_end(&oc, t_ms, &end))
		return false;
	if (until_ms != NULL)
		*until_ms = end >= oc.horizon_ms ? INT64_MAX : end;
	return true;
}

int64_t timeslot_next_open(const struct timeslot *ts, int64_t t_ms)
{
	struct occs oc;
	int64_t best = INT64_MAX;
	if (windows(ts) == 0 || !collect(ts, t_ms, &oc))
		return 0;
	for (int i = 0; i < oc.n; i++) {
		const struct occ *o = &oc.o[i];
		if (o->start_ms <= t_ms && t_ms < o->end_ms)
			return t_ms;
		if (o->start_ms > t_ms && o->start_ms < best)
			best = o->start_ms;
	}
	return best == INT64_MAX ? 0 : best;
}
