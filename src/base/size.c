/* Byte sizes: a whole number and an optional binary unit, checked for overflow. */
#include "base/size.h"
#include <ctype.h>
#include <stdio.h>
#include <strings.h>

static const char units[] = "KMGTPE";

/* The multiplier of a unit suffix ("" → 1, "K"/"KB"/"KiB" → 1024, …); 0 if unknown. */
static int64_t unit_scale(const char *u)
{
	if (*u == '\0' || strcasecmp(u, "B") == 0)
		return 1;
	int64_t scale = 1;
	for (const char *p = units; *p; p++) {
		scale *= 1024;
		if (toupper((unsigned char)u[0]) != *p)
			continue;
		if (u[1] == '\0' || strcasecmp(u + 1, "B") == 0 || strcasecmp(u + 1, "iB") == 0)
			return scale;
		return 0;
	}
	return 0;
}

int size_parse(const char *s, int64_t max, int64_t *out, const char **why)
{
	static const char rule[] = "a size is a whole number of bytes, optionally with a unit"
				   " K, M, G or T (1K = 1024), like 100M";
	int64_t n = 0;
	const char *p = s;
	if (s == NULL || !isdigit((unsigned char)*p)) {
		*why = rule;
		return -1;
	}
	for (; isdigit((unsigned char)*p); p++) {
		if (n > (INT64_MAX - 9) / 10) {
			*why = "the size is too large";
			return -1;
		}
		n = n * 10 + (*p - '0');
	}
	int64_t scale = unit_scale(p);
	if (scale == 0) {
		*why = rule;
		return -1;
	}
	if (n > max / scale) {
		*why = "the size is over the limit";
		return -1;
	}
	*out = n * scale;
	return 0;
}

char *size_format(int64_t bytes, char *buf, size_t len)
{
	int u = -1;
	while (bytes != 0 && bytes % 1024 == 0 && units[u + 1]) {
		bytes /= 1024;
		u++;
	}
	if (u < 0)
		snprintf(buf, len, "%lld", (long long)bytes);
	else
		snprintf(buf, len, "%lld%c", (long long)bytes, units[u]);
	return buf;
}
