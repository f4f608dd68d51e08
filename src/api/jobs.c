/* Handlers for /v1/jobs: create, list, show, change, remove, cancel, retry. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/history.h"
#include "server/server.h"
#include "api/decode.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

static struct job *job_param(struct call *c)
{
	struct job *j = call_find_job(c, c->params[0], NULL);
	if (j == NULL)
		call_no_job(c, "id", c->params[0]);
	return j;
}

static void reply_derr(struct call *c, const struct derr *e)
{
	call_error(c, e->err, e->field, "%s", e->message);
}

/* Jobs x waits for that the caller may not see: refused as absent, with sched_check's
 * words for a job that does not exist (SPEC §9: no existence leak). 0, or -1 with why. */
static int deps_visible(struct call *c, const struct job_ext *x, char *buf, size_t len,
			const char **field)
{
	for (int32_t i = 0; x && i < x->ndeps; i++) {
		const struct job *d = server_job(c->srv, x->deps[i].seq);	/* read back if gone */
		if (d && !principal_owns(&c->who, d->owner)) {
			*field = dep_type_name(x->deps[i].type);
			snprintf(buf, len, "no job %lld", (long long)x->deps[i].seq);
			return -1;
		}
	}
	return 0;
}

/* Dependencies of items [from, n): jobs that exist and the caller sees, no cycle. Replies
 * on failure. */
static int check_batch(struct call *c, struct job_req *reqs, size_t n, size_t from)
{
	for (size_t i = from; i < n; i++) {
		char why[600], f[80];
		const char *field = "";
		if (deps_visible(c, reqs[i].spec.x, why, sizeof why, &field) == 0 &&
		    sched_check(&c->srv->sched, &reqs[i].spec, NULL, why, sizeof why, &field) == 0)
			continue;
		if (n > 1)
			snprintf(f, sizeof f, "[%zu].%s", i, field);
		else
			snprintf(f, sizeof f, "%s", field);
		bool missing = strncmp(why, "no job", 6) == 0;
		call_error(c, missing ? ERR_NOT_FOUND : ERR_CYCLE, f, "%s: %s", f, why);
		return -1;
	}
	return 0;
}

static void undo_batch(struct server *srv, json_t *seqs, int64_t now)
{
	size_t i;
	json_t *v;
	const char *why;
	json_array_foreach(seqs, i, v) {
		struct job *j = sched_job(&srv->sched, json_integer_value(v));
		if (j)
			sched_remove(&srv->sched, j, true, now, &why);
	}
}

void api_jobs_create(struct call *c)
{
	struct server *srv = c->srv;
	struct derr e;
	struct job_req *reqs;
	size_t n;
	if (c->body == NULL) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be a job object or an array of them");
		return;
	}
	if (decode_job_batch(c->body, c->who.name, server_now(srv), &reqs, &n, &e)) {
		reply_derr(c, &e);
		return;
	}
	/* --unique on one job: refused with the id it repeats. In a batch (an array) each
	 * item that repeats an incomplete job, or an earlier item, is left out and reported
	 * with the id it repeats; the others are added (wr's add). */
	bool batch = json_is_array(c->body);
	struct job *dup = !batch && reqs[0].spec.unique
				  ? sched_find_duplicate(&srv->sched, reqs[0].spec.cmd, reqs[0].spec.cwd,
							 reqs[0].spec.owner)
				  : NULL;
	if (dup) {
		char id[400];
		call_error(c, ERR_DUPLICATE, "cmd",
			   "an incomplete job with the same command and cwd exists: %s (--unique)",
			   job_id(dup, id, sizeof id));
		goto out;
	}
	json_t *ids = json_array(), *seqs = json_array(), *dups = json_array();
	int64_t now = server_now(srv);
	for (size_t i = 0; i < n; i++) {
		char id[400];
		if (batch && reqs[i].spec.unique &&
		    (dup = sched_find_duplicate(&srv->sched, reqs[i].spec.cmd, reqs[i].spec.cwd,
						  reqs[i].spec.owner))) {
			json_array_append_new(dups, json_pack("{s:I, s:s}", "index", (json_int_t)i, "id",
							      job_id(dup, id, sizeof id)));
			continue;
		}
		/* Each item is checked when the earlier ones are in: it may wait for them (their
		 * seqs follow each other) or join a dep group they wait for. A refused item takes
		 * the whole batch back. */
		if (reqs[i].spec.x && check_batch(c, reqs, i + 1, i)) {
			undo_batch(srv, seqs, now);
			json_decref(ids);
			json_decref(seqs);
			json_decref(dups);
			goto out;
		}
		struct job *j = sched_add(&srv->sched, &reqs[i].spec, now);
		reqs[i].spec.x = NULL;	/* taken */
		json_array_append_new(ids, json_string(job_id(j, id, sizeof id)));
		json_array_append_new(seqs, json_integer(j->seq));
	}
	call_reply(c, json_array_size(ids) ? 201 : 200,
		   json_pack("{s:o, s:o, s:o}", "ids", ids, "seqs", seqs, "duplicates", dups));
out:
	for (size_t i = 0; i < n; i++)
		job_req_free(&reqs[i]);
	free(reqs);
}

/* The page of j's joblets the query asks for: joblets=RANGE (default every joblet),
 * joblets_cursor (where the previous page's joblets_next said), joblets_limit. *sel is
 * owned by the caller (ranges_free) when set. 0, or -1 after a 400 naming the parameter. */
static int joblet_page_query(struct call *c, const struct job *j, const char *range,
			     struct ranges *sel, struct joblet_page *pg)
{
	long long cursor, limit;
	char why[300];
	*sel = (struct ranges){NULL, 0};
	if (call_query_int(c, "joblets_cursor", 0, j->njoblets, 0, &cursor) ||
	    call_query_int(c, "joblets_limit", 1, JOBLET_PAGE_MAX, JOBLET_PAGE_MAX, &limit))
		return -1;
	if (range && ranges_parse(range, j->njoblets - 1, sel, why, sizeof why)) {
		call_error(c, ERR_BAD_REQUEST, "joblets", "joblets: %s; or none", why);
		return -1;
	}
	*pg = (struct joblet_page){range ? sel : NULL, cursor, (int32_t)limit};
	return 0;
}

/* GET /v1/jobs/{id}: the full form with a page of joblets; joblets=none: the list's
 * summary, cheap to poll for a job of many joblets (wait, log -f). */
void api_job_get(struct call *c)
{
	const char *range = call_query(c, "joblets");
	struct joblet_page pg;
	struct ranges sel;
	struct job *j = job_param(c);
	if (j == NULL)
		return;
	if (range && strcmp(range, "none") == 0) {
		call_reply(c, 200, render_job(c->srv, j, NULL));
		return;
	}
	if (joblet_page_query(c, j, range, &sel, &pg) == 0)
		call_reply(c, 200, render_job(c->srv, j, &pg));
	ranges_free(&sel);
}

/* The reply of a change to a job: its full form with the first page of joblets. */
static void reply_job(struct call *c, const struct job *j)
{
	const struct joblet_page first = {NULL, 0, JOBLET_PAGE_MAX};
	call_reply(c, 200, render_job(c->srv, j, &first));
}

/* The options j would have after the patch: the patch's lists where given, else j's. */
static struct job_ext merged_ext(const struct job *j, const struct job_ext *m, unsigned mask)
{
	struct job_ext x = {0};
	if (j->x)
		x = *j->x;
	if (mask & MOD_DEPS) {
		x.deps = m->deps;
		x.ndeps = m->ndeps;
	}
	if (mask & MOD_GROUPS) {
		x.groups = m->groups;
		x.ngroups = m->ngroups;
	}
	if (mask & MOD_AFTER_GROUPS) {
		x.after_groups = m->after_groups;
		x.nafter_groups = m->nafter_groups;
	}
	return x;
}

void api_job_patch(struct call *c)
{
	struct job_spec mod;
	struct derr e;
	unsigned mask = 0;
	const char *why;
	struct job *j = job_param(c);
	if (j == NULL)
		return;
	if (c->body == NULL || decode_job_patch(c->body, server_now(c->srv), &mod, &mask, &e)) {
		if (c->body == NULL)
			call_error(c, ERR_BAD_REQUEST, "", "the body must be a JSON object");
		else
			reply_derr(c, &e);
		return;
	}
	if (jl_state_final(j->state)) {
		call_error(c, ERR_CONFLICT, "state", "the job is %s; only waiting joblets change",
			   jl_state_name(j->state));
		goto out;
	}
	if (mask & (MOD_DEPS | MOD_GROUPS | MOD_AFTER_GROUPS)) {
		struct job_ext x = merged_ext(j, mod.x, mask);
		struct job_spec check = {.x = &x};
		char buf[600];
		const char *field = "";
		if (deps_visible(c, &x, buf, sizeof buf, &field) ||
		    sched_check(&c->srv->sched, &check, j, buf, sizeof buf, &field)) {
			bool missing = strncmp(buf, "no job", 6) == 0;
			call_error(c, missing ? ERR_NOT_FOUND : ERR_CYCLE, field, "%s: %s",
				   field, buf);
			goto out;
		}
	}
	if (sched_modify(&c->srv->sched, j, &mod, mask, server_now(c->srv), &why)) {
		call_error(c, ERR_CONFLICT, "state", "%s", why);
		goto out;
	}
	reply_job(c, j);
out:
	job_ext_free(mod.x);
}

void api_job_delete(struct call *c)
{
	const char *why;
	struct job *j = job_param(c);
	if (j == NULL)
		return;
	char id[400];
	job_id(j, id, sizeof id);
	const char *force = call_query(c, "force");
	if (sched_remove(&c->srv->sched, j, force && strcmp(force, "0") != 0, server_now(c->srv), &why)) {
		call_error(c, ERR_CONFLICT, "state", "cannot remove %s: %s", id, why);
		return;
	}
	call_reply(c, 200, json_pack("{s:s}", "removed", id));
}

static int by_seq_desc(const void *a, const void *b)
{
	const struct job *x = *(struct job *const *)a, *y = *(struct job *const *)b;
	return x->seq < y->seq ? 1 : x->seq > y->seq ? -1 : 0;
}

/* {"id", "code", "message"} of a job the call could not remove; why NULL: not found. */
static json_t *remove_error(const char *id, const char *why)
{
	char msg[600];
	if (why)
		snprintf(msg, sizeof msg, "cannot remove %s: %s", id, why);
	else
		snprintf(msg, sizeof msg, "no job %s", id);
	return json_pack("{s:s, s:s, s:s}", "id", id, "code",
			 api_error_code(why ? ERR_CONFLICT : ERR_NOT_FOUND),
			 "message", msg);
}

/* POST /v1/jobs/remove {"ids": […], "force"}: one call for many jobs, in any order. A job
 * that only others of the same call wait for goes too: the call removes the waiters first
 * (newest first, then again while that frees more), as wr's remove does. */
void api_jobs_remove(struct call *c)
{
	struct derr e;
	json_t *ids, *v;
	bool force = false;
	if (decode_remove(c->body, &ids, &force, &e)) {
		reply_derr(c, &e);
		return;
	}
	size_t n = 0, i, k;
	struct job **jobs = xcalloc(json_array_size(ids), sizeof *jobs);
	const char **whys = xcalloc(json_array_size(ids), sizeof *whys);
	json_t *removed = json_array(), *errors = json_array();
	json_array_foreach(ids, i, v) {
		struct job *j = call_find_job(c, json_string_value(v), NULL);
		for (k = 0; j && k < n && jobs[k] != j; k++)
			;
		if (j == NULL)
			json_array_append_new(errors, remove_error(json_string_value(v), NULL));
		else if (k == n)	/* named twice: once is enough */
			jobs[n++] = j;
	}
	qsort(jobs, n, sizeof *jobs, by_seq_desc);
	int64_t now = server_now(c->srv);
	for (bool progress = true; progress;) {
		progress = false;
		for (k = 0; k < n; k++) {
			if (jobs[k] == NULL)
				continue;
			char id[400];
			job_id(jobs[k], id, sizeof id);
			if (sched_remove(&c->srv->sched, jobs[k], force, now, &whys[k]) == 0) {
				json_array_append_new(removed, json_string(id));
				jobs[k] = NULL;
				progress = true;
			}
		}
	}
	for (k = 0; k < n; k++) {
		char id[400];
		if (jobs[k])
			json_array_append_new(errors, remove_error(job_id(jobs[k], id, sizeof id),
								   whys[k]));
	}
	free(jobs);
	free(whys);
	call_reply(c, 200, json_pack("{s:o, s:o}", "removed", removed, "errors", errors));
}

void api_job_cancel(struct call *c)
{
	struct job *j = job_param(c);
	if (j == NULL || job_sliced(c, j, JOB_SLICE_CANCEL))
		return;
	sched_cancel(&c->srv->sched, j, server_now(c->srv));
	/* Tell parked workers now rather than at their next heartbeat. */
	for (int32_t i = 0; i < j->njoblets; i++) {
		struct attempt *a = j->joblets[i].live;
		if (a && a->worker)
			reserve_answer(a->worker);
	}
	reply_job(c, j);
}

void api_job_retry(struct call *c)
{
	const char *why;
	struct job *j = job_param(c);
	if (j == NULL)
		return;
	if (sched_retry_check(&c->srv->sched, j, &why)) {
		call_error(c, ERR_CONFLICT, "state", "%s", why);
		return;
	}
	if (job_sliced(c, j, JOB_SLICE_RETRY))
		return;
	sched_retry_range(&c->srv->sched, j, 0, j->njoblets, server_now(c->srv));
	reply_job(c, j);
}
