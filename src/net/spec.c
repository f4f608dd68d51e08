/* Network specs: settings layers, schedule values and their text forms; see spec.h. */
#include "net/spec.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <string.h>
#include <time.h>

/* ---- settings ---- */

struct net_resolved net_settings_resolve(const struct net_settings *server,
					 const struct net_settings *def,
					 const struct net_settings *run)
{
	struct net_resolved r = {NET_SHALLOW, NET_REPEAT_NETWORK, false, true};
	const struct net_settings *layers[3] = {server, def, run};	/* later wins */
	for (int i = 0; i < 3; i++) {
		const struct net_settings *l = layers[i];
		if (l == NULL)
			continue;
		if (l->mode != NET_MODE_UNSET)
			r.mode = (enum net_mode)l->mode;
		if (l->repeat != NET_REPEAT_UNSET)
			r.repeat = (enum net_repeat)l->repeat;
		if (l->pred_force != NET_TRI_UNSET)
			r.pred_force = l->pred_force == NET_TRI_TRUE;
		if (l->succ_force != NET_TRI_UNSET)
			r.succ_force = l->succ_force == NET_TRI_TRUE;
	}
	return r;
}

static const char *const mode_names[] = {"unset", "shallow", "deep"};
static const char *const repeat_names[] = {"unset", "network", "run", "none"};

const char *net_mode_name(enum net_mode m)
{
	return m >= NET_MODE_UNSET && m <= NET_DEEP ? mode_names[m] : "?";
}

const char *net_repeat_name(enum net_repeat r)
{
	return r >= NET_REPEAT_UNSET && r <= NET_REPEAT_NONE ? repeat_names[r] : "?";
}

/* The index of value in names[1 .. n-1] (0 is "unset", never accepted), or -1. */
static int pick(const char *value, const char *const *names, int n)
{
	for (int i = 1; i < n; i++)
		if (strcmp(value, names[i]) == 0)
			return i;
	return -1;
}

static const char *strip_prefix(const char *key)
{
	static const char prefix[] = "dependencies.";
	return strncmp(key, prefix, sizeof prefix - 1) == 0 ? key + sizeof prefix - 1 : key;
}

bool net_settings_key(const char *key)
{
	key = strip_prefix(key);
	return strcmp(key, "mode") == 0 || strcmp(key, "repeat") == 0 ||
	       strcmp(key, "predecessor.force_start_in_period") == 0 ||
	       strcmp(key, "successor.force_start_in_period") == 0;
}

static int set_tri(int8_t *field, const char *value, const char **why)
{
	if (strcmp(value, "true") != 0 && strcmp(value, "false") != 0) {
		*why = "must be true or false";
		return -1;
	}
	*field = strcmp(value, "true") == 0 ? NET_TRI_TRUE : NET_TRI_FALSE;
	return 0;
}

int net_settings_set(struct net_settings *s, const char *key, const char *value,
		     const char **why)
{
	int v;
	key = strip_prefix(key);
	if (strcmp(key, "mode") == 0) {
		if ((v = pick(value, mode_names, 3)) < 0) {
			*why = "must be shallow or deep";
			return -1;
		}
		s->mode = (int8_t)v;
		return 0;
	}
	if (strcmp(key, "repeat") == 0) {
		if ((v = pick(value, repeat_names, 4)) < 0) {
			*why = "must be network, run or none";
			return -1;
		}
		s->repeat = (int8_t)v;
		return 0;
	}
	if (strcmp(key, "predecessor.force_start_in_period") == 0)
		return set_tri(&s->pred_force, value, why);
	if (strcmp(key, "successor.force_start_in_period") == 0)
		return set_tri(&s->succ_force, value, why);
	*why = "not a dependency setting (mode, repeat, predecessor.force_start_in_period,"
	       " successor.force_start_in_period)";
	return -1;
}

/* ---- specs ---- */

void net_spec_init(struct net_spec *s)
{
	memset(s, 0, sizeof *s);
	s->sched.period_ms = NET_DAY_MS;
	s->sched.cal.weekdays = 0x7f;
}

static void free_names(char **list, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(list[i]);
	free(list);
}

void net_spec_free(struct net_spec *s)
{
	for (size_t i = 0; i < s->sched.nstarts; i++)
		free(s->sched.starts[i].cron);
	free(s->sched.starts);
	free(s->sched.cal.include);
	free(s->sched.cal.exclude);
	free_names(s->preds, s->npreds);
	free_names(s->succs, s->nsuccs);
	free_names(s->fail_succs, s->nfail_succs);
	net_spec_init(s);
}

static char **copy_names(char *const *src, size_t n)
{
	if (n == 0)
		return NULL;
	char **dst = xcalloc(n, sizeof *dst);
	for (size_t i = 0; i < n; i++)
		dst[i] = xstrdup(src[i]);
	return dst;
}

static int64_t *copy_days(const int64_t *src, size_t n)
{
	if (n == 0)
		return NULL;
	int64_t *dst = xcalloc(n, sizeof *dst);
	memcpy(dst, src, n * sizeof *dst);
	return dst;
}

void net_spec_copy(struct net_spec *dst, const struct net_spec *src)
{
	*dst = *src;	/* the scalars; every pointer is replaced below */
	dst->sched.starts = src->sched.nstarts ? xcalloc(src->sched.nstarts, sizeof *dst->sched.starts)
					       : NULL;
	for (size_t i = 0; i < src->sched.nstarts; i++) {
		dst->sched.starts[i].tod_s = src->sched.starts[i].tod_s;
		dst->sched.starts[i].cron = src->sched.starts[i].cron ? xstrdup(src->sched.starts[i].cron)
								      : NULL;
	}
	dst->sched.cal.include = copy_days(src->sched.cal.include, src->sched.cal.ninclude);
	dst->sched.cal.exclude = copy_days(src->sched.cal.exclude, src->sched.cal.nexclude);
	dst->preds = copy_names(src->preds, src->npreds);
	dst->succs = copy_names(src->succs, src->nsuccs);
	dst->fail_succs = copy_names(src->fail_succs, src->nfail_succs);
}

bool net_spec_has_role(const struct net_spec *s)
{
	return s->sched.nstarts > 0 || s->sched.has_timeslot || s->npreds > 0 || s->nsuccs > 0 ||
	       s->nfail_succs > 0;
}

void net_spec_add_name(char ***list, size_t *n, const char *name)
{
	*list = xrealloc(*list, *n + 1, sizeof **list);
	(*list)[(*n)++] = xstrdup(name);
}

char *const *net_spec_list(const struct net_spec *s, enum net_edge e, size_t *n)
{
	*n = e == NET_EDGE_PRED ? s->npreds : e == NET_EDGE_SUCC ? s->nsuccs : s->nfail_succs;
	return e == NET_EDGE_PRED ? s->preds : e == NET_EDGE_SUCC ? s->succs : s->fail_succs;
}

const char *net_edge_key(enum net_edge e)
{
	return e == NET_EDGE_PRED ? "predecessors" : e == NET_EDGE_SUCC ? "successors"
									 : "successors_on_failure";
}

const char *net_edge_word(enum net_edge e)
{
	return e == NET_EDGE_PRED ? "predecessor" : e == NET_EDGE_SUCC ? "successor"
								       : "successor on failure";
}

bool net_calendar_add(int64_t **list, size_t *n, int64_t day)
{
	size_t at = 0;
	while (at < *n && (*list)[at] < day)
		at++;
	if (at < *n && (*list)[at] == day)
		return false;
	*list = xrealloc(*list, *n + 1, sizeof **list);
	memmove(*list + at + 1, *list + at, (*n - at) * sizeof **list);
	(*list)[at] = day;
	(*n)++;
	return true;
}

/* ---- text forms ---- */

/* The value of exactly n decimal digits at s, or -1. */
static int digits(const char *s, int n)
{
	int v = 0;
	for (int i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v;
}

int net_parse_tod(const char *s, int32_t *out_s)
{
	int32_t v = local_tod_parse(s, strlen(s));
	if (v < 0 || v == DAY_S)
		return -1;	/* 24:00 ends a timeslot window; a start time or period start it is not */
	*out_s = v;
	return 0;
}

int net_parse_date(const char *s, int64_t *out_day)
{
	if (strlen(s) != 10 || s[4] != '-' || s[7] != '-')
		return -1;
	int y = digits(s, 4), mo = digits(s + 5, 2), d = digits(s + 8, 2);
	if (y < 1970 || mo < 1 || mo > 12 || d < 1 || d > 31)
		return -1;
	struct tm tm = {.tm_year = y - 1900, .tm_mon = mo - 1, .tm_mday = d, .tm_hour = 12};
	time_t t = timegm(&tm);	/* normalises 02-30 to 03-02, which the check below catches */
	if (tm.tm_mday != d || tm.tm_mon != mo - 1)
		return -1;
	*out_day = (int64_t)t / DAY_S;
	return 0;
}

int net_parse_weekdays(const char *s, uint8_t *mask)
{
	const char *dash = strchr(s, '-');
	size_t n1 = dash ? (size_t)(dash - s) : strlen(s);
	int a = local_weekday_parse(s, n1);
	int b = dash ? local_weekday_parse(dash + 1, strlen(dash + 1)) : a;
	if (a < 0 || b < 0)
		return -1;
	*mask |= local_weekday_range(a, b);
	return 0;
}

bool net_period_valid(int64_t p)
{
	if (p < 60000 || p > NET_DAY_MS * 7 * 52)
		return false;
	return p < NET_DAY_MS ? NET_DAY_MS % p == 0 && p % 1000 == 0 : p % NET_DAY_MS == 0;
}

int net_parse_period(const char *s, int64_t *out_ms, const char **why)
{
	int64_t p;
	if (clock_parse_duration(s, &p, why))
		return -1;
	if (!net_period_valid(p)) {
		*why = "a period is at least 1m and either divides a day (1h, 12h) or is whole days"
		       " (1d, 1w), at most 52w";
		return -1;
	}
	*out_ms = p;
	return 0;
}
