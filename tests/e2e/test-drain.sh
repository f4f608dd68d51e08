#!/usr/bin/env bash
# `drain` with external workers: the server refuses new work (add, POST /v1/jobs, a
# definition run, retry) with 503 `draining`; the running joblet finishes; each worker is
# told to stop and exits 0 once its joblets are reported, saying why, instead of calling a
# server that is gone; then the server exits.
source "$(dirname "$0")/lib.sh"
start_server --lease 30s --heartbeat 500ms
start_worker busy --cores 1 --tag role=busy
start_worker idle --cores 1 --tag role=idle
wait_workers 2
printf 'name: later\ncommand: echo later\n' >"$T/later.yaml"
jg deploy "$T/later.yaml" >/dev/null
failed=$(jg add --name failed --constraint role=idle -- false)
jg wait "$failed" --timeout 20s >/dev/null && fail "the job meant to fail did not"
held=$(jg add --name held --constraint role=busy -- "while [ ! -e '$T/go' ]; do sleep 0.05; done; echo finished")
wait_state "$held" running
jobs_before=$(jg list --json | jq '.jobs | length')

jg drain >/dev/null || fail "drain failed"

# New work is refused, with a clear error, and nothing is made.
rc=0
err=$(jg add --name refused -- true 2>&1) || rc=$?
expect_eq "$rc" 3 "add during a drain exits 3 (the server is not taking work)"
[[ $err == *"draining"* ]] || fail "add should say the server is draining, said: $err"
log "ok: add says: $err"
api POST /v1/jobs '{"cmd": "true"}' >"$T/body"	# not in $(…): API_STATUS must stay set
expect_eq "$API_STATUS" 503 "POST /v1/jobs during a drain"
expect_eq "$(jq -r .error.code "$T/body")" draining "its error code"
api POST /v1/definitions/later/runs '{}' >"$T/body"
expect_eq "$API_STATUS" 503 "a definition run during a drain"
expect_eq "$(jq -r .error.code "$T/body")" draining "its error code"
rc=0
jg run later >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 3 "jobgrid run during a drain exits 3"
api POST "/v1/jobs/$failed/retry" '{}' >"$T/body"
expect_eq "$API_STATUS" 503 "retry during a drain"
expect_eq "$(jg list --json | jq '.jobs | length')" "$jobs_before" "no job was made"
expect_eq "$(jg show "$failed" --json | jq -r .state)" failed "the failed job was not re-queued"

# Worker NAME exits 0 (within 20 s), saying why.
expect_drain_exit() {
	local pid=${WORKER_PID[$1]} i rc=0
	for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$pid" 2>/dev/null && fail "the $1 worker should exit during the drain"
	wait "$pid" || rc=$?
	unset "WORKER_PID[$1]"
	expect_eq "$rc" 0 "the $1 worker exits 0"
	grep -q "the server is draining and every joblet of mine is reported: exiting" "$T"/worker."$1".*.log ||
		fail "the $1 worker should say why it exits"
}

# The idle worker is told at once and leaves; the busy one keeps its joblet.
expect_drain_exit idle
expect_eq "$(jg show "$held" --json | jq -r .state)" running "the held joblet still runs"
expect_eq "$(jg workers --json | jq -r '[.workers[].name] | join(",")')" busy "only the busy worker is left"
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server must wait for the running joblet"

# The joblet ends: its result is taken, the busy worker exits 0, then the server.
touch "$T/go"
expect_drain_exit busy
for ((i = 0; i < 200; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the drained server did not exit"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
expect_eq "$rc" 0 "the drained server exits 0"
if grep -E "reserve failed|cannot reach the server" "$T"/worker.*.log; then
	fail "a worker kept calling the server after the drain"
fi
log "ok: no worker called a server that was gone"

start_server
expect_eq "$(jg show "$held" --json | jq -r .state)" done "the held joblet finished during the drain"
expect_eq "$(jg log "$held")" "[busy] finished" "its output"
expect_eq "$(jg list --json | jq '.jobs | length')" "$jobs_before" "still no job from the refused requests"
