/* Reading and checking definition files with libfyaml; see def.h. */
#include "defs/def-int.h"
#include "base/xalloc.h"
#include <ctype.h>
#include <libfyaml.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const type_names[ARG__N] = {"integer", "real", "string", "boolean", "list"};

const char *arg_type_name(int t)
{
	return t >= 0 && t < ARG__N ? type_names[t] : "?";
}

void def_errors_free(struct def_errors *e)
{
	for (size_t i = 0; i < e->n; i++)
		free(e->msgs[i]);
	free(e->msgs);
	memset(e, 0, sizeof *e);
}

struct def_pos def_node_pos(struct fy_node *n)
{
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	return m ? (struct def_pos){m->line + 1, m->column + 1} : (struct def_pos){1, 1};
}

void def_problem(struct reader *r, struct fy_node *at, const char *fmt, ...)
{
	char text[600];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(text, sizeof text, fmt, ap);
	va_end(ap);
	struct def_pos pos = def_node_pos(at);
	struct def_errors *e = r->errs;
	if (e->n == e->cap) {
		e->cap = e->cap ? e->cap * 2 : 8;
		e->msgs = xrealloc(e->msgs, e->cap, sizeof *e->msgs);
	}
	e->msgs[e->n++] = xasprintf("%s:%d:%d: %s", r->file, pos.line, pos.col, text);
}

#define problem def_problem	/* its short name in this file */

/* ---- names and facts --------------------------------------------------------------- */

bool def_name_valid(const char *s)
{
	size_t n = strlen(s), seg = 0;
	if (n == 0 || n > 200 || s[0] == '/' || s[n - 1] == '/')
		return false;
	for (const char *p = s; *p; p++) {
		if (*p == '/') {
			if (seg == 0)
				return false;	/* "a//b" */
			seg = 0;
		} else if (isalnum((unsigned char)*p) || *p == '_' || *p == '-' ||
			   (*p == '.' && seg > 0)) {
			seg++;
		} else {
			return false;	/* a segment may not start with '.': no ".." */
		}
	}
	return true;
}

static const char *const known_facts[] = {
	"job.id", "job.name", "job.owner", "job.priority", "job.cores", "job.ram_mb", "job.gpus",
	"job.group", "job.joblet.maxretry", "joblet.maxretry", "joblet.timeout", "joblet.number",
	"joblet.retrynumber", "joblet.retry_permanent", "resource.id", "job.output_limit", NULL,
};

bool def_fact_known(const char *name)
{
	for (size_t i = 0; known_facts[i]; i++)
		if (strcmp(name, known_facts[i]) == 0)
			return true;
	return strncmp(name, "jobargs.", 8) == 0 && name[8] != '\0';
}

/* ---- scalars ------------------------------------------------------------------------ */

static const char *scalar(struct fy_node *n, size_t *len)
{
	if (n == NULL || fy_node_get_type(n) != FYNT_SCALAR)
		return NULL;
	return fy_node_get_scalar(n, len);
}

/* A scalar as an owned NUL-terminated string, or NULL if not a scalar. */
static char *scalar_dup(struct fy_node *n)
{
	size_t len;
	const char *s = scalar(n, &len);
	return s ? xstrndup(s, len) : NULL;
}

char *def_scalar_dup(struct fy_node *n)
{
	return scalar_dup(n);
}

static bool plain(struct fy_node *n)
{
	return fy_node_get_style(n) == FYNS_PLAIN;
}

/* A YAML value as JSON of the given type; NULL when it is not of that type. */
static json_t *typed_value(struct fy_node *n, int type)
{
	char *s = scalar_dup(n), *end = NULL;
	json_t *v = NULL;
	if (type == ARG_LIST) {
		if (fy_node_get_type(n) != FYNT_SEQUENCE)
			goto out;
		v = json_array();
		struct fy_node *it;
		void *iter = NULL;
		while ((it = fy_node_sequence_iterate(n, &iter))) {
			char *x = scalar_dup(it);
			if (x == NULL) {
				json_decref(v);
				v = NULL;
				goto out;
			}
			json_array_append_new(v, json_string(x));
			free(x);
		}
		goto out;
	}
	if (s == NULL)
		goto out;
	switch (type) {
	case ARG_INTEGER: {
		long long x = strtoll(s, &end, 10);
		if (*s && *end == '\0' && plain(n))
			v = json_integer(x);
		break;
	}
	case ARG_REAL: {
		double x = strtod(s, &end);
		if (*s && *end == '\0' && isfinite(x) && plain(n))
			v = json_real(x);
		break;
	}
	case ARG_BOOLEAN:
		if (plain(n) && (strcmp(s, "true") == 0 || strcmp(s, "false") == 0))
			v = json_boolean(strcmp(s, "true") == 0);
		break;
	default:
		v = json_string(s);	/* NULL if not valid UTF-8 */
	}
out:
	free(s);
	return v;
}

/* A fact's value: a number, a boolean or a string as written (plain scalars typed). */
static json_t *fact_value(struct fy_node *n)
{
	json_t *v;
	if (fy_node_get_type(n) != FYNT_SCALAR)
		return NULL;
	if ((v = typed_value(n, ARG_INTEGER)) || (v = typed_value(n, ARG_REAL)) ||
	    (v = typed_value(n, ARG_BOOLEAN)))
		return v;
	return typed_value(n, ARG_STRING);
}

/* ---- the parts of a file ------------------------------------------------------------ */

static bool key_in(const char *k, const char *const *allowed)
{
	for (size_t i = 0; allowed[i]; i++)
		if (strcmp(k, allowed[i]) == 0)
			return true;
	return false;
}

static double num(json_t *v)
{
	return json_is_integer(v) ? (double)json_integer_value(v) : json_real_value(v);
}

static void read_limit(struct reader *r, struct def_arg *a, struct fy_node *v, const char *key,
		       bool *has, double *out)
{
	json_t *x = a->type == ARG_INTEGER || a->type == ARG_REAL ? typed_value(v, a->type) : NULL;
	if (a->type != ARG_INTEGER && a->type != ARG_REAL)
		problem(r, v, "args.%s.%s: only integer and real arguments have a %s", a->name, key, key);
	else if (x == NULL)
		problem(r, v, "args.%s.%s: must be %s %s", a->name, key,
			a->type == ARG_INTEGER ? "an" : "a", arg_type_name(a->type));
	else {
		*has = true;
		*out = num(x);
	}
	json_decref(x);
}

/* Does default/choice value v meet a's limits and choices? */
static void check_value(struct reader *r, struct fy_node *at, const struct def_arg *a,
			json_t *v, const char *what)
{
	if (a->has_min && num(v) < a->min)
		problem(r, at, "args.%s.%s: below min %g", a->name, what, a->min);
	if (a->has_max && num(v) > a->max)
		problem(r, at, "args.%s.%s: above max %g", a->name, what, a->max);
	if (a->choices && strcmp(what, "default") == 0) {
		bool found = false;
		size_t i;
		json_t *c;
		json_array_foreach(a->choices, i, c)
			found = found || json_equal(c, v);
		if (!found)
			problem(r, at, "args.%s.default: not one of its choices", a->name);
	}
}

static void read_arg(struct reader *r, struct def_arg *a, struct fy_node *keyn,
		     struct fy_node *spec)
{
	static const char *const keys[] = {"type", "default", "description", "min", "max",
					   "choices", "required", NULL};
	a->description = xstrdup("");
	a->type = ARG_STRING;
	if (fy_node_get_type(spec) != FYNT_MAPPING) {
		problem(r, keyn, "args.%s: must be a mapping with type, default, description", a->name);
		return;
	}
	struct fy_node *t = fy_node_mapping_lookup_by_string(spec, "type", FY_NT);
	char *ts = t ? scalar_dup(t) : NULL;
	if (t == NULL)
		problem(r, keyn, "args.%s.type: is required (integer, real, string, boolean, list)",
			a->name);
	else {
		int k = ARG__N;
		for (int i = 0; ts && i < ARG__N; i++)
			if (strcmp(ts, type_names[i]) == 0)
				k = i;
		if (k == ARG__N)
			problem(r, t, "args.%s.type: must be integer, real, string, boolean or list",
				a->name);
		else
			a->type = k;
	}
	free(ts);
	struct fy_node_pair *p;
	void *iter = NULL;
	struct fy_node *defn = NULL, *choicesn = NULL;
	while ((p = fy_node_mapping_iterate(spec, &iter))) {
		struct fy_node *kn = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		char *k = scalar_dup(kn);
		if (k == NULL || !key_in(k, keys))
			problem(r, kn, "args.%s: unknown key %s (type, default, description, min, max,"
				" choices, required)", a->name, k ? k : "(not a scalar)");
		else if (strcmp(k, "description") == 0) {
			char *d = scalar_dup(v);
			if (d == NULL)
				problem(r, kn, "args.%s.description: must be text", a->name);
			free(a->description);
			a->description = d ? d : xstrdup("");
		} else if (strcmp(k, "default") == 0) {
			defn = v;
		} else if (strcmp(k, "choices") == 0) {
			choicesn = v;
		} else if (strcmp(k, "required") == 0) {
			json_t *b = typed_value(v, ARG_BOOLEAN);
			if (b == NULL)
				problem(r, kn, "args.%s.required: must be true or false", a->name);
			a->required = json_is_true(b);
			json_decref(b);
		} else if (strcmp(k, "min") == 0) {
			read_limit(r, a, v, "min", &a->has_min, &a->min);
		} else if (strcmp(k, "max") == 0) {
			read_limit(r, a, v, "max", &a->has_max, &a->max);
		}
		free(k);
	}
	if (choicesn) {
		if (fy_node_get_type(choicesn) != FYNT_SEQUENCE || a->type == ARG_LIST) {
			problem(r, choicesn, "args.%s.choices: must be a list of %s values", a->name,
				arg_type_name(a->type));
		} else {
			a->choices = json_array();
			struct fy_node *it;
			void *ci = NULL;
			while ((it = fy_node_sequence_iterate(choicesn, &ci))) {
				json_t *c = typed_value(it, a->type);
				if (c == NULL)
					problem(r, it, "args.%s.choices: each must be %s", a->name,
						arg_type_name(a->type));
				else
					json_array_append_new(a->choices, c);
			}
		}
	}
	if (a->has_min && a->has_max && a->min > a->max)
		problem(r, keyn, "args.%s: min %g is above max %g", a->name, a->min, a->max);
	if (defn) {
		a->def = typed_value(defn, a->type);
		if (a->def == NULL)
			problem(r, fy_node_get_type(defn) == FYNT_SCALAR ? defn : keyn,
				"args.%s.default: must be %s %s", a->name,
				a->type == ARG_INTEGER ? "an" : "a", arg_type_name(a->type));
		else
			check_value(r, defn, a, a->def, "default");
	}
}

static void read_args(struct reader *r, struct definition *d, struct fy_node *keyn,
		      struct fy_node *v)
{
	if (fy_node_get_type(v) != FYNT_MAPPING) {
		problem(r, keyn, "args: must be a mapping of argument names");
		return;
	}
	size_t n = (size_t)fy_node_mapping_item_count(v);
	if (n == 0)
		return;
	d->args = xcalloc(n, sizeof *d->args);
	struct fy_node_pair *p;
	void *iter = NULL;
	while ((p = fy_node_mapping_iterate(v, &iter))) {
		struct fy_node *kn = fy_node_pair_key(p);
		char *name = scalar_dup(kn);
		if (name == NULL || !isalpha((unsigned char)name[0]) || strlen(name) > 64 ||
		    strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_") !=
			    strlen(name)) {
			problem(r, kn, "args: %s is not a name ([A-Za-z][A-Za-z0-9_]*, ≤ 64)",
				name ? name : "(not a scalar)");
			free(name);
			continue;
		}
		struct def_arg *a = &d->args[d->nargs++];
		a->name = name;
		read_arg(r, a, kn, fy_node_pair_value(p));
	}
}

static void read_facts(struct reader *r, struct definition *d, struct fy_node *keyn,
		       struct fy_node *v)
{
	if (fy_node_get_type(v) != FYNT_MAPPING) {
		problem(r, keyn, "facts: must be a mapping of fact names to values");
		return;
	}
	size_t n = (size_t)fy_node_mapping_item_count(v);
	if (n == 0)
		return;
	d->facts = xcalloc(n, sizeof *d->facts);
	struct fy_node_pair *p;
	void *iter = NULL;
	while ((p = fy_node_mapping_iterate(v, &iter))) {
		struct fy_node *kn = fy_node_pair_key(p), *vn = fy_node_pair_value(p);
		char *name = scalar_dup(kn);
		json_t *val = fact_value(vn);
		if (name == NULL || strlen(name) > 128 || strchr(name, ' ')) {
			problem(r, kn, "facts: %s is not a fact name", name ? name : "(not a scalar)");
		} else if (val == NULL) {
			problem(r, kn, "facts.%s: must be a number, true/false or text", name);
		} else if ((strcmp(name, "joblet.maxretry") == 0 ||
			    strcmp(name, "job.joblet.maxretry") == 0 || strcmp(name, "job.priority") == 0 ||
			    strcmp(name, "job.cores") == 0 || strcmp(name, "job.ram_mb") == 0 ||
			    strcmp(name, "job.gpus") == 0 || strcmp(name, "joblet.timeout") == 0 ||
			    strcmp(name, "job.output_limit") == 0) &&
			   (!json_is_integer(val) || json_integer_value(val) < 0)) {
			problem(r, vn, "facts.%s: must be a whole number ≥ 0%s", name,
				strcmp(name, "joblet.timeout") == 0	     ? " (seconds)"
				: strcmp(name, "job.output_limit") == 0 ? " (bytes)"
									 : "");
		} else if (strcmp(name, "joblet.retry_permanent") == 0 && !json_is_boolean(val)) {
			problem(r, vn, "facts.%s: must be true or false", name);
		} else {
			d->facts[d->nfacts].name = name;
			d->facts[d->nfacts++].value = val;
			continue;
		}
		free(name);
		json_decref(val);
	}
}

/* ---- templates and expressions ------------------------------------------------------ */

static const struct def_arg *find_arg(const struct definition *d, const char *name)
{
	if (strncmp(name, "jobargs.", 8) == 0)
		name += 8;
	for (size_t i = 0; i < d->nargs; i++)
		if (strcmp(d->args[i].name, name) == 0)
			return &d->args[i];
	return NULL;
}

static bool fact_declared(const struct definition *d, const char *name)
{
	for (size_t i = 0; i < d->nfacts; i++)
		if (strcmp(d->facts[i].name, name) == 0)
			return true;
	return false;
}

/* Every {{name}} in text must name an argument or a fact. */
static void check_refs(struct reader *r, const struct definition *d, struct fy_node *at,
		       const char *what, const char *text)
{
	for (const char *p = strstr(text, "{{"); p; p = strstr(p, "{{")) {
		const char *e = strstr(p + 2, "}}");
		if (e == NULL) {
			problem(r, at, "%s: a {{ is not closed", what);
			return;
		}
		char name[200];
		size_t n = (size_t)(e - p - 2);
		snprintf(name, sizeof name, "%.*s", (int)(n < sizeof name ? n : sizeof name - 1), p + 2);
		char *s = name;
		while (*s == ' ')
			s++;
		for (char *t = s + strlen(s); t > s && t[-1] == ' ';)
			*--t = '\0';
		if (!find_arg(d, s) && !def_fact_known(s) && !fact_declared(d, s))
			problem(r, at, "%s: {{%s}} is neither an argument nor a fact", what, s);
		p = e + 2;
	}
}

static void check_joblets(struct reader *r, const struct definition *d, struct fy_node *at)
{
	/* Evaluate with every integer argument at its default (or 1) to check the form. */
	json_t *args = json_object();
	for (size_t i = 0; i < d->nargs; i++)
		if (d->args[i].type == ARG_INTEGER)
			json_object_set_new(args, d->args[i].name,
					    d->args[i].def ? json_incref(d->args[i].def) : json_integer(1));
	long long n;
	const char *why;
	if (def_eval_joblets(d->joblets, args, &n, &why))
		problem(r, at, "joblets: %s", why);
	json_decref(args);
}

/* A YAML syntax error from libfyaml (its line and column count from 1) under our file name. */
static void add_yaml_error(struct reader *r, int line, int col, const char *msg)
{
	struct def_errors *errs = r->errs;
	if (errs->n == errs->cap) {
		errs->cap = errs->cap ? errs->cap * 2 : 8;
		errs->msgs = xrealloc(errs->msgs, errs->cap, sizeof *errs->msgs);
	}
	errs->msgs[errs->n++] = xasprintf("%s:%d:%d: YAML: %s", r->file, line, col,
					  msg ? msg : "not valid YAML");
}

/* ---- script ------------------------------------------------------------------------- */

/* Is s a file name rather than Lua text: path characters only? No Lua chunk is. */
static bool path_like(const char *s)
{
	return *s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
			    "_./-") == strlen(s);
}

/* ref beside the YAML file: "defs/a.yaml" and "lib/x.lua" give "defs/lib/x.lua". New. */
static char *beside(const char *file, const char *ref)
{
	const char *slash = strrchr(file, '/');
	return slash ? xasprintf("%.*s/%s", (int)(slash - file), file, ref) : xstrdup(ref);
}

/* `script: NAME.lua` (text, of path characters): the file's text from r->scripts. */
static void read_script_file(struct reader *r, struct definition *d, struct fy_node *v,
			     const char *text)
{
	const char *ref = text;
	while (strncmp(ref, "./", 2) == 0)
		ref += 2;
	size_t n = strlen(ref);
	if (n < 5 || strcmp(ref + n - 4, ".lua") != 0) {
		problem(r, v, "script: %s: a script file must be a .lua file (Lua text goes in a"
			" block scalar: script: |)", text);
		return;
	}
	if (!def_name_valid(ref)) {
		problem(r, v, "script: %s: must be a file next to the definition or below it: a"
			" relative path without '..' (at most 200 characters)", text);
		return;
	}
	d->script_ref = xstrdup(ref);
	d->script_file = beside(r->file, ref);
	json_t *lua = json_object_get(r->scripts, ref);
	if (!json_is_string(lua))
		problem(r, v, "script: %s: no such file %s (it is read beside the definition and"
			" deployed with it)", text, d->script_file);
	else if (strlen(json_string_value(lua)) != json_string_length(lua))
		problem(r, v, "script: %s: a NUL byte is not text", d->script_file);
	else {
		d->script = xstrdup(json_string_value(lua));
		d->script_line = 1;
	}
}

/* `script:`: Lua text in a block scalar, its lines counted in the YAML (libfyaml marks a
 * block scalar's first content line), or a file name. */
static void read_script(struct reader *r, struct definition *d, struct fy_node *v, char *text)
{
	enum fy_node_style st = fy_node_get_style(v);
	if (st != FYNS_LITERAL && st != FYNS_FOLDED && path_like(text)) {
		read_script_file(r, d, v, text);
		free(text);
		return;
	}
	d->script = text;
	d->script_line = def_node_pos(v).line;
}

/* Every script file sent must be the one `script:` names. */
static void check_scripts_sent(struct reader *r, const struct definition *d)
{
	const char *k;
	json_t *v;
	json_object_foreach(r->scripts, k, v)
		if (d->script_ref == NULL || strcmp(k, d->script_ref) != 0)
			problem(r, NULL, "scripts: %s was sent with the definition, but script: does"
				" not name it", k);
}

const char *def_script_chunk(const struct definition *d)
{
	return d->script_ref ? d->script_ref : d->name;
}

/* ---- the file ----------------------------------------------------------------------- */

static void read_top(struct reader *r, struct definition *d, struct fy_node *root,
		     const char *name_from_path)
{
	static const char *const keys[] = {"name", "description", "groups", "args", "facts",
					   "joblets", "command", "script", NULL};
	struct fy_node *cmdn = NULL, *jobletsn = NULL, *scriptn = NULL;
	struct fy_node_pair *p;
	void *iter = NULL;
	while ((p = fy_node_mapping_iterate(root, &iter))) {
		struct fy_node *kn = fy_node_pair_key(p), *v = fy_node_pair_value(p);
		char *k = scalar_dup(kn);
		if (k && def_net_key(k)) {
			def_read_net(r, d, k, kn, v);
		} else if (k == NULL || !key_in(k, keys)) {
			problem(r, kn, "unknown key %s (name, description, groups, args, facts,"
				" joblets, command, script, schedule, predecessors, successors,"
				" successors_on_failure, dependencies)", k ? k : "(not a scalar)");
		} else if (strcmp(k, "args") == 0) {
			read_args(r, d, kn, v);
		} else if (strcmp(k, "facts") == 0) {
			read_facts(r, d, kn, v);
		} else if (strcmp(k, "groups") == 0) {
			json_t *g = typed_value(v, ARG_LIST);
			if (g == NULL)
				problem(r, kn, "groups: must be a list of names");
			size_t i;
			json_t *it;
			d->groups = xcalloc(json_array_size(g) + 1, sizeof *d->groups);
			json_array_foreach(g, i, it) d->groups[d->ngroups++] = xstrdup(json_string_value(it));
			json_decref(g);
		} else {
			char *s = scalar_dup(v);
			if (s == NULL)
				problem(r, kn, "%s: must be text", k);
			else if (strcmp(k, "name") == 0) {
				if (!def_name_valid(s))
					problem(r, v, "name: %s is not a definition name (segments of"
						" [A-Za-z0-9_.-] joined by '/')", s);
				free(d->name);
				d->name = s;
				s = NULL;
			} else if (strcmp(k, "description") == 0) {
				free(d->description);
				d->description = s;
				s = NULL;
			} else if (strcmp(k, "joblets") == 0) {
				free(d->joblets);
				d->joblets = s;
				jobletsn = v;
				s = NULL;
			} else if (strcmp(k, "command") == 0) {
				d->command = s;
				cmdn = v;
				s = NULL;
			} else {
				scriptn = v;
				read_script(r, d, v, s);
				s = NULL;
			}
			free(s);
		}
		free(k);
	}
	if (d->name == NULL) {
		if (name_from_path && def_name_valid(name_from_path))
			d->name = xstrdup(name_from_path);
		else
			problem(r, NULL, "no name: give name: or deploy it under a usable path");
	}
	if (d->name)
		def_check_net(r, d, root);
	if ((d->command == NULL) == (scriptn == NULL))
		problem(r, NULL, "give exactly one of command and script");
	check_scripts_sent(r, d);
	if (d->command)
		check_refs(r, d, cmdn, "command", d->command);
	if (jobletsn) {
		check_refs(r, d, jobletsn, "joblets", d->joblets);
		check_joblets(r, d, jobletsn);
	}
}

/* Read in->text; with partial, keep what was read even when problems were found. */
static struct definition *read_input(const struct def_input *in, bool partial,
				     struct def_errors *errs)
{
	struct reader r = {in->file, errs, errs->n, in->scripts};
	/* Text only: libfyaml 0.7.12 loops forever on "%\xf2" (an invalid byte in a
	 * directive), which the fuzzer found; jansson's UTF-8 check keeps such input out. */
	json_t *utf8 = json_stringn(in->text, in->len);
	if (utf8 == NULL || memchr(in->text, '\0', in->len)) {
		/* A NUL byte crashes libfyaml 0.7.12 ("? c:\t\0"): text has none. */
		problem(&r, NULL, utf8 ? "a NUL byte is not text" : "not UTF-8 text");
		json_decref(utf8);
		return NULL;
	}
	json_decref(utf8);
	struct fy_diag_cfg dc;
	fy_diag_cfg_default(&dc);
	dc.fp = NULL;
	dc.output_fn = NULL;
	dc.colorize = false;
	struct fy_diag *diag = fy_diag_create(&dc);
	/* Collected, not printed: printing the source line around an error crashes libfyaml
	 * 0.7.12 on some input (tests/fuzz/corpus/defs/regress-libfyaml-crash-diag). */
	fy_diag_set_collect_errors(diag, true);
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET | FYPCF_DISABLE_BUFFERING, .diag = diag};
	struct fy_document *doc = fy_document_build_from_string(&cfg, in->text, in->len);
	struct definition *d = NULL;
	if (doc == NULL) {
		void *it = NULL;
		struct fy_diag_error *de = fy_diag_errors_iterate(diag, &it);
		if (de)
			add_yaml_error(&r, de->line, de->column, de->msg);
		else
			problem(&r, NULL, "YAML: the file could not be read");
		goto out;
	}
	struct fy_node *root = fy_document_root(doc);
	if (root == NULL || fy_node_get_type(root) != FYNT_MAPPING) {
		problem(&r, root, "the file must be a mapping (name:, args:, command: …)");
		goto out;
	}
	d = xcalloc(1, sizeof *d);
	d->file = xstrdup(in->file);
	d->description = xstrdup("");
	d->joblets = xstrdup("1");
	net_spec_init(&d->net);
	read_top(&r, d, root, in->name_from_path);
out:
	fy_document_destroy(doc);
	fy_diag_destroy(diag);
	if (d && !partial && errs->n > r.errs_before) {
		def_free(d);
		d = NULL;
	}
	return d;
}

struct definition *def_read_input(const struct def_input *in, struct def_errors *errs)
{
	return read_input(in, false, errs);
}

struct definition *def_read_partial(const struct def_input *in, struct def_errors *errs)
{
	return read_input(in, true, errs);
}

struct definition *def_read(const char *file, const char *text, size_t len,
			    const char *name_from_path, struct def_errors *errs)
{
	struct def_input in = {file, text, len, name_from_path, NULL};
	return read_input(&in, false, errs);
}

struct def_input def_input_json(json_t *f)
{
	json_t *src = json_object_get(f, "source");
	return (struct def_input){json_string_value(json_object_get(f, "file")),
				  json_string_value(src), json_string_length(src),
				  json_string_value(json_object_get(f, "name")),
				  json_object_get(f, "scripts")};
}

struct def_pos def_edge_pos(const struct definition *d, enum net_edge edge, const char *name)
{
	size_t n;
	char *const *list = net_spec_list(&d->net, edge, &n);
	for (size_t i = 0; i < n && d->edge_pos[edge]; i++)
		if (strcmp(list[i], name) == 0)
			return d->edge_pos[edge][i];
	return (struct def_pos){1, 1};
}

void def_free(struct definition *d)
{
	if (d == NULL)
		return;
	for (size_t i = 0; i < d->nargs; i++) {
		free(d->args[i].name);
		free(d->args[i].description);
		json_decref(d->args[i].def);
		json_decref(d->args[i].choices);
	}
	for (size_t i = 0; i < d->nfacts; i++) {
		free(d->facts[i].name);
		json_decref(d->facts[i].value);
	}
	for (size_t i = 0; i < d->ngroups; i++)
		free(d->groups[i]);
	free(d->groups);
	free(d->args);
	free(d->facts);
	free(d->name);
	free(d->description);
	free(d->file);
	free(d->joblets);
	free(d->command);
	free(d->script);
	free(d->script_ref);
	free(d->script_file);
	for (int e = 0; e < NET_EDGE__N; e++)
		free(d->edge_pos[e]);
	net_spec_free(&d->net);
	free(d);
}
