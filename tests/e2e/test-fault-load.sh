#!/usr/bin/env bash
# A recovery read that fails (a test build's store told to fail its Nth loader after the
# rows were read, JOBGRID_TEST_FAULTS=load:N, src/store/store-faulty.h): the server holds a
# half-loaded queue, so it must not serve it. It exits 1 naming what could not be read,
# never listens, and leaves the store's file as it was; the next start without the fault
# recovers everything, and nothing runs twice.
source "$(dirname "$0")/lib.sh"
export TZ=UTC
CLOCK=2026-11-23T06:00:00Z
mkdir -p "$T/defs"
printf 'name: nightly\ncommand: true\nschedule: {start_times: ["23:00"]}\n' >"$T/defs/nightly.yaml"
start_server --test-clock "$CLOCK"
start_worker a
wait_workers 1
jg deploy "$T/defs" >/dev/null
done_id=$(jg add --name once -- sh -c "echo ran >>'$T/ran'")
wait_state "$done_id" done
stop_worker a
waiting=$(jg add --name waiting --priority 7 --limit grp:1 -- true)
jg limit grp 0 >/dev/null

# What a client sees of the store, to compare after each start.
snapshot() {
	jg list --all --json | jq -c '[.jobs[] | {id, state, priority}]'
	jg joblist --json | jq -c '[.definitions[]? // .[]? | {name, version}]'
	jg plan --json | jq -c '[.runs[] | {id, definition, planned_at, state}]'
	jg limit grp --json | jq -c '{name, limit}'
}
before=$(snapshot)
kill_server TERM
DB=$T/data/jobgrid.sqlite
sum=$(sha256sum <"$DB")

# load:N fails the Nth loader: 1 jobs, 2 definitions, 3 job networks.
refused() {	# N WHAT
	local rc=0 out="$T/refused.$1.log"
	LOGS+=("$out")	# scanned for sanitizer reports at exit
	JOBGRID_TEST_FAULTS=load:$1 timeout 60 "$JOBGRID_BIN" server --listen 127.0.0.1:0 \
		--data "$T/data" --test-clock "$CLOCK" >"$out" 2>&1 || rc=$?
	expect_eq "$rc" 1 "recovery read $1 ($2) failed: the server does not start"
	grep -q 'store: test faults:' "$out" ||
		fail "the server ignores JOBGRID_TEST_FAULTS (built without JG_TEST_FAULTS?)"
	grep -qE "cannot (open the store|restore the job networks): injected fault: recovery read $1 \($2\) failed" "$out" ||
		fail "the refusal should say which read failed: $(tail -3 "$out")"
	grep -q 'listening on' "$out" && fail "load:$1: a half-loaded queue must not be served"
	expect_eq "$(sha256sum <"$DB")" "$sum" "load:$1: the store's file is unchanged"
	[[ ! -s $DB-wal ]] || fail "load:$1: the refused start wrote to the WAL"
}
refused 1 jobs
# A fault list that does not parse is refused the same way, naming the item and the rule.
rc=0
out=$(JOBGRID_TEST_FAULTS=commit:2,load:9 "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/data" 2>&1) || rc=$?
expect_eq "$rc" 1 "a bad JOBGRID_TEST_FAULTS stops the start"
[[ $out == *"JOBGRID_TEST_FAULTS: 'load:9': must be commit:N (N >= 1), load:N (N 1..3) or short"* ]] ||
	fail "the refusal should name the item and the rule: $out"
expect_eq "$(sha256sum <"$DB")" "$sum" "a bad fault list changes nothing"
refused 2 definitions
refused 3 networks

start_server --test-clock "$CLOCK"
expect_eq "$(snapshot)" "$before" "the next start recovers every job, definition, run and limit"
expect_eq "$(jg show "$waiting" --json | jq -r .state)" ready "the waiting job still waits"
start_worker a
wait_workers 1
probe_passed
expect_eq "$(jg show "$done_id" --json | jq -r '.state, (.joblets[0].attempts | length)' | paste -sd' ')" \
	"done 1" "the done job stays done, with its one attempt"
expect_eq "$(wc -l <"$T/ran")" 1 "the done job did not run again"
jg limit grp 1 >/dev/null
wait_state "$waiting" done
