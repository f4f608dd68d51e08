/* Joblets started, done and failed per minute over the last hour, from the attempts the
 * scheduler holds and, for jobs out of memory (server/history.c), from the store (so it
 * survives a restart, and a user counts their own jobs only): GET /v1/stats?throughput=1,
 * the dashboard's chart. A job in memory that ended before the hour began is skipped
 * whole; the store is asked only for the part of the hour in which a job out of memory
 * can have ended (before now - --history-memory), through its index of attempts by end.
 * So the cost is the attempts of the jobs live in that hour. */
#include "api/handlers.h"
#include "api/render.h"
#include "auth/principal.h"
#include "base/log.h"
#include "core/sched.h"
#include "server/server.h"
#include "store/store.h"
#include <stdlib.h>

#define TP_BUCKETS 60
#define TP_STEP_MS ((int64_t)60 * 1000)

struct tp_counts {
	int64_t from, to;	/* wall ms: [from, to) */
	json_int_t started[TP_BUCKETS], done[TP_BUCKETS], failed[TP_BUCKETS];
};

static void count(json_int_t *b, const struct tp_counts *t, int64_t at)
{
	if (at >= t->from && at < t->to)
		b[(at - t->from) / TP_STEP_MS]++;
}

static void count_attempt(struct tp_counts *t, int64_t started_at, int64_t ended_at, int state)
{
	count(t->started, t, started_at);
	if (ended_at && state == AS_DONE)
		count(t->done, t, ended_at);
	else if (ended_at && (state == AS_FAILED || state == AS_LOST))
		count(t->failed, t, ended_at);
}

static void count_job(struct tp_counts *t, const struct job *j)
{
	for (int32_t i = 0; i < j->njoblets; i++)
		for (const struct attempt *a = j->joblets[i].attempts; a; a = a->next)
			count_attempt(t, a->started_at, a->ended_at, a->state);
}

struct tp_stored {
	struct tp_counts *t;
	const struct sched *s;
};

/* An attempt from the store: counted unless its job is in memory (counted there). */
static void count_stored(void *arg, int64_t seq, int64_t started_at, int64_t ended_at, int state)
{
	const struct tp_stored *ts = arg;
	if (sched_job(ts->s, seq) == NULL)
		count_attempt(ts->t, started_at, ended_at, state);
}

/* The attempts of jobs out of memory: they ended at or before now - history_ms (their job
 * ended then at the latest, and left memory no sooner). */
static void count_history(struct server *srv, const struct principal *who, struct tp_counts *t,
			  int64_t now)
{
	const struct sched *s = &srv->sched;
	if (srv->history_ms < 0 || s->nevicted == 0)
		return;
	int64_t to = now - srv->history_ms + 1 < t->to ? now - srv->history_ms + 1 : t->to;
	if (to <= t->from)
		return;
	struct tp_stored ts = {t, s};
	char *err = NULL;
	if (srv->store->vt->ended_attempts(srv->store, t->from, to,
					   who->roles & ROLE_ADMIN ? NULL : who->name, count_stored,
					   &ts, &err)) {
		log_error("throughput: reading attempts: %s", err);
		free(err);
	}
}

static json_t *series(const json_int_t *b)
{
	json_t *a = json_array();
	for (int i = 0; i < TP_BUCKETS; i++)
		json_array_append_new(a, json_integer(b[i]));
	return a;
}

json_t *api_throughput(struct server *srv, const struct principal *who, int64_t now)
{
	const struct sched *s = &srv->sched;
	struct tp_counts t = {0};
	t.to = (now / TP_STEP_MS + 1) * TP_STEP_MS;	/* the minute now is in, last */
	t.from = t.to - TP_BUCKETS * TP_STEP_MS;
	for (int64_t seq = sched_skip_empty(s, 1, 1); seq < s->next_seq && seq < s->jobs_cap;
	     seq = sched_skip_empty(s, seq + 1, 1)) {
		const struct job *j = s->jobs[seq];
		if (j == NULL || (j->ended_at && j->ended_at < t.from) || !principal_owns(who, j->owner))
			continue;
		count_job(&t, j);
	}
	count_history(srv, who, &t, now);
	return json_pack("{s:i, s:o, s:o, s:o, s:o}", "interval_s", (int)(TP_STEP_MS / 1000), "from",
			 render_time(t.from), "started", series(t.started), "done", series(t.done),
			 "failed", series(t.failed));
}
