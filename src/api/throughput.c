/* Joblets started, done and failed per minute over the last hour, from the attempts the
 * scheduler holds and the per-minute tallies of those that left memory (trimmed, or with
 * their job: core/sched.h's sched_tally; recovery tallies those of the jobs it loads as
 * history, server/history.c), so it survives a restart, and a user counts their own jobs
 * only: GET /v1/stats?throughput=1, the dashboard's chart. A job that ended before the
 * hour began is skipped whole, so the cost is the attempts of the jobs live in that hour. */
#include "api/handlers.h"
#include "api/render.h"
#include "auth/principal.h"
#include "core/sched.h"
#include "server/server.h"

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

/* Attempts that left memory (core/sched.h's tallies), of the owners who may see. */
static void count_tallies(struct tp_counts *t, const struct sched *s, const struct principal *who)
{
	for (size_t i = 0; i < s->tallies.cap; i++) {
		const struct owner_tally *o = s->tallies.slots[i].val;
		if (o == NULL || !principal_owns(who, o->owner))
			continue;
		for (int k = 0; k < TALLY_MINUTES; k++) {
			const struct minute_tally *m = &o->m[k];
			int64_t at = m->minute * 60000;
			if (at < t->from || at >= t->to)
				continue;
			int64_t b = (at - t->from) / TP_STEP_MS;
			t->started[b] += m->started;
			t->done[b] += m->done;
			t->failed[b] += m->failed;
		}
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
	const struct job *j;
	for (int64_t seq = 1; (j = sched_next_job(s, &seq)) != NULL; seq++) {
		if ((j->ended_at && j->ended_at < t.from) || !principal_owns(who, j->owner))
			continue;
		count_job(&t, j);
	}
	count_tallies(&t, s, who);
	return json_pack("{s:i, s:o, s:o, s:o, s:o}", "interval_s", (int)(TP_STEP_MS / 1000), "from",
			 render_time(t.from), "started", series(t.started), "done", series(t.done),
			 "failed", series(t.failed));
}
