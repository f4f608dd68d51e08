/* A job's scheduling options as JSON, both ways: the API fields of docs/API.md, which are
 * also how the store keeps them (jobs.opts), so one strict reader serves requests and
 * recovery. */
#include "core/opts.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/timeslot.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

enum { MAX_CONSTRAINTS = 32, MAX_AVOID = 64, MAX_LIMITS = 16, MAX_GROUPS = 16, MAX_DEPS = 100000 };

static const char *const ext_fields[] = {
	"constraints", "avoid", "limits", "after_ok", "after_fail", "after_any", "dep_groups",
	"after_groups", "not_before", "timeslot", "kill_at_slot_end", "max_running", "override",
	"retry_permanent", "output_limit", NULL,
};

bool opts_is_field(const char *key)
{
	for (size_t i = 0; ext_fields[i]; i++)
		if (strcmp(key, ext_fields[i]) == 0)
			return true;
	return false;
}

static int fail(struct opts_err *e, const char *prefix, const char *field, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
static int fail(struct opts_err *e, const char *prefix, const char *field, const char *fmt, ...)
{
	va_list ap;
	snprintf(e->field, sizeof e->field, "%s%s", prefix, field);
	va_start(ap, fmt);
	vsnprintf(e->rule, sizeof e->rule, fmt, ap);
	va_end(ap);
	return -1;
}

static bool text_ok(json_t *v, size_t max)
{
	return json_is_string(v) && json_string_length(v) >= 1 && json_string_length(v) <= max &&
	       strlen(json_string_value(v)) == json_string_length(v);
}

static int read_constraints(json_t *v, const char *p, struct job_ext *x, struct opts_err *e)
{
	if (!json_is_object(v) || json_object_size(v) > MAX_CONSTRAINTS)
		return fail(e, p, "constraints", "must be an object of at most %d \"key\": \"value\"",
			    MAX_CONSTRAINTS);
	size_t n = json_object_size(v);
	if (n == 0)
		return 0;
	x->ckey = xcalloc(n, sizeof *x->ckey);
	x->cval = xcalloc(n, sizeof *x->cval);
	const char *k;
	json_t *val;
	json_object_foreach(v, k, val) {
		if (strlen(k) == 0 || strlen(k) > 128 || strchr(k, '='))
			return fail(e, p, "constraints", "a key is 1..128 characters without '='");
		if (!text_ok(val, 256))
			return fail(e, p, "constraints", "the value of %.128s must be a string of 1..256"
				    " characters", k);
		x->ckey[x->nconstraints] = intern(k);
		x->cval[x->nconstraints++] = intern(json_string_value(val));
	}
	return 0;
}

/* An array of names into interned pointers. */
static int read_names(json_t *v, const char *p, const char *field, int max, const char ***out,
		      int32_t *n, struct opts_err *e)
{
	if (!json_is_array(v) || json_array_size(v) > (size_t)max)
		return fail(e, p, field, "must be an array of at most %d names", max);
	size_t i, len = json_array_size(v);
	json_t *it;
	if (len == 0)
		return 0;
	*out = xcalloc(len, sizeof **out);
	json_array_foreach(v, i, it) {
		if (!text_ok(it, 255) || !name_valid(json_string_value(it), 255))
			return fail(e, p, field, "item %zu: a name is 1..255 of [A-Za-z0-9_.-]", i);
		(*out)[(*n)++] = intern(json_string_value(it));
	}
	return 0;
}

static int read_groups(json_t *v, const char *p, const char *field, struct ext_group **out,
		       int32_t *n, struct opts_err *e)
{
	const char **names = NULL;
	int32_t k = 0;
	int rc = read_names(v, p, field, MAX_GROUPS, &names, &k, e);
	if (k) {
		*out = xcalloc((size_t)k, sizeof **out);
		for (int32_t i = 0; i < k; i++)
			(*out)[i].name = names[i];
		*n = k;
	}
	free(names);
	return rc;
}

static int read_limits(json_t *v, const char *p, struct job_ext *x, struct opts_err *e)
{
	if (!json_is_array(v) || json_array_size(v) > MAX_LIMITS)
		return fail(e, p, "limits", "must be an array of at most %d \"NAME\" or \"NAME:N\"",
			    MAX_LIMITS);
	size_t i, len = json_array_size(v);
	json_t *it;
	if (len == 0)
		return 0;
	x->limits = xcalloc(len, sizeof *x->limits);
	json_array_foreach(v, i, it) {
		char name[256];
		if (!text_ok(it, 300))
			return fail(e, p, "limits", "item %zu must be \"NAME\" or \"NAME:N\"", i);
		const char *s = json_string_value(it), *colon = strchr(s, ':');
		size_t nl = colon ? (size_t)(colon - s) : strlen(s);
		if (nl >= sizeof name)
			return fail(e, p, "limits", "item %zu: NAME is too long", i);
		memcpy(name, s, nl);
		name[nl] = '\0';
		if (!name_valid(name, 128))
			return fail(e, p, "limits", "item %zu: NAME is 1..128 of [A-Za-z0-9_.-]", i);
		int32_t set = -1;
		if (colon) {
			char *end;
			long n = strtol(colon + 1, &end, 10);
			if (!isdigit((unsigned char)colon[1]) || *end || n < 0 || n > 1000000)
				return fail(e, p, "limits", "item %zu: N must be 0..1000000", i);
			set = (int32_t)n;
		}
		for (int32_t k = 0; k < x->nlimits; k++)
			if (x->limits[k].name == intern(name))
				return fail(e, p, "limits", "item %zu: %s is named twice", i, name);
		x->limits[x->nlimits++] = (struct ext_limit){intern(name), set, NULL};
	}
	return 0;
}

/* "12", "alice.sim.12" or 12: the job's seq. */
static int64_t dep_seq(json_t *it)
{
	if (json_is_integer(it))
		return json_integer_value(it);
	const char *s = json_string_value(it);
	if (s == NULL || !text_ok(it, 400))
		return -1;
	const char *dot = strrchr(s, '.'), *d = dot ? dot + 1 : s;
	char *end;
	long long n = strtoll(d, &end, 10);
	return isdigit((unsigned char)*d) && *end == '\0' ? n : -1;
}

static int read_deps(json_t *o, const char *p, struct job_ext *x, struct opts_err *e)
{
	static const char *const names[DEP__N] = {"after_ok", "after_fail", "after_any"};
	size_t total = 0;
	for (int t = 0; t < DEP__N; t++) {
		json_t *v = json_object_get(o, names[t]);
		if (v && !json_is_array(v))
			return fail(e, p, names[t], "must be an array of job ids");
		total += v ? json_array_size(v) : 0;
	}
	if (total > MAX_DEPS)
		return fail(e, p, "after_ok", "at most %d dependencies in all", MAX_DEPS);
	if (total == 0)
		return 0;
	x->deps = xcalloc(total, sizeof *x->deps);
	for (int t = 0; t < DEP__N; t++) {
		json_t *v = json_object_get(o, names[t]), *it;
		size_t i;
		json_array_foreach(v, i, it) {
			int64_t seq = dep_seq(it);
			if (seq < 1)
				return fail(e, p, names[t], "item %zu: a job id is SEQ or OWNER.NAME.SEQ", i);
			x->deps[x->ndeps++] = (struct ext_dep){seq, (uint8_t)t, DS_PENDING};
		}
	}
	return 0;
}

static int read_not_before(json_t *v, const char *p, int64_t now, struct job_ext *x,
			   struct opts_err *e)
{
	const char *s = json_string_value(v), *why = NULL;
	int64_t ms;
	if (json_is_integer(v) && json_integer_value(v) >= 0) {
		x->not_before = json_integer_value(v);
		return 0;
	}
	if (!text_ok(v, 64))
		return fail(e, p, "not_before", "must be an RFC 3339 time or a duration from now");
	if (clock_parse_rfc3339(s, &ms) == 0) {
		x->not_before = ms;
		return 0;
	}
	if (clock_parse_duration(s[0] == '+' ? s + 1 : s, &ms, &why) == 0) {
		x->not_before = now + ms;
		return 0;
	}
	return fail(e, p, "not_before", "\"%.64s\" is neither an RFC 3339 time nor a duration (%s)",
		    s, why ? why : "");
}

static int read_slot(json_t *v, const char *p, struct job_ext *x, struct opts_err *e)
{
	char err[200];
	if (json_is_null(v))
		return 0;
	if (!text_ok(v, 1024))
		return fail(e, p, "timeslot", "must be a string like \"Mon-Fri 08:00-18:00\"");
	x->slot = xcalloc(1, sizeof *x->slot);
	if (timeslot_parse(json_string_value(v), x->slot, err, sizeof err))
		return fail(e, p, "timeslot", "%s", err);
	return 0;
}

static int read_int(json_t *o, const char *p, const char *key, int64_t max, int32_t *out,
		    struct opts_err *e)
{
	json_t *v = json_object_get(o, key);
	if (v == NULL)
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 || json_integer_value(v) > max)
		return fail(e, p, key, "must be an integer 0..%lld", (long long)max);
	*out = (int32_t)json_integer_value(v);
	return 0;
}

/* Bytes of output kept per attempt; null: the default. */
static int read_output_limit(json_t *v, const char *p, struct job_ext *x, struct opts_err *e)
{
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_integer(v) || json_integer_value(v) < 0 ||
	    json_integer_value(v) > OUTPUT_LIMIT_MAX)
		return fail(e, p, "output_limit", "must be a number of bytes 0..%lld (1 TiB), or null"
			    " for the default (%lld, 100 MiB)", (long long)OUTPUT_LIMIT_MAX,
			    (long long)OUTPUT_LIMIT_DEFAULT);
	x->has_output_limit = true;
	x->output_limit = json_integer_value(v);
	return 0;
}

static int read_all(json_t *o, const char *p, int64_t now, struct job_ext *x, struct opts_err *e)
{
	json_t *v;
	if ((v = json_object_get(o, "constraints")) && read_constraints(v, p, x, e))
		return -1;
	if ((v = json_object_get(o, "avoid")) &&
	    read_names(v, p, "avoid", MAX_AVOID, &x->avoid, &x->navoid, e))
		return -1;
	if ((v = json_object_get(o, "limits")) && read_limits(v, p, x, e))
		return -1;
	if (read_deps(o, p, x, e))
		return -1;
	if ((v = json_object_get(o, "dep_groups")) &&
	    read_groups(v, p, "dep_groups", &x->groups, &x->ngroups, e))
		return -1;
	if ((v = json_object_get(o, "after_groups")) &&
	    read_groups(v, p, "after_groups", &x->after_groups, &x->nafter_groups, e))
		return -1;
	if ((v = json_object_get(o, "not_before")) && !json_is_null(v) &&
	    read_not_before(v, p, now, x, e))
		return -1;
	if ((v = json_object_get(o, "timeslot")) && read_slot(v, p, x, e))
		return -1;
	if ((v = json_object_get(o, "kill_at_slot_end"))) {
		if (!json_is_boolean(v))
			return fail(e, p, "kill_at_slot_end", "must be true or false");
		x->kill_at_slot_end = json_is_true(v);
		if (x->kill_at_slot_end && x->slot == NULL && !json_object_get(o, "timeslot"))
			return fail(e, p, "kill_at_slot_end", "needs a timeslot");
	}
	if ((v = json_object_get(o, "retry_permanent"))) {
		if (!json_is_boolean(v))
			return fail(e, p, "retry_permanent", "must be true or false");
		x->retry_permanent = json_is_true(v);
	}
	int32_t ov = 0;
	if (read_int(o, p, "max_running", 1000000, &x->max_running, e) ||
	    read_int(o, p, "override", 2, &ov, e))
		return -1;
	x->override = (uint8_t)ov;
	return read_output_limit(json_object_get(o, "output_limit"), p, x, e);
}

int opts_read(json_t *o, const char *prefix, int64_t now, struct job_ext **out, unsigned *mask,
	      struct opts_err *e)
{
	static const unsigned bits[] = {
		MOD_CONSTRAINTS, MOD_AVOID, MOD_LIMITS, MOD_DEPS, MOD_DEPS, MOD_DEPS, MOD_GROUPS,
		MOD_AFTER_GROUPS, MOD_NOT_BEFORE, MOD_SLOT, MOD_SLOT, MOD_MAX_RUNNING, MOD_OVERRIDE,
		MOD_RETRY_PERMANENT, MOD_OUTPUT_LIMIT,
	};
	unsigned m = 0;
	*out = NULL;
	for (size_t i = 0; ext_fields[i]; i++)
		if (json_object_get(o, ext_fields[i]))
			m |= bits[i];
	if (mask)
		*mask = m;
	if (m == 0)
		return 0;
	struct job_ext *x = xcalloc(1, sizeof *x);
	if (read_all(o, prefix ? prefix : "", now, x, e)) {
		job_ext_free(x);
		return -1;
	}
	*out = x;
	return 0;
}

/* ---- writing ----------------------------------------------------------------------- */

static json_t *names_json(const char *const *a, int32_t n)
{
	json_t *arr = json_array();
	for (int32_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(a[i]));
	return arr;
}

static json_t *groups_json(const struct ext_group *g, int32_t n)
{
	json_t *arr = json_array();
	for (int32_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(g[i].name));
	return arr;
}

static void put(json_t *o, const char *key, json_t *v, bool keep)
{
	if (keep)
		json_object_set_new(o, key, v);
	else
		json_decref(v);
}

void opts_write(json_t *o, const struct job *j, bool full)
{
	static const struct job_ext none;
	const struct job_ext *x = j->x ? j->x : &none;
	json_t *c = json_object(), *deps[DEP__N];
	for (int32_t i = 0; i < x->nconstraints; i++)
		json_object_set_new(c, x->ckey[i], json_string(x->cval[i]));
	put(o, "constraints", c, full || x->nconstraints);
	put(o, "avoid", names_json(x->avoid, x->navoid), full || x->navoid);
	json_t *lim = json_array();
	for (int32_t i = 0; i < x->nlimits; i++)
		json_array_append_new(lim, json_string(x->limits[i].name));
	put(o, "limits", lim, full || x->nlimits);
	for (int t = 0; t < DEP__N; t++)
		deps[t] = json_array();
	for (int32_t i = 0; i < x->ndeps; i++)
		json_array_append_new(deps[x->deps[i].type], json_integer(x->deps[i].seq));
	for (int t = 0; t < DEP__N; t++)
		put(o, dep_type_name(t), deps[t], full || json_array_size(deps[t]));
	put(o, "dep_groups", groups_json(x->groups, x->ngroups), full || x->ngroups);
	put(o, "after_groups", groups_json(x->after_groups, x->nafter_groups),
	    full || x->nafter_groups);
	char t[48], ts[1024];
	put(o, "not_before",
	    x->not_before ? json_string(clock_format_rfc3339(x->not_before, t, sizeof t))
			  : json_null(),
	    full || x->not_before);
	put(o, "timeslot", x->slot ? json_string(timeslot_format(x->slot, ts, sizeof ts)) : json_null(),
	    full || x->slot);
	put(o, "kill_at_slot_end", json_boolean(x->kill_at_slot_end), full || x->kill_at_slot_end);
	put(o, "max_running", json_integer(x->max_running), full || x->max_running);
	put(o, "override", json_integer(x->override), full || x->override);
	put(o, "retry_permanent", json_boolean(x->retry_permanent), full || x->retry_permanent);
	put(o, "output_limit", json_integer(job_output_limit(j)), full || x->has_output_limit);
}

char *opts_text(const struct job *j)
{
	if (j->x == NULL)
		return NULL;
	json_t *o = json_object();
	opts_write(o, j, false);
	/* What the options do not say but recovery needs. */
	if (j->x->ram_given)
		json_object_set_new(o, "ram_given", json_true());
	if (j->x->time_given)
		json_object_set_new(o, "time_given", json_true());
	if (j->ram_learned)
		json_object_set_new(o, "ram_learned", json_true());
	if (j->time_learned)
		json_object_set_new(o, "time_learned", json_true());
	if (j->ram_learned && j->x->ram_limit_mb)
		json_object_set_new(o, "ram_limit_mb", json_integer(j->x->ram_limit_mb));
	if (j->time_learned && j->x->time_limit_ms)
		json_object_set_new(o, "time_limit_ms", json_integer(j->x->time_limit_ms));
	if (j->x->script)
		json_object_set_new(o, "script", json_loads(j->x->script, 0, NULL));
	char *text = json_dumps(o, JSON_COMPACT);
	json_decref(o);
	return text;
}

int opts_load(struct job *j, const char *text, char *err, size_t errlen)
{
	json_error_t je;
	json_t *o = json_loads(text, 0, &je);
	struct opts_err e = {0};
	struct job_ext *x = NULL;
	if (o == NULL || opts_read(o, "", j->created_at, &x, NULL, &e)) {
		snprintf(err, errlen, "job %lld options: %s %s", (long long)j->seq,
			 o ? e.field : je.text, o ? e.rule : "");
		json_decref(o);
		return -1;
	}
	if (x == NULL)
		x = xcalloc(1, sizeof *x);
	x->ram_given = json_is_true(json_object_get(o, "ram_given"));
	x->time_given = json_is_true(json_object_get(o, "time_given"));
	j->ram_learned = json_is_true(json_object_get(o, "ram_learned"));
	j->time_learned = json_is_true(json_object_get(o, "time_learned"));
	/* Rows from before the limits were kept apart: a given value that learning replaced
	 * is gone, and the learned one stays the limit, as it was then. */
	json_t *rl = json_object_get(o, "ram_limit_mb"), *tl = json_object_get(o, "time_limit_ms");
	x->ram_limit_mb = json_is_integer(rl) ? (int32_t)json_integer_value(rl)
			  : x->ram_given ? j->ram_mb : 0;
	x->time_limit_ms = json_is_integer(tl) ? json_integer_value(tl)
			   : x->time_given ? j->time_ms : 0;
	json_t *script = json_object_get(o, "script");
	if (json_is_object(script))
		x->script = json_dumps(script, JSON_COMPACT);
	j->x = x;
	json_decref(o);
	return 0;
}
