/* The server's clock: GET /v1/clock says what time the server runs on; POST moves a test
 * clock (`jobgrid server --test-clock START`) forward, running every timer due on the way
 * (job timers and the job networks' plans) before it answers. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/server.h"
#include "base/clock.h"
#include "api/decode.h"
#include "server/persist.h"

static void reply_now(struct call *c)
{
	call_reply(c, 200, json_pack("{s:o, s:b}", "now", render_time(server_now(c->srv)), "test_clock",
				     server_test_clock(c->srv)));
}

void api_clock_get(struct call *c)
{
	reply_now(c);
}

static const char *const clock_fields[] = {"advance", "set", NULL};

/* The body's one move: 0 with *adv or *set (borrowed), or -1 after replying 400 naming
 * the field at fault. */
static int clock_body(struct call *c, const char **adv, const char **set)
{
	struct derr e;
	json_t *a = json_object_get(c->body, "advance"), *s = json_object_get(c->body, "set");
	if (!json_is_object(c->body)) {
		call_error(c, ERR_BAD_REQUEST, "", "the body must be {\"advance\": DURATION} or"
			   " {\"set\": TIME}");
		return -1;
	}
	if (check_fields(c->body, "", clock_fields, &e)) {
		call_error(c, e.err, e.field, "%s (known: advance, set)", e.message);
		return -1;
	}
	if ((a && !json_is_string(a)) || (s && !json_is_string(s))) {
		const char *f = a && !json_is_string(a) ? "advance" : "set";
		call_error(c, ERR_BAD_REQUEST, f, "%s: must be a string (%s)", f,
			   *f == 'a' ? "a duration such as \"1h30m\"" : "an RFC 3339 time");
		return -1;
	}
	if ((a == NULL) == (s == NULL)) {
		call_error(c, ERR_BAD_REQUEST, a ? "set" : "advance", "give one of advance (a"
			   " duration) and set (an RFC 3339 time)%s", a ? ", not both" : "");
		return -1;
	}
	*adv = json_string_value(a);
	*set = json_string_value(s);
	return 0;
}

/* A page drawn on the server's clock (the plan's "now", its day) redraws on this event:
 * every caller may read the clock, so every stream gets it. */
static void clock_moved_event(struct server *srv, int64_t from, int64_t to)
{
	json_t *e = json_pack("{s:s, s:o, s:o, s:o}", "event", "clock.moved", "at",
			      render_time(to), "from", render_time(from), "now", render_time(to));
	persist_notice(srv, e);
}

/* POST /v1/clock {"advance": "1h30m"} | {"set": "2026-11-23T06:00:00Z"} */
void api_clock_post(struct call *c)
{
	const char *adv = NULL, *set = NULL;
	/* The body first: a malformed request is the caller's mistake on any server. */
	if (clock_body(c, &adv, &set))
		return;
	if (!server_test_clock(c->srv)) {
		call_error(c, ERR_NO_TEST_CLOCK, "", "this server runs on the real clock; start"
			   " it with --test-clock START to move its clock");
		return;
	}
	int64_t to = 0, d = 0;
	const char *why = "";
	if (adv && (adv[0] == '-' || clock_parse_duration(adv, &d, &why))) {
		call_error(c, ERR_RULE_BROKEN, "advance", "advance: %s, got '%s'",
			   adv[0] == '-' ? "the clock only moves forward" : why, adv);
		return;
	}
	if (set && clock_parse_rfc3339(set, &to)) {
		call_error(c, ERR_RULE_BROKEN, "set", "set: an RFC 3339 time, got '%s'", set);
		return;
	}
	if (adv)
		to = server_now(c->srv) + d;
	if (to < server_now(c->srv)) {
		call_error(c, ERR_RULE_BROKEN, "set", "set: the clock only moves forward, got '%s'",
			   set);
		return;
	}
	int64_t from = server_now(c->srv);
	server_clock_move(c->srv, to);
	clock_moved_event(c->srv, from, to);
	reply_now(c);
}
