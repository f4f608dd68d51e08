#!/usr/bin/env bash
# Several servers in --server / JOBGRID_URL (URL1,URL2,…): a command that cannot reach
# one tries the next of the list and says so, a request is made once, the worker does the
# same, and a list where none answers ends with exit 3 within the retry budget, saying
# that every server was tried.
source "$(dirname "$0")/lib.sh"
NOWHERE=http://127.0.0.1:1	# nothing listens on port 1 here: connections are refused
NOWHERE2=http://127.0.0.1:2

start_server
GOOD=$JOBGRID_URL

count_jobs() { jg list --all --json | jq '.jobs | length'; }
before=$(count_jobs)

# JOBGRID_URL with a dead server first: the add reaches the second, once.
id=$(JOBGRID_URL="$NOWHERE,$GOOD" jg add -- true 2>"$T/err") || fail "add over the list: $(cat "$T/err")"
[[ -n $id ]] || fail "add printed no id"
grep -q "the server at $NOWHERE: connection refused (nothing listens there); trying $GOOD" "$T/err" ||
	fail "the switch is said: $(cat "$T/err")"
expect_eq "$(count_jobs)" "$((before + 1))" "one job made by an add that went over the list"

# --server with the list, the good one first: no switch, nothing said.
jg --server "$GOOD,$NOWHERE" status >/dev/null 2>"$T/err" || fail "status: $(cat "$T/err")"
[[ ! -s $T/err ]] || fail "nothing to say when the first answers: $(cat "$T/err")"
jg --server "$NOWHERE,$GOOD" show "$id" --json >"$T/show" 2>/dev/null || fail "show over the list"
expect_eq "$(jq -r .id "$T/show")" "$id" "show over the list finds the job"

# A worker given the list runs the job through the second.
JOBGRID_URL="$NOWHERE,$GOOD" start_worker w1
wait_workers 1
wait_state "$id" done
log "ok: the worker failed over to $GOOD and ran $id"

# Streams move along the list too, before their body begins: log, and events.
JOBGRID_URL="$NOWHERE,$GOOD" jg log "$id" >"$T/log" 2>"$T/err" || fail "log over the list: $(cat "$T/err")"
grep -q "trying $GOOD" "$T/err" || fail "log says it moved: $(cat "$T/err")"
JOBGRID_URL="$NOWHERE,$GOOD" jg events >"$T/events" 2>"$T/events.err" &
EPID=$!
track $EPID
wait_until 20 bash -c "[[ \$(curl -s '$GOOD/metrics' | awk '\$1 == \"jobgrid_sse_clients\" {print \$2}') -ge 1 ]]"
id2=$(jg --server "$GOOD" add -- true)
wait_until 20 grep -q "\"$id2\"" "$T/events"
_stop_pid $EPID
grep -q "trying $GOOD" "$T/events.err" || fail "events says it moved: $(cat "$T/events.err")"
log "ok: log and events moved to $GOOD"

# Nobody answers: exit 3 once every server was tried for the retry budget, not a spin.
start=$(date +%s.%N)
rc=0
JOBGRID_RETRY_SECS=1 jg --server "$NOWHERE,$NOWHERE2" add -- true >/dev/null 2>"$T/err" || rc=$?
end=$(date +%s.%N)
expect_eq "$rc" 3 "no server of the list answers: exit 3"
grep -q "cannot reach the server at http://127.0.0.1:[12]: connection refused (nothing listens there) (tried every server of the list)" "$T/err" ||
	fail "says every server was tried: $(cat "$T/err")"
awk -v s="$start" -v e="$end" 'BEGIN {exit !(e - s < 10)}' || fail "gave up within its budget"
expect_eq "$(count_jobs)" "$((before + 2))" "nothing made when no server answered"

# A list of nothing but commas is a usage error, not a default server.
rc=0
jg --server "," status >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--server ',' is a usage error"
log "ok: ',' refused: $(head -1 "$T/err")"
log "PASS"
