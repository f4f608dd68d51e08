/* Limit groups: GET /v1/limits, GET and PUT /v1/limits/{name}. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/server.h"
#include "api/decode.h"

/* g->waiting must be fresh: sched_count_limit_waiting first. */
json_t *render_limit(const struct limit_group *g)
{
	return json_pack("{s:s, s:i, s:i, s:I}", "name", g->name, "limit", g->limit, "running",
			 g->running, "waiting", (json_int_t)g->waiting);
}

void api_limits_list(struct call *c)
{
	struct sched *s = &c->srv->sched;
	json_t *arr = json_array();
	sched_count_limit_waiting(s);
	for (size_t i = 0; i < s->limits.cap; i++)
		if (s->limits.slots[i].val)
			json_array_append_new(arr, render_limit(s->limits.slots[i].val));
	call_reply(c, 200, json_pack("{s:o}", "limits", arr));
}

static bool limit_name_ok(const char *n)
{
	return name_valid(n, 128);
}

void api_limit_get(struct call *c)
{
	struct limit_group *g = limit_name_ok(c->params[0])
					? sched_limit(&c->srv->sched, c->params[0], false)
					: NULL;
	if (g == NULL) {
		call_error(c, ERR_NOT_FOUND, "name", "no limit group %s", c->params[0]);
		return;
	}
	sched_count_limit_waiting(&c->srv->sched);
	call_reply(c, 200, render_limit(g));
}

static const char *const limit_fields[] = {"limit", NULL};

void api_limit_put(struct call *c)
{
	struct derr e;
	int64_t n;
	if (!limit_name_ok(c->params[0])) {
		call_error(c, ERR_RULE_BROKEN, "name",
			   "name: a limit group is 1..128 of [A-Za-z0-9_.-], got '%s'", c->params[0]);
		return;
	}
	if (!json_is_object(c->body)) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be {\"limit\": N}");
		return;
	}
	if (check_fields(c->body, "", limit_fields, &e) ||
	    get_int(c->body, "", "limit", -1, 1000000, -2, &n, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	if (n == -2) {
		call_error(c, ERR_BAD_REQUEST, "limit", "limit: is required (-1 lifts the limit)");
		return;
	}
	struct limit_group *g = sched_limit(&c->srv->sched, c->params[0], true);
	sched_limit_set(&c->srv->sched, g, (int32_t)n);
	sched_count_limit_waiting(&c->srv->sched);
	call_reply(c, 200, render_limit(g));
}
