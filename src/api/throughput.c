/* Joblets started, done and failed per minute over the last hour, from the attempts the
 * scheduler holds (so it survives a restart, and a user counts their own jobs only):
 * GET /v1/stats?throughput=1, the dashboard's chart. A job that ended before the hour
 * began is skipped whole, so the cost is the attempts of the jobs live in that hour. */
#include "api/handlers.h"
#include "api/render.h"
#include "auth/principal.h"
#include "core/sched.h"

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

static void count_job(struct tp_counts *t, const struct job *j)
{
	for (int32_t i = 0; i < j->njoblets; i++)
		for (const struct attempt *a = j->joblets[i].attempts; a; a = a->next) {
			count(t->started, t, a->started_at);
			if (a->ended_at && a->state == AS_DONE)
				count(t->done, t, a->ended_at);
			else if (a->ended_at && (a->state == AS_FAILED || a->state == AS_LOST))
				count(t->failed, t, a->ended_at);
		}
}

static json_t *series(const json_int_t *b)
{
	json_t *a = json_array();
	for (int i = 0; i < TP_BUCKETS; i++)
		json_array_append_new(a, json_integer(b[i]));
	return a;
}

json_t *api_throughput(const struct sched *s, const struct principal *who, int64_t now)
{
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
	return json_pack("{s:i, s:o, s:o, s:o, s:o}", "interval_s", (int)(TP_STEP_MS / 1000), "from",
			 render_time(t.from), "started", series(t.started), "done", series(t.done),
			 "failed", series(t.failed));
}
