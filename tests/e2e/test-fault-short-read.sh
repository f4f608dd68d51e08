#!/usr/bin/env bash
# Short reads of output (a test build's store hands back one row per read,
# JOBGRID_TEST_FAULTS=short, src/store/store-faulty.h): `log` and `log -f` go on reading
# until the store says the rows ended, across the rows committed while they follow, and
# lose or repeat no line.
source "$(dirname "$0")/lib.sh"
JOBGRID_TEST_FAULTS=short start_server
grep -q 'store: test faults:.*short reads on' "${LOGS[-1]}" ||
	fail "the server ignores JOBGRID_TEST_FAULTS (built without JG_TEST_FAULTS?)"
start_worker a
wait_workers 1

# Five bursts of 400 numbered lines, each held until the test saw the one before in the
# log: a burst is printed after the one before it is stored, so the output is at least
# five rows, committed at different times while `log -f` follows.
cmd="for k in 1 2 3 4 5; do seq \$(((k - 1) * 400 + 1)) \$((k * 400)) | sed 's/^/line /';"
cmd+=" while [ ! -e '$T/burst'\$k ]; do sleep 0.05; done; done"
id=$(jg add --name bursts -- sh -c "$cmd")
"$JOBGRID_BIN" log -f "$id" >"$T/follow.out" 2>"$T/follow.err" &
follower=$!
track "$follower"
_has_line() { jg log "$id" | grep -qx "\[a\] line $1"; }
for k in 1 2 3 4 5; do
	wait_until 30 _has_line $((k * 400))
	touch "$T/burst$k"
done
wait_state "$id" done
wait_until 30 proc_gone "$follower"
rc=0
wait "$follower" || rc=$?
expect_eq "$rc" 0 "log -f ends with the job"

expected=$(seq 1 2000 | sed 's/^/[a] line /')
expect_eq "$(jg log "$id")" "$expected" "log: every line once, in order"
expect_eq "$(cat "$T/follow.out")" "$expected" "log -f: every line once, in order, across its ranges"
expect_eq "$(jg log "$id/0")" "$expected" "log of joblet 0: the same"
expect_eq "$(jg log --json "$id" | jq -r '.lines[] | "[\(.node)] \(.line)"')" "$expected" "log --json: the same"
