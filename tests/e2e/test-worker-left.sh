#!/usr/bin/env bash
# The two `worker.left` reasons that need a process to die (issue 15; test-worker-events
# covers left, lease_expired and drained): `exited`, when a server's local worker process
# ends under it, and `replaced`, when a worker a previous server run knew (it held a joblet
# at a kill -9 of both) never comes back and its node registers again as a new worker.
source "$(dirname "$0")/lib.sh"

# stream NAME: the event stream into $T/NAME, in the background, once it has begun
stream() {
	curl -sSN "$JOBGRID_URL/v1/events" >"$T/$1" 2>&1 &
	track $!
	wait_until 20 grep -q '^id: ' "$T/$1"
}
# left FILE NODE JQ-TEST: a worker.left of NODE in stream FILE passes JQ-TEST
left() {
	sed -n 's/^data: //p' "$T/$1" |
		jq -c --arg n "$2" "select(.event == \"worker.left\" and .node == \$n) | select($3)" | grep -q .
}

log "a local worker's process is killed: worker.left, reason exited, its joblet lost"
start_server --local-workers 1 --lease 30s --heartbeat 500ms
wait_workers 1
stream locals
W=$(jg workers --json)
NODE=$(jq -r '.workers[0].name' <<<"$W")
PID=$(jq -r '.workers[0].pid' <<<"$W")
WORKER_PID[local]=$PID	# ours to end if the test stops early
HELD=$(jg add --name held -- sh -c "$(hold go-held)")
wait_state "$HELD" running
kill -KILL "$PID"
wait_until 20 left locals "$NODE" '.reason == "exited" and .message == "its process exited" and .lost_joblets == 1'
unset "WORKER_PID[local]"
# The lease is 30 s: only the process's end, seen at once, can have ended it.
log "ok: reason exited, before its 30 s lease could run out"
touch "$T/go-held"
kill_server TERM

log "a worker held a joblet when both it and the server were killed; its node registers anew: replaced"
start_server --lease 30s --heartbeat 500ms
start_worker node-r --cores 1
wait_workers 1
KEPT=$(jg add --name kept -- sh -c "$(hold go-kept)")
wait_state "$KEPT" running
JOBLET_PIDS=$(pgrep -f "go-kept" || true)
stop_worker node-r KILL
kill_server KILL
for pid in $JOBLET_PIDS; do track "$pid"; done	# the orphaned joblet, ours to end
restart_server --lease 30s --heartbeat 500ms
stream replaced
# The new server knows node-r only from the store: a worker holding the running attempt.
_known() { [[ $(jg workers --json | jq '[.workers[] | select(.name == "node-r")] | length') -ge 1 ]]; }
wait_until 20 _known
start_worker node-r --cores 1
wait_until 20 left replaced node-r '.reason == "replaced" and .lost_joblets == 1'
log "ok: reason replaced, the joblet it held counted lost"
wait_until 20 grep -q '"event":"worker.joined".*"node":"node-r"' "$T/replaced"
touch "$T/go-kept"
log "PASS"
