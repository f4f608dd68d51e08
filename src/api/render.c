/* JSON renderings of jobs, attempts and workers; field names are the API contract. */
#include "api/render.h"
#include "server/server.h"
#include "base/clock.h"
#include "base/buf.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "store/store.h"
#include "core/opts.h"
#include <stdio.h>
#include <string.h>

json_t *render_time(int64_t wall_ms)
{
	char buf[40];
	return wall_ms ? json_string(clock_format_rfc3339(wall_ms, buf, sizeof buf)) : json_null();
}

static json_t *render_attempt(const struct server *srv, const struct attempt *a)
{
	int64_t wall = attempt_wall_ms(a, server_now(srv));
	json_t *late = NULL;
	if (a->late_result)
		late = json_loads(a->late_result, 0, NULL);
	return json_pack("{s:I, s:i, s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:i, s:I, s:I, s:o, s:o,"
			 " s:i, s:i, s:i, s:I, s:I, s:o}",
			 "id", (json_int_t)a->id, "n", a->n, "node", a->node, "worker",
			 a->worker_id, "state", at_state_name(a->state), "exit_code",
			 a->has_exit ? json_integer(a->exit_code) : json_null(), "fail_reason",
			 fail_reason_name(a->fail_reason), "started_at", render_time(a->started_at),
			 "ended_at", render_time(a->ended_at), "peak_ram_mb", a->peak_ram_mb,
			 "cpu_ms", (json_int_t)a->cpu_ms, "wall_ms", (json_int_t)wall,
			 "message", a->message ? json_string(a->message) : json_null(),
			 "late_result", late ? late : json_null(), "cores", a->cores, "ram_mb",
			 a->ram_mb, "gpus", a->gpus, "output_bytes", (json_int_t)a->out_bytes,
			 "output_dropped", (json_int_t)a->out_dropped, "run_as",
			 a->run_as ? json_string(a->run_as) : json_null());
}

static json_t *render_counts(const int32_t *counts)
{
	json_t *o = json_object();
	for (int s = 0; s < JS__N; s++)
		if (counts[s])
			json_object_set_new(o, jl_state_name(s), json_integer(counts[s]));
	return o;
}

/* The names of the submitter's variables, never their values (they may hold secrets). */
static json_t *submit_env_names(const struct job *j)
{
	json_t *names = json_array(), *env = j->submit_env ? json_loads(j->submit_env, 0, NULL)
							   : NULL, *v;
	const char *k;
	json_object_foreach(env, k, v)
		json_array_append_new(names, json_string(k));
	json_decref(env);
	return names;
}

/* What the worker sets over its own environment: the submitter's variables (those named
 * JOBGRID_* are the worker's to set), then the job's --env. New object. */
static json_t *joblet_env(const struct job *j)
{
	json_t *env = j->submit_env ? json_loads(j->submit_env, 0, NULL) : NULL;
	json_t *given = j->env ? json_loads(j->env, 0, NULL) : NULL, *v;
	const char *k;
	void *tmp;
	if (env == NULL)
		env = json_object();
	json_object_foreach_safe(env, tmp, k, v)
		if (strncmp(k, "JOBGRID_", 8) == 0)
			json_object_del(env, k);
	json_object_update(env, given);
	json_decref(given);
	return env;
}

/* Every state's joblets as ranges text: {"done": "0-99998", "ready": "99999"}, non-empty
 * states only. One pass over the joblets, O(njoblets) and no allocation per joblet. */
static json_t *render_joblet_ranges(const struct job *j)
{
	struct buf text[JS__N];
	struct ranges_writer w[JS__N];
	for (int s = 0; s < JS__N; s++) {
		text[s] = (struct buf)BUF_INIT;
		ranges_writer_init(&w[s], &text[s]);
	}
	for (int32_t i = 0; i < j->njoblets; i++)
		ranges_writer_add(&w[j->joblets[i].state], i);
	json_t *o = json_object();
	for (int s = 0; s < JS__N; s++) {
		ranges_writer_end(&w[s]);
		if (text[s].len)
			json_object_set_new(o, jl_state_name(s), json_string(text[s].data));
		buf_free(&text[s]);
	}
	return o;
}

/* A joblet with its attempts: those only in the store (read into stored, or NULL when it
 * has none there), then those held in memory. */
static json_t *render_joblet(const struct server *srv, const struct joblet *jl,
			     const struct joblet *stored)
{
	json_t *atts = json_array();
	char buf[1024];
	int32_t held = joblet_first_held(jl);
	for (const struct attempt *a = stored ? stored->attempts : NULL; a; a = a->next)
		if (a->n < held)
			json_array_append_new(atts, render_attempt(srv, a));
	for (const struct attempt *a = jl->attempts; a; a = a->next)
		json_array_append_new(atts, render_attempt(srv, a));
	return json_pack("{s:i, s:s, s:i, s:i, s:i, s:s, s:o, s:o}", "index", jl->index, "state",
			 jl_state_name(jl->state), "retry", jl->nattempts > 0 ? jl->nattempts - 1 : 0,
			 "errors", jl->errors, "lost", jl->lost, "reason",
			 sched_reason(&srv->sched, jl, server_now(srv), buf, sizeof buf), "ready_at",
			 render_time(jl->ready_at), "attempts", atts);
}

/* The attempts of the page's joblets idx[0..n) that are only in the store, into
 * stored[k] for idx[k] (zeroed by the caller; their lists are its: attempts_free): one
 * indexed read of those joblets that have such attempts. */
static void read_stored(const struct server *srv, const struct job *j, const int32_t *idx,
			int32_t n, struct joblet *stored)
{
	int32_t want[JOBLET_PAGE_MAX], m = 0;
	struct joblet *into = xcalloc((size_t)n + 1, sizeof *into);
	for (int32_t k = 0; k < n; k++)
		if (joblet_first_held(&j->joblets[idx[k]]) > 1) {
			into[m].job = (struct job *)j;	/* read for joblet_add_attempt's defaults */
			want[m++] = idx[k];
		}
	char *err = NULL;
	if (m > 0 && srv->store->vt->read_attempts(srv->store, j->seq, want, m, into, &err)) {
		log_error("reading the attempts of job %lld: %s", (long long)j->seq, err);
		free(err);
	}
	for (int32_t k = 0, w = 0; k < n && w < m; k++)
		if (idx[k] == want[w])
			stored[k] = into[w++];
	free(into);
}

/* The page's joblets into o: "joblets" and "joblets_next". */
static void render_joblet_page(const struct server *srv, const struct job *j,
			       const struct joblet_page *pg, json_t *o)
{
	json_t *arr = json_array();
	int32_t idx[JOBLET_PAGE_MAX], n = 0;
	struct joblet stored[JOBLET_PAGE_MAX];
	int64_t i = pg->sel ? ranges_next(pg->sel, pg->cursor) : pg->cursor;
	for (; i >= 0 && i < j->njoblets && n < pg->limit && n < JOBLET_PAGE_MAX; n++) {
		idx[n] = (int32_t)i;
		i = pg->sel ? ranges_next(pg->sel, i + 1) : i + 1;
	}
	memset(stored, 0, sizeof stored);
	read_stored(srv, j, idx, n, stored);
	for (int32_t k = 0; k < n; k++) {
		json_array_append_new(arr, render_joblet(srv, &j->joblets[idx[k]], &stored[k]));
		attempts_free(stored[k].attempts);
	}
	json_object_set_new(o, "joblets", arr);
	char next[24];
	snprintf(next, sizeof next, "%lld", (long long)i);
	json_object_set_new(o, "joblets_next",
			    i >= 0 && i < j->njoblets ? json_string(next) : json_null());
}

json_t *render_job(const struct server *srv, const struct job *j, const struct joblet_page *page)
{
	char id[400];
	job_id(j, id, sizeof id);
	json_t *env = j->env ? json_loads(j->env, 0, NULL) : NULL;
	json_t *o = json_pack(
		"{s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:i, s:o, s:o, s:s, s:s, s:o, s:i, s:i, s:I,"
		" s:i, s:i, s:i, s:I, s:b, s:b, s:i, s:o}",
		"id", id, "seq", (json_int_t)j->seq, "name", j->name, "owner", j->owner, "group",
		j->group, "req_group", j->req_group, "state", jl_state_name(j->state), "priority",
		j->priority, "created_at", render_time(j->created_at), "ended_at",
		render_time(j->ended_at), "cmd", j->cmd, "cwd", j->cwd, "env",
		env ? env : json_object(), "cores", j->cores, "ram_mb", j->ram_mb, "time_ms",
		(json_int_t)j->time_ms, "gpus", j->gpus, "retries", j->retries, "lost_retries",
		j->lost_retries, "retry_delay_ms", (json_int_t)j->retry_delay_ms, "no_restart",
		j->no_restart, "unique", j->unique, "joblet_count", j->njoblets, "counts",
		render_counts(j->counts));
	opts_write(o, j, true);
	json_object_set_new(o, "ram_learned", json_boolean(j->ram_learned));
	json_object_set_new(o, "time_learned", json_boolean(j->time_learned));
	json_object_set_new(o, "ram_limit_mb", json_integer(job_ram_limit_mb(j)));
	json_object_set_new(o, "time_limit_ms", json_integer(job_time_limit_ms(j)));
	if (j->x && j->x->script) {
		/* A run of a definition: its version; for a script, its handlers and facts. */
		json_t *st = json_loads(j->x->script, 0, NULL);
		json_object_set_new(o, "definition",
				    json_pack("{s:O?, s:O?}", "name", json_object_get(st, "definition"),
					      "version", json_object_get(st, "version")));
		if (json_object_get(st, "handlers")) {
			json_object_del(st, "batches");
			json_object_del(st, "log_seq");
			json_object_set_new(o, "script", st);
		} else {
			json_decref(st);
		}
	}
	if (page == NULL) {
		/* One reason for a list line: its first joblet that is not running. */
		for (int32_t i = 0; i < j->njoblets && j->counts[JS_WAITING] + j->counts[JS_READY];
		     i++) {
			const struct joblet *jl = &j->joblets[i];
			if (jl->state == JS_WAITING || jl->state == JS_READY) {
				char buf[1024];
				json_object_set_new(o, "reason", json_string(sched_reason(
									 &srv->sched, jl, server_now(srv),
									 buf, sizeof buf)));
				break;
			}
		}
		return o;
	}
	json_object_set_new(o, "submit_env_names", submit_env_names(j));
	json_object_set_new(o, "joblet_ranges", render_joblet_ranges(j));
	render_joblet_page(srv, j, page, o);
	return o;
}

json_t *render_assignment(const struct attempt *a)
{
	const struct joblet *jl = a->joblet;
	const struct job *j = jl->job;
	char id[400];
	job_id(j, id, sizeof id);
	return json_pack("{s:I, s:s, s:s, s:I, s:i, s:i, s:s, s:s, s:o, s:i, s:i, s:i, s:I, s:i,"
			 " s:i, s:s, s:i, s:I, s:b}",
			 "attempt", (json_int_t)a->id, "job", id, "owner", j->owner, "seq",
			 (json_int_t)j->seq, "index",
			 jl->index, "n", a->n, "cmd", j->cmd, "cwd", j->cwd, "env", joblet_env(j),
			 "cores", j->cores, "ram_mb", j->ram_mb, "gpus",
			 j->gpus, "time_ms", (json_int_t)job_time_limit_ms(j), "retry", a->n - 1,
			 "maxretry", j->retries, "node", a->node, "ram_limit_mb",
			 job_ram_limit_mb(j), "output_limit",
			 (json_int_t)job_output_limit(j), "cwd_default", j->cwd_default);
}

json_t *render_worker(const struct worker *w, const struct principal *who)
{
	json_t *running = json_array();
	for (const struct attempt *a = w->running; a; a = a->wnext) {
		char id[420], jid[400];
		if (!principal_owns(who, a->joblet->job->owner))
			continue;	/* others' joblets: counted in "used", never named */
		job_id(a->joblet->job, jid, sizeof jid);
		snprintf(id, sizeof id, "%s/%d", jid, a->joblet->index);
		json_array_append_new(running, json_string(id));
	}
	json_t *tags = w->tags ? json_loads(w->tags, 0, NULL) : NULL;
	return json_pack("{s:s, s:s, s:s, s:i, s:i, s:i, s:o, s:{s:i, s:i, s:i}, s:o, s:o, s:o,"
			 " s:i, s:s, s:s}",
			 "id", w->id, "name", w->name, "state",
			 w->placeholder ? "recovering" : w->stopping ? "stopping" : "up", "cores",
			 w->placeholder ? 0 : w->cores,
			 "ram_mb", w->placeholder ? 0 : w->ram_mb, "gpus",
			 w->placeholder ? 0 : w->gpus, "tags", tags ? tags : json_object(), "used",
			 "cores", w->used_cores, "ram_mb", w->used_ram_mb, "gpus", w->used_gpus,
			 "running", running, "registered_at", render_time(w->registered_at),
			 "last_seen", render_time(w->last_seen), "pid", w->pid, "ram_method",
			 w->ram_method[0] ? w->ram_method : "sampling", "ram_method_note",
			 w->ram_method_note ? w->ram_method_note : "");
}
