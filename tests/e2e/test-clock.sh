#!/usr/bin/env bash
# The test clock (issue 5): `jobgrid server --test-clock START` runs on a virtual clock that
# moves only with `jobgrid clock advance|set`, and everything due on the way happens before
# the reply: --not-before, timeslots and kill-at-slot-end, retry back-off, a job network's
# daily start time (each day in turn). Times shown by show are virtual. A normal server
# refuses to move its clock; a test clock refuses to go back.
export TZ=Europe/Berlin	# timeslots and start times are local: 1 h ahead of UTC in November
source "$(dirname "$0")/lib.sh"

jf() { jg show "$1" --json | jq -r "$2"; }
state() { jf "$1" .state; }
attempts() { jf "$1" '[.joblets[].attempts[]] | length'; }
run() {	# CMD… → $RC and $OUT (stdout and stderr)
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}
expect_has() {	# TEXT PART MESSAGE
	[[ $1 == *"$2"* ]] || fail "$3: '$1' does not contain '$2'"
	log "ok: $3 ($1)"
}
# Still in STATE a moment later: real time passing must not move anything (the sleep is the
# real time that passes, not a wait for a condition).
still() {	# ID STATE MESSAGE
	sleep 0.5
	expect_eq "$(state "$1")" "$2" "$3"
}

# ---- A server on the real clock shows its time and refuses to move it.
start_server
run jg clock
expect_eq "$RC" 0 "jobgrid clock on a normal server"
[[ $OUT =~ ^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9]T.*Z$ ]] || fail "a bare RFC 3339 time expected: '$OUT'"
expect_eq "$(jg clock --json | jq -r .test_clock)" false "GET /v1/clock says test_clock false"
run jg clock advance 1h
expect_eq "$RC" 2 "clock advance on a normal server exits 2"
expect_has "$OUT" "--test-clock" "it says how to get a test clock"
api POST /v1/clock '{"advance": "1h"}' >"$T/body"	# not in $(…): API_STATUS must stay set
body=$(<"$T/body")
expect_eq "$API_STATUS" 409 "POST /v1/clock without a test clock"
expect_eq "$(jq_get "$body" .error.code)" no_test_clock "its error code"
# A malformed body is named as such even here, before the missing test clock.
api POST /v1/clock '{"speed": 2}' >"$T/out"
expect_eq "$API_STATUS $(jq -r '"\(.error.code) \(.error.field)"' "$T/out")" "400 unknown_field speed" \
	"an unknown field is named on a real-clock server too"
run jg add --time -5m -- true
expect_eq "$RC" 2 "add --time -5m exits 2"
expect_has "$OUT" "--time: a duration may not be negative" "it names the option and the rule"
kill_server

# ---- A test clock from 06:00 Berlin on Monday 2026-11-23, and a worker.
start_server --test-clock 2026-11-23T05:00:00Z
start_worker w --cores 2
wait_workers 1
expect_eq "$(jg clock)" "2026-11-23T05:00:00.000Z (test clock)" "jobgrid clock shows the test clock"
body=$(api GET /v1/clock)
expect_eq "$(jq_get "$body" '"\(.now) \(.test_clock)"')" "2026-11-23T05:00:00.000Z true" "GET /v1/clock"
sleep 1.2
expect_eq "$(jg clock)" "2026-11-23T05:00:00.000Z (test clock)" "the clock stands still in real time"

# ---- --not-before +2h waits for two virtual hours, not a moment less.
nb=$(jg add --name nb --not-before +2h -- true)
expect_eq "$(state "$nb")" waiting "a --not-before +2h job waits"
expect_eq "$(jf "$nb" .created_at)" "2026-11-23T05:00:00.000Z" "created_at is virtual"
expect_eq "$(jf "$nb" .not_before)" "2026-11-23T07:00:00.000Z" "not_before is 2 h of virtual time ahead"
expect_has "$(jf "$nb" '.joblets[0].reason')" "not before" "its reason"
expect_eq "$(jg clock advance 1h59m)" "2026-11-23T06:59:00.000Z (test clock)" "advance 1h59m"
still "$nb" waiting "one minute short it still waits"
jg clock advance 1m >/dev/null
wait_state "$nb" done
expect_eq "$(jf "$nb" '.joblets[0].attempts[0].started_at')" "2026-11-23T07:00:00.000Z" \
	"it started at the virtual not_before"
expect_eq "$(jf "$nb" '.joblets[0].attempts[0].ended_at')" "2026-11-23T07:00:00.000Z" \
	"and ended in the same virtual instant (the clock did not move meanwhile)"

# ---- The clock never goes back.
run jg clock set 2026-11-23T06:00:00Z
expect_eq "$RC" 2 "clock set backwards exits 2"
expect_has "$OUT" "only moves forward" "it says why"
api POST /v1/clock '{"set": "2026-11-23T06:00:00Z"}' >/dev/null
expect_eq "$API_STATUS" 422 "POST /v1/clock set backwards"
api POST /v1/clock '{"set": "2026-11-23T08:00:00Z", "advance": "1h"}' >/dev/null
expect_eq "$API_STATUS" 400 "POST /v1/clock with both set and advance"
run jg clock advance soon
expect_eq "$RC" 2 "a bad duration exits 2"
expect_has "$OUT" "advance: a duration" "it names advance"
run jg clock advance -5m
expect_eq "$RC" 2 "clock advance -5m exits 2"
expect_has "$OUT" "advance: the clock only moves forward, got '-5m'" "read as a value, not an option"
api POST /v1/clock '{"advance": "-5m"}' >"$T/out"
expect_eq "$API_STATUS $(jq -r .error.field "$T/out")" "422 advance" "POST /v1/clock advance -5m"
api POST /v1/clock '{"advance": "1m", "speed": 2}' >"$T/out"
expect_eq "$API_STATUS $(jq -r '"\(.error.code) \(.error.field)"' "$T/out")" "400 unknown_field speed" \
	"an unknown field is named"
api POST /v1/clock '{"advance": 60}' >"$T/out"
expect_eq "$API_STATUS $(jq -r .error.field "$T/out")" "400 advance" "a number for advance is refused naming it"
expect_has "$(jq -r .error.message "$T/out")" "must be a string" "with the rule"
expect_eq "$(jg clock)" "2026-11-23T07:00:00.000Z (test clock)" "refused moves left the clock alone"

# ---- A timeslot (local time) opens when the virtual clock enters it.
slot=$(jg add --name slot --timeslot 09:00-10:00 -- true)
expect_eq "$(state "$slot")" waiting "a job outside its timeslot waits"
expect_has "$(jf "$slot" '.joblets[0].reason')" "outside its timeslot" "its reason"
jg clock advance 59m >/dev/null
still "$slot" waiting "at 08:59 Berlin it still waits"
jg clock advance 1m >/dev/null
wait_state "$slot" done
expect_eq "$(jf "$slot" '.joblets[0].attempts[0].started_at')" "2026-11-23T08:00:00.000Z" \
	"it started when the window opened (09:00 Berlin)"

# ---- --kill-at-slot-end fires when the virtual clock crosses the window's end.
kill=$(jg add --name slotkill --timeslot 10:00-11:00 --kill-at-slot-end -- "$(hold never)")
still "$kill" waiting "the kill-at-slot-end job waits for 10:00"
jg clock advance 1h >/dev/null
wait_state "$kill" running
jg clock advance 59m >/dev/null
still "$kill" running "at 10:59 it still runs"
jg clock advance 1m >/dev/null
_killed_back() {	# waiting again after one attempt that has ended
	jg show "$1" --json | jq -e '.joblets[0] | .state == "waiting" and (.attempts | length) == 1
		and .attempts[0].state != "running"'
}
wait_until 15 _killed_back "$kill"
show=$(jg show "$kill" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0].ended_at' <<<"$show")" "2026-11-23T10:00:00.000Z" \
	"the attempt ended at the window's end, virtual time"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 0 "the kill spent no retry"
expect_has "$(jq -r '.joblets[0].reason' <<<"$show")" "2026-11-24T" "it waits for tomorrow's window"
jg clock set 2026-11-24T09:00:00Z >/dev/null
wait_until 15 _state_is "$kill" running
expect_eq "$(jf "$kill" '.joblets[0].attempts[1].started_at')" "2026-11-24T09:00:00.000Z" \
	"it ran again when the next day's window opened"
jg cancel "$kill" >/dev/null
wait_state "$kill" cancelled

# ---- Retry back-off waits for virtual time: 2 s (±25 %) never pass in real time.
flaky=$(jg add --name flaky --retries 1 --retry-delay 2s -- false)
_one_failed() { [[ $(state "$1") == waiting && $(attempts "$1") == 1 ]]; }
wait_until 15 _one_failed "$flaky"
expect_has "$(jf "$flaky" '.joblets[0].reason')" "retry 1 of 1" "it waits to retry"
sleep 3
expect_eq "$(attempts "$flaky")" 1 "3 real seconds later it has not retried"
jg clock advance 1s >/dev/null
still "$flaky" waiting "1 virtual second later neither"
jg clock advance 2s >/dev/null
wait_state "$flaky" failed
expect_eq "$(attempts "$flaky")" 2 "3 virtual seconds later it retried"
expect_eq "$(jf "$flaky" '.joblets[0].attempts[1].started_at')" "2026-11-24T09:00:03.000Z" \
	"the retry started at the virtual time it became due"

# ---- Advancing three days runs each day's start time in turn, not once at the end.
mkdir -p "$T/defs"
cat >"$T/defs/tick.yaml" <<'EOF'
name: tick
command: "true"
schedule:
  start_times: ["07:00"]
EOF
jg deploy "$T/defs" >/dev/null
jg clock advance 3d >/dev/null
ticks=$(jg list --limit 1000 --json | jq -r '[.jobs[] | select(.id | test("\\.tick\\.")) | .created_at
	| select(endswith("T06:00:00.000Z"))] | sort | join(" ")')
expect_eq "$ticks" "2026-11-25T06:00:00.000Z 2026-11-26T06:00:00.000Z 2026-11-27T06:00:00.000Z" \
	"one run a day at 07:00 Berlin"
jg undeploy tick >/dev/null
log "all clock checks passed"
