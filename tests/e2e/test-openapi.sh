#!/bin/bash
# The API document (docs/openapi.json): GET /v1/openapi.json serves the file compiled in,
# open to an anonymous caller of a server with --auth (it names nobody's data); the replies
# of a tour of the routes match its schemas (lib.sh checks every recorded reply when the
# test passes), and the checker does refuse a reply that breaks them.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)

start_server --auth --local-workers 1
TOKEN=$(cat "$T/data/admin.token")

# ---- served as compiled in, to anyone -------------------------------------------------
api GET /v1/openapi.json >"$T/served"
served=$(cat "$T/served")
expect_eq "$API_STATUS" 200 "an anonymous caller gets the document"
expect_eq "$(jq -S . <<<"$served")" "$(jq -S . "$ROOT/docs/openapi.json")" \
	"the served document is docs/openapi.json"
expect_eq "$(jq -r .openapi <<<"$served")" 3.1.0 "OpenAPI 3.1"
ctype=$(curl -sS -o /dev/null -w '%{content_type}' "$JOBGRID_URL/v1/openapi.json")
expect_eq "$ctype" application/json "served as application/json"

# ---- a tour of the routes, as an admin; every reply is checked at exit ------------------
auth() { API_TOKEN=$TOKEN api "$@"; }	# api as the admin
workers_up() { [[ $(auth GET /v1/workers | jq '.workers | length') == 1 ]]; }
wait_until 20 workers_up
auth POST /v1/jobs '{"cmd": "echo hi", "joblets": 2, "env": {"A": "b"}}' >"$T/added"
id=$(jq -r '.ids[0]' "$T/added")
expect_eq "$API_STATUS" 201 "a job is added"
auth POST /v1/jobs '[{"cmd": "true"}, {"cmd": "true", "priority": 3}]' >/dev/null
expect_eq "$API_STATUS" 201 "a batch is added"
done_now() { [[ $(auth GET "/v1/jobs/$id" | jq -r .state) == done ]]; }
wait_until 20 done_now
for path in "/v1/jobs/$id" "/v1/jobs/$id?joblets=0" "/v1/jobs?order=desc&limit=1" \
	/v1/jobs?state=done /v1/stats '/v1/stats?reasons=1' /v1/workers /v1/limits \
	/v1/definitions /v1/plan /v1/clock /v1/whoami /v1/users /v1/tokens; do
	auth GET "$path" >/dev/null
	expect_eq "$API_STATUS" 200 "GET $path"
done
auth GET "/v1/jobs/$id/log" >/dev/null
auth PUT /v1/limits/db '{"limit": 2}' >/dev/null
expect_eq "$API_STATUS" 200 "a limit is set"
auth GET /v1/limits/db >/dev/null
auth POST "/v1/jobs/$id/retry" >/dev/null
expect_eq "$API_STATUS" 200 "a retry"
wait_until 20 done_now
auth POST /v1/users '{"name": "carol", "password": "pw-carol-123"}' >/dev/null
expect_eq "$API_STATUS" 201 "a user is added"
auth POST /v1/tokens '{"role": "user", "user": "carol", "name": "t1"}' >/dev/null
expect_eq "$API_STATUS" 201 "a token is made"
auth POST /v1/jobs/remove "{\"ids\": [\"$id\", \"999999\"]}" >/dev/null
expect_eq "$API_STATUS" 200 "remove answers"
# Errors, each in the shared shape.
auth GET /v1/jobs/999999 >/dev/null
expect_eq "$API_STATUS" 404 "an absent job"
auth POST /v1/jobs '{"cmd": "true", "cores": -1}' >/dev/null
expect_eq "$API_STATUS" 422 "a value out of its range"
auth POST /v1/jobs '{"cmd": "true", "colour": 1}' >/dev/null
expect_eq "$API_STATUS" 400 "an unknown field"
auth POST /v1/clock '{"advance": "1h"}' >/dev/null
expect_eq "$API_STATUS" 409 "no test clock"
api GET /v1/jobs >/dev/null
expect_eq "$API_STATUS" 401 "no credentials"
api GET /v1/whoami >/dev/null
expect_eq "$API_STATUS" 200 "whoami is open"

# ---- the checker refuses a reply that breaks the document ------------------------------
printf '%s\n' '{"method":"GET","path":"/v1/clock","status":"200","body":"{\"now\":5,\"test_clock\":false}"}' \
	'{"method":"GET","path":"/v1/jobs/1","status":"404","body":"{\"error\":{\"code\":\"nope\",\"message\":\"x\"}}"}' \
	>"$T/bad.jsonl"
if out=$(node "$ROOT/tools/validate-responses.js" "$ROOT/docs/openapi.json" "$T/bad.jsonl"); then
	fail "the checker passed replies that break the document: $out"
fi
[[ $out == *"GET /v1/clock → 200: /now must be string"* ]] || fail "the checker names the route and field: $out"
[[ $out == *"GET /v1/jobs/1 → 404: /error/code must be equal to one of the allowed values"* ]] ||
	fail "the checker checks error replies: $out"
log "ok"
