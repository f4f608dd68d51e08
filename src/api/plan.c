/* The job networks' views (SPEC §7): the plan of a day, a simulation of days to come,
 * and pausing a definition's runs. The planner and its stored runs are network.c's. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/network.h"
#include "server/history.h"
#include "server/server.h"
#include "net/plan.h"
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

/* A run's job as who may see it: its seq, or null (none yet, or another user's). */
static json_t *run_job(struct call *c, int64_t seq)
{
	const struct job *j = seq ? server_job(c->srv, seq) : NULL;
	if (seq && ((c->who.roles & ROLE_ADMIN) || (j && principal_owns(&c->who, j->owner))))
		return json_integer(seq);
	return json_null();
}

static json_t *view_json(struct call *c, const struct net_run *r)
{
	json_t *o = json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:o, s:o}", "id", (json_int_t)r->id,
			      "definition", r->def, "planned_at", render_time(r->planned_at),
			      "state", net_state_name(r->state), "reason", r->reason, "origin",
			      net_origin_name(r->origin), "started_at", render_time(r->started_at),
			      "ended_at", render_time(r->ended_at));
	json_object_set_new(o, "job", run_job(c, r->job));
	return o;
}

static void reply_simulation(struct call *c, long days)
{
	struct net_timeline tl = {0};
	int64_t now = server_now(c->srv);
	net_simulate(c->srv->plan, now, net_days_later(now, (int)days), NULL, 0, 60000, &tl);
	json_t *evs = json_array();
	for (size_t i = 0; i < tl.n; i++)
		json_array_append_new(evs, json_pack("{s:o, s:s, s:s, s:s, s:I}", "at",
						     render_time(tl.ev[i].at), "definition",
						     tl.ev[i].def, "event",
						     net_event_name(tl.ev[i].kind), "reason",
						     tl.ev[i].reason, "run", (json_int_t)tl.ev[i].run_id));
	call_reply(c, 200, json_pack("{s:o, s:o, s:b}", "from", render_time(now), "events", evs,
				     "truncated", tl.truncated));
	net_timeline_free(&tl);
}

/* A local date (days since 1970-01-01) as YYYY-MM-DD: the day the plan shows, so that a
 * client knows which "today" it got. */
static json_t *date_json(int64_t day)
{
	time_t t = (time_t)(day * 86400);
	struct tm tm;
	char buf[32] = "";
	if (gmtime_r(&t, &tm))
		strftime(buf, sizeof buf, "%Y-%m-%d", &tm);
	return json_string(buf);
}

/* GET /v1/plan?date=YYYY-MM-DD | ?simulate=DAYS */
void api_plan(struct call *c)
{
	const char *date = call_query(c, "date"), *sim = call_query(c, "simulate");
	if (sim) {
		char *end;
		long days = strtol(sim, &end, 10);
		if (*sim == '\0' || *end || days < 1 || days > 366) {
			call_error(c, ERR_BAD_REQUEST, "simulate", "simulate: a number of days"
				   " 1..366, got '%s'", sim);
			return;
		}
		reply_simulation(c, days);
		return;
	}
	int64_t day = net_local_day(server_now(c->srv)), from, to;
	if (date && net_parse_date(date, &day)) {
		call_error(c, ERR_BAD_REQUEST, "date", "date: YYYY-MM-DD, got '%s'", date);
		return;
	}
	net_day_bounds(day, &from, &to);
	struct net_run *runs = NULL;
	char *err = NULL;
	ssize_t n = network_day(c->srv, from, to, &runs, &err);
	if (n < 0) {
		call_error(c, ERR_INTERNAL, "", "cannot read the stored runs: %s", err);
		free(err);
		return;
	}
	json_t *arr = json_array();
	for (ssize_t i = 0; i < n; i++)
		json_array_append_new(arr, view_json(c, &runs[i]));
	free(runs);
	call_reply(c, 200, json_pack("{s:o, s:o, s:o, s:o}", "date", date_json(day), "from",
				     render_time(from), "to", render_time(to), "runs", arr));
}

static void pause_resume(struct call *c, bool paused)
{
	if (network_pause(c->srv, c->params[0], paused)) {
		call_error(c, ERR_NOT_FOUND, "name", "no definition %s", c->params[0]);
		return;
	}
	call_reply(c, 200, json_pack("{s:s, s:b}", "definition", c->params[0], "paused", paused));
}

void api_def_pause(struct call *c)
{
	pause_resume(c, true);
}

void api_def_resume(struct call *c)
{
	pause_resume(c, false);
}
