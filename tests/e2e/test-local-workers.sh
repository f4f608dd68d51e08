#!/usr/bin/env bash
# --local-workers N: the server starts N workers and restarts one that dies; `drain` lets
# running work finish, refuses new work, and then the workers and the server exit; `backup`
# writes a consistent copy that a server can open.
source "$(dirname "$0")/lib.sh"
start_server --local-workers 2 --lease 3s --heartbeat 500ms
wait_workers 2
ids=$(seq 1 20 | sed 's/.*/echo job &/' | jg add --group batch)
expect_eq "$(wc -l <<<"$ids")" 20 "20 jobs from stdin lines"
jg wait $ids --timeout 60s >/dev/null || fail "jobs did not finish"
expect_eq "$(jg status --json | jq '.groups.batch.done')" 20 "status counts the group's done joblets"

# A local worker that dies is started again.
pid=$(jg workers --json | jq -r '.workers[0].pid')
[[ $pid =~ ^[0-9]+$ ]] && ((pid > 0)) || fail "workers --json should give the worker pid, got '$pid'"
kill -KILL "$pid"
wait_until 20 bash -c "[[ \$('$JOBGRID_BIN' workers --json | jq '[.workers[] | select(.pid != $pid)] | length') == 2 ]]"
log "the killed local worker was replaced"

# Online backup while the server runs; a second copy to the same name is refused.
jg backup "$T/backup.sqlite" >/dev/null || fail "backup failed"
[[ -s $T/backup.sqlite ]] || fail "no backup file"
rc=0
jg backup "$T/backup.sqlite" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "a backup onto an existing file is refused"

# Drain: the running job finishes, a new one is refused, the local workers and the server
# exit.
long=$(jg add --name long -- "while [ ! -e '$T/go' ]; do sleep 0.05; done")
wait_state "$long" running
jg drain >/dev/null
rc=0
jg add --name after-drain -- true >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 3 "a job added during the drain is refused"
local_pids=$(jg workers --json | jq -r '.workers[].pid')
kill -0 "$SERVER_PID" 2>/dev/null || fail "the server must wait for the running job"
touch "$T/go"
for ((i = 0; i < 200; i++)); do kill -0 "$SERVER_PID" 2>/dev/null || break; sleep 0.1; done
kill -0 "$SERVER_PID" 2>/dev/null && fail "the server did not exit after draining"
wait "$SERVER_PID" || fail "the drained server exited non-zero"
SERVER_PID=""
for pid in $local_pids; do proc_gone "$pid" || fail "local worker $pid outlived the drained server"; done
[[ ! -e $T/data/local-workers.json ]] || fail "the drained server should leave no local worker registry"

# The backup opens as a store of its own with the 20 jobs.
mkdir -p "$T/restore"
cp "$T/backup.sqlite" "$T/restore/jobgrid.sqlite"
"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/restore" >"$T/restore.log" 2>&1 &
SERVER_PID=$!
LOGS+=("$T/restore.log")
wait_until 10 test -s "$T/restore/server.url"
JOBGRID_URL=$(cat "$T/restore/server.url")
expect_eq "$(jg status --json | jq '.groups.batch.done')" 20 "the backup holds the 20 done jobs"
kill_server TERM

# And the drained store: the long job done, nothing added during the drain.
start_server
expect_eq "$(jg show "$long" --json | jq -r .state)" done "the running job finished during the drain"
expect_eq "$(jg list --json | jq '[.jobs[] | select(.name == "after-drain")] | length')" 0 \
	"nothing was added during the drain"
