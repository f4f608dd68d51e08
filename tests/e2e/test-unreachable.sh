#!/usr/bin/env bash
# A server that cannot be reached: a one-shot command says "cannot reach the server at URL:
# REASON" in jobgrid's words at once and exits 3, without spinning; a request whose
# connection is lost after it may have arrived is sent again with pauses, then given up;
# wait, log -f and events wait for the server, saying so, and carry on once it is back.
# The CPU bounds below are a spin detector (generous), not a speed test.
source "$(dirname "$0")/lib.sh"
TIMEFORMAT='%R %U %S'	# bash's `time`: elapsed, user and system seconds
NOWHERE=http://127.0.0.1:1	# nothing listens on port 1 here: connections are refused

# timed OUTFILE CMD…: run CMD with its stderr in OUTFILE; prints "RC ELAPSED CPU".
timed() {
	local out=$1 rc=0 t
	shift
	t=$( { time "$@" >/dev/null 2>"$out"; } 2>&1) || rc=$?
	read -r real user sys <<<"$t"
	echo "$rc $real $(awk -v u="$user" -v s="$sys" 'BEGIN {print u + s}')"
}

check_fast() {	# NAME RC-WANTED CMD…
	local name=$1 want=$2
	shift 2
	read -r rc real cpu <<<"$(timed "$T/err" "$@")"
	expect_eq "$rc" "$want" "$name: exit status"
	awk -v r="$real" 'BEGIN {exit !(r < 2.0)}' || fail "$name took ${real}s (a refused connection is final)"
	awk -v c="$cpu" 'BEGIN {exit !(c < 1.0)}' || fail "$name used ${cpu}s of CPU"
	grep -q "cannot reach the server at $NOWHERE: connection refused" "$T/err" ||
		fail "$name: the message names the URL and the reason: $(cat "$T/err")"
	if grep -qiE "couldn't|curl|transferred|failed to connect" "$T/err"; then
		fail "$name: libcurl's words: $(cat "$T/err")"
	fi
	log "ok: $name: exit $rc in ${real}s, ${cpu}s CPU: $(head -1 "$T/err")"
}

export JOBGRID_URL=$NOWHERE
check_fast "status" 3 jg status
check_fast "add (never arrived, so not sent again)" 3 jg add -- true
check_fast "show" 3 jg show 12
check_fast "log without -f" 3 jg log 12
check_fast "--server before the command" 3 jg --server "$NOWHERE" list

# A waiting command waits, pausing between tries and saying so, until its deadline.
read -r rc real cpu <<<"$(timed "$T/err" jg wait --timeout 3s 12)"
expect_eq "$rc" 6 "wait --timeout with no server exits 6 (timed out)"
grep -q "cannot reach the server at $NOWHERE: connection refused (nothing listens there); trying again in 1s" "$T/err" ||
	fail "wait says it waits: $(cat "$T/err")"
awk -v c="$cpu" 'BEGIN {exit !(c < 1.5)}' || fail "wait used ${cpu}s of CPU in ${real}s"
log "ok: wait waited ${real}s with ${cpu}s of CPU: $(tr '\n' '|' <"$T/err")"

# A connection lost after the request arrived: sent again with the same key, pausing,
# then given up with the reason in our words.
start_server
PROXY=$JG_BUILD/dropproxy
[[ -x $PROXY ]] || fail "missing test helper $PROXY"
"$PROXY" "$T/proxy.port" "127.0.0.1:${JOBGRID_URL##*:}" 1000 >"$T/proxy.log" 2>&1 &
PROXY_PID=$!
track "$PROXY_PID"
wait_until 10 test -s "$T/proxy.port"
before=$(jg status --json | jq '.joblets | add')
read -r rc real cpu <<<"$(JOBGRID_RETRY_SECS=2 JOBGRID_URL="http://127.0.0.1:$(cat "$T/proxy.port")" \
	timed "$T/err" jg add --name lost -- echo x)"
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true
expect_eq "$rc" 3 "add through a proxy that always drops the reply exits 3"
grep -q "the server closed the connection without answering; trying again for up to 2s" "$T/err" ||
	fail "the first loss is said: $(cat "$T/err")"
grep -qE "cannot reach the server at .*: the server closed the connection without answering \(gave up after [0-9]+ tries\)" "$T/err" ||
	fail "the end is said: $(cat "$T/err")"
tries=$(grep -c "dropped a reply" "$T/proxy.log")
((tries >= 3 && tries <= 8)) || fail "tries with pauses between them, not a spin: $tries in ${real}s"
awk -v c="$cpu" 'BEGIN {exit !(c < 1.0)}' || fail "the retries used ${cpu}s of CPU"
expect_eq "$(($(jg status --json | jq '.joblets | add') - before))" 1 "$tries tries made one job"
log "ok: $tries tries in ${real}s with ${cpu}s of CPU, one job"

# wait and log -f outlive a server restart: they say the server is away, and go on.
SARGS=(--lease 10s --heartbeat 500ms)
kill_server
start_server "${SARGS[@]}"
start_worker w1
wait_workers 1
# The binary itself, not the jg function, so $! is the process `kill` ends. Events are
# live, so the stream must be up before the kill for anything to be lost: it is started
# first, shown to be up, and has seen the job's submission before the server goes.
"$JOBGRID_BIN" events >"$T/events" 2>"$T/events.err" &
EV=$!
track "$EV"
# The stream is up once it shows an event: a probe job is added until one appears (a
# submission made before the stream connected is never shown).
stream_up() { [[ -s $T/events ]] || { jg add --name probe -- true >/dev/null; false; }; }
wait_until 30 stream_up
id=$(jg add -- "echo one; while [ ! -e $T/go ]; do sleep 0.05; done; echo two")
"$JOBGRID_BIN" log -f "$id" >"$T/follow" 2>"$T/follow.err" &
LF=$!
"$JOBGRID_BIN" wait "$id" >/dev/null 2>"$T/wait.err" &
WT=$!
track "$LF"
track "$WT"
submitted() { [[ -n $(jq -r --arg id "$id" 'select(.event == "job.submitted" and .job == $id) | .job' "$T/events") ]]; }
wait_until 30 submitted
wait_until 20 grep -q one "$T/follow"
kill_server
wait_until 30 grep -q "cannot reach the server at $JOBGRID_URL" "$T/wait.err"
wait_until 30 grep -q "cannot reach the server at $JOBGRID_URL" "$T/follow.err"
wait_until 30 grep -q "cannot reach the server at $JOBGRID_URL" "$T/events.err"
log "ok: wait, log -f and events say the server is away"
restart_server "${SARGS[@]}"
# The events are kept in the store: the stream resumes after the last one it showed.
wait_until 30 grep -q "answers again" "$T/events.err"
touch "$T/go"
rc=0
wait "$WT" || rc=$?
expect_eq "$rc" 0 "wait ended with the job, done"
rc=0
wait "$LF" || rc=$?
expect_eq "$rc" 0 "log -f ended with the job"
expect_eq "$(cat "$T/follow")" "[w1] one
[w1] two" "log -f went on where it was: no line twice, none lost"
grep -q "answers again" "$T/wait.err" || fail "wait says the server is back: $(cat "$T/wait.err")"
ended() { [[ $(jq -r --arg id "$id" 'select(.event == "job.ended" and .job == $id) | .state' "$T/events") == done ]]; }
wait_until 30 ended
kill "$EV" 2>/dev/null || true
wait "$EV" 2>/dev/null || true
grep -q "the stream resumes after the last event shown" "$T/events.err" ||
	fail "events says where it resumes: $(cat "$T/events.err")"
grep -q "not shown" "$T/events.err" && fail "the server kept the events: none is missed: $(cat "$T/events.err")"
expect_eq "$(jq -r --arg id "$id" 'select(.job == $id) | .event' "$T/events" | sort | uniq -d)" "" \
	"no event of the job shown twice"
log "ok: events resumed across the restart, missed none, and saw the job end"
log "all unreachable-server checks passed"
