/* Names of states and reasons, job state derivation, job allocation. */
#include "core/job.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <stdio.h>
#include <string.h>

static const char *const jl_names[JS__N] = {
	"waiting", "ready", "running", "done", "failed", "cancelled", "skipped",
};
static const char *const at_names[AS__N] = {"running", "done", "failed", "lost", "cancelled"};
static const char *const fr_names[FR__N] = {
	"", "exit", "notfound", "permission", "cwd", "start", "ram", "time", "signal", "lost",
	"resources", "cancelled",
};

const char *jl_state_name(int s)
{
	return s >= 0 && s < JS__N ? jl_names[s] : "?";
}

const char *at_state_name(int s)
{
	return s >= 0 && s < AS__N ? at_names[s] : "?";
}

const char *fail_reason_name(int r)
{
	return r >= 0 && r < FR__N ? fr_names[r] : "?";
}

int jl_state_parse(const char *s)
{
	for (int i = 0; i < JS__N; i++)
		if (strcmp(s, jl_names[i]) == 0)
			return i;
	return -1;
}

int fail_reason_parse(const char *s)
{
	for (int i = 0; i < FR__N; i++)
		if (strcmp(s, fr_names[i]) == 0)
			return i;
	return -1;
}

int job_derive_state(const struct job *j)
{
	const int32_t *c = j->counts;
	if (c[JS_RUNNING])
		return JS_RUNNING;
	if (c[JS_READY])
		return JS_READY;
	if (c[JS_WAITING])
		return JS_WAITING;
	if (c[JS_FAILED])
		return JS_FAILED;
	if (c[JS_CANCELLED])
		return JS_CANCELLED;
	if (c[JS_SKIPPED])
		return JS_SKIPPED;
	return JS_DONE;
}

struct job *job_alloc(int32_t njoblets)
{
	struct job *j = xcalloc(1, sizeof *j + (size_t)njoblets * sizeof(struct joblet));
	j->njoblets = njoblets;
	for (int32_t i = 0; i < njoblets; i++) {
		j->joblets[i].job = j;
		j->joblets[i].index = i;
		j->joblets[i].state = JS_READY;
	}
	j->counts[JS_READY] = njoblets;
	j->state = JS_READY;
	return j;
}

void joblet_add_attempt(struct joblet *jl, struct attempt *a)
{
	a->joblet = jl;
	if (a->cores < 0) {	/* stored before attempts kept their share */
		a->cores = jl->job->cores;
		a->ram_mb = jl->job->ram_mb;
		a->gpus = jl->job->gpus;
	}
	if (jl->last_attempt)
		jl->last_attempt->next = a;
	else
		jl->attempts = a;
	jl->last_attempt = a;
	if (a->n > jl->nattempts)
		jl->nattempts = a->n;
}

void attempts_free(struct attempt *a)
{
	for (struct attempt *next; a; a = next) {
		next = a->next;
		free(a->message);
		free(a->late_result);
		free(a);
	}
}

void job_recount(struct job *j)
{
	memset(j->counts, 0, sizeof j->counts);
	for (int32_t i = 0; i < j->njoblets; i++) {
		j->counts[j->joblets[i].state]++;
		if (j->joblets[i].nattempts > 0)
			j->started = true;
	}
	j->state = (uint8_t)job_derive_state(j);
}

void job_free_joblets(struct job *j, int32_t from, int32_t to)
{
	for (int32_t i = from; i < to; i++) {
		struct joblet *jl = &j->joblets[i];
		attempts_free(jl->attempts);
		jl->attempts = jl->last_attempt = jl->live = NULL;
		rstr_unref(jl->reason);
		jl->reason = NULL;
	}
}

struct job *job_shrink(struct job *j, int32_t n)
{
	j->njoblets = n;
	return xrealloc(j, 1, sizeof *j + (size_t)n * sizeof(struct joblet));
}

void job_free(struct job *j)
{
	if (j == NULL)
		return;
	job_free_joblets(j, 0, j->njoblets);
	free(j->cmd);
	free(j->env);
	job_ext_free(j->x);
	free(j);
}

int64_t job_output_limit(const struct job *j)
{
	return j->x && j->x->has_output_limit ? j->x->output_limit : OUTPUT_LIMIT_DEFAULT;
}

int64_t attempt_wall_ms(const struct attempt *a, int64_t now)
{
	if (a->wall_ms >= 0)
		return a->wall_ms;
	int64_t wall = (a->ended_at ? a->ended_at : now) - a->started_at;
	return wall < 0 ? 0 : wall;
}

struct job_ext *job_ext(struct job *j)
{
	if (j->x == NULL)
		j->x = xcalloc(1, sizeof *j->x);
	return j->x;
}

void job_ext_free(struct job_ext *x)
{
	if (x == NULL)
		return;
	free(x->ckey);
	free(x->cval);
	free(x->avoid);
	free(x->limits);
	free(x->deps);
	free(x->groups);
	free(x->after_groups);
	free(x->slot);
	free(x->dependants);
	free(x->script);
	free(x);
}

bool name_valid(const char *s, size_t max)
{
	size_t n = strlen(s);
	if (n == 0 || n > max)
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_' && *s != '.' && *s != '-')
			return false;
	return true;
}

const char *dep_type_name(int t)
{
	static const char *const names[DEP__N] = {"after_ok", "after_fail", "after_any"};
	return t >= 0 && t < DEP__N ? names[t] : "?";
}

int32_t job_ram_limit_mb(const struct job *j)
{
	if (!j->ram_learned)
		return j->ram_mb;
	return j->x ? j->x->ram_limit_mb : 0;
}

int64_t job_time_limit_ms(const struct job *j)
{
	if (!j->time_learned)
		return j->time_ms;
	return j->x ? j->x->time_limit_ms : 0;
}

char *job_id(const struct job *j, char *buf, size_t len)
{
	snprintf(buf, len, "%s.%s.%lld", j->owner, j->name, (long long)j->seq);
	return buf;
}

/* Digits only, 1..max of them, value in 0..limit: the number; else -1. */
static int64_t digits_value(const char *s, size_t n, int64_t limit)
{
	int64_t v = 0;
	if (n == 0 || n > 18)
		return -1;
	for (size_t i = 0; i < n; i++) {
		if (!isdigit((unsigned char)s[i]))
			return -1;
		v = v * 10 + (s[i] - '0');
	}
	return v <= limit ? v : -1;
}

int job_ref_parse(const char *text, struct job_ref *out)
{
	size_t len = strlen(text);
	const char *slash = memrchr(text, '/', len);
	out->index = -1;
	out->id_len = len;
	if (slash) {
		size_t n = len - (size_t)(slash - text) - 1;
		int64_t idx = digits_value(slash + 1, n, INT32_MAX);
		if (idx >= 0) {
			out->index = (int32_t)idx;
			out->id_len = (size_t)(slash - text);
		}
	}
	/* The seq: the digits after the last '.', or the whole id. */
	const char *dot = memrchr(text, '.', out->id_len);
	const char *num = dot ? dot + 1 : text;
	size_t nlen = out->id_len - (size_t)(num - text);
	out->seq = digits_value(num, nlen, INT64_MAX / 2);
	if (out->seq <= 0)
		return -1;
	/* OWNER.NAME.SEQ needs an owner and a name; "12" alone is fine. */
	if (dot && (dot == text || memchr(text, '.', (size_t)(dot - text)) == NULL))
		return -1;
	return 0;
}
