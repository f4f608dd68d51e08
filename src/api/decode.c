/* Strict request decoding; the rules are the table in docs/API.md. */
#include "api/decode.h"
#include "base/xalloc.h"
#include "core/opts.h"
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

#define MAX_BATCH 100000

int derr_set(struct derr *e, enum api_error err, const char *field, const char *fmt, ...)
{
	char text[400];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	e->err = err;
	snprintf(e->field, sizeof e->field, "%s", field ? field : "");
	if (field && *field)
		snprintf(e->message, sizeof e->message, "%s: %s", field, text);
	else
		snprintf(e->message, sizeof e->message, "%s", text);
	return -1;
}

void job_req_free(struct job_req *r)
{
	free(r->name);
	free(r->env);
	free(r->submit_env);
	job_ext_free(r->spec.x);	/* still here unless sched_add took it */
	r->name = r->env = r->submit_env = NULL;
	r->spec.x = NULL;
}

/* The scheduling options of a job object or a patch. */
static int decode_opts(json_t *obj, const char *prefix, int64_t now, struct job_ext **x,
		       unsigned *mask, struct derr *e)
{
	struct opts_err oe;
	if (opts_read(obj, prefix, now, x, mask, &oe))
		return derr_set(e, ERR_RULE_BROKEN, oe.field, "%s", oe.rule);
	return 0;
}

char *name_from_cmd(const char *cmd)
{
	while (isspace((unsigned char)*cmd))
		cmd++;
	size_t n = strcspn(cmd, " \t\n\r;|&<>()");
	const char *base = cmd;
	for (size_t i = 0; i < n; i++)
		if (cmd[i] == '/')
			base = cmd + i + 1;
	size_t len = (size_t)(cmd + n - base);
	if (len > 128)
		len = 128;
	if (len == 0)
		return xstrdup("job");
	char *name = xstrndup(base, len);
	for (char *p = name; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '_' && *p != '.' && *p != '-')
			*p = '_';
	return name;
}

static void field_name(char *buf, size_t len, const char *prefix, const char *key)
{
	snprintf(buf, len, "%s%s", prefix ? prefix : "", key);
}

int check_fields(json_t *obj, const char *prefix, const char *const *allowed, struct derr *e)
{
	const char *key;
	json_t *val;
	json_object_foreach(obj, key, val) {
		bool ok = false;
		for (size_t i = 0; allowed[i] && !ok; i++)
			ok = strcmp(key, allowed[i]) == 0;
		if (!ok) {
			char f[160];
			field_name(f, sizeof f, prefix, key);
			return derr_set(e, ERR_UNKNOWN_FIELD, f, "unknown field");
		}
	}
	return 0;
}

int get_int(json_t *obj, const char *prefix, const char *key, int64_t min, int64_t max,
	    int64_t def, int64_t *out, struct derr *e)
{
	json_t *v = json_object_get(obj, key);
	char f[160];
	if (v == NULL) {
		*out = def;
		return 0;
	}
	json_int_t x = json_integer_value(v);
	if (json_is_integer(v) && x >= min && x <= max) {
		*out = x;
		return 0;
	}
	field_name(f, sizeof f, prefix, key);	/* only on the error path: it is hot */
	if (!json_is_integer(v))
		return derr_set(e, ERR_BAD_REQUEST, f, "must be an integer");
	return derr_set(e, ERR_RULE_BROKEN, f, "must be %lld..%lld, got %lld", (long long)min,
			(long long)max, (long long)x);
}

int get_bool(json_t *obj, const char *prefix, const char *key, bool *out, struct derr *e)
{
	json_t *v = json_object_get(obj, key);
	if (v == NULL) {
		*out = false;
		return 0;
	}
	if (!json_is_boolean(v)) {
		char f[160];
		field_name(f, sizeof f, prefix, key);
		return derr_set(e, ERR_BAD_REQUEST, f, "must be true or false");
	}
	*out = json_is_true(v);
	return 0;
}

int get_str(json_t *obj, const char *prefix, const char *key, size_t min, size_t max,
		   const char *def, const char **out, struct derr *e)
{
	json_t *v = json_object_get(obj, key);
	char f[160];
	if (v == NULL) {
		*out = def;
		return 0;
	}
	size_t n = json_is_string(v) ? json_string_length(v) : 0;
	const char *s = json_string_value(v);
	if (s && n >= min && n <= max && memchr(s, '\0', n) == NULL) {
		*out = s;
		return 0;
	}
	field_name(f, sizeof f, prefix, key);
	if (s == NULL)
		return derr_set(e, ERR_BAD_REQUEST, f, "must be a string");
	if (memchr(s, '\0', n))
		return derr_set(e, ERR_RULE_BROKEN, f, "must not contain NUL characters");
	return derr_set(e, ERR_RULE_BROKEN, f, "must be %zu..%zu bytes long, got %zu", min, max, n);
}

static const char *const remove_fields[] = {"ids", "force", NULL};

int decode_remove(json_t *body, json_t **ids, bool *force, struct derr *e)
{
	if (!json_is_object(body))
		return derr_set(e, ERR_BAD_REQUEST, "", "the body must be {\"ids\": [ID…]}");
	if (check_fields(body, "", remove_fields, e) || get_bool(body, "", "force", force, e))
		return -1;
	*ids = json_object_get(body, "ids");
	if (!json_is_array(*ids) || json_array_size(*ids) == 0 ||
	    json_array_size(*ids) > MAX_REMOVE)
		return derr_set(e, json_is_array(*ids) ? ERR_RULE_BROKEN : ERR_BAD_REQUEST, "ids",
				"must be an array of 1..%d job ids", MAX_REMOVE);
	size_t i;
	json_t *v;
	json_array_foreach(*ids, i, v) {
		if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > 512 ||
		    strlen(json_string_value(v)) != json_string_length(v)) {
			char f[40];
			snprintf(f, sizeof f, "ids[%zu]", i);
			return derr_set(e, ERR_RULE_BROKEN, f, "must be a job id of 1..512 bytes");
		}
	}
	return 0;
}

static bool env_name_valid(const char *s)
{
	if (!isalpha((unsigned char)*s) && *s != '_')
		return false;
	for (; *s; s++)
		if (!isalnum((unsigned char)*s) && *s != '_')
			return false;
	return true;
}

/* An object of NAME: "value" at obj[key] into compact JSON text with sorted keys (*out,
 * malloc'd; NULL when absent or empty). Bounds: variables, each value, all together. Its
 * errors name a variable, never show a value: a captured environment may hold secrets. */
static int decode_env(json_t *obj, const char *prefix, const char *key, size_t max_vars,
		      size_t max_value, size_t max_total, char **out, struct derr *e)
{
	json_t *env = json_object_get(obj, key);
	char f[200];
	size_t total = 0;
	*out = NULL;
	if (env == NULL)
		return 0;
	field_name(f, sizeof f, prefix, key);
	if (!json_is_object(env))
		return derr_set(e, ERR_BAD_REQUEST, f, "must be an object of NAME: \"value\"");
	if (json_object_size(env) > max_vars)
		return derr_set(e, ERR_RULE_BROKEN, f, "at most %zu variables, got %zu", max_vars,
				json_object_size(env));
	const char *k;
	json_t *v;
	json_object_foreach(env, k, v) {
		char fk[460];
		snprintf(fk, sizeof fk, "%s.%.256s", f, k);
		if (strlen(k) > 256 || !env_name_valid(k))
			return derr_set(e, ERR_RULE_BROKEN, fk,
					"a variable name is [A-Za-z_][A-Za-z0-9_]* up to 256 chars");
		if (!json_is_string(v) || strlen(json_string_value(v)) != json_string_length(v) ||
		    json_string_length(v) > max_value)
			return derr_set(e, ERR_RULE_BROKEN, fk,
					"must be a string without NUL, up to %zu bytes", max_value);
		total += strlen(k) + json_string_length(v) + 2;
	}
	if (total > max_total)
		return derr_set(e, ERR_RULE_BROKEN, f, "%zu bytes in all, more than %zu", total,
				max_total);
	if (json_object_size(env) > 0)
		*out = json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS);
	return 0;
}

static const char *const job_fields[] = {
	"cmd", "name", "group", "req_group", "cwd", "env", "cores", "ram_mb", "time_ms", "gpus",
	"priority", "retries", "lost_retries", "retry_delay_ms", "no_restart", "joblets", "unique",
	"constraints", "avoid", "limits", "after_ok", "after_fail", "after_any", "dep_groups",
	"after_groups", "not_before", "timeslot", "kill_at_slot_end", "max_running", "override",
	"retry_permanent", "output_limit", "submit_env", NULL,
};

int decode_job(json_t *obj, const char *prefix, const char *owner, int64_t now,
	       struct job_req *out, struct derr *e)
{
	memset(out, 0, sizeof *out);
	struct job_spec *s = &out->spec;
	char f[160];
	if (!json_is_object(obj))
		return derr_set(e, ERR_BAD_REQUEST, prefix, "a job must be a JSON object");
	if (check_fields(obj, prefix, job_fields, e))
		return -1;
	const char *name = NULL;
	int64_t v[10] = {0};
	if (get_str(obj, prefix, "cmd", 1, 65536, NULL, &s->cmd, e) ||
	    get_str(obj, prefix, "name", 1, 128, NULL, &name, e) ||
	    get_str(obj, prefix, "group", 0, 256, "", &s->group, e) ||
	    get_str(obj, prefix, "req_group", 0, 256, "", &s->req_group, e) ||
	    get_str(obj, prefix, "cwd", 1, 4096, "/tmp", &s->cwd, e) ||
	    get_int(obj, prefix, "cores", 0, 4096, 1, &v[0], e) ||
	    get_int(obj, prefix, "ram_mb", 0, 16777216, 0, &v[1], e) ||
	    get_int(obj, prefix, "time_ms", 0, 31536000000LL, 0, &v[2], e) ||
	    get_int(obj, prefix, "gpus", 0, 256, 0, &v[3], e) ||
	    get_int(obj, prefix, "priority", 0, 255, 0, &v[4], e) ||
	    get_int(obj, prefix, "retries", 0, 1000, 0, &v[5], e) ||
	    get_int(obj, prefix, "lost_retries", 0, 1000, 3, &v[6], e) ||
	    get_int(obj, prefix, "retry_delay_ms", 0, 86400000, 0, &v[7], e) ||
	    get_int(obj, prefix, "joblets", 1, 100000, 1, &v[8], e) ||
	    get_bool(obj, prefix, "no_restart", &s->no_restart, e) ||
	    get_bool(obj, prefix, "unique", &s->unique, e))
		return -1;
	if (s->cmd == NULL) {
		field_name(f, sizeof f, prefix, "cmd");
		return derr_set(e, ERR_BAD_REQUEST, f, "is required");
	}
	s->cwd_default = json_object_get(obj, "cwd") == NULL;
	if (s->cwd[0] != '/') {
		field_name(f, sizeof f, prefix, "cwd");
		return derr_set(e, ERR_RULE_BROKEN, f, "must be an absolute path");
	}
	if (name && !name_valid(name, 128)) {
		field_name(f, sizeof f, prefix, "name");
		return derr_set(e, ERR_RULE_BROKEN, f,
				"may hold only letters, digits, '_', '.' and '-'");
	}
	if (decode_env(obj, prefix, "env", 256, 65536, SIZE_MAX, &out->env, e) ||
	    decode_env(obj, prefix, "submit_env", SUBMIT_ENV_MAX_VARS, SUBMIT_ENV_MAX_BYTES,
		       SUBMIT_ENV_MAX_BYTES, &out->submit_env, e) ||
	    decode_opts(obj, prefix, now, &s->x, NULL, e))
		return -1;
	/* Learned requirements need to know what the user left out. */
	if (s->x == NULL && s->req_group[0])
		s->x = xcalloc(1, sizeof *s->x);
	if (s->x) {
		s->x->ram_given = json_object_get(obj, "ram_mb") != NULL;
		s->x->time_given = json_object_get(obj, "time_ms") != NULL;
	}
	out->name = name ? xstrdup(name) : name_from_cmd(s->cmd);
	s->name = out->name;
	s->env = out->env;
	s->submit_env = out->submit_env;
	s->owner = owner;
	s->cores = (int32_t)v[0];
	s->ram_mb = (int32_t)v[1];
	s->time_ms = v[2];
	s->gpus = (int32_t)v[3];
	s->priority = (int32_t)v[4];
	s->retries = (int32_t)v[5];
	s->lost_retries = (int32_t)v[6];
	s->retry_delay_ms = v[7];
	s->njoblets = (int32_t)v[8];
	return 0;
}

int decode_job_batch(json_t *body, const char *owner, int64_t now, struct job_req **out,
		     size_t *n, struct derr *e)
{
	*out = NULL;
	*n = 0;
	if (json_is_object(body)) {
		*out = xcalloc(1, sizeof **out);
		if (decode_job(body, "", owner, now, *out, e)) {
			job_req_free(*out);
			free(*out);
			*out = NULL;
			return -1;
		}
		*n = 1;
		return 0;
	}
	if (!json_is_array(body))
		return derr_set(e, ERR_BAD_REQUEST, "", "the body must be a job object or an array of them");
	size_t len = json_array_size(body);
	if (len == 0 || len > MAX_BATCH)
		return derr_set(e, ERR_RULE_BROKEN, "", "a batch holds 1..%d jobs, got %zu",
				MAX_BATCH, len);
	struct job_req *reqs = xcalloc(len, sizeof *reqs);
	for (size_t i = 0; i < len; i++) {
		char prefix[32];
		snprintf(prefix, sizeof prefix, "[%zu].", i);
		if (decode_job(json_array_get(body, i), prefix, owner, now, &reqs[i], e)) {
			for (size_t k = 0; k <= i; k++)
				job_req_free(&reqs[k]);
			free(reqs);
			return -1;
		}
	}
	*out = reqs;
	*n = len;
	return 0;
}

static const char *const patch_fields[] = {
	"priority", "cores", "ram_mb", "time_ms", "gpus", "retries", "lost_retries",
	"retry_delay_ms", "constraints", "avoid", "limits", "after_ok", "after_fail", "after_any",
	"dep_groups", "after_groups", "not_before", "timeslot", "kill_at_slot_end", "max_running",
	"override", "retry_permanent", "output_limit", NULL,
};

int decode_job_patch(json_t *body, int64_t now, struct job_spec *mod, unsigned *mask,
		     struct derr *e)
{
	int64_t v[8] = {0};
	if (!json_is_object(body))
		return derr_set(e, ERR_BAD_REQUEST, "", "the body must be a JSON object");
	if (check_fields(body, "", patch_fields, e))
		return -1;
	if (json_object_size(body) == 0)
		return derr_set(e, ERR_RULE_BROKEN, "", "nothing to change: give at least one field");
	if (get_int(body, "", "priority", 0, 255, -1, &v[0], e) ||
	    get_int(body, "", "cores", 0, 4096, -1, &v[1], e) ||
	    get_int(body, "", "ram_mb", 0, 16777216, -1, &v[2], e) ||
	    get_int(body, "", "time_ms", 0, 31536000000LL, -1, &v[3], e) ||
	    get_int(body, "", "gpus", 0, 256, -1, &v[4], e) ||
	    get_int(body, "", "retries", 0, 1000, -1, &v[5], e) ||
	    get_int(body, "", "lost_retries", 0, 1000, -1, &v[6], e) ||
	    get_int(body, "", "retry_delay_ms", 0, 86400000, -1, &v[7], e))
		return -1;
	memset(mod, 0, sizeof *mod);
	if (decode_opts(body, "", now, &mod->x, mask, e))
		return -1;
	mod->priority = (int32_t)v[0];
	mod->cores = (int32_t)v[1];
	mod->ram_mb = (int32_t)v[2];
	mod->time_ms = v[3];
	mod->gpus = (int32_t)v[4];
	mod->retries = (int32_t)v[5];
	mod->lost_retries = (int32_t)v[6];
	mod->retry_delay_ms = v[7];
	return 0;
}

static const char *const finish_fields[] = {
	"attempt", "exit_code", "signal", "fail_reason", "started_at_ms", "ended_at_ms",
	"peak_ram_mb", "cpu_ms", "message", "worker_stop", "not_started", "wall_ms",
	"output_bytes", "output_dropped", "run_as", NULL,
};

int decode_finish(json_t *obj, const char *prefix, bool need_attempt, struct finish *out,
		  struct derr *e)
{
	int64_t v[10] = {0};
	const char *reason = NULL;
	char f[160];
	memset(out, 0, sizeof *out);
	if (!json_is_object(obj))
		return derr_set(e, ERR_BAD_REQUEST, prefix, "a report must be a JSON object");
	if (check_fields(obj, prefix, finish_fields, e) ||
	    get_int(obj, prefix, "attempt", need_attempt ? 1 : 0, INT64_MAX, 0, &v[0], e) ||
	    get_int(obj, prefix, "signal", 0, 128, 0, &v[1], e) ||
	    get_int(obj, prefix, "started_at_ms", 0, INT64_MAX / 2, 0, &v[2], e) ||
	    get_int(obj, prefix, "ended_at_ms", 0, INT64_MAX / 2, 0, &v[3], e) ||
	    get_int(obj, prefix, "peak_ram_mb", 0, INT32_MAX, 0, &v[4], e) ||
	    get_int(obj, prefix, "cpu_ms", 0, INT64_MAX / 2, 0, &v[5], e) ||
	    get_int(obj, prefix, "wall_ms", 0, INT64_MAX / 2, -1, &v[7], e) ||
	    get_int(obj, prefix, "output_bytes", 0, INT64_MAX / 2, 0, &v[8], e) ||
	    get_int(obj, prefix, "output_dropped", 0, INT64_MAX / 2, 0, &v[9], e) ||
	    get_str(obj, prefix, "fail_reason", 0, 32, "", &reason, e) ||
	    get_str(obj, prefix, "message", 0, 4096, NULL, &out->message, e) ||
	    get_str(obj, prefix, "run_as", 0, 256, NULL, &out->run_as, e) ||
	    get_bool(obj, prefix, "worker_stop", &out->worker_stop, e) ||
	    get_bool(obj, prefix, "not_started", &out->not_started, e))
		return -1;
	if (need_attempt && v[0] == 0) {
		field_name(f, sizeof f, prefix, "attempt");
		return derr_set(e, ERR_BAD_REQUEST, f, "is required");
	}
	json_t *ec = json_object_get(obj, "exit_code");
	if (ec && !json_is_null(ec)) {
		if (get_int(obj, prefix, "exit_code", 0, 255, 0, &v[6], e))
			return -1;
		out->has_exit = true;
		out->exit_code = (int32_t)v[6];
	}
	int fr = fail_reason_parse(reason);
	if (fr < 0 || fr == FR_LOST) {
		field_name(f, sizeof f, prefix, "fail_reason");
		return derr_set(e, ERR_RULE_BROKEN, f,
				"must be \"\" or one of exit, notfound, permission, cwd, start, ram,"
				" time, signal, resources, cancelled");
	}
	out->attempt = v[0];
	out->signal = (int32_t)v[1];
	out->started_at = v[2];
	out->ended_at = v[3];
	out->peak_ram_mb = (int32_t)v[4];
	out->cpu_ms = v[5];
	out->wall_ms = v[7];
	out->output_bytes = v[8];
	out->output_dropped = v[9];
	out->fail_reason = fr;
	return 0;
}

/* A whole number in decimal, 0..max, nothing else (no sign, space or exponent). */
static int uint_text(const char *s, int64_t max, int64_t *out)
{
	int64_t v = 0;
	if (s == NULL || *s == '\0')
		return -1;
	for (; *s; s++) {
		if (!isdigit((unsigned char)*s) || v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	return 0;
}

int decode_chunk_params(const char *offset, const char *at_ms, int64_t *off, int64_t *at,
			struct derr *e)
{
	*at = 0;
	if (offset == NULL)
		return derr_set(e, ERR_BAD_REQUEST, "offset", "is required: where the chunk"
				" starts in the attempt's output, in bytes");
	if (uint_text(offset, INT64_MAX / 2, off))
		return derr_set(e, ERR_BAD_REQUEST, "offset", "must be a whole number of bytes,"
				" got '%.40s'", offset);
	if (at_ms && uint_text(at_ms, INT64_MAX / 2, at))
		return derr_set(e, ERR_BAD_REQUEST, "at_ms", "must be a whole number of ms since"
				" the epoch, got '%.40s'", at_ms);
	return 0;
}
