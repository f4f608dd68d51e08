#!/usr/bin/env bash
# Guarantee 3: kill -9 a worker in the middle of a joblet; after its lease the joblet runs
# again on the other worker and the job ends done, with the first attempt marked lost.
source "$(dirname "$0")/lib.sh"
start_server --lease 2s --heartbeat 500ms
start_worker victim --cores 1
wait_workers 1
# Each attempt holds until the victim is dead (the victim's own one, left behind by its
# worker, then ends too).
id=$(jg add --name slow -- "echo start on \$JOBGRID_NODE; $(hold slow-go); echo end")
wait_state "$id" running
stop_worker victim KILL
touch "$T/slow-go"
start_worker rescuer --cores 1
jg wait "$id" --timeout 30s >/dev/null || fail "job did not finish done"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 2 "two attempts"
expect_eq "$(jq -r '.joblets[0].attempts[0].state' <<<"$show")" lost "first attempt lost"
expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" lost "its fail reason"
expect_eq "$(jq -r '.joblets[0].attempts[0].node' <<<"$show")" victim "it ran on the killed worker"
expect_eq "$(jq -r '.joblets[0].attempts[1].node' <<<"$show")" rescuer "then on the other worker"
expect_eq "$(jq -r '.joblets[0].attempts[1].state' <<<"$show")" done "second attempt done"
expect_eq "$(jq -r '.joblets[0].lost' <<<"$show")" 1 "one lost-worker retry used"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 0 "no job-error retry used"
jg log "$id" | grep -q '^\[rescuer\] end$' || fail "log lacks '[rescuer] end': $(jg log "$id")"

# --no-restart: the same loss fails the joblet instead (at most once).
id2=$(jg add --no-restart --name once -- "$(hold once-go)")
wait_state "$id2" running
stop_worker rescuer KILL
touch "$T/once-go"
start_worker third --cores 1
rc=0
jg wait "$id2" --timeout 30s >/dev/null || rc=$?
expect_eq "$rc" 1 "wait exits 1 for the failed --no-restart job"
show=$(jg show "$id2" --json)
expect_eq "$(jq -r '.state' <<<"$show")" failed "--no-restart job failed"
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 1 "it never ran again"
