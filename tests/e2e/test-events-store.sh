#!/usr/bin/env bash
# GET /v1/events resumes across a restart (issue 15): the events are kept in the store with
# the changes they report, their ids go on across server runs (EPOCH is the store's
# identity), so a reader that resumes with the last id it had from the server before gets
# every event after it, none twice, no reset. A resume from before a gap (nobody listened
# for longer than --events-window, so events were not built) is told to re-read (`reset`)
# by the next server too; so is an id of another store, or of the store a restored copy was
# made from.
source "$(dirname "$0")/lib.sh"

stream() {	# NAME [CURL ARGS…]: read the event stream into $T/NAME in the background
	local name=$1
	shift
	curl -sSN "$@" "$JOBGRID_URL/v1/events" >"$T/$name" 2>&1 &
	track $!
	STREAM_PID=$!
}
end_stream() { kill "$STREAM_PID"; wait "$STREAM_PID" 2>/dev/null || true; }
# The id line just before the data line of JOB's EVENT in FILE.
id_of() { grep -B2 "\"event\":\"$3\".*\"job\":\"$2\"" "$T/$1" | sed -n 's/^id: //p' | head -1; }
# FILE's events "EVENT JOB", one a line, in order.
events_of() { sed -n 's/^data: //p' "$T/$1" | jq -r 'select(.job) | "\(.event) \(.job)"'; }
sse_clients() { curl -sS "$JOBGRID_URL/metrics" | awk '$1 == "jobgrid_sse_clients" {print $2}'; }
no_streams() { [[ $(sse_clients) == 0 ]]; }
# The events a job that ran one joblet once to success has, in order.
life() { printf 'job.submitted %s\njob.started %s\njoblet.dispatched %s\njoblet.returned %s\njob.ended %s\n' "$1" "$1" "$1" "$1" "$1"; }

start_server
log "a reader notes its last id, then the server stops"
stream a
wait_until 20 grep -q '^id: ' "$T/a"
J1=$(jg add -- true)
wait_until 20 grep -q "\"job\":\"$J1\"" "$T/a"
ID1=$(id_of a "$J1" job.submitted)
[[ $ID1 =~ ^[1-9][0-9]*-[0-9]+$ ]] || fail "J1's event id: '$ID1'"
end_stream
# More events than a slice of the store's read (500): parked on a node that never comes.
seq 700 | sed 's/.*/true/' | jg add --name parked --constraint node=nowhere >"$T/parked"
kill_server

log "restarted: jobs are added and run while nobody reads"
restart_server
start_worker w1
J2=$(jg add -- true)
J3=$(jg add -- true)
wait_state "$J1" done
wait_state "$J2" done
wait_state "$J3" done

log "the reader resumes with its id: every event after it, in order, no reset"
stream b -H "Last-Event-ID: $ID1"
wait_until 20 grep -q "\"event\":\"job.ended\".*\"job\":\"$J3\"" "$T/b"
! grep -q '^event: reset' "$T/b" || fail "a resume across the restart was reset: $(cat "$T/b")"
got=$(events_of b)
for j in "$J2" "$J3"; do
	expect_eq "$(grep " $j\$" <<<"$got")" "$(life "$j")" "$j's whole life, once, in order"
done
expect_eq "$(grep " $J1\$" <<<"$got" | head -1)" "job.started $J1" "J1's events after its submission"
expect_eq "$(grep -c '^job.submitted .*\.parked\.' <<<"$got")" 700 "the 700 parked jobs' submissions, read in slices"
ids=$(sed -n 's/^id: //p' "$T/b" | awk -F- '{print $2}')
[[ $(sort -n <<<"$ids") == "$ids" ]] || fail "ids are not in order: $ids"
[[ -z $(sed -n 's/^id: //p' "$T/b" | grep -v "^${ID1%-*}-") ]] || fail "an id of another epoch: $(grep '^id: ' "$T/b")"
J4=$(jg add -- true)
wait_until 20 grep -q "\"event\":\"job.ended\".*\"job\":\"$J4\"" "$T/b"
expect_eq "$(events_of b | grep " $J4\$")" "$(life "$J4")" "then live events"
end_stream

log "a gap: with --events-window 0 nobody listens once the stream closed"
stop_worker w1
kill_server
restart_server --events-window 0
start_worker w1
stream c
wait_until 20 grep -q '^id: ' "$T/c"
J5=$(jg add -- true)
wait_until 20 grep -q "\"event\":\"job.ended\".*\"job\":\"$J5\"" "$T/c"
ID5=$(id_of c "$J5" job.ended)
end_stream
wait_until 20 no_streams
J6=$(jg add -- true)	# no event is built for it: a gap is stored instead
wait_state "$J6" done
stop_worker w1
kill_server
restart_server
start_worker w1
J7=$(jg add -- true)
wait_state "$J7" done
stream d -H "Last-Event-ID: $ID5"
wait_until 20 grep -q '^event: reset' "$T/d"
! grep -q '"event":"job.submitted"' "$T/d" || fail "events across the gap were replayed: $(cat "$T/d")"
end_stream
stream e -H "Last-Event-ID: $ID1"
wait_until 20 grep -q '^event: reset' "$T/e"
end_stream
log "ok: a resume from before the gap is reset by the next server"

log "an id of another store, and of the store a restored copy was made from, is reset"
jg backup "$T/copy.sqlite" >/dev/null
stream f
wait_until 20 grep -q '^id: ' "$T/f"
IDNOW=$(sed -n 's/^id: //p' "$T/f" | tail -1)
end_stream
stop_worker w1
ORIG_URL=$JOBGRID_URL
for other in fresh restored; do
	if [[ $other == restored ]]; then
		jg restore "$T/copy.sqlite" --data "$T/$other" >/dev/null
	fi
	"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/$other" >"$T/server.$other.log" 2>&1 &
	pid=$!
	track $pid
	LOGS+=("$T/server.$other.log")
	wait_until 20 test -s "$T/$other/server.url"
	JOBGRID_URL=$(cat "$T/$other/server.url")
	stream "g-$other" -H "Last-Event-ID: $IDNOW"
	wait_until 20 grep -q '^event: reset' "$T/g-$other"
	wait_until 20 grep -q '^id: ' "$T/g-$other"
	NEWID=$(sed -n 's/^id: //p' "$T/g-$other" | tail -1)
	[[ ${NEWID%-*} != "${IDNOW%-*}" ]] || fail "the $other store has the same identity: $NEWID"
	end_stream
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	JOBGRID_URL=$ORIG_URL
done

log "read back from the store, a user's resumed stream holds their own jobs only"
kill_server
restart_server --auth
ADMIN=$(cat "$T/data/admin.token")
printf 'alice-pw\n' | JOBGRID_TOKEN=$ADMIN jg user add alice --password-stdin >/dev/null
ALICE=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
add_as() { curl -sS -H "Authorization: Bearer $1" -d "{\"cmd\":\"true\",\"name\":\"$2\"}" "$JOBGRID_URL/v1/jobs" | jq -r '.ids[0]'; }
stream h -H "Authorization: Bearer $ALICE"
wait_until 20 grep -q '^id: ' "$T/h"
IDA=$(sed -n 's/^id: //p' "$T/h" | tail -1)
end_stream
JA=$(add_as "$ALICE" alices)
JB=$(add_as "$ADMIN" admins)
kill_server
restart_server --auth
stream i -H "Authorization: Bearer $ALICE" -H "Last-Event-ID: $IDA"
JA2=$(add_as "$ALICE" alices-two)
wait_until 20 grep -q "\"job\":\"$JA2\"" "$T/i"
! grep -q '^event: reset' "$T/i" || fail "alice's resume was reset: $(cat "$T/i")"
expect_eq "$(events_of i | tr '\n' ' ')" "job.submitted $JA job.submitted $JA2 " "alice's resumed stream: her jobs only"
! grep -q "$JB" "$T/i" || fail "alice saw another's event: $(cat "$T/i")"
log "PASS"
