#!/usr/bin/env bash
# Live streams: `events` prints lifecycle events as JSON lines, in order, after commit;
# `log -f` follows output while the job runs and ends with it.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w1 --cores 1
wait_workers 1
jg events >"$T/events" 2>"$T/events.err" &
EV=$!
# Subscribed once the server has taken the request (it registers the stream as it counts it).
_subscribed() { curl -s "$JOBGRID_URL/metrics" | grep -q 'requests_total{route="events"} 1$'; }
wait_until 20 _subscribed
id=$(jg add --name streamed -- 'for i in 1 2 3; do echo tick $i; sleep 0.4; done')
jg log "$id" -f >"$T/follow" &
LF=$!
jg wait "$id" --timeout 30s >/dev/null || fail "the job failed"
for ((i = 0; i < 50; i++)); do kill -0 "$LF" 2>/dev/null || break; sleep 0.1; done
kill -0 "$LF" 2>/dev/null && fail "log -f did not end with the job"
wait "$LF" || fail "log -f exited non-zero"
expect_eq "$(tr '\n' ' ' <"$T/follow")" "[w1] tick 1 [w1] tick 2 [w1] tick 3 " "log -f followed the output"
wait_until 10 grep -q job.ended "$T/events"
kill "$EV" 2>/dev/null || true
wait "$EV" 2>/dev/null || true
mine=$(jq -r --arg id "$id" 'select(.job == $id) | .event' "$T/events" | tr '\n' ' ')
expect_eq "$mine" "job.submitted job.started joblet.dispatched joblet.returned job.ended " "the life cycle in order"
expect_eq "$(jq -r --arg id "$id" 'select(.event == "job.ended" and .job == $id) | .state' "$T/events")" done "job.ended says done"
expect_eq "$(jq -r --arg id "$id" 'select(.event == "joblet.returned" and .job == $id) | .exit_code' "$T/events")" 0 "joblet.returned carries the exit code"
