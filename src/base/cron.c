/* Cron expressions: parse the five fields into bit sets, print them back, and find the next
 * instant that matches.
 *
 * Design notes. A field is a set of small numbers, kept as bits. The search walks the wall
 * calendar, not instants: day by day (a whole month at once when the month is not chosen),
 * then the chosen hours of a matching day, then their chosen minutes, and only a candidate
 * wall time is turned into an instant. A yearly expression thus costs a few hundred cheap
 * day steps and a handful of time-zone look-ups, never a walk over every minute.
 *
 * A wall time becomes an instant in base/localtime.c: one the clocks skipped does not fire
 * that day (LOCAL_GAP_NONE), one they passed twice fires at the earlier passing
 * (LOCAL_FOLD_FIRST). The search starts at the wall minute in force at after_ms and keeps
 * only instants after it, so a time passed twice never fires at its second passing.
 *
 * Whether an expression can fire at all is a calendar question (is some chosen day in some
 * chosen month, February having 29), answered without the time zone, so a stored expression
 * is valid or not wherever it is read.
 */
#include "base/buf.h"
#include "base/cron.h"
#include "base/localtime.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define EXPR_MAX 1024		/* bytes, as the API accepts */
#define QUOTE_MAX 24		/* bytes of offending text quoted in a message */
#define NUMBER_CAP 100000	/* digits beyond this only make a number more out of range */
#define NFIELDS 5
#define SEARCH_DAYS INT64_C(1830)	/* 5 years of 366 days */
#define STEP_FORM_MIN 3		/* values a set needs before it prints as a star with a step */
#define FIELD_TEXT_MAX 200	/* the longest field cron_format can write, with room */

enum { F_MINUTE, F_HOUR, F_MDAY, F_MONTH, F_WDAY };

/* The n bytes at s as a month name, jan-dec in any case: 1-12, or -1. */
static int month_value(const char *s, size_t n)
{
	static const char *const names[12] = {"jan", "feb", "mar", "apr", "may", "jun",
					      "jul", "aug", "sep", "oct", "nov", "dec"};
	for (int i = 0; n == 3 && i < 12; i++)
		if (strncasecmp(s, names[i], 3) == 0)
			return i + 1;
	return -1;
}

/* The n bytes at s as a day name, sun-sat in any case: 0 (Sunday) - 6, or -1. Sunday is
 * named once, as 0; full names are not cron's. */
static int wday_value(const char *s, size_t n)
{
	int d = n == 3 ? local_weekday_parse(s, n) : -1;	/* 0 = Monday */
	return d < 0 ? -1 : (d + 1) % 7;
}

struct field_def {
	const char *name;
	int lo, hi;		/* the values the text may use */
	int top;		/* the last value '*' covers: day-of-week stops at 6, 7 being 0 */
	int (*name_value)(const char *s, size_t n);	/* a name's value or -1; NULL: none */
	const char *what;	/* what a value is, for "is not ..." messages */
};

static const struct field_def fields[NFIELDS] = {
	{"minute", 0, 59, 59, NULL, "a number 0-59"},
	{"hour", 0, 23, 23, NULL, "a number 0-23"},
	{"day-of-month", 1, 31, 31, NULL, "a number 1-31"},
	{"month", 1, 12, 12, month_value, "a month (1-12 or jan-dec)"},
	{"day-of-week", 0, 7, 6, wday_value, "a day (0-7 or sun-sat)"},
};

static const struct {
	const char *name, *expansion;
} macros[] = {
	{"@yearly", "0 0 1 1 *"}, {"@annually", "0 0 1 1 *"}, {"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"}, {"@daily", "0 0 * * *"},   {"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"},
};

static bool has(uint64_t bits, int i)
{
	return ((bits >> i) & 1u) != 0;
}

/* ---- parsing ---- */

struct parser {
	const char *p;			/* next byte of the text */
	const struct field_def *f;	/* the field being read; NULL outside the fields */
	char *why;			/* caller's buffer, may be NULL */
	size_t whylen;
};

/* Quoted text for a message: at most QUOTE_MAX bytes and only printable ASCII, so the
 * message stays valid UTF-8 in a JSON string whatever the input held. */
struct quoted {
	char s[QUOTE_MAX + 8];
};

static struct quoted quote(const char *s, size_t n)
{
	struct quoted q;
	size_t k = 0;
	while (k < n && k < QUOTE_MAX && s[k] >= 0x20 && s[k] < 0x7f)
		k++;
	snprintf(q.s, sizeof q.s, "\"%.*s%s\"", (int)k, s, k < n ? "..." : "");
	return q;
}

/* Write "<field>: <message>" into the caller's buffer; returns -1 for `return fail(...)`. */
static int fail(const struct parser *ps, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(const struct parser *ps, const char *fmt, ...)
{
	if (ps->why == NULL || ps->whylen == 0)
		return -1;
	int at = ps->f != NULL ? snprintf(ps->why, ps->whylen, "%s: ", ps->f->name) : 0;
	if (at >= 0 && (size_t)at < ps->whylen) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(ps->why + at, ps->whylen - (size_t)at, fmt, ap);
		va_end(ap);
	}
	return -1;
}

static bool is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r';
}

static bool ends_item(char c)
{
	return c == ',' || c == '\0' || is_space(c);
}

static const char *skip_space(const char *p)
{
	while (is_space(*p))
		p++;
	return p;
}

static int count_words(const char *p)
{
	int n = 0;
	for (p = skip_space(p); *p != '\0'; p = skip_space(p)) {
		n++;
		while (*p != '\0' && !is_space(*p))
			p++;
	}
	return n;
}

/* A run of digits, capped so a long one cannot overflow; *n gets its length. */
static int read_number(const char *s, size_t *n)
{
	int x = 0;
	for (*n = 0; isdigit((unsigned char)s[*n]); (*n)++)
		if (x < NUMBER_CAP)
			x = x * 10 + (s[*n] - '0');
	return x;
}

/* A name of the field at ps->p: its value, or -1. */
static int match_name(const struct parser *ps, size_t n)
{
	return ps->f->name_value == NULL ? -1 : ps->f->name_value(ps->p, n);
}

/* One value (number or name) of the current field, checked against its range. */
static int parse_value(struct parser *ps, int *v)
{
	size_t n;
	if (isdigit((unsigned char)*ps->p)) {
		int x = read_number(ps->p, &n);
		if (x < ps->f->lo || x > ps->f->hi)
			return fail(ps, "%.*s is out of range %d-%d", (int)(n < QUOTE_MAX ? n : QUOTE_MAX),
				    ps->p, ps->f->lo, ps->f->hi);
		ps->p += n;
		*v = x;
		return 0;
	}
	for (n = 0; isalpha((unsigned char)ps->p[n]); n++)
		;
	if ((*v = match_name(ps, n)) >= 0) {
		ps->p += n;
		return 0;
	}
	if (n == 0)
		n = strcspn(ps->p, ", \t\n\r-/");
	if (n == 0)
		return fail(ps, "expected %s, found %s", ps->f->what,
			    *ps->p == '\0' || is_space(*ps->p) ? "the end of the field" : quote(ps->p, 1).s);
	return fail(ps, "%s is not %s", quote(ps->p, n).s, ps->f->what);
}

/* The number after '/': how many values each step moves on. */
static int parse_step(struct parser *ps, int *step)
{
	size_t n;
	int span = ps->f->top - ps->f->lo + 1;
	if (!isdigit((unsigned char)*ps->p))
		return fail(ps, "expected a step (a number 1-%d) after '/'", span);
	*step = read_number(ps->p, &n);
	if (*step < 1 || *step > span)
		return fail(ps, "step %.*s is out of range 1-%d", (int)(n < QUOTE_MAX ? n : QUOTE_MAX),
			    ps->p, span);
	ps->p += n;
	return 0;
}

/* The first and last value of an item that is not '*': N, or N-N (then *ranged). */
static int parse_range(struct parser *ps, int *a, int *b, bool *ranged)
{
	const char *from = ps->p;
	if (parse_value(ps, a))
		return -1;
	*b = *a;
	*ranged = *ps->p == '-';
	if (!*ranged)
		return 0;
	ps->p++;
	if (parse_value(ps, b))
		return -1;
	if (*b == 0 && *a > 0 && ps->f->top < ps->f->hi)
		*b = ps->f->hi;	/* "fri-sun": Sunday as 7 ends a day-of-week range */
	if (*b < *a)
		return fail(ps, "%s runs backwards (a range goes from low to high)",
			    quote(from, (size_t)(ps->p - from)).s);
	return 0;
}

/* The bit of a value parse_value accepted; day-of-week 7 is Sunday's bit, 0. */
static uint64_t value_bit(const struct field_def *f, int v)
{
	if (v > f->top)
		v = f->lo;
	return v >= 0 && v < 64 ? UINT64_C(1) << v : 0;
}

/* One list item into *bits; *bare_star says whether it was '*' alone. */
static int parse_item(struct parser *ps, uint64_t *bits, bool *bare_star)
{
	const char *from = ps->p;
	bool star = *ps->p == '*', ranged = false;
	int a = ps->f->lo, b = ps->f->top, step = 1;
	if (star)
		ps->p++;
	else if (parse_range(ps, &a, &b, &ranged))
		return -1;
	if (*ps->p == '/') {
		if (!star && !ranged)
			return fail(ps, "%s: a step follows '*' or a range (e.g. %d-%d/...)",
				    quote(from, strcspn(from, ", \t\n\r")).s, a, ps->f->top);
		ps->p++;
		if (parse_step(ps, &step))
			return -1;
	}
	if (!ends_item(*ps->p))
		return fail(ps, "%s: unexpected %s", quote(from, strcspn(from, ", \t\n\r")).s,
			    quote(ps->p, strcspn(ps->p, ", \t\n\r")).s);
	*bare_star = star && step == 1 && ps->p == from + 1;
	for (int v = a; v <= b; v += step)
		*bits |= value_bit(ps->f, v);
	return 0;
}

/* A comma-separated list of items; *star says whether the field was a bare '*'. */
static int parse_field(struct parser *ps, int k, uint64_t *bits, bool *star)
{
	int items = 0;
	bool bare = false;
	ps->f = &fields[k];
	*bits = 0;
	for (;;) {
		if (ends_item(*ps->p))
			return fail(ps, "empty item in the list");
		if (parse_item(ps, bits, &bare))
			return -1;
		items++;
		if (*ps->p != ',')
			break;
		ps->p++;
	}
	*star = items == 1 && bare;
	return 0;
}

static bool leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int days_in_month(int year, int month)
{
	static const int days[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
	return month == 2 && leap_year(year) ? 29 : days[month - 1];
}

/* Does some day of the calendar match? Only a chosen day of the month paired with any
 * weekday can miss every month; a chosen weekday occurs in every month. */
static bool can_fire(const struct cron *c)
{
	if (!c->wday_star || c->mday_star)
		return true;
	for (int m = 1; m <= 12; m++)
		for (int d = 1; has(c->months, m) && d <= days_in_month(2000, m); d++)
			if (has(c->mdays, d))
				return true;
	return false;
}

static void put_set(char *buf, size_t len, size_t *at, uint64_t bits, int k, bool star);

static int parse_macro(struct parser *ps, struct cron *out)
{
	size_t n = strcspn(ps->p, " \t\n\r");
	for (size_t i = 0; i < sizeof macros / sizeof macros[0]; i++) {
		if (n != strlen(macros[i].name) || strncasecmp(ps->p, macros[i].name, n) != 0)
			continue;
		if (*skip_space(ps->p + n) != '\0')
			return fail(ps, "%s takes nothing after it", macros[i].name);
		return cron_parse(macros[i].expansion, out, ps->why, ps->whylen);
	}
	return fail(ps, "%s is not a macro (@yearly, @annually, @monthly, @weekly, @daily, "
		    "@midnight or @hourly)", quote(ps->p, n).s);
}

static int refuse_never(const struct parser *ps, const struct cron *c)
{
	char md[FIELD_TEXT_MAX], mo[FIELD_TEXT_MAX];
	size_t a = 0, b = 0;
	put_set(md, sizeof md, &a, c->mdays, F_MDAY, c->mday_star);
	put_set(mo, sizeof mo, &b, c->months, F_MONTH, false);
	return fail(ps, "never fires: no month has that day (day-of-month %s, month %s)", md, mo);
}

int cron_parse(const char *s, struct cron *out, char *why, size_t whylen)
{
	struct parser ps = {s, NULL, why, whylen};
	uint64_t bits[NFIELDS];
	bool star[NFIELDS];
	if (s == NULL)
		return fail(&ps, "no cron expression given");
	if (strnlen(s, EXPR_MAX + 1) > EXPR_MAX)
		return fail(&ps, "a cron expression is at most %d bytes long", EXPR_MAX);
	ps.p = skip_space(s);
	if (*ps.p == '@')
		return parse_macro(&ps, out);
	int n = count_words(ps.p);
	if (n != NFIELDS)
		return fail(&ps, "expected 5 fields (minute hour day-of-month month day-of-week), "
			    "found %d", n);
	for (int k = 0; k < NFIELDS; k++) {
		ps.p = skip_space(ps.p);
		if (parse_field(&ps, k, &bits[k], &star[k]))
			return -1;
	}
	ps.f = NULL;
	struct cron c = {bits[F_MINUTE], (uint32_t)bits[F_HOUR], (uint32_t)bits[F_MDAY],
			 (uint16_t)bits[F_MONTH], (uint8_t)bits[F_WDAY], star[F_MDAY], star[F_WDAY]};
	if (!can_fire(&c))
		return refuse_never(&ps, &c);
	*out = c;
	if (why != NULL && whylen > 0)
		why[0] = '\0';
	return 0;
}

/* ---- printing ---- */

static uint64_t every(int lo, int top, int step)
{
	uint64_t bits = 0;
	for (int v = lo; v <= top; v += step)
		bits |= UINT64_C(1) << v;
	return bits;
}

/* The step n for which bits is exactly a star stepping by n, with at least STEP_FORM_MIN
 * values; 0 if none. */
static int step_of(uint64_t bits, const struct field_def *f)
{
	for (int n = 2; (f->top - f->lo) / n + 1 >= STEP_FORM_MIN; n++)
		if (bits == every(f->lo, f->top, n))
			return n;
	return 0;
}

/* Runs of values: "a" alone, "a,b" for two in a row, "a-b" for more. */
static void put_runs(char *buf, size_t len, size_t *at, uint64_t bits, const struct field_def *f)
{
	bool any = false;
	for (int v = f->lo; v <= f->top; v++) {
		if (!has(bits, v))
			continue;
		int end = v;
		while (end < f->top && has(bits, end + 1))
			end++;
		buf_fixed_printf(buf, len, at, "%s%d", any ? "," : "", v);
		if (end > v)
			buf_fixed_printf(buf, len, at, "%c%d", end == v + 1 ? ',' : '-', end);
		any = true;
		v = end;
	}
}

/* One field. Minutes, hours and months print '*' when every value is chosen; the day
 * fields only when they were a bare '*', which changes how days match. */
static void put_set(char *buf, size_t len, size_t *at, uint64_t bits, int k, bool star)
{
	const struct field_def *f = &fields[k];
	uint64_t all = every(f->lo, f->top, 1);
	int step;
	bits &= all;
	if (star || (k != F_MDAY && k != F_WDAY && bits == all))
		buf_fixed_printf(buf, len, at, "*");
	else if ((step = step_of(bits, f)) > 0)
		buf_fixed_printf(buf, len, at, "*/%d", step);
	else
		put_runs(buf, len, at, bits, f);
}

char *cron_format(const struct cron *c, char *buf, size_t len)
{
	size_t at = 0;
	if (len == 0)
		return buf;
	buf[0] = '\0';
	put_set(buf, len, &at, c->minutes, F_MINUTE, false);
	buf_fixed_printf(buf, len, &at, " ");
	put_set(buf, len, &at, c->hours, F_HOUR, false);
	buf_fixed_printf(buf, len, &at, " ");
	put_set(buf, len, &at, c->mdays, F_MDAY, c->mday_star);
	buf_fixed_printf(buf, len, &at, " ");
	put_set(buf, len, &at, c->months, F_MONTH, false);
	buf_fixed_printf(buf, len, &at, " ");
	put_set(buf, len, &at, c->wdays, F_WDAY, c->wday_star);
	return buf;
}

/* ---- the next match ---- */

/* The instant (s) at which local clocks read wall (local time counted as if it were UTC);
 * false when the clocks skip it. */
static bool wall_instant(int64_t wall, int64_t *out)
{
	return local_instant(wall, LOCAL_GAP_NONE, LOCAL_FOLD_FIRST, out);
}

static bool day_matches(const struct cron *c, const struct tm *tm)
{
	bool md = has(c->mdays, tm->tm_mday), wd = has(c->wdays, tm->tm_wday);
	return c->mday_star || c->wday_star ? md && wd : md || wd;
}

/* The first chosen minute from minute `from` of the hour starting at wall time hour_wall
 * whose instant exists and lies after after_ms. */
static bool first_in_hour(const struct cron *c, int64_t hour_wall, int from, int64_t after_ms,
			  int64_t *out)
{
	for (int m = from; m < 60; m++)
		if (has(c->minutes, m) && wall_instant(hour_wall + (int64_t)m * 60, out) &&
		    *out * 1000 > after_ms)
			return true;
	return false;
}

/* The same over the chosen hours of the day starting at wall time day_wall, from minute
 * from_min of the day. */
static bool first_in_day(const struct cron *c, int64_t day_wall, int from_min, int64_t after_ms,
			 int64_t *out)
{
	for (int h = from_min / 60; h < 24; h++)
		if (has(c->hours, h) &&
		    first_in_hour(c, day_wall + (int64_t)h * 3600, h == from_min / 60 ? from_min % 60 : 0,
				  after_ms, out))
			return true;
	return false;
}

int64_t cron_next(const struct cron *c, int64_t after_ms)
{
	int64_t first, t;
	int32_t sec;
	if (after_ms < -LOCAL_T_LIMIT_MS || after_ms > LOCAL_T_LIMIT_MS)
		return -1;
	tzset();	/* localtime_r need not notice a changed TZ by itself */
	if (!local_day_sec(floor_div(after_ms, 1000), &first, &sec))
		return -1;
	int from_min = sec / 60;
	for (int64_t d = first; d <= first + SEARCH_DAYS; d++) {
		time_t dt = (time_t)(d * DAY_S);
		struct tm tm;
		if (gmtime_r(&dt, &tm) == NULL)
			return -1;
		if (!has(c->months, tm.tm_mon + 1)) {
			/* on to the month's last day; the loop steps into the next month */
			d += days_in_month(tm.tm_year + 1900, tm.tm_mon + 1) - tm.tm_mday;
			continue;
		}
		if (day_matches(c, &tm) &&
		    first_in_day(c, d * DAY_S, d == first ? from_min : 0, after_ms, &t))
			return t * 1000;
	}
	return -1;
}
