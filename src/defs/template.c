/* `{{name}}` substitution for definition commands, and the joblets expression. */
#include "base/xalloc.h"
#include "base/buf.h"
#include "defs/def.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Joblet facts are known only on the node: the worker sets them in the environment. */
static const char *const env_facts[][2] = {
	{"joblet.number", "$JOBGRID_JOBLET"}, {"joblet.retrynumber", "$JOBGRID_RETRY"},
	{"job.joblet.maxretry", "$JOBGRID_MAXRETRY"}, {"joblet.maxretry", "$JOBGRID_MAXRETRY"},
	{"resource.id", "$JOBGRID_NODE"}, {"job.id", "$JOBGRID_JOB"},
};

/* One value as a single shell word: '…' with each ' written '\''. */
static void quote(struct buf *b, const char *v)
{
	buf_append(b, "'", 1);
	for (const char *p = v; *p; p++) {
		if (*p == '\'')
			buf_append(b, "'\\''", 4);
		else
			buf_append(b, p, 1);
	}
	buf_append(b, "'", 1);
}

static void put_value(struct buf *b, json_t *v)
{
	char num[64];
	if (json_is_string(v)) {
		quote(b, json_string_value(v));
	} else if (json_is_array(v)) {	/* a list: one word per item */
		size_t i;
		json_t *it;
		json_array_foreach(v, i, it) {
			if (i)
				buf_append(b, " ", 1);
			put_value(b, it);
		}
	} else if (json_is_integer(v)) {
		snprintf(num, sizeof num, "%lld", (long long)json_integer_value(v));
		buf_append(b, num, strlen(num));
	} else if (json_is_real(v)) {
		def_format_real(json_real_value(v), num, sizeof num);
		buf_append(b, num, strlen(num));
	} else {
		quote(b, json_is_true(v) ? "true" : "false");
	}
}

char *def_expand(const char *tmpl, json_t *args, const char **why, char *bad, size_t badlen)
{
	struct buf b = BUF_INIT;
	const char *p = tmpl;
	for (const char *o; (o = strstr(p, "{{")); ) {
		const char *e = strstr(o + 2, "}}");
		if (e == NULL) {
			*why = "a {{ is not closed";
			snprintf(bad, badlen, "%.40s", o);
			buf_free(&b);
			return NULL;
		}
		buf_append(&b, p, (size_t)(o - p));
		char name[200];
		const char *s = o + 2, *t = e;
		while (s < t && *s == ' ')
			s++;
		while (t > s && t[-1] == ' ')
			t--;
		snprintf(name, sizeof name, "%.*s", (int)(t - s), s);
		const char *key = strncmp(name, "jobargs.", 8) == 0 ? name + 8 : name;
		json_t *v = json_object_get(args, key);
		const char *env = NULL;
		for (size_t i = 0; i < sizeof env_facts / sizeof env_facts[0] && !v; i++)
			if (strcmp(name, env_facts[i][0]) == 0)
				env = env_facts[i][1];
		if (v)
			put_value(&b, v);
		else if (env)
			buf_append(&b, env, strlen(env));
		else {
			*why = "is neither an argument nor a fact known here";
			snprintf(bad, badlen, "%s", name);
			buf_free(&b);
			return NULL;
		}
		p = e + 2;
	}
	buf_append(&b, p, strlen(p));
	return b.data;
}

/* ---- joblets: a tiny arithmetic over integers and {{arguments}} ---------------------- */

struct expr {
	const char *p;
	json_t *args;
	const char *why;
};

static long long sum(struct expr *x);

static void spaces(struct expr *x)
{
	while (isspace((unsigned char)*x->p))
		x->p++;
}

static long long atom(struct expr *x)
{
	if (x->why)
		return 0;	/* an error is known: read no further */
	spaces(x);
	if (*x->p == '(') {
		x->p++;
		long long v = sum(x);
		spaces(x);
		if (*x->p == ')')
			x->p++;
		else if (!x->why)
			x->why = "a ( is not closed";
		return v;
	}
	if (strncmp(x->p, "{{", 2) == 0) {
		const char *e = strstr(x->p + 2, "}}");
		char name[128];
		if (e == NULL) {
			x->why = x->why ? x->why : "a {{ is not closed";
			return 0;
		}
		const char *s = x->p + 2;
		while (*s == ' ')
			s++;
		const char *t = e;
		while (t > s && t[-1] == ' ')
			t--;
		snprintf(name, sizeof name, "%.*s", (int)(t - s), s);
		x->p = e + 2;
		json_t *v = json_object_get(x->args, strncmp(name, "jobargs.", 8) == 0 ? name + 8 : name);
		if (!json_is_integer(v)) {
			x->why = x->why ? x->why : "only integer arguments may appear in joblets";
			return 0;
		}
		return json_integer_value(v);
	}
	if (isdigit((unsigned char)*x->p)) {
		long long v = 0;
		while (isdigit((unsigned char)*x->p) && v < 1000000000)
			v = v * 10 + (*x->p++ - '0');
		return v;
	}
	x->why = x->why ? x->why : "expected a number, {{argument}} or (";
	return 0;
}

static long long product(struct expr *x)
{
	long long v = atom(x);
	for (;;) {
		spaces(x);
		char op = *x->p;
		if (op != '*' && op != '/')
			return v;
		x->p++;
		long long r = atom(x);
		if (op == '/' && r == 0) {
			x->why = x->why ? x->why : "division by zero";
			return 0;
		}
		v = op == '*' ? (v > 1000000000 || r > 1000000000 ? 1000000001 : v * r) : v / r;
	}
}

static long long sum(struct expr *x)
{
	long long v = product(x);
	for (;;) {
		spaces(x);
		char op = *x->p;
		if (op != '+' && op != '-')
			return v;
		x->p++;
		long long r = product(x);
		v = op == '+' ? v + r : v - r;
	}
}

int def_eval_joblets(const char *expr, json_t *args, long long *out, const char **why)
{
	struct expr x = {expr, args, NULL};
	long long v = sum(&x);
	spaces(&x);
	if (x.why == NULL && *x.p)
		x.why = "unexpected text after the expression";
	if (x.why == NULL && (v < 1 || v > 100000))
		x.why = "the count must come out as 1..100000";
	*why = x.why;
	*out = v;
	return x.why ? -1 : 0;
}

void def_format_real(double x, char *buf, size_t len)
{
	/* The shortest text that reads back as the same double: 0.9, not 0.90000000000000002. */
	for (int prec = 1; prec <= 17; prec++) {
		snprintf(buf, len, "%.*g", prec, x);
		if (strtod(buf, NULL) == x)
			return;
	}
}
