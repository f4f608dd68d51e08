/* POST /v1/prune: remove finished jobs that ended before a time (server/prune.h). */
#include "api/api.h"
#include "api/call.h"
#include "api/decode.h"
#include "api/handlers.h"
#include "base/clock.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include "server/prune.h"
#include "server/server.h"
#include <string.h>

struct prune_req {
	int64_t before;			/* wall ms */
	const char *group;		/* interned, or NULL: every group */
	bool dry_run;
};

/* {"finished_before": DURATION ago or an RFC 3339 time, "group"?: G, "dry_run"?: bool} */
static int decode_prune(json_t *body, int64_t now, struct prune_req *r, struct derr *e)
{
	static const char *const fields[] = {"finished_before", "group", "dry_run", NULL};
	if (!json_is_object(body))
		return derr_set(e, ERR_BAD_REQUEST, "", "the body must be an object"
				" {\"finished_before\": \"30d\"}");
	if (check_fields(body, "", fields, e))
		return -1;
	json_t *fb = json_object_get(body, "finished_before"), *g = json_object_get(body, "group"),
	       *dr = json_object_get(body, "dry_run");
	const char *text = json_string_value(fb), *why = NULL;
	int64_t ms;
	if (!json_is_string(fb))
		return derr_set(e, ERR_BAD_REQUEST, "finished_before",
				"finished_before: a duration (30d: that long ago) or an RFC 3339 time");
	if (g && !json_is_string(g))
		return derr_set(e, ERR_BAD_REQUEST, "group", "group: a string");
	if (dr && !json_is_boolean(dr))
		return derr_set(e, ERR_BAD_REQUEST, "dry_run", "dry_run: true or false");
	if (clock_parse_duration(text, &ms, &why) == 0) {
		if (ms <= 0)
			return derr_set(e, ERR_RULE_BROKEN, "finished_before",
					"finished_before: a duration must be more than 0, got '%.100s'",
					text);
		r->before = now - ms;
	} else if (clock_parse_rfc3339(text, &ms) == 0) {
		r->before = ms;
	} else {
		return derr_set(e, ERR_RULE_BROKEN, "finished_before",
				"finished_before: a duration (30d: that long ago) or an RFC 3339 time,"
				" got '%.100s'", text);
	}
	r->group = g ? intern(json_string_value(g)) : NULL;
	r->dry_run = json_is_true(dr);
	return 0;
}

struct prune_wait {
	struct call *call;		/* kept until the reply */
	int64_t before;
	bool dry_run;
};

static void on_pruned(void *arg, const struct prune_result *r)
{
	struct prune_wait *pw = arg;
	char when[40];
	call_reply(pw->call, 200, json_pack("{s:I, s:I, s:I, s:b, s:s}", "jobs", (json_int_t)r->jobs,
					    "joblets", (json_int_t)r->joblets, "kept",
					    (json_int_t)r->kept, "dry_run", pw->dry_run,
					    "finished_before",
					    clock_format_rfc3339(pw->before, when, sizeof when)));
	free(pw);
}

void api_prune(struct call *c)
{
	struct prune_req r = {0};
	struct derr e;
	if (decode_prune(c->body, server_now(c->srv), &r, &e)) {
		call_error(c, e.err, e.field, "%s", e.message);
		return;
	}
	struct prune_wait *pw = xcalloc(1, sizeof *pw);
	*pw = (struct prune_wait){c, r.before, r.dry_run};
	c->kept = true;
	if (prune_start(c->srv, r.before, r.group, r.dry_run, on_pruned, pw) != 0) {
		c->kept = false;
		free(pw);
		call_error(c, ERR_CONFLICT, "", "a prune is already running; try again when it ends");
	}
}
