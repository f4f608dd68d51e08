/* Scheduler hooks → store records (store_add_*) and lifecycle events of the open batch;
 * output chunks and Idempotency-Key answers → records. */
#include "server/persist.h"
#include "server/batch.h"
#include "server/network.h"
#include "server/scripts.h"
#include "server/server.h"
#include "server/trim.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <string.h>

static void on_job_put(void *ctx, struct job *j, bool created)
{
	struct server *srv = ctx;
	store_add_job(&server_batch(srv)->sb, j, created);
	j->opts_dirty = false;	/* in this batch now */
	j->put_gen = srv->submitted + 1;	/* history.c: in memory until it is committed */
	if (created) {
		srv->jobs_added++;
		srv->offer_parked = true;
	}
	server_mark_dirty(srv);
}

static void on_job_removed(void *ctx, struct job *j)
{
	struct server *srv = ctx;
	struct batch *b = server_batch(srv);
	store_batch_add(&b->sb, REC_JOB_DEL)->u.job.seq = j->seq;
	/* Records of earlier batches may still borrow j->cmd: free after this commit. */
	b->graveyard = xrealloc(b->graveyard, b->ngrave + 1, sizeof *b->graveyard);
	b->graveyard[b->ngrave++] = j;
	server_mark_dirty(srv);
}

static void on_joblet_put(void *ctx, struct joblet *jl)
{
	struct server *srv = ctx;
	store_add_joblet(&server_batch(srv)->sb, jl);
	jl->job->put_gen = srv->submitted + 1;
	trim_note(srv, jl);
	if (jl->state == JS_READY)
		srv->offer_parked = true;
	server_mark_dirty(srv);
}

static void on_attempt_put(void *ctx, struct attempt *a)
{
	struct server *srv = ctx;
	store_add_attempt(&server_batch(srv)->sb, a);
	a->joblet->job->put_gen = srv->submitted + 1;
	if (a->state == AS_RUNNING)
		srv->attempts_started++;
	else
		srv->offer_parked = true;	/* resources freed: a parked reserve may fit now (its
					 * worker's report can overtake the poll that asked) */
	server_mark_dirty(srv);
}

static void on_limit_put(void *ctx, const struct limit_group *g)
{
	struct server *srv = ctx;
	struct rec_limit *r = &store_batch_add(&server_batch(srv)->sb, REC_LIMIT)->u.limit;
	r->name = g->name;
	r->limit = g->limit;
	srv->offer_parked = true;
	server_mark_dirty(srv);
}

/* An event of job j: {"event": name, "at", "job", "seq", "owner"} (new reference). */
static json_t *job_event(struct server *srv, const char *name, const struct job *j)
{
	char id[400], at[40];
	job_id(j, id, sizeof id);
	/* owner: who may read it (api/stream.c sends a user their own jobs' events). */
	return json_pack("{s:s, s:s, s:s, s:I, s:s}", "event", name, "at",
			 clock_format_rfc3339(server_now(srv), at, sizeof at), "job", id, "seq",
			 (json_int_t)j->seq, "owner", j->owner);
}

void persist_job_notice(struct server *srv, const struct job *j, const char *name)
{
	if (persist_events_on(srv))
		persist_notice(srv, job_event(srv, name, j));
}

/* ---- the kept events (server.h: struct kept_events) -------------------------------- */

/* Ids in the store beyond STORE_EVENTS_KEEP go in slices of at least this many, in the
 * batches' own transactions: each commit deletes a bounded range, never the backlog. */
#define EVENTS_PRUNE_SLICE 1024

int persist_events_load(struct server *srv, char **err)
{
	struct store_events se = {0};
	if (srv->store->vt->load_events(srv->store, &se, err))
		return -1;
	struct kept_events *k = &srv->events;
	k->epoch = se.epoch;
	k->lo = se.lo ? se.lo : se.hi + 1;
	k->loaded = se.hi;
	k->next = se.hi + 1;
	/* Just started or just become leader: whoever read the events of the server before
	 * may reconnect here, so they are built for a while, unless nobody could resume: the
	 * store has none, or the newest is a gap (every id given is before it). That keeps a
	 * server nobody reads (a benchmark's) from building them. */
	k->gap = se.hi == 0 || se.hi_gap;
	k->until_mono = k->gap ? 0 : clock_mono_ms() + k->window_ms;
	return 0;
}

/* Event e (taken; NULL: a gap) goes to the store with the open batch, and to the streams
 * after it. */
static void add_event(struct server *srv, json_t *e)
{
	struct kept_events *k = &srv->events;
	struct batch *b = server_batch(srv);
	struct rec_event *r = &store_batch_add(&b->sb, REC_EVENT)->u.event;
	r->id = k->next++;
	r->data = e ? json_dumps(e, JSON_COMPACT) : NULL;
	k->gap = false;
	if (e == NULL)
		e = json_null();
	if (b->events == NULL)
		b->events = json_array();
	size_t n = json_array_size(b->events);
	if (n == b->event_ids_cap) {
		b->event_ids_cap = n ? 2 * n : 16;
		b->event_ids = xrealloc(b->event_ids, b->event_ids_cap, sizeof *b->event_ids);
	}
	b->event_ids[n] = r->id;
	json_array_append_new(b->events, e);
	server_mark_dirty(srv);
}

bool persist_events_on(struct server *srv)
{
	struct kept_events *k = &srv->events;
	if (srv->face->listening(srv) || clock_mono_ms() < k->until_mono)
		return true;
	if (!k->gap) {
		/* What changes now has no event: an id of its own says so in the store (and to
		 * the recall once committed). */
		add_event(srv, NULL);
		k->gap = true;
	}
	return false;
}

void persist_events_prune(struct server *srv)
{
	struct kept_events *k = &srv->events;
	int64_t keep_from = k->next - STORE_EVENTS_KEEP;
	if (keep_from - k->lo < EVENTS_PRUNE_SLICE)
		return;
	/* Twice what this batch adds, so the store catches up after a burst. */
	int64_t step = 2 * (int64_t)json_array_size(server_batch(srv)->events);
	if (step < EVENTS_PRUNE_SLICE)
		step = EVENTS_PRUNE_SLICE;
	int64_t before = k->lo + step < keep_from ? k->lo + step : keep_from;
	store_batch_add(&server_batch(srv)->sb, REC_EVENT_PRUNE)->u.prune_before = before;
	k->lo = before;
}

static void on_event(void *ctx, int ev, struct job *j, struct joblet *jl, struct attempt *a)
{
	struct server *srv = ctx;
	if (j->x && j->x->script && (ev == EV_JOBLET_RETURNED || ev == EV_JOB_ENDED))
		scripts_event(srv, ev, j, a);
	if (ev == EV_JOB_ENDED && j->x && j->x->script)	/* a run of a definition */
		network_job_ended(srv, j);
	if (!persist_events_on(srv))
		return;	/* nobody listens: do not build what nobody reads */
	json_t *e = job_event(srv, sched_event_name(ev), j);
	if (jl)
		json_object_set_new(e, "index", json_integer(jl->index));
	if (a) {
		json_object_set_new(e, "attempt", json_integer(a->id));
		json_object_set_new(e, "node", json_string(a->node));
	}
	if (ev == EV_JOBLET_RETURNED && a) {
		json_object_set_new(e, "state", json_string(at_state_name(a->state)));
		json_object_set_new(e, "exit_code", a->has_exit ? json_integer(a->exit_code)
							       : json_null());
		json_object_set_new(e, "fail_reason", json_string(fail_reason_name(a->fail_reason)));
	}
	if (ev == EV_JOB_ENDED)
		json_object_set_new(e, "state", json_string(jl_state_name(j->state)));
	add_event(srv, e);
}

/* The `worker.left` reason for why (one of core/worker.h's WORKER_GONE_*). */
static const char *left_reason(const struct server *srv, const char *why)
{
	if (why == NULL)
		return "lost";
	if (strcmp(why, WORKER_GONE_LEFT) == 0)
		return srv->draining ? "drained" : "left";
	if (strcmp(why, WORKER_GONE_LEASE) == 0)
		return "lease_expired";
	if (strcmp(why, WORKER_GONE_EXITED) == 0)
		return "exited";
	if (strcmp(why, WORKER_GONE_REPLACED) == 0)
		return "replaced";
	return "lost";
}

void persist_worker_event(struct server *srv, const struct worker *w, bool joined)
{
	if (!persist_events_on(srv))
		return;	/* nobody listens: do not build what nobody reads */
	char at[40];
	json_t *e = json_pack("{s:s, s:s, s:s, s:s}", "event", joined ? "worker.joined" : "worker.left",
			      "at", clock_format_rfc3339(server_now(srv), at, sizeof at), "worker",
			      w->id, "node", w->name);
	if (joined) {
		json_object_set_new(e, "cores", json_integer(w->cores));
		json_object_set_new(e, "ram_mb", json_integer(w->ram_mb));
		json_object_set_new(e, "gpus", json_integer(w->gpus));
	} else {
		json_object_set_new(e, "reason", json_string(left_reason(srv, w->gone_why)));
		json_object_set_new(e, "message", json_string(w->gone_why ? w->gone_why : ""));
		json_object_set_new(e, "lost_joblets", json_integer(w->nrunning));
	}
	persist_notice(srv, e);
}

static void on_worker_lost(void *ctx, struct worker *w)
{
	struct server *srv = ctx;
	persist_worker_event(srv, w, false);
	if (w->nrunning)
		log_warn("worker %s (%s) dropped: %s; %d joblets re-queued or failed", w->id,
			 w->name, w->gone_why ? w->gone_why : "?", w->nrunning);
	else if (!w->placeholder)
		log_info("worker %s (%s) dropped: %s", w->id, w->name, w->gone_why ? w->gone_why : "?");
	srv->face->worker_lost(srv, w);
}

const struct sched_hooks persist_hooks = {
	.job_put = on_job_put,
	.job_removed = on_job_removed,
	.joblet_put = on_joblet_put,
	.attempt_put = on_attempt_put,
	.event = on_event,
	.worker_lost = on_worker_lost,
	.limit_put = on_limit_put,
};

void persist_output(struct server *srv, int64_t attempt, int64_t seq, int64_t at, char *data,
		    size_t len)
{
	struct batch *b = server_batch(srv);
	struct rec_output *r = &store_batch_add(&b->sb, REC_OUTPUT)->u.output;
	r->attempt = attempt;
	r->seq = seq;
	r->at = at;
	r->data = data;
	r->len = len;
	b->has_output = true;
	server_mark_dirty(srv);
}

void persist_idem_answer(struct server *srv, const char *key, int32_t status, const char *body)
{
	int64_t at = clock_wall_ms();
	idem_answer(&srv->idem, key, status, body, at);
	struct rec *r = store_batch_add(&server_batch(srv)->sb, REC_IDEM);
	const char *nl = strchr(key, '\n');
	r->u.idem.owner = intern_n(key, (size_t)(nl - key));
	r->u.idem.key = xstrdup(nl + 1);
	r->u.idem.body = xstrdup(body);
	r->u.idem.status = status;
	r->u.idem.at = at;
	server_mark_dirty(srv);
}

void persist_notice(struct server *srv, json_t *e)
{
	if (!persist_events_on(srv)) {
		json_decref(e);
		return;
	}
	add_event(srv, e);
}

void persist_idem_load(void *arg, const char *owner, const char *key, int32_t status,
		       const char *body, int64_t at)
{
	struct server *srv = arg;
	char *full = xasprintf("%s\n%s", owner, key);
	idem_answer(&srv->idem, full, status, body, at);
	free(full);
}

void persist_idem_prune(struct server *srv, int64_t before)
{
	idem_prune_before(&srv->idem, before);
	store_batch_add(&server_batch(srv)->sb, REC_IDEM_PRUNE)->u.prune_before = before;
	server_mark_dirty(srv);
}
