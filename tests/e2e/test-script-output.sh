#!/usr/bin/env bash
# A script run's own output (issue 15, the job page's "script output"): its handlers'
# `[server]` lines alone with `log?index=server`, followed live like any log, and a
# `job.script` event each time handlers logged or set facts — also after the job ended
# (job_completed), so a page knows to read them again. A bad index is 400 naming it.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_server
start_worker so-a --cores 2
wait_workers 1
jg deploy "$ROOT/examples/chunks" >/dev/null
curl -sSN "$JOBGRID_URL/v1/events" >"$T/events" 2>&1 &
track $!
wait_until 20 grep -q '^id: ' "$T/events"

id=$(jg run chunks items=2 chunk=1 "command=sh -c \"$(hold go)\" x")
curl -sSN "$JOBGRID_URL/v1/jobs/$id/log?index=server&follow=1" >"$T/follow" &
FOLLOW=$!
track $FOLLOW
wait_until 20 grep -q '^\[server\] job_started: 2 items in 2 chunks of up to 1$' "$T/follow"
_chunk_lines() { [[ $(jg log "$id" | grep -c '^\[so-a\] chunk ') == 2 ]]; }
wait_until 20 _chunk_lines	# the joblets' lines are in the whole log…
grep -q '^\[so-a\]' "$T/follow" && fail "index=server gave a joblet's line: $(cat "$T/follow")"
log "ok: index=server follows the job_started line, without the joblets' lines"
touch "$T/go"
jg wait "$id" --timeout 60s >/dev/null
wait "$FOLLOW" || fail "the follower did not end cleanly"
wait_until 20 grep -q "\"event\":\"job.script\".*\"job\":\"$id\"" "$T/events"
_summary() { curl -sS "$JOBGRID_URL/v1/jobs/$id/log?index=server" | grep -q '^\[server\] job_completed: done: 2 of 2 chunks done$'; }
wait_until 20 _summary
expect_eq "$(curl -sS "$JOBGRID_URL/v1/jobs/$id/log?index=server" | grep -vc '^\[server\] ')" 0 "index=server: [server] lines alone"
expect_eq "$(curl -sS "$JOBGRID_URL/v1/jobs/$id/log?index=server" | grep -c '^\[server\] ')" \
	"$(jg log "$id" | grep -c '^\[server\] ')" "every [server] line of the whole log"
ended=$(grep -n "\"event\":\"job.ended\".*\"job\":\"$id\"" "$T/events" | tail -1 | cut -d: -f1)
_script_after_end() { awk -v n="$ended" 'NR > n' "$T/events" | grep -q "\"event\":\"job.script\".*\"job\":\"$id\""; }
wait_until 20 _script_after_end
log "ok: a job.script event came after job.ended (job_completed's output)"
expect_eq "$(curl -sS -o /dev/null -w '%{http_code}' "$JOBGRID_URL/v1/jobs/$id/log?index=servers")" 400 "a bad index is refused"
curl -sS "$JOBGRID_URL/v1/jobs/$id/log?index=servers" | jq -e '.error.field == "index" and (.error.message | contains("or server"))' >/dev/null ||
	fail "the refusal does not name index and its rule"
plain=$(jg add --name plain -- echo hi)
jg wait "$plain" --timeout 30s >/dev/null
expect_eq "$(curl -sS "$JOBGRID_URL/v1/jobs/$plain/log?index=server")" "" "a job of no script has no [server] lines"
log "PASS"
