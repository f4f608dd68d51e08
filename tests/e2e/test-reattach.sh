#!/usr/bin/env bash
# §8: workers keep running while the server is away and report when it is back. A joblet
# that runs across a kill -9 of the server is re-attached to its worker (not counted lost),
# one that ends during the outage has its buffered result applied, and each ran once.
source "$(dirname "$0")/lib.sh"
start_server --lease 10s --heartbeat 500ms
start_worker steady --cores 2
wait_workers 1
# a runs until the server is back and has re-attached it; b ends during the outage: each
# holds on a file, and b says which process to watch.
a=$(jg add --name across -- "echo start; $(hold a-go); echo end")
b=$(jg add --name during -- "echo \$\$ >'$T/b.pid'; $(hold b-go); echo quick")
wait_until 10 bash -c "[[ \$('$JOBGRID_BIN' status --json | jq .joblets.running) == 2 ]]"
wait_until 10 test -s "$T/b.pid"
kill_server KILL
touch "$T/b-go"
# b ends while nobody listens: once the worker has reaped it (kill -0 fails), its result
# waits in the worker.
_b_reaped() { ! kill -0 "$(cat "$T/b.pid")" 2>/dev/null; }
wait_until 20 _b_reaped
restart_server --lease 10s --heartbeat 500ms
wait_until 20 grep -q "re-attached" "$T"/server.*.log
touch "$T/a-go"
jg wait "$a" "$b" --timeout 30s >/dev/null || fail "both jobs should end done"
for id in "$a" "$b"; do
	show=$(jg show "$id" --json)
	expect_eq "$(jq '.joblets[0].attempts | length' <<<"$show")" 1 "$id ran exactly once"
	expect_eq "$(jq -r '.joblets[0].attempts[0].state' <<<"$show")" done "$id's attempt is done, not lost"
	expect_eq "$(jq -r '.joblets[0].lost' <<<"$show")" 0 "$id used no lost-worker retry"
done
expect_eq "$(jg log "$a" | tr '\n' ' ')" "[steady] start [steady] end " "output from before and after the restart"
expect_eq "$(jg log "$b")" "[steady] quick" "the buffered result's output"
grep -q "re-attached" "$T"/server.*.log || fail "the server should log the re-attachment"
