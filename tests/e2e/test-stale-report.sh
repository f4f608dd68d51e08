#!/usr/bin/env bash
# Guarantee 2: SIGSTOP a worker past its lease; its joblet runs and finishes elsewhere;
# SIGCONT: the stopped worker's late report is refused (409), kept as late_result on its
# lost attempt, and never applied.
source "$(dirname "$0")/lib.sh"
start_server --lease 2s --heartbeat 500ms
start_worker sleepy --cores 1
wait_workers 1
# Exits 7 on the first attempt (the stopped worker), 0 on the second; each holds until the
# first worker is stopped, so the first ends only while its worker cannot report.
id=$(jg add --name fenced -- "$(hold fenced-go); [ \"\$JOBGRID_NODE\" = sleepy ] && exit 7; echo second")
wait_state "$id" running
stop_worker sleepy STOP
touch "$T/fenced-go"
start_worker awake --cores 1
jg wait "$id" --timeout 30s >/dev/null || fail "the job should be done on the second worker"
stop_worker sleepy CONT
# The late report arrives once the worker runs again.
wait_until 20 bash -c "[[ \$('$JOBGRID_BIN' show $id --json | jq -r '.joblets[0].attempts[0].late_result != null') == true ]]"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" done "the job stays done"
expect_eq "$(jq -r '.joblets[0].state' <<<"$show")" done "the joblet stays done"
expect_eq "$(jq -r '.joblets[0].attempts[0].state' <<<"$show")" lost "the stopped worker's attempt is lost"
expect_eq "$(jq -r '.joblets[0].attempts[0].exit_code' <<<"$show")" null "its exit code was not applied"
expect_eq "$(jq -r '.joblets[0].attempts[0].late_result.exit_code' <<<"$show")" 7 "its late report is kept"
expect_eq "$(jq -r '.joblets[0].attempts[1].exit_code' <<<"$show")" 0 "the live attempt's result stands"
grep -q "refused a late report" "$T"/server.*.log || fail "the server did not log the refusal"
