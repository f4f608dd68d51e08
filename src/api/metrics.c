/* GET /metrics: the server's state and counters in the Prometheus text format (0.0.4).
 *
 * Every family has HELP and TYPE lines, names end in _total for counters and carry their
 * unit (_seconds), and label values are escaped, so `promtool check metrics` accepts the
 * output. Gauges are read from running counts (no walk over the jobs), except the reasons
 * waiting joblets wait, which walks the live jobs as `stats --reasons` does. */
#include "api/api.h"
#include "api/call.h"
#include "api/handlers.h"
#include "base/xalloc.h"
#include "server/server.h"
#include "server/spawn.h"
#include <event2/buffer.h>
#include <string.h>

static void family(struct evbuffer *b, const char *name, const char *type, const char *help)
{
	evbuffer_add_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* A label value as the text format wants it: \, " and newlines escaped. */
static void label(struct evbuffer *b, const char *v)
{
	for (; *v; v++) {
		if (*v == '\\' || *v == '"')
			evbuffer_add_printf(b, "\\%c", *v);
		else if (*v == '\n')
			evbuffer_add(b, "\\n", 2);
		else
			evbuffer_add(b, v, 1);
	}
}

static void histogram(struct evbuffer *b, const char *name, const char *help,
		      const struct histogram *h)
{
	family(b, name, "histogram", help);
	for (int i = 0; i < h->n; i++)
		evbuffer_add_printf(b, "%s_bucket{le=\"%g\"} %llu\n", name, h->bounds[i],
				    (unsigned long long)hist_cumulative(h, i));
	evbuffer_add_printf(b, "%s_bucket{le=\"+Inf\"} %llu\n%s_sum %.9g\n%s_count %llu\n", name,
			    (unsigned long long)h->count, name, h->sum, name,
			    (unsigned long long)h->count);
}

static void counter(struct evbuffer *b, const char *name, const char *help, uint64_t v)
{
	family(b, name, "counter", help);
	evbuffer_add_printf(b, "%s %llu\n", name, (unsigned long long)v);
}

static void states(struct server *srv, struct evbuffer *b)
{
	const struct sched *s = &srv->sched;
	family(b, "jobgrid_jobs", "gauge", "Jobs by state (a job's state follows its joblets').");
	for (int st = 0; st < JS__N; st++)
		evbuffer_add_printf(b, "jobgrid_jobs{state=\"%s\"} %lld\n", jl_state_name(st),
				    (long long)s->jobs_by_state[st]);
	family(b, "jobgrid_jobs_in_memory", "gauge",
	       "Jobs held in the server's memory; finished ones leave it for the store"
	       " (--history-memory).");
	evbuffer_add_printf(b, "jobgrid_jobs_in_memory %lld\n", (long long)s->njobs);
	family(b, "jobgrid_joblets", "gauge", "Joblets by state.");
	for (int st = 0; st < JS__N; st++)
		evbuffer_add_printf(b, "jobgrid_joblets{state=\"%s\"} %d\n", jl_state_name(st),
				    s->totals.by_state[st]);
	family(b, "jobgrid_group_joblets", "gauge", "Joblets by group and state.");
	for (size_t i = 0; i < s->groups.cap; i++) {
		/* The map is keyed by the interned group string's address. */
		const char *g = (const char *)(uintptr_t)s->groups.slots[i].key; // NOLINT(performance-no-int-to-ptr)
		const struct sched_counts *gc = s->groups.slots[i].val;
		for (int st = 0; g && st < JS__N; st++) {
			if (gc->by_state[st] == 0)
				continue;
			evbuffer_add_printf(b, "jobgrid_group_joblets{group=\"");
			label(b, g);
			evbuffer_add_printf(b, "\",state=\"%s\"} %d\n", jl_state_name(st),
					    gc->by_state[st]);
		}
	}
}

/* Why waiting and ready joblets are not running, per group: the scheduler's reasons. */
static void reasons(struct call *c, struct evbuffer *b)
{
	json_t *by_group = api_waiting_reasons(&c->srv->sched, &c->who, server_now(c->srv));
	family(b, "jobgrid_joblets_not_running", "gauge",
	       "Waiting and ready joblets by group and the reason they are not running"
	       " (the 8 commonest reasons a group).");
	const char *group;
	json_t *list, *r;
	size_t i;
	json_object_foreach(by_group, group, list) {
		json_array_foreach(list, i, r) {
			evbuffer_add_printf(b, "jobgrid_joblets_not_running{group=\"");
			label(b, group);
			evbuffer_add_printf(b, "\",reason=\"");
			label(b, json_string_value(json_object_get(r, "reason")));
			evbuffer_add_printf(b, "\"} %lld\n",
					    (long long)json_integer_value(json_object_get(r, "joblets")));
		}
	}
	json_decref(by_group);
}

/* With --spawn: what an autoscaler or a dashboard watches beside the ready joblets. */
static void spawned(struct server *srv, struct evbuffer *b)
{
	json_t *sp = spawn_status(srv);
	if (sp == NULL)
		return;
	family(b, "jobgrid_spawned_workers", "gauge", "Workers started by --spawn, by state.");
	static const char *const states[] = {"pending", "running"};
	for (int i = 0; i < 2; i++)
		evbuffer_add_printf(b, "jobgrid_spawned_workers{state=\"%s\"} %lld\n", states[i],
				    (long long)json_integer_value(json_object_get(sp, states[i])));
	json_decref(sp);
}

static void workers(struct server *srv, struct evbuffer *b)
{
	const struct sched *s = &srv->sched;
	int live = 0;
	for (size_t i = 0; i < s->leases.len; i++)
		live += !((struct worker *)s->leases.items[i])->placeholder;
	family(b, "jobgrid_workers", "gauge", "Registered workers.");
	evbuffer_add_printf(b, "jobgrid_workers %d\n", live);
	spawned(srv, b);
	static const char *const names[] = {"jobgrid_worker_running_joblets",
					    "jobgrid_worker_cores_used", "jobgrid_worker_ram_used_bytes",
					    "jobgrid_worker_gpus_used"};
	static const char *const helps[] = {"Joblets running on each worker.",
					    "Cores booked by running joblets, per worker.",
					    "RAM booked by running joblets, per worker.",
					    "GPUs booked by running joblets, per worker."};
	for (int k = 0; k < 4; k++) {
		family(b, names[k], "gauge", helps[k]);
		for (size_t i = 0; i < s->leases.len; i++) {
			const struct worker *w = s->leases.items[i];
			if (w->placeholder)
				continue;
			const int64_t v[] = {w->nrunning, w->used_cores,
					     (int64_t)w->used_ram_mb << 20, w->used_gpus};
			evbuffer_add_printf(b, "%s{worker=\"%s\",node=\"", names[k], w->id);
			label(b, w->name);
			evbuffer_add_printf(b, "\"} %lld\n", (long long)v[k]);
		}
	}
	counter(b, "jobgrid_worker_lease_expiries_total",
		"Workers lost because no word came from them within their lease.",
		s->lease_expiries);
}

static void http(struct server *srv, struct evbuffer *b)
{
	family(b, "jobgrid_http_requests_total", "counter", "HTTP requests by route.");
	for (size_t i = 0; i < http_nroutes(); i++) {
		const struct route *r = http_route(i);
		evbuffer_add_printf(b, "jobgrid_http_requests_total{route=\"%s\"} %llu\n", r->name,
				    (unsigned long long)r->calls);
	}
	family(b, "jobgrid_http_errors_total", "counter", "HTTP replies with a status >= 400, by route.");
	for (size_t i = 0; i < http_nroutes(); i++) {
		const struct route *r = http_route(i);
		evbuffer_add_printf(b, "jobgrid_http_errors_total{route=\"%s\"} %llu\n", r->name,
				    (unsigned long long)r->errors);
	}
	family(b, "jobgrid_http_responses_total", "counter",
	       "HTTP replies by route and status (code \"other\": any status not listed).");
	for (size_t i = 0; i < http_nroutes(); i++) {
		const struct route *r = http_route(i);
		for (int k = 0; k < ROUTE_STATUSES; k++) {
			if (r->by_status[k] == 0)
				continue;
			int code = route_status_code(k);
			char cs[16];
			snprintf(cs, sizeof cs, "%d", code);
			evbuffer_add_printf(b, "jobgrid_http_responses_total{route=\"%s\",code=\"%s\"} %llu\n",
					    r->name, code ? cs : "other",
					    (unsigned long long)r->by_status[k]);
		}
	}
	family(b, "jobgrid_sse_clients", "gauge", "Clients following the event stream.");
	evbuffer_add_printf(b, "jobgrid_sse_clients %zu\n", stream_count(srv, false));
	family(b, "jobgrid_log_followers", "gauge", "Clients reading or following a job's log.");
	evbuffer_add_printf(b, "jobgrid_log_followers %zu\n", stream_count(srv, true));
}

static void store(struct server *srv, struct evbuffer *b)
{
	counter(b, "jobgrid_store_commits_total",
		"Store transactions committed (each one is made durable: one fsync or more).",
		srv->commits);
	counter(b, "jobgrid_store_records_total", "Records committed to the store.",
		srv->committed_recs);
	histogram(b, "jobgrid_store_commit_seconds",
		  "Seconds from a batch's hand-over to the store to its commit.", &srv->commit_s);
	histogram(b, "jobgrid_store_batch_records", "Records per committed batch.",
		  &srv->batch_recs);
	histogram(b, "jobgrid_reserve_seconds",
		  "Seconds the scheduler took to pick the joblets of one reserve.",
		  &srv->reserve_s);
}

void api_metrics(struct call *c)
{
	struct server *srv = c->srv;
	struct evbuffer *b = evbuffer_new();
	states(srv, b);
	reasons(c, b);
	workers(srv, b);
	counter(b, "jobgrid_jobs_added_total", "Jobs added.", srv->jobs_added);
	counter(b, "jobgrid_attempts_started_total", "Attempts started (joblets handed to workers).",
		srv->attempts_started);
	family(b, "jobgrid_script_processes", "gauge", "Lua handler processes running.");
	evbuffer_add_printf(b, "jobgrid_script_processes %d\n", srv->script_children);
	store(srv, b);
	http(srv, b);
	size_t len = evbuffer_get_length(b);
	char *text = xmalloc(len + 1);
	evbuffer_remove(b, text, len);
	evbuffer_free(b);
	call_reply_text(c, 200, "text/plain; version=0.0.4", text, len);
	free(text);
}
