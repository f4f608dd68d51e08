#!/usr/bin/env bash
# e2e-store: postgres
# GET /v1/events resumes on the other server of a fail-over pair (issue 15): two servers on
# one PostgreSQL database; a reader of the leader's stream loses it to kill -9 of the
# leader; it resumes on the new leader with the last id it had and gets every event after
# it (its events and those the new leader made since: the events are kept in the database
# with the changes they report, and ids go on from the highest kept), none twice, no reset.
export JOBGRID_TEST_STORE=postgres
source "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || { log "no psql here: skipped"; exit 77; }
export JOBGRID_RETRY_SECS=60

stream() {	# NAME URL [CURL ARGS…]: read URL's event stream into $T/NAME in the background
	local name=$1 url=$2
	shift 2
	curl -sSN "$@" "$url/v1/events" >"$T/$name" 2>&1 &
	track $!
	STREAM_PID=$!
}
# FILE's events "EVENT JOB", one a line, in order.
events_of() { sed -n 's/^data: //p' "$T/$1" | jq -r 'select(.job) | "\(.event) \(.job)"'; }
# The events a job that ran one joblet once to success has, in order.
life() { printf 'job.submitted %s\njob.started %s\njoblet.dispatched %s\njoblet.returned %s\njob.ended %s\n' "$1" "$1" "$1" "$1" "$1"; }

_pg_test_db
HA_ARGS=(--leader-lease 2s --heartbeat 1s --lease 20s)
start_ha a "${HA_ARGS[@]}"
wait_until 30 leading a
start_ha b "${HA_ARGS[@]}"
wait_until 30 standby b
export JOBGRID_URL="$(url_of a),$(url_of b)"
start_worker w1
wait_workers 1

log "a reader follows the leader's stream while jobs run"
stream s1 "$(url_of a)"
wait_until 20 grep -q '^id: ' "$T/s1"
J1=$(jg add -- true)
wait_until 30 grep -q "\"event\":\"job.ended\".*\"job\":\"$J1\"" "$T/s1"
J2=$(jg add -- "$(hold go)")
wait_until 30 grep -q "\"event\":\"joblet.dispatched\".*\"job\":\"$J2\"" "$T/s1"

log "kill -9 of the leader: the reader's stream is cut"
kill -9 "${SPID[a]}"
wait "$STREAM_PID" 2>/dev/null || true
LAST=$(sed -n 's/^id: //p' "$T/s1" | tail -1)
[[ $LAST =~ ^[1-9][0-9]*-[0-9]+$ ]] || fail "the reader's last id: '$LAST'"
wait_until 30 leading b
touch "$T/go"	# J2 ends on the new leader
J3=$(jg add -- true)
wait_state "$J2" done
wait_state "$J3" done

log "the reader resumes on the new leader with its last id: nothing missed, no reset"
stream s2 "$(url_of b)" -H "Last-Event-ID: $LAST"
wait_until 30 grep -q "\"event\":\"job.ended\".*\"job\":\"$J3\"" "$T/s2"
! grep -q '^event: reset' "$T/s2" || fail "the resume on the new leader was reset: $(cat "$T/s2")"
got=$(events_of s2)
expect_eq "$(events_of s1 | grep " $J2\$"; grep " $J2\$" <<<"$got")" "$(life "$J2")" \
	"J2's events: those of the old leader's stream, then the rest from the new leader's, each once"
expect_eq "$(grep " $J3\$" <<<"$got")" "$(life "$J3")" "J3's whole life, once, in order"
[[ -z $(grep " $J1\$" <<<"$got") ]] || fail "events before the id were sent again: $got"
[[ -z $(sed -n 's/^id: //p' "$T/s2" | grep -v "^${LAST%-*}-") ]] ||
	fail "an id of another epoch: $(grep '^id: ' "$T/s2")"
ids=$(sed -n 's/^id: //p' "$T/s2" | awk -F- '{print $2}')
[[ $(sort -n <<<"$ids") == "$ids" && $(head -1 <<<"$ids") -ge ${LAST#*-} ]] || fail "ids are not in order: $ids"
J4=$(jg add -- true)
wait_until 30 grep -q "\"event\":\"job.ended\".*\"job\":\"$J4\"" "$T/s2"
expect_eq "$(events_of s2 | grep " $J4\$")" "$(life "$J4")" "then live events"
log "PASS"
