/* Clocks and time text. */
#include "base/clock.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

int64_t clock_wall_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t clock_mono_us(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

#define DURATION_MAX_MS (100LL * 365 * 86400 * 1000)	/* a century is plenty */

static int64_t unit_ms(const char *u, size_t n)
{
	static const struct { const char *name; int64_t ms; } units[] = {
		{"ms", 1}, {"s", 1000}, {"m", 60000}, {"h", 3600000}, {"d", 86400000},
		{"w", 7 * 86400000LL},
	};
	for (size_t i = 0; i < sizeof units / sizeof units[0]; i++)
		if (strlen(units[i].name) == n && strncmp(u, units[i].name, n) == 0)
			return units[i].ms;
	return -1;
}

int clock_parse_duration(const char *s, int64_t *out_ms, const char **why)
{
	int64_t total = 0;
	const char *p = s;
	static const char rule[] =
		"a duration is a number with a unit ms, s, m, h, d or w, e.g. 90s, 1h30m";
	if (s == NULL || *s == '\0') {
		*why = rule;
		return -1;
	}
	/* Said apart: "-5m" reads to a user as "five minutes back", a move no duration
	 * option (a limit, a delay, the test clock's advance) can make. */
	if (*s == '-') {
		*why = "a duration may not be negative (e.g. 5m, not -5m)";
		return -1;
	}
	/* A unit is always needed: "--time 90" means 90 minutes to a Slurm user and 90 s to a
	 * wr user, so a bare number is refused rather than guessed. Zero is zero in any. */
	if (s[strspn(s, "0")] == '\0') {
		*out_ms = 0;
		return 0;
	}
	if (s[strspn(s, "0123456789")] == '\0') {
		*why = "a duration needs a unit (ms, s, m, h, d or w), e.g. 90s, 15m, 1h30m";
		return -1;
	}
	while (*p) {
		if (!isdigit((unsigned char)*p)) {
			*why = rule;
			return -1;
		}
		int64_t v = 0;
		while (isdigit((unsigned char)*p)) {
			v = v * 10 + (*p++ - '0');
			if (v > DURATION_MAX_MS) {
				*why = "a duration may not exceed 100 years";
				return -1;
			}
		}
		const char *u = p;
		while (isalpha((unsigned char)*p))
			p++;
		int64_t mult = unit_ms(u, (size_t)(p - u));
		if (mult <= 0) {
			*why = rule;
			return -1;
		}
		if (v > DURATION_MAX_MS / mult || total + v * mult > DURATION_MAX_MS) {
			*why = "a duration may not exceed 100 years";
			return -1;
		}
		total += v * mult;
	}
	*out_ms = total;
	return 0;
}

char *clock_format_duration(int64_t ms, char *buf, size_t len)
{
	size_t n = 0;
	if (ms < 1000 || ms % 1000 != 0) {
		if (ms >= 1000)
			snprintf(buf, len, "%.3gs", (double)ms / 1000.0);
		else
			snprintf(buf, len, "%lldms", (long long)(ms < 0 ? 0 : ms));
		return buf;
	}
	int64_t s = ms / 1000;
	static const struct { char u; int64_t s; } parts[] = {
		{'d', 86400}, {'h', 3600}, {'m', 60}, {'s', 1},
	};
	buf[0] = '\0';
	for (size_t i = 0; i < 4 && n < len; i++) {
		if (s >= parts[i].s) {
			int w = snprintf(buf + n, len - n, "%lld%c", (long long)(s / parts[i].s), parts[i].u);
			if (w < 0)
				break;
			n += (size_t)w;
			s %= parts[i].s;
		}
	}
	return buf;
}

char *clock_format_rfc3339(int64_t wall_ms, char *buf, size_t len)
{
	time_t t = (time_t)(wall_ms / 1000);
	struct tm tm;
	gmtime_r(&t, &tm);
	snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
		 tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(wall_ms % 1000));
	return buf;
}

int clock_parse_rfc3339(const char *s, int64_t *out_ms)
{
	struct tm tm;
	memset(&tm, 0, sizeof tm);
	const char *p = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
	if (p == NULL)
		p = strptime(s, "%Y-%m-%d %H:%M:%S", &tm);
	if (p == NULL)
		return -1;
	int64_t ms = 0;
	if (*p == '.') {
		int digits = 0;
		p++;
		while (isdigit((unsigned char)*p)) {
			if (digits < 3)
				ms = ms * 10 + (*p - '0');
			digits++;
			p++;
		}
		if (digits == 0)
			return -1;
		for (; digits < 3; digits++)
			ms *= 10;
	}
	int64_t offset_s = 0;
	if (*p == 'Z' || *p == 'z') {
		p++;
	} else if (*p == '+' || *p == '-') {
		/* Exactly ±HH:MM: anything shorter must not move p past the end. */
		if (!isdigit((unsigned char)p[1]) || !isdigit((unsigned char)p[2]) || p[3] != ':' ||
		    !isdigit((unsigned char)p[4]) || !isdigit((unsigned char)p[5]))
			return -1;
		int hh = (p[1] - '0') * 10 + (p[2] - '0'), mm = (p[4] - '0') * 10 + (p[5] - '0');
		if (hh > 23 || mm > 59)
			return -1;
		offset_s = ((int64_t)hh * 3600 + (int64_t)mm * 60) * (*p == '+' ? 1 : -1);
		p += 6;
	} else {
		return -1;
	}
	if (*p != '\0')
		return -1;
	time_t t = timegm(&tm);
	*out_ms = ((int64_t)t - offset_s) * 1000 + ms;
	return 0;
}
