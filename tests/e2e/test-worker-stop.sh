#!/usr/bin/env bash
# A worker that stops (issue 10 item 20) never takes a joblet again, ends and reaps every
# process group it started before it exits, reports them, and leaves nothing behind, so
# no two attempts of a joblet ever run at once. SIGTERM with a poll parked at the server
# (the joblet it kills is queued again at once: the old poll must not get it), SIGINT with a
# joblet that ignores TERM (killed after the grace), a second signal (killed at once), a
# stop while the server is gone, and a joblet handed out as the worker stops (not started,
# queued again with no budget spent).
source "$(dirname "$0")/lib.sh"
start_server --lease 2s --heartbeat 500ms

# The joblet: a script (its path, under $T, marks its processes for pgrep) that notes each
# start, keeps a child of its own, and holds until $T/go exists. With IGNORE_TERM it
# ignores SIGTERM, as a careless program would.
cat >"$T/job.sh" <<EOF
#!/bin/bash
[[ -n \${IGNORE_TERM:-} ]] && trap '' TERM
echo "\$JOBGRID_ATTEMPT \$JOBGRID_NODE" >> "$T/starts"
( while [ ! -e "$T/go" ]; do sleep 0.05; done ) &
while [ ! -e "$T/go" ]; do sleep 0.05; done
wait
EOF
chmod +x "$T/job.sh"

left() { pgrep -f "$T/job.sh" | tr '\n' ' '; }	# joblet processes of this test still alive
_none_left() { [[ -z $(left) ]]; }
_started() { [[ $(wc -l <"$T/starts" 2>/dev/null || echo 0) -ge $1 ]]; }
now_ms() { date +%s%3N; }
_exited() { ! kill -0 "$1" 2>/dev/null; }
stop_and_wait() {	# NAME SIG SECS: signal the worker (none: ""), wait for it to exit, return its status
	local pid=${WORKER_PID[$1]} rc=0
	[[ -z $2 ]] || kill -"$2" "$pid"
	wait_until "$3" _exited "$pid"
	wait "$pid" || rc=$?
	unset "WORKER_PID[$1]"
	return $rc
}
on_node_after() {	# ID NODE MS: attempts of the job on NODE that started after MS
	jg show "$1" --json | jq -r "$JQ_MS"' [.joblets[].attempts[] | select(.node == "'"$2"'" and (.started_at | ms) > '"$3"')] | length'
}
stop_checked() {	# NAME SIG ID: stop the worker while job ID runs there, check what it leaves
	local t
	t=$(now_ms)
	stop_and_wait "$1" "$2" 30 || fail "worker $1 exited with an error after SIG$2"
	[[ -z $(left) ]] || fail "joblet processes left behind after worker $1 exited (SIG$2): $(left)"
	log "ok: nothing of the joblet is left once worker $1 has exited (SIG$2)"
	expect_eq "$(on_node_after "$3" "$1" "$t")" 0 "worker $1 took no joblet after SIG$2"
}

# ---- SIGTERM. Two cores: with the joblet running the worker has a poll parked at the
# server for its free core, which, before the fix, was handed the joblet the stop queued
# again: attempt 2 on the stopping worker, left running as an orphan when it exited.
start_worker w1 --cores 2
wait_workers 1
id=$(jg add --name stopme -- "$T/job.sh")
wait_until 20 _started 1
stop_checked w1 TERM "$id"
expect_eq "$(wc -l <"$T/starts")" 1 "the joblet started once"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 1 "one attempt"
expect_eq "$(jq -r '.joblets[0] | "\(.state) \(.attempts[0].state) \(.attempts[0].fail_reason)"' <<<"$show")" \
	"ready failed signal" "the stopped attempt was reported (signal) and the joblet queued again"
grep -q "unreported" "$T"/worker.w1.*.log && fail "the worker exited with something unreported"
log "ok: the worker reported before it exited"

# The joblet runs again elsewhere, never beside an earlier attempt.
start_worker w2 --cores 1 --grace 1s
wait_until 20 _started 2
touch "$T/go"
jg wait "$id" --timeout 30s >/dev/null || fail "the re-run did not end done"
expect_eq "$(attempt_lines "$id" | peak_overlap)" 1 "no two attempts of the joblet overlapped"
rm -f "$T/go"

# ---- SIGINT, with a joblet that ignores SIGTERM: killed after the worker's grace (1 s).
id=$(jg add --name stubborn --env IGNORE_TERM=1 -- "$T/job.sh")
wait_until 20 _started 3
stop_checked w2 INT "$id"	# the joblet ignores SIGTERM: killed after the grace
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0] | "\(.state) \(.attempts[0].fail_reason)"')" \
	"ready signal" "the killed attempt was reported"

# ---- A second signal kills at once, without waiting for the grace (here 60 s).
start_worker w3 --cores 1 --grace 60s
wait_until 20 _started 4
kill -TERM "${WORKER_PID[w3]}"
wait_until 10 grep -q "stopping: ending running joblets" "$T"/worker.w3.*.log
t0=$SECONDS
stop_and_wait w3 TERM 30 || fail "the worker exited with an error after two signals"
((SECONDS - t0 < 20)) || fail "the second signal did not cut the 60 s grace short"
[[ -z $(left) ]] || fail "joblet processes left after a second signal: $(left)"
log "ok: a second signal killed the joblet at once"

# ---- The server is gone: the worker cannot report, yet it ends its joblets before it exits.
start_worker w4 --cores 1 --grace 1s
wait_until 20 _started 5
kill_server KILL
stop_and_wait w4 TERM 40 || fail "the worker exited with an error while the server was gone"
[[ -z $(left) ]] || fail "joblet processes left by a worker whose server was gone: $(left)"
grep -q "exiting with results unreported" "$T"/worker.w4.*.log ||
	fail "the worker should say it could not report: $(tail -3 "$T"/worker.w4.*.log)"
log "ok: with the server gone the worker ended its joblet and said it could not report"
# A long lease from here: the worker frozen below must not be lost meanwhile.
restart_server --lease 30s --heartbeat 1s
jg cancel "$id" >/dev/null

# ---- A joblet handed out just as the worker stops: not started, queued again with no
# budget spent (--no-restart too: it never ran). Stand in for the worker to make the timing
# exact: reserve the joblet, then report it not started.
wid=$(jq_get "$(api POST /v1/workers '{"name":"fake","cores":1}')" .id)
id=$(jg add --no-restart --name handed -- true)
reply=$(api POST "/v1/workers/$wid/reserve" '{"max":1,"wait_ms":0}')
att=$(jq_get "$reply" '.joblets[0].attempt')
[[ $att =~ ^[0-9]+$ ]] || fail "the stand-in got no joblet: $reply"
api POST "/v1/attempts/$att/finish" '{"exit_code":null,"fail_reason":"start","message":"not started: the worker is stopping","worker_stop":true,"not_started":true}' >/dev/null
expect_eq "$API_STATUS" 200 "a not-started report is taken"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0] | "\(.state) \(.errors) \(.lost)"' <<<"$show")" "ready 0 0" \
	"not started: queued again, no retry and no lost budget spent, --no-restart or not"
expect_eq "$(jq -r '.joblets[0].attempts[0] | "\(.state) \(.fail_reason) \(.message)"' <<<"$show")" \
	"failed start not started: the worker is stopping" "the attempt says it was not started"
api POST "/v1/attempts/$att/finish" '{"fail_reason":"start","worker_stop":true,"not_started":"yes"}' >/dev/null
expect_eq "$API_STATUS" 400 "not_started must be a boolean"
jg cancel "$id" >/dev/null

# ---- The same with a real worker, its replies going through a proxy that can hold them:
# its parked poll is answered with a joblet, held back until the worker has taken SIGTERM.
# It must not start the joblet, and must report it not started.
"$JG_BUILD/holdproxy" "$T/proxy.port" "${JOBGRID_URL#http://}" "$T/hold" >"$T/proxy.log" 2>&1 &
PROXY_PID=$!
wait_until 10 test -s "$T/proxy.port"
start_worker w6 --cores 1 --grace 1s --server "http://127.0.0.1:$(cat "$T/proxy.port")"
_polled() { grep -q "^POST /v1/workers/.*/reserve" "$T/proxy.log"; }
wait_until 20 _polled
touch "$T/hold"
starts_before=$(wc -l <"$T/starts")
id=$(jg add --name handed-late -- "$T/job.sh")
wait_state "$id" running
kill -TERM "${WORKER_PID[w6]}"
wait_until 20 grep -q "stopping: ending no joblets" "$T"/worker.w6.*.log
rm "$T/hold"
stop_and_wait w6 "" 30 || fail "the worker exited with an error"
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true
grep -q "not started, the worker is stopping" "$T"/worker.w6.*.log ||
	fail "the worker should have refused the joblet: $(tail -5 "$T"/worker.w6.*.log)"
expect_eq "$(wc -l <"$T/starts")" "$starts_before" "the joblet handed to the stopping worker did not start"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0] | "\(.state) \(.errors) \(.lost) \(.attempts[0].fail_reason)"' <<<"$show")" \
	"ready 0 0 start" "reported not started: queued again, no budget spent"
[[ -z $(left) ]] || fail "joblet processes left: $(left)"
jg cancel "$id" >/dev/null

# ---- The same with a real worker: it runs one joblet on one of its two cores, so its
# poll for the other is parked at the server; frozen (SIGSTOP), it is handed a second
# joblet, then told to stop. It may see the joblet before or after the signal: either way
# it runs it at most until it stops, reports it, and leaves nothing behind.
rm -f "$T/starts"
start_worker w5 --cores 2 --grace 1s
hold=$(jg add --name hold -- "$T/job.sh")
wait_until 20 _started 1
kill -STOP "${WORKER_PID[w5]}"
id=$(jg add --name race -- "$T/job.sh")
_running() { [[ $(jg show "$1" --json | jq -r .state) == running ]]; }
deadline=$((SECONDS + 10))
until _running "$id" || ((SECONDS >= deadline)); do sleep 0.1; done
_running "$id" || log "note: the poll was not parked yet, the joblet was not handed out"
kill -TERM "${WORKER_PID[w5]}"
kill -CONT "${WORKER_PID[w5]}"
stop_and_wait w5 TERM 30 || fail "the frozen worker exited with an error"
[[ -z $(left) ]] || fail "joblet processes left by the frozen worker: $(left)"
expect_eq "$(jg show "$hold" --json | jq -r '.joblets[0] | "\(.state) \(.attempts[0].fail_reason)"')" \
	"ready signal" "the running joblet was stopped and reported"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].state' <<<"$show")" ready "the joblet handed out is queued again"
how=$(jq -r '.joblets[0].attempts[0] // {} | "\(.fail_reason): \(.message)"' <<<"$show")
[[ $how == "start: not started: the worker is stopping" || $how == signal:* || $how == "null: null" ]] ||
	fail "the attempt should be not started or stopped: $how"
log "ok: a joblet handed to a stopping worker ($how), nothing left behind"
jg cancel "$hold" "$id" >/dev/null

# ---- A worker killed outright (kill -9) cannot clean up: its joblet's main process dies
# with it (parent-death signal), rather than run on beside the attempt that replaces it.
start_worker w7 --cores 1
id=$(jg add --name orphan -- "echo \$\$ > $T/leader; exec sleep 300")
wait_until 20 test -s "$T/leader"
leader=$(cat "$T/leader")
kill -KILL "${WORKER_PID[w7]}"
wait "${WORKER_PID[w7]}" 2>/dev/null || true
unset "WORKER_PID[w7]"
wait_until 10 _exited "$leader"
log "ok: the joblet's main process died with its worker"
jg cancel "$id" >/dev/null
