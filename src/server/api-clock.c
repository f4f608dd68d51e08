/* The server's clock: GET /v1/clock says what time the server runs on; POST moves a test
 * clock (`jobgrid server --test-clock START`) forward, running every timer due on the way
 * (job timers and the job networks' plans) before it answers. */
#include "server/server.h"
#include "base/clock.h"
#include "server/decode.h"

static void reply_now(struct call *c)
{
	call_reply(c, 200, json_pack("{s:o, s:b}", "now", render_time(server_now()), "test_clock",
				     server_test_clock()));
}

void api_clock_get(struct call *c)
{
	reply_now(c);
}

static const char *const clock_fields[] = {"advance", "set", NULL};

/* POST /v1/clock {"advance": "1h30m"} | {"set": "2026-11-23T06:00:00Z"} */
void api_clock_post(struct call *c)
{
	struct derr e;
	const char *adv = json_string_value(json_object_get(c->body, "advance"));
	const char *set = json_string_value(json_object_get(c->body, "set"));
	if (!server_test_clock()) {
		call_error(c, 409, "no_test_clock", "", "this server runs on the real clock; start"
			   " it with --test-clock START to move its clock");
		return;
	}
	if (!json_is_object(c->body) || check_fields(c->body, "", clock_fields, &e) ||
	    (adv == NULL) == (set == NULL)) {
		call_error(c, 400, "bad_request", "advance", "give one of advance (a duration) and"
			   " set (an RFC 3339 time)");
		return;
	}
	int64_t to, d;
	const char *why = "";
	if (adv && (clock_parse_duration(adv, &d, &why) || d < 0)) {
		call_error(c, 422, "bad_request", "advance", "advance: %s, got '%s'",
			   *why ? why : "must not be negative", adv);
		return;
	}
	if (set && clock_parse_rfc3339(set, &to)) {
		call_error(c, 422, "bad_request", "set", "set: an RFC 3339 time, got '%s'", set);
		return;
	}
	if (adv)
		to = server_now() + d;
	if (to < server_now()) {
		call_error(c, 422, "bad_request", "set", "set: the clock only moves forward, got '%s'",
			   set);
		return;
	}
	server_clock_move(c->srv, to);
	reply_now(c);
}
