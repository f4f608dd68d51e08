#!/usr/bin/env bash
# Live streams: `events` prints lifecycle events as JSON lines, in order, after commit;
# `log -f` follows output while the job runs and ends with it.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w1 --cores 1
wait_workers 1
# The binary itself, not the jg function: $! must be the process that `kill` ends (events
# waits for a server that went away rather than ending with it).
"$JOBGRID_BIN" events >"$T/events" 2>"$T/events.err" &
EV=$!
track "$EV"
# The stream is live once a probe job added after it started shows up in it: each try
# adds one more, since events from before the subscription are never sent.
_subscribed() { grep -q '"job.ended"' "$T/events" || { jg add --name probe -- true >/dev/null; false; }; }
wait_until 20 _subscribed
# The job prints a line, then holds until log -f has shown it: the follower is seen to
# follow a running job, however slow the machine.
id=$(jg add --name streamed -- "echo tick 1; $(hold tick-go); echo tick 2; echo tick 3")
"$JOBGRID_BIN" log "$id" -f >"$T/follow" &
LF=$!
track "$LF"
wait_until 20 grep -qx '\[w1\] tick 1' "$T/follow"
expect_eq "$(jg show "$id" --json | jq -r .state)" running "log -f showed tick 1 while the job runs"
touch "$T/tick-go"
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
