#!/usr/bin/env bash
# Time-based scheduling (issue 3): --not-before (relative and RFC 3339), timeslots with
# seconds, --kill-at-slot-end re-queueing without spending a retry, bad values refused,
# and --max-running throttling a job's joblets.
export TZ=UTC	# timeslots are in the server's local time; the server inherits this
source "$(dirname "$0")/lib.sh"
start_server
start_worker w --cores 4
wait_workers 1

MS='def ms: if . == null then null else (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber) end;'
jf() { jg show "$1" --json | jq -r "$2"; }
tms() { jg show "$1" --json | jq -r "$MS $2 | ms"; }
state() { jf "$1" .state; }
reason() { jf "$1" '.joblets[0].reason'; }
run() {	# CMD… → $RC and $OUT (stdout and stderr)
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}
expect_prefix() {	# TEXT PREFIX MESSAGE
	[[ $1 == "$2"* ]] || fail "$3: '$1' does not start with '$2'"
	log "ok: $3 ($1)"
}
expect_range() {	# VALUE LOW HIGH MESSAGE: LOW ≤ VALUE < HIGH
	[[ $1 =~ ^-?[0-9]+$ ]] || fail "$4: not a number: '$1'"
	(($1 >= $2 && $1 < $3)) || fail "$4: $1 not in [$2, $3)"
	log "ok: $4 ($1)"
}
now_ms() { date +%s%3N; }
# Keep a window of a few seconds from crossing midnight UTC: wait past it when close.
avoid_midnight() {
	local left=$((86400 - EPOCHSECONDS % 86400))
	if ((left < 20)); then
		log "midnight UTC in ${left}s: waiting past it"
		sleep $((left + 1))
	fi
}

# These run on the real clock: a job's state, reason and times are read in one `show` (a
# snapshot), and the waits are several seconds, so a loaded machine still reads them
# before the time comes.

# ---- --not-before as a duration from now.
id=$(jg add --name nb-rel --not-before 5s -- true)
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" waiting "a --not-before 5s job waits"
expect_prefix "$(jq -r '.joblets[0].reason' <<<"$show")" "not before" "its reason"
[[ $(jq -r .not_before <<<"$show") != null ]] || fail "not_before is null in show --json"
jg wait "$id" --timeout 20s >/dev/null || fail "the --not-before job did not run"
c=$(tms "$id" .created_at)
s=$(tms "$id" '.joblets[0].attempts[0].started_at')
nb=$(tms "$id" .not_before)
# The CLI may turn "5s" into a time by its own clock, a moment before the server's created_at.
expect_range "$((s - c))" 4900 11000 "started about 5 s after it was added (ms)"
expect_range "$((s - nb))" 0 6000 "started at or after its not_before (ms past it)"

# ---- --not-before as an RFC 3339 time 5 s ahead.
t_ms=$(($(now_ms) + 5000))
t=$(date -u -d "@$((t_ms / 1000)).$(printf %03d $((t_ms % 1000)))" +%Y-%m-%dT%H:%M:%S.%3NZ)
id=$(jg add --name nb-abs --not-before "$t" -- true)
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" waiting "a job not before $t waits"
expect_prefix "$(jq -r '.joblets[0].reason' <<<"$show")" "not before" "its reason"
expect_eq "$(jq -r .not_before <<<"$show")" "$t" "not_before is the given time"
jg wait "$id" --timeout 20s >/dev/null || fail "the RFC 3339 --not-before job did not run"
expect_range "$(($(tms "$id" '.joblets[0].attempts[0].started_at') - t_ms))" 0 6000 "started at or after $t (ms past it)"

# ---- Bad values are refused, naming the field, and add nothing.
n0=$(jg list --limit 1000000 --json | jq '.jobs | length')
run jg add --not-before 'next tuesday-ish' -- true
expect_eq "$RC" 2 "a bad --not-before exits 2"
grep -qE 'not[-_]before' <<<"$OUT" || fail "the error should name not-before: $OUT"
log "ok: it says: $OUT"
run jg add --timeslot 'Mon-Fro 25:00-1' -- true
expect_eq "$RC" 2 "a malformed --timeslot exits 2"
grep -q timeslot <<<"$OUT" || fail "the error should name timeslot: $OUT"
log "ok: it says: $OUT"
expect_eq "$(jg list --limit 1000000 --json | jq '.jobs | length')" "$n0" "refused jobs were not added"

# ---- A timeslot opening in 6 s and closing in 12 s: waits, then starts inside it.
avoid_midnight
base=$EPOCHSECONDS
a=$(date -u -d "@$((base + 6))" +%H:%M:%S)
b=$(date -u -d "@$((base + 12))" +%H:%M:%S)
id=$(jg add --name slot --timeslot "$a-$b" -- true)
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" waiting "a job outside its timeslot $a-$b waits"
expect_prefix "$(jq -r '.joblets[0].reason' <<<"$show")" "outside its timeslot" "its reason"
ts=$(jq -r .timeslot <<<"$show")
[[ $ts == *"${a:0:5}"* ]] || fail "show --json timeslot '$ts' should hold the window $a-$b"
log "ok: timeslot shown as '$ts'"
jg wait "$id" --timeout 20s >/dev/null || fail "the timeslot job did not run"
expect_range "$(tms "$id" '.joblets[0].attempts[0].started_at')" $(((base + 6) * 1000)) $(((base + 12) * 1000)) \
	"it started inside the window $a-$b (epoch ms)"

# ---- --kill-at-slot-end: a joblet that never ends by itself, killed at the end of a 6 s
# window, goes back to waiting.
avoid_midnight
base=$EPOCHSECONDS
a=$(date -u -d "@$((base + 1))" +%H:%M:%S)
b=$(date -u -d "@$((base + 7))" +%H:%M:%S)
id=$(jg add --name slotkill --timeslot "$a-$b" --kill-at-slot-end -- "$(hold never)")
expect_eq "$(jf "$id" .kill_at_slot_end)" true "show --json has kill_at_slot_end"
wait_state "$id" running
_killed_back() {	# the joblet waits again after one attempt that is no longer running
	jg show "$1" --json | jq -e '.joblets[0] | .state == "waiting" and (.attempts | length) == 1 and .attempts[0].state != "running"'
}
wait_until 15 _killed_back "$id"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" waiting "after the window closed the job waits again"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 0 "the kill spent no retry (errors 0)"
att=$(jq -c '.joblets[0].attempts[0]' <<<"$show")
expect_range "$(jq -r "$MS .started_at | ms" <<<"$att")" $(((base + 1) * 1000)) $(((base + 7) * 1000)) "the attempt started inside the window"
# At the end means at it, as promptly as cancel (about 0.1 s): 2 s of slack for tick, kill and report.
expect_range "$(jq -r "$MS .ended_at | ms" <<<"$att")" $(((base + 7) * 1000)) $(((base + 9) * 1000)) "the attempt was killed at the window's end, within 2 s"
fr=$(jq -r .fail_reason <<<"$att")
[[ -n $fr && $fr != null ]] || fail "the killed attempt has no fail reason: $att"
grep -qi timeslot <<<"$(jq -r '.message // ""' <<<"$att")" || fail "the attempt's message should mention the timeslot: $att"
log "ok: attempt ended with fail reason '$fr', message '$(jq -r .message <<<"$att")'"
jr=$(jq -r '.joblets[0].reason' <<<"$show")
grep -qi timeslot <<<"$jr" || fail "the waiting joblet's reason should mention its timeslot: '$jr'"
log "ok: the joblet waits for the next window: $jr"
run jg cancel "$id"
expect_eq "$RC" 0 "cancel the re-queued job ($OUT)"
wait_state "$id" cancelled
log "ok: it is cancelled"

# ---- --max-running 2: six joblets on a 4-core worker, never more than two at once. The
# joblets hold until the held-back ones have been seen saying why.
id=$(jg add --name throttled --joblets 6 --max-running 2 -- "$(hold throttle-go)")
expect_eq "$(jf "$id" .max_running)" 2 "show --json has max_running"
_two_run() { [[ $(jf "$1" '.counts.running // 0') == 2 ]]; }
wait_until 20 _two_run "$id"
probe_passed
expect_eq "$(jf "$id" '"\(.counts.running) \(.counts.ready)"')" "2 4" "2 run, 4 wait with 2 cores free"
expect_eq "$(jf "$id" '[.joblets[].reason // ""] | map(select(test("max-running 2 reached"))) | length')" 4 \
	"each held-back joblet says --max-running 2 reached"
touch "$T/throttle-go"
jg wait "$id" --timeout 30s >/dev/null || fail "the throttled job did not end done"
log "ok: all 6 joblets done"
peak=$(jg show "$id" --json | jq -r "$MS"'
	[.joblets[].attempts[] | ([(.started_at | ms), 1], [(.ended_at | ms), -1])]
	| sort_by(.[0], .[1])
	| reduce .[] as $e ({n: 0, max: 0}; .n += $e[1] | .max = ([.max, .n] | max)) | .max')
expect_eq "$peak" 2 "at most 2 joblets ran at once, and 2 did (sweep over attempts)"
expect_eq "$(jf "$id" '[.joblets[].attempts | length] | add')" 6 "each joblet ran once"
