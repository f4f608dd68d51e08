#!/usr/bin/env bash
# The dashboard at scale, in Debian's chromium (dashboard-scale.cjs): 10^5 jobs in the store
# and a job of 10^5 joblets, all held queued by a constraint no worker meets (pool=parked),
# while a load generator adds small jobs that one worker (pool=live) runs at about 200
# events a second. It prints the figures (docs/DASHBOARD.md keeps them) and checks only
# functional facts: rows appear, the rows in the DOM stay few, the counts reach the totals.
# The sanitizers stay on, but a malloc's stack is taken the fast way (lib.sh's default, the
# slow one, makes adding 10^5 jobs ten times slower); leaks are still reported.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0}
source "$(dirname "$0")/../e2e/lib.sh"
start_server
start_worker scale-live --cores 8 --tag pool=live
wait_workers 1
export T JOBGRID_BIN JG_BUILD
node "$(dirname "$0")/dashboard-scale.cjs" &
NODE=$!
track $NODE
wait "$NODE" || fail "the browser test failed"
log "PASS"
