/* Definitions: deploy (a set, all or nothing), list, describe, undeploy, run. Every version
 * deployed is kept, in memory and in the store; a run expands the version current when it
 * starts, so redeploying never changes a job already made. A run of a script definition
 * first runs its job_started in a script process (scripts.c). */
#include "api/call.h"
#include "api/defcheck.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/batch.h"
#include "server/network.h"
#include "server/registry.h"
#include "server/scripts.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include "api/decode.h"
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 1000
#define MAX_SOURCE ((size_t)1 << 20)

struct def_version {
	int32_t version;
	struct definition *d;		/* owned */
	char *source;			/* owned: the text as deployed */
	const char *owner;		/* interned */
	int64_t deployed_at;
};

struct def_entry {
	char *name;			/* owned */
	struct def_version *v;		/* owned array, oldest first */
	size_t nv;
	bool active;			/* false once undeployed (history stays) */
	struct def_entry *hnext;	/* same-hash chain in srv->defs */
};

static struct def_entry *find(struct server *srv, const char *name)
{
	struct def_entry *e = imap_get(&srv->defs, imap_hash_str(name));
	while (e && strcmp(e->name, name) != 0)
		e = e->hnext;
	return e;
}

static struct def_entry *find_or_add(struct server *srv, const char *name)
{
	struct def_entry *e = find(srv, name);
	if (e)
		return e;
	e = xcalloc(1, sizeof *e);
	e->name = xstrdup(name);
	uint64_t h = imap_hash_str(name);
	e->hnext = imap_get(&srv->defs, h);
	imap_put(&srv->defs, h, e);
	return e;
}

static void add_version(struct def_entry *e, int32_t version, struct definition *d,
			const char *source, const char *owner, int64_t at)
{
	e->v = xrealloc(e->v, e->nv + 1, sizeof *e->v);
	e->v[e->nv++] = (struct def_version){version, d, xstrdup(source), intern(owner), at};
}

void defs_load(void *arg, const struct store_def_row *row)
{
	struct server *srv = arg;
	struct def_errors errs = {0};
	const char *name = row->name;
	int32_t version = row->version;
	json_t *scripts = row->scripts ? json_loads(row->scripts, 0, NULL) : NULL;
	struct def_input in = {row->file, row->source, strlen(row->source), name, scripts};
	struct definition *d = def_read_input(&in, &errs);
	json_decref(scripts);
	if (d == NULL) {
		/* Deployed by an older reader that allowed it: keep the history, not the run. */
		log_warn("definition %s version %d no longer reads: %s", name, version,
			 errs.n ? errs.msgs[0] : "?");
		def_errors_free(&errs);
		return;
	}
	struct def_entry *e = find_or_add(srv, name);
	add_version(e, version, d, row->source, row->owner, row->deployed_at);
	e->active = row->active;
}

void defs_free_all(struct server *srv)
{
	for (size_t i = 0; i < srv->defs.cap; i++) {
		for (struct def_entry *e = srv->defs.slots[i].val, *next; e; e = next) {
			next = e->hnext;
			for (size_t k = 0; k < e->nv; k++) {
				def_free(e->v[k].d);
				free(e->v[k].source);
			}
			free(e->v);
			free(e->name);
			free(e);
		}
	}
	imap_free(&srv->defs);
}

/* ---- deploy ------------------------------------------------------------------------ */

/* problems: a JSON array of "FILE:LINE:COL: text" (taken). */
static void reply_problems(struct call *c, json_t *problems)
{
	char msg[700];
	size_t n = json_array_size(problems);
	snprintf(msg, sizeof msg, "%zu problem%s; nothing was deployed: %s", n, n == 1 ? "" : "s",
		 json_string_value(json_array_get(problems, 0)));
	call_reply(c, 422, json_pack("{s:{s:s, s:s, s:s}, s:o}", "error", "code",
				     "invalid_definition", "message", msg, "field", "files",
				     "problems", problems));
}

static const char *const file_fields[] = {"file", "name", "source", "scripts", NULL};

/* Names this deploy cannot have: defs[i]'s differs from the URL's (PUT), or an earlier
 * file of the set has it too. */
static void check_name(struct call *c, struct definition *const *defs, size_t i, json_t *all)
{
	if (defs[i] == NULL || defs[i]->name == NULL)
		return;
	/* PUT /v1/definitions/{name}: the file may not name another definition. */
	if (c->params[0] && strcmp(defs[i]->name, c->params[0]) != 0)
		json_array_append_new(all, json_sprintf("%s:1:1: name %s differs from %s, the name in"
							" the URL", defs[i]->file, defs[i]->name,
							c->params[0]));
	for (size_t k = 0; k < i; k++)
		if (defs[k] && defs[k]->name && strcmp(defs[k]->name, defs[i]->name) == 0)
			json_array_append_new(all, json_sprintf("%s:1:1: name %s is also defined by"
								" %s", defs[i]->file, defs[i]->name,
								defs[k]->file));
}

/* The checker process read the set (defcheck.c): its YAML and script problems, and which
 * files it parsed. Those files are read here too, which is safe now (reading is
 * deterministic and runs no Lua), even when they have problems, so that the checks across
 * files (names, cycles, unknown edges) see them and every problem is reported at once.
 * Deployed only when nothing is wrong anywhere. */
static void deploy_checked(struct call *c, json_t *checked)
{
	struct server *srv = c->srv;
	json_t *files = json_object_get(c->body, "files"), *f;
	json_t *parsed = json_object_get(checked, "parsed");
	size_t n = json_array_size(files), i;
	struct def_errors errs = {0};
	struct definition **defs = xcalloc(n, sizeof *defs);
	const char **names = xcalloc(n, sizeof *names);
	json_t *all = json_deep_copy(json_object_get(checked, "problems"));
	bool clean = json_array_size(all) == 0;
	json_array_foreach(files, i, f) {
		struct def_input in = def_input_json(f);
		if (json_is_true(json_array_get(parsed, i)))
			defs[i] = def_read_partial(&in, &errs);
		names[i] = defs[i] ? defs[i]->name
		       : in.name_from_path && def_name_valid(in.name_from_path) ? in.name_from_path
										 : NULL;
		check_name(c, defs, i, all);
	}
	for (i = 0; clean && i < errs.n; i++)	/* not expected: the checker read the same */
		json_array_append_new(all, json_string(errs.msgs[i]));
	deploy_check_network(srv, defs, names, n, all);
	if (json_array_size(all)) {
		reply_problems(c, all);
		all = NULL;
		goto out;
	}
	json_t *deployed = json_array();
	int64_t now = server_now();
	struct batch *b = server_batch(srv);
	json_array_foreach(files, i, f) {
		if (defs[i] == NULL)
			continue;	/* not reached: a file that did not read left a problem */
		struct def_entry *en = find_or_add(srv, defs[i]->name);
		int32_t version = en->nv ? en->v[en->nv - 1].version + 1 : 1;
		const char *source = json_string_value(json_object_get(f, "source"));
		json_t *scripts = json_object_get(f, "scripts");
		struct rec_def *r = &store_batch_add(&b->sb, REC_DEF)->u.def;
		r->name = xstrdup(en->name);
		r->file = xstrdup(defs[i]->file);
		r->source = xstrdup(source);
		r->scripts = json_object_size(scripts) ? json_dumps(scripts, JSON_COMPACT) : NULL;
		r->owner = c->owner;
		r->deployed_at = now;
		r->version = version;
		add_version(en, version, defs[i], source, c->owner, now);
		en->active = true;
		json_array_append_new(deployed, json_pack("{s:s, s:i, s:s}", "name", en->name,
							   "version", version, "file", defs[i]->file));
	}
	network_deployed(srv, defs, n);
	for (i = 0; i < n; i++)
		defs[i] = NULL;	/* kept by the registry */
	server_mark_dirty(srv);
	call_reply(c, 201, json_pack("{s:o}", "deployed", deployed));
out:
	json_decref(all);
	for (i = 0; i < n; i++)
		def_free(defs[i]);
	free(defs);
	free(names);
	def_errors_free(&errs);
}

#define MAX_SCRIPTS 16

/* scripts, when given, is {"NAME.lua": "Lua text"} of at most MAX_SCRIPTS files: 0, or -1
 * after replying 400 naming field (e.g. "files[2].scripts"). Which names it may hold is
 * the definition reader's to say (a problem at the file), not the request's. */
static int check_scripts(struct call *c, json_t *scripts, const char *field)
{
	const char *k;
	json_t *v;
	bool ok = scripts == NULL || (json_is_object(scripts) &&
				      json_object_size(scripts) <= MAX_SCRIPTS);
	json_object_foreach(scripts, k, v) ok = ok && strlen(k) > 0 && strlen(k) <= 4096 &&
						 json_is_string(v) &&
						 json_string_length(v) <= MAX_SOURCE;
	if (!ok)
		call_error(c, 400, "bad_request", field, "%s: must be an object of at most %d"
			   " {\"NAME.lua\": \"Lua text\"} (each at most 1 MB)", field, MAX_SCRIPTS);
	return ok ? 0 : -1;
}

/* POST /v1/definitions {"files": [{"file", "name" (from the path), "source", "scripts"?}…]} */
void api_defs_deploy(struct call *c)
{
	json_t *files = json_object_get(c->body, "files"), *f;
	struct derr e;
	size_t n = json_array_size(files), i;
	if (!json_is_object(c->body) || !json_is_array(files) || n == 0 || n > MAX_FILES) {
		call_error(c, 400, "bad_request", "files", "files: must be an array of 1..%d"
			   " {\"file\", \"name\", \"source\"}", MAX_FILES);
		return;
	}
	if (check_fields(c->body, "", (const char *const[]){"files", NULL}, &e)) {
		call_error(c, e.status, e.code, e.field, "%s", e.message);
		return;
	}
	json_array_foreach(files, i, f) {
		char prefix[48];
		snprintf(prefix, sizeof prefix, "files[%zu].", i);
		const char *file = json_string_value(json_object_get(f, "file"));
		json_t *name = json_object_get(f, "name"), *src = json_object_get(f, "source");
		if (!json_is_object(f) || check_fields(f, prefix, file_fields, &e) || file == NULL ||
		    strlen(file) > 4096 || (name && !json_is_string(name)) || !json_is_string(src) ||
		    json_string_length(src) > MAX_SOURCE) {
			call_error(c, 400, "bad_request", "files",
				   "%sfile and source are required strings (source ≤ 1 MB)", prefix);
			return;
		}
		snprintf(prefix, sizeof prefix, "files[%zu].scripts", i);
		if (check_scripts(c, json_object_get(f, "scripts"), prefix))
			return;
	}
	defcheck_start(c, deploy_checked);
}

static const char *const put_fields[] = {"source", "file", "scripts", NULL};

/* PUT /v1/definitions/{name} {"source", "file"?, "scripts"?}: deploy one definition under
 * that name, a new version when it exists; the same checks as a deploy. */
void api_def_put(struct call *c)
{
	struct derr e;
	json_t *src = json_object_get(c->body, "source"), *file = json_object_get(c->body, "file");
	json_t *scripts = json_object_get(c->body, "scripts");
	if (!json_is_object(c->body) || check_fields(c->body, "", put_fields, &e)) {
		call_error(c, 400, "bad_request", json_is_object(c->body) ? e.field : "", "%s",
			   json_is_object(c->body) ? e.message : "the body must be a JSON object");
		return;
	}
	if (!json_is_string(src) || json_string_length(src) > MAX_SOURCE ||
	    (file && (!json_is_string(file) || json_string_length(file) > 4096))) {
		call_error(c, 400, "bad_request", json_is_string(src) ? "file" : "source",
			   "source: a required string of at most 1 MB; file: an optional string");
		return;
	}
	if (check_scripts(c, scripts, "scripts"))
		return;
	if (!def_name_valid(c->params[0])) {
		call_error(c, 400, "bad_request", "name", "name: %s is not a definition name"
			   " (segments of [A-Za-z0-9_.-] joined by '/')", c->params[0]);
		return;
	}
	/* The checker reads the body text: make it the deploy body of one file. */
	json_t *body = json_pack("{s:[{s:s?, s:s, s:O, s:O*}]}", "files", "file",
				 json_string_value(file), "name", c->params[0], "source", src,
				 "scripts", scripts);
	if (file == NULL) {
		char *f = xasprintf("%s.yaml", c->params[0]);
		json_object_set_new(json_array_get(json_object_get(body, "files"), 0), "file",
				    json_string(f));
		free(f);
	}
	json_decref(c->body);
	c->body = body;
	free(c->body_copy);
	c->body_copy = json_dumps(body, JSON_COMPACT);
	c->body_text = c->body_copy;
	defcheck_start(c, deploy_checked);
}

/* ---- list, describe, undeploy ------------------------------------------------------- */

static json_t *summary(const struct def_entry *e)
{
	const struct def_version *v = &e->v[e->nv - 1];
	json_t *groups = json_array();
	for (size_t i = 0; i < v->d->ngroups; i++)
		json_array_append_new(groups, json_string(v->d->groups[i]));
	return json_pack("{s:s, s:s, s:o, s:i, s:s}", "name", e->name, "description",
			 v->d->description, "groups", groups, "version", v->version, "kind",
			 v->d->command ? "command" : "script");
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

void api_defs_list(struct call *c)
{
	struct server *srv = c->srv;
	size_t n = 0;
	json_t **items = xcalloc(srv->defs.len + 1, sizeof *items);
	for (size_t i = 0; i < srv->defs.cap; i++)
		for (struct def_entry *e = srv->defs.slots[i].val; e; e = e->hnext)
			if (e->active && e->nv) {
				items = xrealloc(items, n + 1, sizeof *items);
				items[n++] = summary(e);
			}
	qsort(items, n, sizeof *items, by_name);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	free(items);
	call_reply(c, 200, json_pack("{s:o}", "definitions", arr));
}

static struct def_entry *def_param(struct call *c)
{
	struct def_entry *e = find(c->srv, c->params[0]);
	if (e == NULL || !e->active || e->nv == 0) {
		call_error(c, 404, "not_found", "name", "no definition %s", c->params[0]);
		return NULL;
	}
	return e;
}

static json_t *arg_json(const struct def_arg *a)
{
	return json_pack("{s:s, s:s, s:s, s:O?, s:O?, s:o, s:o, s:b}", "name", a->name, "type",
			 arg_type_name(a->type), "description", a->description, "default", a->def,
			 "choices", a->choices, "min", a->has_min ? json_real(a->min) : json_null(),
			 "max", a->has_max ? json_real(a->max) : json_null(), "required", a->required);
}

void api_def_get(struct call *c)
{
	struct def_entry *e = def_param(c);
	if (e == NULL)
		return;
	const struct definition *d = e->v[e->nv - 1].d;
	json_t *o = summary(e), *args = json_array(), *facts = json_object(), *hist = json_array();
	for (size_t i = 0; i < d->nargs; i++)
		json_array_append_new(args, arg_json(&d->args[i]));
	for (size_t i = 0; i < d->nfacts; i++)
		json_object_set(facts, d->facts[i].name, d->facts[i].value);
	for (size_t i = 0; i < e->nv; i++)
		json_array_append_new(hist, json_pack("{s:i, s:o, s:s, s:s, s:s?}", "version",
						      e->v[i].version, "deployed_at",
						      render_time(e->v[i].deployed_at), "owner",
						      e->v[i].owner, "file", e->v[i].d->file,
						      "script_file", e->v[i].d->script_file));
	json_object_set_new(o, "args", args);
	json_object_set_new(o, "facts", facts);
	json_object_set_new(o, "joblets", json_string(d->joblets));
	json_object_set_new(o, "command", d->command ? json_string(d->command) : json_null());
	json_object_set_new(o, "file", json_string(d->file));
	json_object_set_new(o, "script_file", d->script_file ? json_string(d->script_file) : json_null());
	json_object_set_new(o, "versions", hist);
	call_reply(c, 200, o);
}

void api_def_undeploy(struct call *c)
{
	struct def_entry *e = def_param(c);
	if (e == NULL)
		return;
	e->active = false;
	store_batch_add(&server_batch(c->srv)->sb, REC_DEF_UNDEPLOY)->u.def.name = xstrdup(e->name);
	network_undeployed(c->srv, e->name);
	server_mark_dirty(c->srv);
	call_reply(c, 200, json_pack("{s:s, s:i}", "undeployed", e->name, "versions", (int)e->nv));
}

/* ---- run ---------------------------------------------------------------------------- */

/* A run argument as the CLI sends it (text) or as typed JSON, into its declared type. */
static json_t *coerce(const struct def_arg *a, json_t *v)
{
	const char *s = json_string_value(v);
	char *end;
	switch (a->type) {
	case ARG_INTEGER:
		if (json_is_integer(v))
			return json_incref(v);
		if (s && *s) {
			long long x = strtoll(s, &end, 10);
			if (*end == '\0')
				return json_integer(x);
		}
		return NULL;
	case ARG_REAL:
		if (json_is_number(v))
			return json_real(json_number_value(v));
		if (s && *s) {
			double x = strtod(s, &end);
			if (*end == '\0')
				return json_real(x);
		}
		return NULL;
	case ARG_BOOLEAN:
		if (json_is_boolean(v))
			return json_incref(v);
		if (s && (strcmp(s, "true") == 0 || strcmp(s, "yes") == 0 || strcmp(s, "1") == 0))
			return json_true();
		if (s && (strcmp(s, "false") == 0 || strcmp(s, "no") == 0 || strcmp(s, "0") == 0))
			return json_false();
		return NULL;
	case ARG_LIST: {
		if (json_is_array(v))
			return json_incref(v);
		if (s == NULL)
			return NULL;
		json_t *l = json_array();
		for (const char *p = s;;) {	/* comma-separated */
			const char *q = strchr(p, ',');
			size_t len = q ? (size_t)(q - p) : strlen(p);
			json_array_append_new(l, json_stringn(p, len));
			if (q == NULL)
				break;
			p = q + 1;
		}
		return l;
	}
	default:
		return s ? json_incref(v) : NULL;
	}
}

static int check_arg(struct call *c, const struct def_arg *a, json_t *v)
{
	double x = json_is_number(v) ? json_number_value(v) : 0;
	if (a->has_min && json_is_number(v) && x < a->min) {
		call_error(c, 422, "bad_request", a->name, "%s: must be at least %g, got %g", a->name,
			   a->min, x);
		return -1;
	}
	if (a->has_max && json_is_number(v) && x > a->max) {
		call_error(c, 422, "bad_request", a->name, "%s: must be at most %g, got %g", a->name,
			   a->max, x);
		return -1;
	}
	bool ok = a->choices == NULL;
	size_t i;
	json_t *ch;
	json_array_foreach(a->choices, i, ch) ok = ok || json_equal(ch, v);
	if (!ok) {
		char *list = json_dumps(a->choices, JSON_COMPACT);
		call_error(c, 422, "bad_request", a->name, "%s: must be one of %s", a->name, list);
		free(list);
		return -1;
	}
	return 0;
}

/* The run's arguments: given ones coerced and checked, defaults for the rest. */
static json_t *run_args(struct call *c, const struct definition *d, json_t *given)
{
	const char *k;
	json_t *v, *out = json_object();
	json_object_foreach(given, k, v) {
		bool known = false;
		for (size_t i = 0; i < d->nargs; i++)
			known = known || strcmp(d->args[i].name, k) == 0;
		if (!known) {
			call_error(c, 422, "bad_request", k, "%s: %s has no such argument", k, d->name);
			goto bad;
		}
	}
	for (size_t i = 0; i < d->nargs; i++) {
		const struct def_arg *a = &d->args[i];
		json_t *g = json_object_get(given, a->name), *x;
		if (g == NULL && a->def == NULL) {	/* required, or simply without a default */
			call_error(c, 422, "bad_request", a->name, "%s: is required (no default)",
				   a->name);
			goto bad;
		}
		x = g ? coerce(a, g) : json_incref(a->def);
		if (x == NULL) {
			call_error(c, 422, "bad_request", a->name, "%s: must be %s %s", a->name,
				   a->type == ARG_INTEGER ? "an" : "a", arg_type_name(a->type));
			goto bad;
		}
		json_object_set_new(out, a->name, x);
		if (check_arg(c, a, x))
			goto bad;
	}
	return out;
bad:
	json_decref(out);
	return NULL;
}

/* A fact's value: the run's (over) beats the definition's; NULL if neither gives it. */
static json_t *fact_value(const struct definition *d, json_t *over, const char *name)
{
	json_t *v = json_object_get(over, name);
	for (size_t i = 0; v == NULL && i < d->nfacts; i++)
		if (strcmp(d->facts[i].name, name) == 0)
			v = d->facts[i].value;
	return v;
}

/* A boolean fact, given as true/false or as the text "true"/"false" (from `jobgrid run`). */
static bool fact_bool(const struct definition *d, json_t *over, const char *name)
{
	json_t *v = fact_value(d, over, name);
	return json_is_true(v) || (json_is_string(v) && strcmp(json_string_value(v), "true") == 0);
}

static int64_t fact_int(const struct definition *d, json_t *over, const char *name, int64_t def)
{
	json_t *v = fact_value(d, over, name);
	if (json_is_string(v))
		return strtoll(json_string_value(v), NULL, 10);
	return json_is_integer(v) ? json_integer_value(v) : def;
}

int64_t defs_fact_retries(const struct definition *d, json_t *over)
{
	/* job.joblet.maxretry (the name scripts see) beats joblet.maxretry when both are given
	 * at the same level; a level given beats the definition's. */
	json_t *v = json_object_get(over, "job.joblet.maxretry");
	if (v == NULL)
		v = json_object_get(over, "joblet.maxretry");
	if (json_is_integer(v))
		return json_integer_value(v);
	if (json_is_string(v))	/* as the CLI sends it: checked to be digits */
		return strtoll(json_string_value(v), NULL, 10);
	return fact_int(d, NULL, "joblet.maxretry", fact_int(d, NULL, "job.joblet.maxretry", 0));
}

const struct definition *defs_current(struct server *srv, const char *name, int32_t *version,
				      const char **owner)
{
	struct def_entry *e = find(srv, name);
	if (e == NULL || !e->active || e->nv == 0)
		return NULL;
	*version = e->v[e->nv - 1].version;
	*owner = e->v[e->nv - 1].owner;
	return e->v[e->nv - 1].d;
}

size_t defs_active(struct server *srv, struct definition ***out)
{
	size_t n = 0;
	*out = NULL;
	for (size_t i = 0; i < srv->defs.cap; i++)
		for (struct def_entry *e = srv->defs.slots[i].val; e; e = e->hnext)
			if (e->active && e->nv) {
				*out = xrealloc(*out, n + 1, sizeof **out);
				(*out)[n++] = e->v[e->nv - 1].d;
			}
	return n;
}

json_t *defs_default_args(const struct definition *d, const char **why)
{
	json_t *args = json_object();
	for (size_t i = 0; i < d->nargs; i++) {
		if (d->args[i].def == NULL) {
			*why = "an argument has no default, and nobody gave it";
			json_decref(args);
			return NULL;
		}
		json_object_set(args, d->args[i].name, d->args[i].def);
	}
	return args;
}

const struct definition *defs_find_version(struct server *srv, const char *name,
					   int32_t version)
{
	struct def_entry *e = name ? find(srv, name) : NULL;
	for (size_t i = 0; e && i < e->nv; i++)
		if (e->v[i].version == version)
			return e->v[i].d;
	return NULL;
}

/* Environment of the run: JOBGRID_ARG_<NAME> for each argument, as text. */
static char *run_env(json_t *args)
{
	json_t *env = json_object(), *v;
	const char *k;
	json_object_foreach(args, k, v) {
		char name[128];
		snprintf(name, sizeof name, "JOBGRID_ARG_%s", k);
		if (json_is_string(v)) {
			json_object_set(env, name, v);
		} else if (json_is_real(v)) {
			char num[40];
			def_format_real(json_real_value(v), num, sizeof num);
			json_object_set_new(env, name, json_string(num));
		} else {
			char *t = json_dumps(v, JSON_ENCODE_ANY | JSON_COMPACT);
			json_object_set_new(env, name, json_string(t));
			free(t);
		}
	}
	char *text = json_object_size(env) ? json_dumps(env, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
	json_decref(env);
	return text;
}

/* Facts that change how a run is scheduled; any other fact given at run time must be one
 * the definition declares (scripts read them). */
static const char *const run_facts[] = {
	"joblet.maxretry", "job.joblet.maxretry", "joblet.timeout", "job.priority", "job.cores",
	"job.ram_mb", "job.gpus", "job.output_limit", NULL,
};
/* The same for true/false facts. */
static const char *const run_bool_facts[] = {"joblet.retry_permanent", NULL};

static int check_facts(struct call *c, const struct definition *d, json_t *facts)
{
	const char *k;
	json_t *v;
	json_object_foreach(facts, k, v) {
		bool sched = false, flag = false, declared = false;
		for (size_t i = 0; run_facts[i]; i++)
			sched = sched || strcmp(k, run_facts[i]) == 0;
		for (size_t i = 0; run_bool_facts[i]; i++)
			flag = flag || strcmp(k, run_bool_facts[i]) == 0;
		for (size_t i = 0; i < d->nfacts; i++)
			declared = declared || strcmp(k, d->facts[i].name) == 0;
		if (!sched && !flag && !declared) {
			call_error(c, 422, "bad_request", k, "facts.%s: not a fact %s can be given"
				   " (joblet.maxretry, joblet.timeout, joblet.retry_permanent,"
				   " job.priority, job.cores, job.ram_mb, job.gpus, job.output_limit,"
				   " or one the definition declares)", k, d->name);
			return -1;
		}
		if (flag && !json_is_boolean(v) &&
		    !(json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
					    strcmp(json_string_value(v), "false") == 0))) {
			call_error(c, 422, "bad_request", k, "facts.%s: must be true or false", k);
			return -1;
		}
		if (sched && !json_is_integer(v) &&
		    !(json_is_string(v) && json_string_length(v) > 0 &&
		      strspn(json_string_value(v), "0123456789") == json_string_length(v))) {
			call_error(c, 422, "bad_request", k, "facts.%s: must be a whole number", k);
			return -1;
		}
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
			call_error(c, 422, "bad_request", k, "facts.%s: must be text, a number or"
				   " true/false", k);
			return -1;
		}
	}
	return 0;
}

struct job *defs_create_job(struct server *srv, const char *owner, const struct definition *d,
			    json_t *args, json_t *facts, const char *cmd, long long njoblets,
			    int64_t seq, const char *cwd, char *script, const char **bad)
{
	struct job_spec sp = {
		/* The definition's first group is the job's report group (wr's RepGroup). */
		.seq = seq, .owner = owner, .name = d->name, .group = d->ngroups ? d->groups[0] : "",
		.req_group = "",
		.cwd = cwd && cwd[0] == '/' ? cwd : "/tmp", .cmd = cmd, .lost_retries = 3,
		.njoblets = (int32_t)njoblets,
		.retries = (int32_t)defs_fact_retries(d, facts),
		.time_ms = fact_int(d, facts, "joblet.timeout", 0) * 1000,
		.priority = (int32_t)fact_int(d, facts, "job.priority", 0),
		.cores = (int32_t)fact_int(d, facts, "job.cores", 1),
		.ram_mb = (int32_t)fact_int(d, facts, "job.ram_mb", 0),
		.gpus = (int32_t)fact_int(d, facts, "job.gpus", 0),
	};
	int64_t output_limit = fact_int(d, facts, "job.output_limit", -1);
	*bad = sp.retries < 0 || sp.retries > 1000 ? "joblet.maxretry: must be 0..1000"
	       : sp.priority < 0 || sp.priority > 255 ? "job.priority: must be 0..255"
	       : sp.cores < 0 || sp.cores > 1000000 ? "job.cores: must be 0..1000000"
	       : sp.ram_mb < 0 ? "job.ram_mb: must not be negative"
	       : sp.gpus < 0 || sp.gpus > 10000 ? "job.gpus: must be 0..10000"
	       : sp.time_ms < 0 ? "joblet.timeout: must not be negative"
	       : output_limit < -1 || output_limit > OUTPUT_LIMIT_MAX
		       ? "job.output_limit: must be 0..1099511627776 bytes (1 TiB)"
	       : njoblets < 0 || njoblets > 100000 ? "joblets: must be 0..100000" : NULL;
	if (*bad) {
		free(script);
		return NULL;
	}
	char *env = run_env(args);
	sp.env = env;
	bool retry_permanent = fact_bool(d, facts, "joblet.retry_permanent");
	if (script || retry_permanent || output_limit >= 0)
		sp.x = xcalloc(1, sizeof *sp.x);
	if (script)
		sp.x->script = script;
	if (sp.x)
		sp.x->retry_permanent = retry_permanent;
	if (output_limit >= 0) {
		sp.x->has_output_limit = true;
		sp.x->output_limit = output_limit;
	}
	struct job *j = sched_add(&srv->sched, &sp, server_now());
	free(env);
	return j;
}

struct job *defs_make_job(struct call *c, const struct definition *d, int32_t version,
			  json_t *args, json_t *facts, const char *cmd, long long njoblets,
			  int64_t seq, const char *cwd, char *script)
{
	const char *bad;
	struct job *j = defs_create_job(c->srv, c->owner, d, args, facts, cmd, njoblets, seq, cwd,
					script, &bad);
	if (j == NULL) {
		call_error(c, 422, "bad_request", "facts", "%s", bad);
		return NULL;
	}
	char id[400];
	call_reply(c, 201, json_pack("{s:s, s:I, s:s, s:i, s:I}", "id", job_id(j, id, sizeof id),
				     "seq", (json_int_t)j->seq, "definition", d->name, "version",
				     version, "joblets", (json_int_t)njoblets));
	return j;
}

/* A run's command job: the template expanded with args. NULL with *bad (a static text or
 * buf) when the template or the joblets expression does not work out. */
char *defs_expand_run(const struct definition *d, json_t *args, long long *njoblets, char *buf,
		      size_t len, const char **field)
{
	const char *why;
	char bad[128];
	char *cmd = def_expand(d->command, args, &why, bad, sizeof bad);
	if (cmd == NULL || def_eval_joblets(d->joblets, args, njoblets, &why)) {
		*field = cmd ? "joblets" : "command";
		snprintf(buf, len, "%s: %s%s%s", *field, cmd ? "" : bad, cmd ? "" : " ", why);
		free(cmd);
		return NULL;
	}
	return cmd;
}

/* The state kept with a command run: its definition version. malloc'd JSON text. */
char *defs_run_state(const struct definition *d, int32_t version)
{
	json_t *st = json_pack("{s:s, s:i}", "definition", d->name, "version", version);
	char *text = json_dumps(st, JSON_COMPACT);
	json_decref(st);
	return text;
}

static const char *const run_fields[] = {"args", "facts", "cwd", NULL};

/* The run-time layer of the network settings (dependencies.mode=deep …) taken out of the
 * facts. Returns the other facts (new), or NULL after replying with an error. */
static json_t *net_overrides(struct call *c, json_t *facts, struct net_settings *over)
{
	json_t *plain = json_object(), *v;
	const char *k;
	json_object_foreach(facts, k, v) {
		const char *why;
		if (!net_settings_key(k)) {
			json_object_set(plain, k, v);
		} else if (!json_is_string(v) && !json_is_boolean(v)) {
			call_error(c, 422, "bad_request", k, "%s: must be text", k);
			json_decref(plain);
			return NULL;
		} else if (net_settings_set(over, k, json_is_string(v) ? json_string_value(v)
							: json_is_true(v) ? "true" : "false", &why)) {
			call_error(c, 422, "bad_request", k, "%s: %s", k, why);
			json_decref(plain);
			return NULL;
		}
	}
	return plain;
}

/* POST /v1/definitions/{name}/runs {"args": {…}, "facts": {…}, "cwd"} */
void api_def_run(struct call *c)
{
	struct derr e;
	struct def_entry *en = def_param(c);
	if (en == NULL)
		return;
	const struct def_version *ver = &en->v[en->nv - 1];
	const struct definition *d = ver->d;
	json_t *body = c->body ? c->body : json_object();
	json_t *given = json_object_get(body, "args"), *facts = json_object_get(body, "facts");
	if (c->body == NULL)
		c->body = body;
	if (!json_is_object(body) || check_fields(body, "", run_fields, &e)) {
		call_error(c, 400, "bad_request", json_is_object(body) ? e.field : "",
			   "%s", json_is_object(body) ? e.message : "the body must be a JSON object");
		return;
	}
	if ((given && !json_is_object(given)) || (facts && !json_is_object(facts))) {
		call_error(c, 400, "bad_request", "args", "args and facts must be objects");
		return;
	}
	const char *cwd = json_string_value(json_object_get(body, "cwd"));
	struct net_settings over = {0};
	json_t *plain = net_overrides(c, facts, &over);
	if (plain == NULL)
		return;
	json_t *args = check_facts(c, d, plain) ? NULL : run_args(c, d, given);
	if (args && !network_run_by_hand(c, d, ver->version, args, plain, &over, cwd))
		defs_start_run(c, d, ver->version, args, plain, cwd);
	json_decref(args);
	json_decref(plain);
}

void defs_start_run(struct call *c, const struct definition *d, int32_t version, json_t *args,
		    json_t *facts, const char *cwd)
{
	if (d->script) {
		scripts_start_run(c, c->srv, d, version, c->owner, args, facts, cwd, 0);
		return;
	}
	char why[300];
	const char *field;
	long long njoblets;
	char *cmd = defs_expand_run(d, args, &njoblets, why, sizeof why, &field);
	if (cmd == NULL)
		call_error(c, 422, "bad_request", field, "%s", why);
	else
		defs_make_job(c, d, version, args, facts, cmd, njoblets, 0, cwd,
			      defs_run_state(d, version));
	free(cmd);
}
