#!/usr/bin/env bash
# e2e-store: postgres
# A worker that the leader spawned is given every server sharing the database, not only
# the leader: servers say where they are in jg_servers, and the spawned worker's --server
# lists the leader first, then the others. When the leader is killed (-9) while the spawned
# worker runs a joblet, the worker moves to the standby that took over by itself, its
# attempt is re-attached there (one attempt, not run again), and it ends done.
export JOBGRID_TEST_STORE=postgres
source "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || { log "no psql here: skipped"; exit 77; }

export JOBGRID_RETRY_SECS=60
_pg_test_db
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$1"; }
HA_ARGS=(--leader-lease 2s --heartbeat 1s --lease 30s --spawn local --spawn-max 1 --spawn-idle 3s)

start_ha a "${HA_ARGS[@]}"
wait_until 30 leading a
start_ha b "${HA_ARGS[@]}"
wait_until 30 standby b

# Both say where they are; a has read b's row once a announced itself after b's first
# row was committed (a's statement then sees it).
seen_at() { sql "SELECT seen_at FROM jg_servers WHERE url = '$1'"; }
b_known() { [[ -n $(seen_at "$(url_of b)") ]]; }
wait_until 30 b_known
b_first=$(seen_at "$(url_of b)")
a_read_b() {
	[[ $(sql "SELECT seen_at > '$b_first'::timestamptz + interval '500 ms' FROM jg_servers
		WHERE url = '$(url_of a)'") == t ]]
}
wait_until 30 a_read_b
expect_eq "$(sql "SELECT count(*) FROM jg_servers")" 2 "both servers are in jg_servers"

export JOBGRID_URL="$(url_of a),$(url_of b)"
id=$(jg add -- "echo started; $(hold go); echo finished") || fail "add"
wait_state "$id" running

# The spawned worker: a child of a, with both URLs, a's first.
spawned_pid() { pgrep -P "${SPID[a]}" -f "worker --server" | head -1; }
spawned() { [[ -n $(spawned_pid) ]]; }
wait_until 30 spawned
wpid=$(spawned_pid)
track "$wpid"
args=$(tr '\0' ' ' <"/proc/$wpid/cmdline")
[[ $args == *"--server $(url_of a),$(url_of b) "* ]] || fail "the spawned worker's servers: $args"
log "ok: the spawned worker was given $(url_of a),$(url_of b)"
node=$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].node')
[[ $node == jobgrid-spawn-* ]] || fail "the joblet runs on a spawned worker, not $node"

kill -9 "${SPID[a]}"
wait_until 30 leading b
log "ok: b took over"
# The worker reports to b by itself: b lists it, and the joblet is still its first attempt.
on_b() { jg workers --json | jq -e --arg n "$node" '.workers[] | select(.name == $n)' >/dev/null; }
wait_until 60 on_b
touch "$T/go"
wait_until 60 _state_is "$id" done
jg show "$id" --json >"$T/show"
expect_eq "$(jq '.joblets[0].attempts | length' "$T/show")" 1 "one attempt: re-attached on b, not run again"
expect_eq "$(jq -r '.joblets[0].attempts[0].node' "$T/show")" "$node" "run by the spawned worker"
jg log "$id" >"$T/log"
grep -q finished "$T/log" || fail "the output reached b: $(cat "$T/log")"
# Idle after the job, the spawned worker exits by itself (--spawn-idle 3s).
wait_until 60 proc_gone "$wpid"
log "ok: the spawned worker moved to b, finished the joblet there and exited when idle"
log "PASS"
