#!/usr/bin/env bash
# kill -9 of a server with --local-workers: its local workers live on with their joblets,
# and the next server on the same data dir adopts them instead of starting new ones. The
# joblet that ran across the crash completes in its first attempt, and every node name is
# listed once.
source "$(dirname "$0")/lib.sh"
ARGS=(--local-workers 2 --lease 10s --heartbeat 500ms)
start_server "${ARGS[@]}"
wait_workers 2
id=$(jg add --name across -- "echo start; while [ ! -e '$T/go' ]; do sleep 0.05; done; echo end")
wait_state "$id" running
before=$(jg workers --json)
# Ours to end if the test stops early: the local workers the first server started.
for pid in $(jq -r '.workers[].pid' <<<"$before"); do WORKER_PID[local$pid]=$pid; done
names=$(jq -r '[.workers[].name] | sort | join(" ")' <<<"$before")
pids=$(jq -r '[.workers[].pid] | sort | join(" ")' <<<"$before")

kill_server KILL
for pid in $pids; do proc_gone "$pid" && fail "local worker $pid died with the server"; done
log "ok: the local workers outlive the server"

restart_server "${ARGS[@]}"
# The joblet's worker registers again and claims its attempt.
_reattached() {
	jg workers --json | jq -e --arg id "$id" \
		'[.workers[] | select(.state == "up") | .running[] | select(startswith($id))] | length == 1'
}
wait_until 20 _reattached
log "ok: the running attempt is re-attached"
touch "$T/go"
jg wait "$id" --timeout 30s >/dev/null || fail "the job should end done"
show=$(jg show "$id" --json)
expect_eq "$(jq '.joblets[0].attempts | length' <<<"$show")" 1 "the joblet ran exactly once"
expect_eq "$(jq -r '.joblets[0].attempts[0].state' <<<"$show")" done "its first attempt is done"
expect_eq "$(jq -r '.joblets[0].lost' <<<"$show")" 0 "no lost-worker retry used"
expect_eq "$(jg log "$id" | sed 's/^\[[^]]*\] //' | tr '\n' ' ')" "start end " "output from both sides of the crash"

# The second server adopted both workers: the same processes, each name once.
_two_up() { [[ $(jg workers --json | jq '[.workers[] | select(.state == "up")] | length') == 2 ]]; }
wait_until 20 _two_up
after=$(jg workers --json)
expect_eq "$(jq '.workers | length' <<<"$after")" 2 "two workers listed"
expect_eq "$(jq -r '[.workers[].name] | sort | join(" ")' <<<"$after")" "$names" "each local name once"
expect_eq "$(jq -r '[.workers[].pid] | sort | join(" ")' <<<"$after")" "$pids" "the same worker processes"
grep -q "adopted" "$T/server.1.log" || fail "the second server should log the adoption"

# A clean stop of the second server stops the adopted workers too.
kill_server TERM
for pid in $pids; do
	wait_until 15 proc_gone "$pid"
	unset "WORKER_PID[local$pid]"
done
log "ok: a clean stop ends the adopted workers"
[[ ! -e $T/data/local-workers.json ]] || fail "no local worker runs: the registry should be gone"

# SIGHUP (the terminal closed) is a clean stop too: the local workers do not run on alone.
start_server --local-workers 1 --lease 10s --heartbeat 500ms
wait_workers 1
pid=$(jg workers --json | jq -r '.workers[0].pid')
WORKER_PID[local$pid]=$pid
kill -HUP "$SERVER_PID"
rc=0
wait "$SERVER_PID" || rc=$?
SERVER_PID=""
expect_eq "$rc" 0 "SIGHUP stops the server cleanly"
grep -q "shutting down: SIGHUP" "$T/server.2.log" || fail "the server should say why it stops"
wait_until 15 proc_gone "$pid"
unset "WORKER_PID[local$pid]"
log "ok: its local worker stopped with it"
