#!/usr/bin/env bash
# SIGTERM to a server with local workers: the workers stop their joblets and report them
# as `signal` (re-queued on the lost budget), the server commits and exits promptly; after
# a restart the joblet runs to the end.
source "$(dirname "$0")/lib.sh"
start_server --local-workers 1 --lease 3s --heartbeat 500ms
id=$(jg add --name long -- "$(hold never)")	# runs until its worker stops it
wait_state "$id" running
t0=$SECONDS
kill_server TERM
((SECONDS - t0 <= 15)) || fail "shutdown took $((SECONDS - t0)) s"
start_server
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" signal "the stopped attempt reports signal"
expect_eq "$(jq -r '.joblets[0].state' <<<"$show")" ready "the joblet is queued again"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 0 "a worker stop does not use a job-error retry"
jg mod "$id" --priority 10 >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .priority)" 10 "mod changes a waiting job's priority"
jg cancel "$id" >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .state)" cancelled "cancel"
jg retry "$id" >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .state)" ready "retry re-queues"
jg remove "$id" >/dev/null
rc=0
jg show "$id" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "a removed job is not found (exit 4)"
