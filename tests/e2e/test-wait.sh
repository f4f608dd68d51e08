#!/usr/bin/env bash
# wait: --timeout exits 6 (SPEC §4), --json gives every job's state then too, and the
# progress bar on a terminal counts joblets, so a job of 6 shows its progress before it ends.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w7 --cores 7	# the 6 joblets and one more job
wait_workers 1
# Each joblet holds until its own file appears.
id=$(jg add --joblets 6 -- "while [ ! -e $T/go.\$JOBGRID_JOBLET ]; do sleep 0.05; done")
other=$(jg add -- true)
jg wait "$other" >/dev/null || fail "a quick job is waited for"

rc=0
jg wait --timeout 1s "$id" "$other" >"$T/out" 2>"$T/err" || rc=$?
expect_eq "$rc" 6 "wait --timeout exits 6"
grep -q "timed out with 1 of 2 jobs ended" "$T/err" || fail "it says so: $(cat "$T/err")"
rc=0
jg wait --timeout 1s --json "$id" "$other" >"$T/out" 2>/dev/null || rc=$?
expect_eq "$rc" 6 "wait --timeout --json exits 6 too"
expect_eq "$(jq -r --arg a "$id" --arg b "$other" '"\(.[$a]) \(.[$b])"' "$T/out")" "running done" \
	"--json gives the state of every job, ended or not"

# The bar counts joblets: 2 of 6 show before the job ends.
script -qec "$JOBGRID_BIN wait $id" /dev/null >"$T/bar" 2>&1 &
BAR=$!
track "$BAR"
touch "$T/go.0" "$T/go.1"
two_done() { [[ $(jg show "$id" --json | jq '.counts.done // 0') == 2 ]]; }
wait_until 20 two_done
wait_until 20 grep -q " 2/6 joblets" "$T/bar"
log "ok: the bar showed 2/6 joblets while the job ran: $(tr '\r' '\n' <"$T/bar" | grep -a '2/6' | tail -1)"
touch "$T/go.2" "$T/go.3" "$T/go.4" "$T/go.5"
rc=0
wait "$BAR" || rc=$?
expect_eq "$rc" 0 "wait ended when the job was done"
grep -q " 6/6 joblets" "$T/bar" || fail "the bar ends full: $(tr '\r' '\n' <"$T/bar" | tail -3)"
log "all wait checks passed"
