/* Definitions over HTTP: deploy (a set, all or nothing), list, describe, undeploy, run.
 * The requests are decoded and checked here; the registry of versions and the making of
 * a run's job are server/registry.c's. A run of a script definition first runs its
 * job_started in a script process (scripts.c): the call waits meanwhile. */
#include "api/call.h"
#include "api/defcheck.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/network.h"
#include "server/registry.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include "net/plan.h"
#include "api/decode.h"
#include <ctype.h>
#include <event2/bufferevent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_FILES 1000
#define MAX_SOURCE ((size_t)1 << 20)

/* ---- deploy ------------------------------------------------------------------------ */

/* problems: a JSON array of "FILE:LINE:COL: text" (taken). */
static void reply_problems(struct call *c, json_t *problems)
{
	char msg[700];
	size_t n = json_array_size(problems);
	snprintf(msg, sizeof msg, "%zu problem%s; nothing was deployed: %s", n, n == 1 ? "" : "s",
		 json_string_value(json_array_get(problems, 0)));
	json_t *body = call_error_body(ERR_INVALID_DEFINITION, "files", msg);
	json_object_set_new(body, "problems", problems);
	call_reply(c, api_error_status(ERR_INVALID_DEFINITION), body);
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
	json_t *deployed = defs_deploy(srv, defs, files, n, c->who.name);
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
		call_error(c, ERR_BAD_REQUEST, field, "%s: must be an object of at most %d"
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
		call_error(c, ERR_BAD_REQUEST, "files", "files: must be an array of 1..%d"
			   " {\"file\", \"name\", \"source\"}", MAX_FILES);
		return;
	}
	if (check_fields(c->body, "", (const char *const[]){"files", NULL}, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
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
			call_error(c, ERR_BAD_REQUEST, "files",
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
		call_error(c, ERR_BAD_REQUEST, json_is_object(c->body) ? e.field : "", "%s",
			   json_is_object(c->body) ? e.message : "the body must be a JSON object");
		return;
	}
	if (!json_is_string(src) || json_string_length(src) > MAX_SOURCE ||
	    (file && (!json_is_string(file) || json_string_length(file) > 4096))) {
		call_error(c, ERR_BAD_REQUEST, json_is_string(src) ? "file" : "source",
			   "source: a required string of at most 1 MB; file: an optional string");
		return;
	}
	if (check_scripts(c, scripts, "scripts"))
		return;
	if (!def_name_valid(c->params[0])) {
		call_error(c, ERR_BAD_REQUEST, "name", "name: %s is not a definition name"
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

static json_t *names_json(char *const *names, size_t n)
{
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, json_string(names[i]));
	return arr;
}

/* A start time as written: HH:MM (HH:MM:SS when it has seconds) or the cron text. */
static json_t *start_json(const struct net_start *st)
{
	if (st->tod_s < 0)
		return json_string(st->cron ? st->cron : "");
	char buf[16];
	int h = st->tod_s / 3600, m = st->tod_s / 60 % 60, sec = st->tod_s % 60;
	if (sec)
		snprintf(buf, sizeof buf, "%02d:%02d:%02d", h, m, sec);
	else
		snprintf(buf, sizeof buf, "%02d:%02d", h, m);
	return json_string(buf);
}

/* The definition's place in the job networks, or null when it is no member (the
 * planner's rule, net_member: a start time, a timeslot or an edge of its own, or named by
 * another's edge). The edges are as this definition writes them: "a successors: [b]" and
 * "b predecessors: [a]" are one edge, which a client draws once. */
static json_t *network_json(struct server *srv, const char *name, const struct definition *d)
{
	if (srv->plan == NULL || !net_member(srv->plan, name))
		return json_null();
	const struct net_spec *n = &d->net;
	json_t *starts = json_array();
	for (size_t i = 0; i < n->sched.nstarts; i++)
		json_array_append_new(starts, start_json(&n->sched.starts[i]));
	return json_pack("{s:b, s:o, s:o, s:o, s:o, s:b}", "paused", net_is_paused(srv->plan, name),
			 "predecessors", names_json(n->preds, n->npreds), "successors",
			 names_json(n->succs, n->nsuccs), "successors_on_failure",
			 names_json(n->fail_succs, n->nfail_succs), "start_times", starts,
			 "timeslot", n->sched.has_timeslot);
}

static json_t *summary(struct server *srv, const struct def_entry *e)
{
	const struct def_version *v = &e->v[e->nv - 1];
	json_t *groups = names_json(v->d->groups, v->d->ngroups);
	return json_pack("{s:s, s:s, s:o, s:i, s:s, s:o}", "name", e->name, "description",
			 v->d->description, "groups", groups, "version", v->version, "kind",
			 v->d->command ? "command" : "script", "network",
			 network_json(srv, e->name, v->d));
}

static int by_name(const void *a, const void *b)
{
	return strcmp(json_string_value(json_object_get(*(json_t *const *)a, "name")),
		      json_string_value(json_object_get(*(json_t *const *)b, "name")));
}

void api_defs_list(struct call *c)
{
	struct server *srv = c->srv;
	struct def_entry **entries;
	size_t n = defs_deployed_all(srv, &entries);
	json_t **items = xcalloc(n + 1, sizeof *items);
	for (size_t i = 0; i < n; i++)
		items[i] = summary(srv, entries[i]);
	free(entries);
	qsort(items, n, sizeof *items, by_name);
	json_t *arr = json_array();
	for (size_t i = 0; i < n; i++)
		json_array_append_new(arr, items[i]);
	free(items);
	call_reply(c, 200, json_pack("{s:o}", "definitions", arr));
}

static struct def_entry *def_param(struct call *c)
{
	struct def_entry *e = defs_deployed(c->srv, c->params[0]);
	if (e == NULL) {
		call_error(c, ERR_NOT_FOUND, "name", "no definition %s", c->params[0]);
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
	json_t *o = summary(c->srv, e), *args = json_array(), *facts = json_object(), *hist = json_array();
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
	defs_undeploy(c->srv, e);
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
		call_error(c, ERR_RULE_BROKEN, a->name, "%s: must be at least %g, got %g", a->name,
			   a->min, x);
		return -1;
	}
	if (a->has_max && json_is_number(v) && x > a->max) {
		call_error(c, ERR_RULE_BROKEN, a->name, "%s: must be at most %g, got %g", a->name,
			   a->max, x);
		return -1;
	}
	bool ok = a->choices == NULL;
	size_t i;
	json_t *ch;
	json_array_foreach(a->choices, i, ch) ok = ok || json_equal(ch, v);
	if (!ok) {
		char *list = json_dumps(a->choices, JSON_COMPACT);
		call_error(c, ERR_RULE_BROKEN, a->name, "%s: must be one of %s", a->name, list);
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
			call_error(c, ERR_RULE_BROKEN, k, "%s: %s has no such argument", k, d->name);
			goto bad;
		}
	}
	for (size_t i = 0; i < d->nargs; i++) {
		const struct def_arg *a = &d->args[i];
		json_t *g = json_object_get(given, a->name), *x;
		if (g == NULL && a->def == NULL) {	/* required, or simply without a default */
			call_error(c, ERR_RULE_BROKEN, a->name, "%s: is required (no default)",
				   a->name);
			goto bad;
		}
		x = g ? coerce(a, g) : json_incref(a->def);
		if (x == NULL) {
			call_error(c, ERR_RULE_BROKEN, a->name, "%s: must be %s %s", a->name,
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
			call_error(c, ERR_RULE_BROKEN, k, "facts.%s: not a fact %s can be given"
				   " (joblet.maxretry, joblet.timeout, joblet.retry_permanent,"
				   " job.priority, job.cores, job.ram_mb, job.gpus, job.output_limit,"
				   " or one the definition declares)", k, d->name);
			return -1;
		}
		if (flag && !json_is_boolean(v) &&
		    !(json_is_string(v) && (strcmp(json_string_value(v), "true") == 0 ||
					    strcmp(json_string_value(v), "false") == 0))) {
			call_error(c, ERR_RULE_BROKEN, k, "facts.%s: must be true or false", k);
			return -1;
		}
		if (sched && !json_is_integer(v) &&
		    !(json_is_string(v) && json_string_length(v) > 0 &&
		      strspn(json_string_value(v), "0123456789") == json_string_length(v))) {
			call_error(c, ERR_RULE_BROKEN, k, "facts.%s: must be a whole number", k);
			return -1;
		}
		if (!json_is_string(v) && !json_is_number(v) && !json_is_boolean(v)) {
			call_error(c, ERR_RULE_BROKEN, k, "facts.%s: must be text, a number or"
				   " true/false", k);
			return -1;
		}
	}
	return 0;
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
			call_error(c, ERR_RULE_BROKEN, k, "%s: must be text", k);
			json_decref(plain);
			return NULL;
		} else if (net_settings_set(over, k, json_is_string(v) ? json_string_value(v)
							: json_is_true(v) ? "true" : "false", &why)) {
			call_error(c, ERR_RULE_BROKEN, k, "%s: %s", k, why);
			json_decref(plain);
			return NULL;
		}
	}
	return plain;
}

/* A run asked for by call c: the registry answers it through w. */
struct run_call {
	struct run_waiter w;		/* first: a waiter is a run_call */
	struct call *c;
	void (*gone)(void *arg);	/* while the run waits for a script */
	void *gone_arg;
};

static void run_made(struct run_waiter *w, const struct definition *d, int32_t version,
		     const struct job *j, long long njoblets)
{
	struct run_call *rc = (struct run_call *)w;
	char id[400];
	call_reply(rc->c, 201, json_pack("{s:s, s:I, s:s, s:i, s:I}", "id", job_id(j, id, sizeof id),
					 "seq", (json_int_t)j->seq, "definition", d->name,
					 "version", version, "joblets", (json_int_t)njoblets));
	free(rc);
}

static void run_refused(struct run_waiter *w, enum api_error err, const char *field,
			const char *msg)
{
	struct run_call *rc = (struct run_call *)w;
	call_error(rc->c, err, field, "%s", msg);
	free(rc);
}

/* The script's error, and its traceback as a field of its own. */
static void run_script_failed(struct run_waiter *w, const char *msg, json_t *traceback)
{
	struct run_call *rc = (struct run_call *)w;
	json_t *body = call_error_body(ERR_SCRIPT_ERROR, "script", msg);
	if (traceback)
		json_object_set(json_object_get(body, "error"), "traceback", traceback);
	call_reply(rc->c, api_error_status(ERR_SCRIPT_ERROR), body);
	free(rc);
}

static void on_run_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct run_call *rc = arg;
	rc->gone(rc->gone_arg);
}

static void run_wait(struct run_waiter *w, void (*gone)(void *arg), void *arg)
{
	struct run_call *rc = (struct run_call *)w;
	struct evhttp_connection *evcon = evhttp_request_get_connection(rc->c->req);
	rc->gone = gone;
	rc->gone_arg = arg;
	if (gone == NULL) {
		evhttp_connection_set_closecb(evcon, NULL, NULL);
		return;
	}
	rc->c->kept = true;
	evhttp_connection_set_closecb(evcon, on_run_client_close, rc);
	/* evhttp stops reading while a request is open; read again so a client that goes
	 * away is noticed now. */
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
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
		call_error(c, ERR_BAD_REQUEST, json_is_object(body) ? e.field : "",
			   "%s", json_is_object(body) ? e.message : "the body must be a JSON object");
		return;
	}
	if ((given && !json_is_object(given)) || (facts && !json_is_object(facts))) {
		call_error(c, ERR_BAD_REQUEST, "args", "args and facts must be objects");
		return;
	}
	const char *cwd = json_string_value(json_object_get(body, "cwd"));
	struct net_settings over = {0};
	json_t *plain = net_overrides(c, facts, &over);
	if (plain == NULL)
		return;
	json_t *args = check_facts(c, d, plain) ? NULL : run_args(c, d, given);
	if (args) {
		struct run_call *rc = xcalloc(1, sizeof *rc);	/* freed when answered */
		rc->w = (struct run_waiter){c->who.name, run_made, run_refused, run_script_failed,
					    run_wait};
		rc->c = c;
		if (!network_run_by_hand(c->srv, &rc->w, d, ver->version, args, plain, &over, cwd))
			defs_start_run(c->srv, &rc->w, d, ver->version, args, plain, cwd);
	}
	json_decref(args);
	json_decref(plain);
}
