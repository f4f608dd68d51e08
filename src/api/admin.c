/* Admin endpoints: stats, drain, shutdown, backup and health. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "api/openapi.h"
#include "server/server.h"
#include "server/spawn.h"
#include "store/store.h"
#include "api/decode.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <event2/buffer.h>
#include <string.h>
#include <sys/stat.h>


static json_t *counts_object(const int32_t *counts)
{
	json_t *o = json_object();
	for (int s = 0; s < JS__N; s++)
		json_object_set_new(o, jl_state_name(s), json_integer(counts[s]));
	return o;
}

static int live_workers(const struct sched *s)
{
	int n = 0;
	for (size_t i = 0; i < s->leases.len; i++)
		n += !((struct worker *)s->leases.items[i])->placeholder;
	return n;
}

/* Per group, why the caller's waiting and ready joblets are not running: the reason of each
 * job's first joblet in each of those states, counted for all of them in that state. */
json_t *api_waiting_reasons(const struct sched *s, const struct principal *who, int64_t now)
{
	json_t *by_group = json_object();
	const struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		if (jl_state_final(j->state) || !principal_owns(who, j->owner))
			continue;
		for (int st = JS_WAITING; st <= JS_READY; st++) {
			if (j->counts[st] == 0)
				continue;
			const struct joblet *jl = j->joblets;
			while (jl->state != st)
				jl++;
			char buf[1024];
			const char *why = sched_reason(s, jl, now, buf, sizeof buf);
			json_t *g = json_object_get(by_group, j->group);
			if (g == NULL) {
				g = json_object();
				json_object_set_new(by_group, j->group, g);
			}
			json_int_t n = json_integer_value(json_object_get(g, why));
			json_object_set_new(g, why, json_integer(n + j->counts[st]));
		}
	}
	/* As lists, most joblets first, at most 8 reasons a group. */
	json_t *out = json_object();
	const char *group;
	json_t *reasons;
	json_object_foreach(by_group, group, reasons) {
		json_t *list = json_array();
		for (int k = 0; k < 8 && json_object_size(reasons); k++) {
			const char *why, *best = NULL;
			json_t *n;
			json_int_t most = -1;
			json_object_foreach(reasons, why, n) {
				if (json_integer_value(n) > most) {
					most = json_integer_value(n);
					best = why;
				}
			}
			json_array_append_new(list, json_pack("{s:s, s:I}", "reason", best, "joblets", most));
			json_object_del(reasons, best);
		}
		json_object_set_new(out, group, list);
	}
	json_decref(by_group);
	return out;
}

/* Every job's counts, by state and by group, from the scheduler's running totals. */
static json_t *all_counts(const struct sched *s, json_t **groups, json_int_t *njobs)
{
	*groups = json_object();
	for (size_t i = 0; i < s->groups.cap; i++) {
		/* The map is keyed by the interned group string's address. */
		const char *g = (const char *)(uintptr_t)s->groups.slots[i].key; // NOLINT(performance-no-int-to-ptr)
		const struct sched_counts *gc = s->groups.slots[i].val;
		if (g == NULL)
			continue;
		int32_t total = 0;
		for (int st = 0; st < JS__N; st++)
			total += gc->by_state[st];
		if (total > 0)
			json_object_set_new(*groups, g, counts_object(gc->by_state));
	}
	*njobs = (json_int_t)s->njobs + (json_int_t)s->nevicted;	/* in memory and out of it */
	return counts_object(s->totals.by_state);
}

/* Add who's jobs that left memory (sched.h's history) to totals, groups and njobs. */
static void own_history(const struct sched *s, const struct principal *who, int32_t *totals,
			json_t *groups, json_int_t *njobs)
{
	for (size_t i = 0; i < s->history.cap; i++) {
		const struct owner_history *h = s->history.slots[i].val;
		if (h == NULL || !principal_owns(who, h->owner))
			continue;
		for (int32_t k = 0; k < h->ngroups; k++) {
			const struct history_group *hg = &h->groups[k];
			if (hg->jobs == 0)
				continue;
			*njobs += hg->jobs;
			json_t *g = json_object_get(groups, hg->group);
			if (g == NULL) {
				g = json_object();
				json_object_set_new(groups, hg->group, g);
			}
			for (int st = 0; st < JS__N; st++) {
				totals[st] += (int32_t)hg->by_state[st];
				json_int_t n = json_integer_value(json_object_get(g, jl_state_name(st)));
				json_object_set_new(g, jl_state_name(st), json_integer(n + hg->by_state[st]));
			}
		}
	}
}

/* The counts of the jobs who owns (a user's stats): summed over their jobs, so that
 * nobody learns how much others run. */
static json_t *own_counts(const struct sched *s, const struct principal *who, json_t **groups,
			  json_int_t *njobs)
{
	int32_t totals[JS__N] = {0};
	*groups = json_object();
	*njobs = 0;
	const struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		if (!principal_owns(who, j->owner))
			continue;
		(*njobs)++;
		json_t *g = json_object_get(*groups, j->group);
		if (g == NULL) {
			g = json_object();
			json_object_set_new(*groups, j->group, g);
		}
		for (int st = 0; st < JS__N; st++) {
			totals[st] += j->counts[st];
			json_int_t n = json_integer_value(json_object_get(g, jl_state_name(st)));
			json_object_set_new(g, jl_state_name(st), json_integer(n + j->counts[st]));
		}
	}
	own_history(s, who, totals, *groups, njobs);
	return counts_object(totals);
}

void api_stats(struct call *c)
{
	struct server *srv = c->srv;
	/* Reasons cost a look at every waiting job: only for those who ask (status does). */
	const char *r = call_query(c, "reasons"), *tp = call_query(c, "throughput");
	bool reasons = r && strcmp(r, "0") != 0;
	if (tp && strcmp(tp, "0") != 0 && strcmp(tp, "1") != 0) {
		call_error(c, ERR_BAD_REQUEST, "throughput", "throughput: must be 0 or 1, got '%.32s'",
			   tp);
		return;
	}
	struct sched *s = &srv->sched;
	json_t *groups;
	json_int_t njobs;
	json_t *joblets = c->who.roles & ROLE_ADMIN ? all_counts(s, &groups, &njobs)
						    : own_counts(s, &c->who, &groups, &njobs);
	json_t *body = json_pack("{s:o, s:o, s:o, s:i, s:I, s:b, s:I, s:I, s:o*, s:o*}", "joblets", joblets,
			     "groups", groups, "waiting",
			     reasons ? api_waiting_reasons(s, &c->who, server_now(srv)) : json_object(),
			     "workers", live_workers(s), "jobs", njobs, "draining", srv->draining,
			     "commits", (json_int_t)srv->commits, "uptime_ms",
			     (json_int_t)(clock_mono_ms() - srv->started_mono), "spawn",
			     spawn_status(srv), "throughput",
			     tp && strcmp(tp, "0") != 0 ? api_throughput(srv, &c->who, server_now(srv))
							 : NULL);
	/* Jobs held in memory (the others are read from the store): the server's business. */
	if (c->who.roles & ROLE_ADMIN) {
		json_object_set_new(body, "jobs_in_memory", json_integer((json_int_t)s->njobs));
		/* Attempts held: running ones, and those of joblets not final or whose last
		 * change is not committed yet (server/trim.c); the rest are in the store. */
		json_object_set_new(body, "attempts_in_memory",
				    json_integer((json_int_t)s->attempts.len));
	}
	call_reply(c, 200, body);
}

/* Dispatch stops; the parked polls are answered now, so their workers hear of the drain
 * at once (the others in their next heartbeat) and exit once their joblets are reported. */
void api_drain(struct call *c)
{
	struct server *srv = c->srv;
	if (!srv->draining) {
		srv->draining = true;
		log_info("draining: no new work; exiting once no joblet runs");
		server_drain_started(srv);
		reserve_answer_all(srv);
	}
	call_reply(c, 200, json_pack("{s:b}", "draining", 1));
	server_check_drained(srv);
}

void api_shutdown(struct call *c)
{
	call_reply(c, 200, json_pack("{s:b}", "shutdown", 1));
	server_shutdown(c->srv, "asked through the API");
}

struct backup_wait {
	struct call *call;	/* owned until replied */
	char *path;		/* owned */
};

static void on_backup(void *arg, int rc, int64_t bytes, const char *err)
{
	struct backup_wait *bw = arg;
	if (rc == 0)
		call_reply(bw->call, 200, json_pack("{s:s, s:I}", "path", bw->path, "bytes",
						    (json_int_t)bytes));
	else
		call_error(bw->call, ERR_INTERNAL, "path", "backup failed: %s", err ? err : "?");
	free(bw->path);
	free(bw);
}

void api_backup(struct call *c)
{
	static const char *const fields[] = {"path", NULL};
	struct derr e;
	const char *path = json_string_value(json_object_get(c->body, "path"));
	struct stat sb;
	if (!json_is_object(c->body) || check_fields(c->body, "", fields, &e)) {
		if (json_is_object(c->body))
			call_error(c, e.err, e.field, "%s (the body is {\"path\": \"/abs/file\"})",
				   e.message);
		else
			call_error(c, ERR_BAD_REQUEST, "", "the body must be {\"path\": \"/abs/file\"}");
		return;
	}
	if (path == NULL || path[0] != '/' || strlen(path) > 4096) {
		call_error(c, ERR_RULE_BROKEN, "path", "path: must be an absolute file name");
		return;
	}
	if (stat(path, &sb) == 0) {
		call_error(c, ERR_CONFLICT, "path", "path: %s already exists", path);
		return;
	}
	struct backup_wait *bw = xcalloc(1, sizeof *bw);
	bw->call = c;
	bw->path = xstrdup(path);
	c->kept = true;
	if (c->srv->store->vt->backup(c->srv->store, path, on_backup, bw)) {
		c->kept = false;
		free(bw->path);
		free(bw);
		call_error(c, ERR_INTERNAL, "", "cannot start a backup thread: %s", strerror(errno));
	}
}

void api_healthz(struct call *c)
{
	call_reply_text(c, 200, "text/plain", "ok\n", 3);
}

void api_openapi(struct call *c)
{
	call_reply_text(c, 200, "application/json", (const char *)jg_openapi_json,
			jg_openapi_json_len);
}

