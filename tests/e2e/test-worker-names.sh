#!/usr/bin/env bash
# A node name belongs to one live worker. A second worker under a live name is refused
# (409 name_in_use, naming the live one) and waits; it registers once the first leaves, as
# a stopping worker tells the server. The same process registering again (same instance
# token) replaces its own entry, never listed twice. A bad name is refused up front.
source "$(dirname "$0")/lib.sh"
start_server --lease 60s --heartbeat 500ms
start_worker dup --cores 1
wait_workers 1
first=$(jg workers --json | jq -r '.workers[0].id')

api POST /v1/workers '{"name": "dup", "cores": 1}' >"$T/body"	# not in $(…): API_STATUS must stay set
expect_eq "$API_STATUS" 409 "a registration under a live name"
expect_eq "$(jq -r .error.code "$T/body")" name_in_use "its code"
expect_eq "$(jq -r .error.field "$T/body")" name "the field"
grep -q "taken by live worker $first" "$T/body" || fail "the error should name the live worker: $(cat "$T/body")"
log "ok: $(jq -r .error.message "$T/body")"

# A second process under the same name is refused and keeps trying, quietly.
start_worker dup --cores 2
second_pid=${WORKER_PID[dup]}
second_log=${LOGS[-1]}
wait_until 20 grep -q "registration refused: name: node name dup is taken by live worker $first" "$second_log"
expect_eq "$(jg workers --json | jq -r '[.workers[] | "\(.name) \(.cores)"] | join(",")')" "dup 1" \
	"only the first is listed"
kill -0 "$second_pid" 2>/dev/null || fail "the refused worker should keep trying"

# The first stops and leaves: the second takes the name long before the 60 s lease.
first_pid=$(jg workers --json | jq -r '.workers[0].pid')
_stop_pid "$first_pid"
_second_up() { [[ $(jg workers --json | jq -r '[.workers[] | "\(.name) \(.cores)"] | join(",")') == "dup 2" ]]; }
wait_until 20 _second_up
grep -q "worker $first (dup) dropped: it left" "$T/server.0.log" || fail "the first worker should have left"
log "ok: the name passed to the second worker once the first left"
expect_eq "$(grep -c "registration refused" "$second_log")" 1 "the refusal is logged once, not at every try"

# The same process again (same instance token) replaces its entry and keeps its attempts.
api POST /v1/workers '{"name": "twice", "cores": 1, "instance": "abc123"}' >"$T/body"
expect_eq "$API_STATUS" 201 "first registration of twice"
one=$(jq -r .id "$T/body")
api POST /v1/workers '{"name": "twice", "cores": 1, "instance": "abc123"}' >"$T/body"
expect_eq "$API_STATUS" 201 "the same instance registers again"
two=$(jq -r .id "$T/body")
expect_eq "$(jg workers --json | jq -r '[.workers[] | select(.name == "twice") | .id] | join(",")')" "$two" \
	"twice is listed once, under its new id"
api POST "/v1/workers/$one/heartbeat" '{"running": []}' >"$T/body"
expect_eq "$API_STATUS" 404 "the replaced id is no longer known"
api POST /v1/workers '{"name": "twice", "cores": 1, "instance": "other"}' >"$T/body"
expect_eq "$API_STATUS" 409 "another instance under that name is refused"
api POST /v1/workers '{"name": "x", "cores": 1, "instance": "a b"}' >"$T/body"
expect_eq "$API_STATUS" 400 "a bad instance token"
expect_eq "$(jq -r .error.field "$T/body")" instance "its field"
api POST "/v1/workers/$two/leave" '{}' >"$T/body"
expect_eq "$API_STATUS" 200 "leave"
expect_eq "$(jg workers --json | jq -r '[.workers[].name] | join(",")')" dup "twice left"
api POST "/v1/workers/$two/leave" '{"x": 1}' >"$T/body"
expect_eq "$API_STATUS" 404 "leave of a worker that left"

# A worker whose joblet runs leaves: the attempt is lost at once, not at the end of the
# 60 s lease, and the joblet runs again.
id=$(jg add --name held -- "while [ ! -e '$T/go' ]; do sleep 0.05; done")
wait_state "$id" running
start_worker other --cores 1
wait_workers 2
api POST "/v1/workers/$(jg workers --json | jq -r '.workers[] | select(.name == "dup") | .id')/leave" '{}' >"$T/body"
expect_eq "$API_STATUS" 200 "a busy worker leaves"
_again() { jg show "$id" --json | jq -e '.joblets[0].attempts | length == 2 and .[1].state == "running"'; }
wait_until 20 _again
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].state')" lost "the left worker's attempt is lost"
touch "$T/go"
jg wait "$id" --timeout 20s >/dev/null || fail "the job should end done on the other worker"

# A name that breaks the rule is refused before anything is sent.
rc=0
"$JOBGRID_BIN" worker --server "$JOBGRID_URL" --name 'bad name' 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "a bad --name is a usage error"
grep -q -- "--name: a node name is 1..128 of \[A-Za-z0-9_.-\], got 'bad name'" "$T/err" ||
	fail "unclear: $(cat "$T/err")"
