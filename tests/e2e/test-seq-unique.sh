#!/usr/bin/env bash
# A job's number is never given again, even after its job was removed or pruned and the
# server restarted: before, a start numbered the next job after the newest job in the
# store, so removing the newest job and restarting gave its number to the next one (and an
# old id, a dependency or a link named a different job). The store keeps the number after
# the newest job ever removed (migration 15, PostgreSQL 8).
source "$(dirname "$0")/lib.sh"
seq_of() { jg show "$1" --json | jq .seq; }

start_server --test-clock 2026-12-01T00:00:00Z
a=$(jg add --name a --constraint test=none -- true)
b=$(jg add --name b --constraint test=none -- true)
c=$(jg add --name c --constraint test=none -- true)
expect_eq "$(seq_of "$c")" 3 "three jobs numbered 1..3"
jg remove "$c" >/dev/null
jg remove "$b" >/dev/null
kill_server TERM
restart_server --test-clock 2026-12-01T00:00:00Z
d=$(jg add --name d --constraint test=none -- true)
expect_eq "$(seq_of "$d")" 4 "after removing the newest jobs and a restart, the next job is 4, not 2"
rc=0
jg show "$c" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "the removed job's id names nothing (not the new job)"
expect_eq "$(seq_of "$a")" 1 "the job kept is still 1"

# The same after a prune of the newest jobs, which have finished.
jg cancel "$d" >/dev/null
jg cancel "$a" >/dev/null
jg clock advance 2h >/dev/null
jg prune --finished-before 1h >/dev/null
wait_until 20 bash -c "! $JOBGRID_BIN show $d >/dev/null 2>&1"
kill_server TERM
restart_server --test-clock 2026-12-01T03:00:00Z
e=$(jg add --name e --constraint test=none -- true)
expect_eq "$(seq_of "$e")" 5 "after a prune of every job and a restart, the next job is 5"
expect_eq "$(jg list --json | jq -c '[.jobs[].seq]')" "[5]" "only the new job is listed"
