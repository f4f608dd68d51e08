#!/usr/bin/env bash
# The job network's graph as GET /v1/definitions gives it: each member's edges as it writes
# them, its start times, timeslot and paused flag; null for a definition that is no member;
# pause and resume seen at once; the edges of a replaced version; an edge left dangling by
# an undeploy; the day GET /v1/plan shows; a net.run event.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TZ=UTC
start_server --test-clock 2026-11-23T00:00:00Z
mkdir -p "$T/defs"
cp "$ROOT"/examples/jobnet/*.yaml "$T/defs/"
cat >"$T/defs/loner.yaml" <<'Y'
description: no member of any network
command: "true"
Y
cat >"$T/defs/nightly.yaml" <<'Y'
command: "true"
schedule:
  start_times: ["23:15:30", {cron: "30 8-17 * * 1-5"}]
Y
jg deploy "$T/defs" >/dev/null

net() { api GET /v1/definitions | jq -c --arg n "$1" '.definitions[] | select(.name == $n) | .network'; }

log "members carry their edges as written, non-members null"
expect_eq "$(net loner)" "null" "loner is no member"
expect_eq "$(net transform)" \
	'{"paused":false,"predecessors":[],"successors":["load","archive"],"successors_on_failure":["alert"],"start_times":[],"timeslot":false}' \
	"transform: fan-out and the failure branch"
expect_eq "$(net load)" \
	'{"paused":false,"predecessors":[],"successors":["report"],"successors_on_failure":[],"start_times":["12:00"],"timeslot":true}' \
	"load: a start time and a timeslot"
# alert writes no edge and has no start time: transform's failure branch makes it a member.
expect_eq "$(net alert | jq -c '[.paused, .predecessors, .successors, .start_times]')" \
	'[false,[],[],[]]' "alert is a member through transform's failure edge"
expect_eq "$(net nightly | jq -c .start_times)" '["23:15:30","30 8-17 * * 1-5"]' \
	"start times as given: seconds kept, cron text"
expect_eq "$(api GET /v1/definitions | jq '[.definitions[] | select(.network != null)] | length')" 9 \
	"8 jobnet members and nightly"
expect_eq "$(api GET /v1/definitions/transform | jq -c '.network.successors')" '["load","archive"]' \
	"GET /v1/definitions/{name} has it too"

log "pause and resume show at once"
api POST /v1/definitions/archive/pause >/dev/null
expect_eq "$(net archive | jq .paused)" true "archive paused"
expect_eq "$(net cleanup | jq .paused)" false "cleanup not paused"
api POST /v1/definitions/archive/resume >/dev/null
expect_eq "$(net archive | jq .paused)" false "archive resumed"
api POST /v1/definitions/archive/pause >/dev/null
kill_server
restart_server --test-clock 2026-11-23T00:00:00Z
expect_eq "$(net archive | jq .paused)" true "the pause is kept across a restart"

log "a new version's edges; an undeploy leaves an edge dangling"
cat >"$T/defs/report.yaml" <<'Y'
name: report
command: "true"
successors_on_failure: [loner]
Y
jg deploy "$T/defs" >/dev/null
expect_eq "$(net report | jq -c '[.successors, .successors_on_failure]')" '[[],["loner"]]' \
	"report's new version: only a failure edge to loner"
expect_eq "$(net loner | jq -c .predecessors)" '[]' "loner became a member through it"
jg undeploy loner >/dev/null
expect_eq "$(net report | jq -c .successors_on_failure)" '["loner"]' \
	"the dangling edge is still listed as written"
expect_eq "$(api GET /v1/definitions | jq '[.definitions[].name] | index("loner")')" null "loner is gone"

log "a cron start time plans every firing of the day"
expect_eq "$(api GET /v1/plan | jq -c '[.runs[] | select(.definition == "nightly") | .planned_at[11:19]]')" \
	'["08:30:00","09:30:00","10:30:00","11:30:00","12:30:00","13:30:00","14:30:00","15:30:00","16:30:00","17:30:00","23:15:30"]' \
	"nightly: ten cron firings and 23:15:30"

log "the plan says which day it shows"
expect_eq "$(api GET /v1/plan | jq -r .date)" 2026-11-23 "today by the test clock"
expect_eq "$(api GET '/v1/plan?date=2026-11-22' | jq -r .date)" 2026-11-22 "the date asked for"
log "a run skipped with no job is a net.run event"
curl -sSN "$JOBGRID_URL/v1/events" >"$T/events.txt" &
track $!
wait_until 10 grep -q '^id:' "$T/events.txt"
jg pause nightly >/dev/null
jg clock set 2026-11-23T23:20:00Z >/dev/null
# Every start time on the way is its own skip at its own virtual time: the first is the
# cron's 08:30.
FIRST='.event == "net.run" and .change == "skip" and .planned_at == "2026-11-23T08:30:00.000Z"'
net_events() { grep '^data: ' "$T/events.txt" | sed 's/^data: //'; }
_first_event() { net_events | jq -se "any(.[]; $FIRST)"; }
wait_until 10 _first_event
ev=$(net_events | jq -c "select($FIRST)")
expect_eq "$(jq -r '[.definition, .state, .at] | join(" ")' <<<"$ev")" \
	"nightly skipped 2026-11-23T08:30:00.000Z" "the event: definition, state, at its virtual time"
expect_eq "$(jq -r .run <<<"$ev")" \
	"$(api GET /v1/plan | jq '.runs[] | select(.planned_at == "2026-11-23T08:30:00.000Z") | .id')" \
	"its run id is the plan's"
grep -q '^event: net.run$' "$T/events.txt" || fail "no 'event: net.run' line"
log "moving the test clock is a clock.moved event, after the runs it made due"
MOVED='.event == "clock.moved" and .now == "2026-11-23T23:20:00.000Z"'
_moved_event() { net_events | jq -se "any(.[]; $MOVED)"; }
wait_until 10 _moved_event
expect_eq "$(net_events | jq -c "select($MOVED) | [.from < .now, .at == .now]")" '[true,true]' \
	"it says from when to when"
expect_eq "$(net_events | jq -s "(map(.event) | rindex(\"clock.moved\")) > (map(.event) | rindex(\"net.run\"))")" \
	true "it comes after the net.run events of the move"

log "with --auth a user's stream gets net.run too (the plan is every caller's), not a ?job= one"
kill_server
restart_server --auth --test-clock 2026-11-23T00:00:00Z
export JOBGRID_TOKEN; JOBGRID_TOKEN=$(cat "$T/data/admin.token")
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
ALICE=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
SEQ=$(JOBGRID_TOKEN=$ALICE jg add --name mine -- true)
curl -sSN -H "Authorization: Bearer $ALICE" "$JOBGRID_URL/v1/events" >"$T/alice.txt" &
track $!
curl -sSN -H "Authorization: Bearer $ALICE" "$JOBGRID_URL/v1/events?job=$SEQ" >"$T/alice-job.txt" &
track $!
wait_until 10 grep -q '^id:' "$T/alice.txt"
wait_until 10 grep -q '^id:' "$T/alice-job.txt"
# The stored Monday runs are skipped already: Tuesday's 08:30 (nightly is still paused).
jg clock set 2026-11-24T09:00:00Z >/dev/null
wait_until 10 grep -q '"definition":"nightly","state":"skipped","planned_at":"2026-11-24T08:30:00.000Z"' "$T/alice.txt"
log "ok: alice's stream has the skip of Tuesday 08:30"
wait_until 10 grep -q '"event":"clock.moved".*"now":"2026-11-24T09:00:00.000Z"' "$T/alice.txt"
log "ok: and the clock's move (every caller reads GET /v1/clock)"
# An event of her job after it: had the ?job= stream got the net.run, it would be before.
JOBGRID_TOKEN=$ALICE jg cancel "$SEQ" >/dev/null
wait_until 10 grep -q '^event: job.ended' "$T/alice-job.txt"
expect_eq "$(grep -c 'net.run\|clock.moved' "$T/alice-job.txt")" 0 "a ?job= stream gets neither"
log "PASS"
