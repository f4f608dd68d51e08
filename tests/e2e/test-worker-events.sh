#!/usr/bin/env bash
# Workers joining and leaving are events (issue 15): `worker.joined` when one registers,
# `worker.left` with the reason when it goes — it left (stopped), its lease ran out, the
# drain sent it away. Every stream without ?job= gets them (a user sees every worker in
# GET /v1/workers too), a ?job= stream does not, a user still gets no auth.refused, and a
# resumed stream replays them.
source "$(dirname "$0")/lib.sh"
start_server --auth --lease 2s --heartbeat 500ms
ADMIN=$(cat "$T/data/admin.token")
export JOBGRID_TOKEN=$ADMIN
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
ALICE=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
[[ $ALICE =~ ^jg_ ]] || fail "alice could not log in"
WTOKEN=$(jg token create --role worker --name w-events 2>/dev/null)
[[ $WTOKEN =~ ^jg_ ]] || fail "no worker token"

# stream NAME TOKEN [QUERY]: the event stream into $T/NAME, in the background
stream() {
	curl -sSN -H "Authorization: Bearer $2" "$JOBGRID_URL/v1/events${3-}" >"$T/$1" 2>&1 &
	track $!
}
# The events named $2 in stream file $1, as compact JSON lines.
events() { sed -n 's/^data: //p' "$T/$1" | jq -c --arg e "$2" 'select(.event == $e)'; }
# has FILE EVENT NODE [JQ TEST]: such an event is in the stream (jq -e passes on no input).
has() { events "$1" "$2" | jq -c --arg n "$3" "select(.node == \$n)${4:+ | select($4)}" | grep -q .; }

J=$(jg add --name mine -- true)
stream admin "$ADMIN"
stream alice "$ALICE"
stream onejob "$ADMIN" "?job=$J"
wait_until 20 grep -q '^id: ' "$T/admin"
wait_until 20 grep -q '^id: ' "$T/alice"
wait_until 20 grep -q '^id: ' "$T/onejob"
FIRST=$(sed -n 's/^id: //p' "$T/admin" | head -1)

log "a worker registers: worker.joined, with its resources, for the admin and for alice"
JOBGRID_TOKEN=$WTOKEN start_worker ev-a --cores 3 --ram 1000
wait_until 20 has admin worker.joined ev-a
has admin worker.joined ev-a '.cores == 3 and .ram_mb == 1000 and (.worker | startswith("w"))' ||
	fail "worker.joined lacks the worker's id or resources: $(events admin worker.joined)"
wait_until 20 has alice worker.joined ev-a

log "it stops: worker.left, reason left"
stop_worker ev-a
wait_until 20 has admin worker.left ev-a '.reason == "left" and .message == "it left"'
wait_until 20 has alice worker.left ev-a '.reason == "left"'

log "its lease runs out (stopped with SIGSTOP): worker.left, reason lease_expired, its joblet lost"
JOBGRID_TOKEN=$WTOKEN start_worker ev-b --cores 2
wait_until 20 has admin worker.joined ev-b
HELD=$(jg add --name held -- sh -c "$(hold go)")
wait_state "$HELD" running
stop_worker ev-b STOP
wait_until 20 has admin worker.left ev-b '.reason == "lease_expired" and .lost_joblets == 1'
stop_worker ev-b CONT
joins_of_b() { [[ $(events admin worker.joined | jq -r .node | grep -c '^ev-b$') -ge $1 ]]; }
wait_until 20 joins_of_b 2	# its next heartbeat is refused: it registers again
touch "$T/go"
wait_state "$HELD" done

log "alice sees the workers come and go, but no auth.refused; a ?job= stream sees no worker event"
curl -sS -o /dev/null -H "Authorization: Bearer jg_$(printf '0%.0s' {1..64})" "$JOBGRID_URL/v1/jobs"
wait_until 20 grep -q '"event":"auth.refused"' "$T/admin"
[[ -z $(events alice auth.refused) ]] || fail "alice got an auth.refused event"
expect_eq "$(events alice worker.left | jq -r .node | tr '\n' ' ')" "ev-a ev-b " "alice's worker.left events"
[[ -z $(sed -n 's/^data: //p' "$T/onejob" | jq -c 'select(.event | startswith("worker."))') ]] ||
	fail "a ?job= stream got worker events"

log "a resumed stream replays them"
stream resumed "$ALICE" "?after=$FIRST"
wait_until 20 has resumed worker.left ev-b '.reason == "lease_expired"'
expect_eq "$(events resumed worker.joined | jq -r .node | tr '\n' ' ')" "ev-a ev-b ev-b " "the joins replayed, in order"

log "the drain sends the worker away: reason drained"
jg drain >/dev/null
wait_until 20 has admin worker.left ev-b '.reason == "drained"'
unset "WORKER_PID[ev-b]"
log "PASS"
