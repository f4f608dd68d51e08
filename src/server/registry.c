/* The registry of deployed definitions and the making of runs (see registry.h). It is
 * a module of the server, not of the HTTP face: job networks (network.c) and scripts
 * (scripts.c) make runs too, and the face only decodes requests into its calls. */
#include "server/registry.h"
#include "server/batch.h"
#include "server/network.h"
#include "server/scripts.h"
#include "server/server.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

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

struct def_entry *defs_deployed(struct server *srv, const char *name)
{
	struct def_entry *e = find(srv, name);
	return e && e->active && e->nv ? e : NULL;
}

size_t defs_deployed_all(struct server *srv, struct def_entry ***out)
{
	size_t n = 0;
	*out = xcalloc(srv->defs.len + 1, sizeof **out);
	for (size_t i = 0; i < srv->defs.cap; i++)
		for (struct def_entry *e = srv->defs.slots[i].val; e; e = e->hnext)
			if (e->active && e->nv) {
				*out = xrealloc(*out, n + 1, sizeof **out);
				(*out)[n++] = e;
			}
	return n;
}

json_t *defs_deploy(struct server *srv, struct definition **defs, json_t *files, size_t n,
		    const char *owner)
{
	json_t *deployed = json_array(), *f;
	int64_t now = server_now(srv);
	struct batch *b = server_batch(srv);
	size_t i;
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
		r->owner = owner;
		r->deployed_at = now;
		r->version = version;
		add_version(en, version, defs[i], source, owner, now);
		en->active = true;
		json_array_append_new(deployed, json_pack("{s:s, s:i, s:s}", "name", en->name,
							   "version", version, "file", defs[i]->file));
	}
	network_deployed(srv, defs, n);
	for (i = 0; i < n; i++)
		defs[i] = NULL;	/* kept by the registry */
	server_mark_dirty(srv);
	return deployed;
}

void defs_undeploy(struct server *srv, struct def_entry *e)
{
	e->active = false;
	store_batch_add(&server_batch(srv)->sb, REC_DEF_UNDEPLOY)->u.def.name = xstrdup(e->name);
	network_undeployed(srv, e->name);
	server_mark_dirty(srv);
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

struct job *defs_create_job(struct server *srv, const char *owner, const struct definition *d,
			    json_t *args, json_t *facts, const char *cmd, long long njoblets,
			    int64_t seq, const char *cwd, char *script, const char **bad)
{
	struct job_spec sp = {
		/* The definition's first group is the job's report group (wr's RepGroup). */
		.seq = seq, .owner = owner, .name = d->name, .group = d->ngroups ? d->groups[0] : "",
		.req_group = "",
		.cwd = cwd && cwd[0] == '/' ? cwd : "/tmp", .cmd = cmd, .lost_retries = 3,
		.cwd_default = !(cwd && cwd[0] == '/'),
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
	struct job *j = sched_add(&srv->sched, &sp, server_now(srv));
	free(env);
	return j;
}

struct job *defs_make_job(struct server *srv, struct run_waiter *w, const struct definition *d,
			  int32_t version, json_t *args, json_t *facts, const char *cmd,
			  long long njoblets, int64_t seq, const char *cwd, char *script)
{
	const char *bad;
	struct job *j = defs_create_job(srv, w->owner, d, args, facts, cmd, njoblets, seq, cwd,
					script, &bad);
	if (j == NULL)
		w->refused(w, ERR_RULE_BROKEN, "facts", bad);
	else
		w->made(w, d, version, j, njoblets);
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

void defs_start_run(struct server *srv, struct run_waiter *w, const struct definition *d,
		    int32_t version, json_t *args, json_t *facts, const char *cwd)
{
	if (d->script) {
		scripts_start_run(srv, w, d, version, w->owner, args, facts, cwd, 0);
		return;
	}
	char why[300];
	const char *field;
	long long njoblets;
	char *cmd = defs_expand_run(d, args, &njoblets, why, sizeof why, &field);
	if (cmd == NULL)
		w->refused(w, ERR_RULE_BROKEN, field, why);
	else
		defs_make_job(srv, w, d, version, args, facts, cmd, njoblets, 0, cwd,
			      defs_run_state(d, version));
	free(cmd);
}
