#!/usr/bin/env bash
# One server per data directory: a second server on the same --data is refused at once and
# names the holder (pid, host, since); the first keeps running its joblets, `backup` still
# works, and a holder killed with -9 leaves no lock behind.
source "$(dirname "$0")/lib.sh"
start_server --lease 3s --heartbeat 500ms
first_url=$JOBGRID_URL
start_worker a
wait_workers 1

# A joblet that runs until the checks below are made.
held=$(jg add --name held -- sh -c "while [ ! -e '$T/go' ]; do sleep 0.05; done")
wait_state "$held" running

# The second server: no timed assertion, but it must end by itself (timeout is the guard).
rc=0
timeout 60 "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/data" --lease 3s \
	--heartbeat 500ms >"$T/second.log" 2>&1 || rc=$?
LOGS+=("$T/second.log")
((rc != 124)) || fail "the second server did not refuse the data directory: $(cat "$T/second.log")"
expect_eq "$rc" 1 "a second server on the same data directory exits 1"
msg=$(grep 'cannot open the store' "$T/second.log" || true)
[[ -n $msg ]] || fail "no refusal in the second server's log: $(cat "$T/second.log")"
log "refusal: $msg"
[[ $msg == *"in use by another process"* ]] || fail "the refusal should say the directory is in use: $msg"
[[ $msg == *"pid $SERVER_PID "* ]] || fail "the refusal should name the holder's pid $SERVER_PID: $msg"
[[ $msg == *"on host $(hostname) "* ]] || fail "the refusal should name the holder's host: $msg"
[[ $msg =~ since\ [0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9:.]+Z ]] || fail "the refusal should say since when: $msg"
[[ $msg == *"$T/data/jobgrid.lock"* ]] || fail "the refusal should name the lock file: $msg"
grep -q 'listening on' "$T/second.log" && fail "the refused server must not listen"

# The first server is unharmed: its URL file stands, the held joblet still runs on its one
# attempt, and new work runs.
expect_eq "$(cat "$T/data/server.url")" "$first_url" "the refused server left server.url alone"
expect_eq "$(jg show "$held" --json | jq -r '.state, (.joblets[0].attempts | length)' | paste -sd' ')" \
	"running 1" "the held joblet still runs, once"
echo_id=$(jg add --name after -- echo still-serving)
wait_state "$echo_id" done

# backup opens the store through the server: the lock does not get in its way.
jg backup "$T/copy.sqlite" >/dev/null || fail "backup failed while the directory is locked"
[[ -s $T/copy.sqlite ]] || fail "no backup file"

touch "$T/go"
wait_state "$held" done

# A holder killed with -9 leaves no lock: a new server starts on the same directory at once.
kill_server KILL
restart_server --lease 3s --heartbeat 500ms
expect_eq "$(jg show "$held" --json | jq -r .state)" done "the new server recovered the store"
holder=$(cat "$T/data/jobgrid.lock")
[[ $holder == "pid $SERVER_PID on host "* ]] || fail "the lock file should name the new holder $SERVER_PID: $holder"
log "ok: the lock file names the new holder ($holder)"

# After a clean stop the lock file names nobody, and the directory is free again.
kill_server TERM
expect_eq "$(wc -c <"$T/data/jobgrid.lock")" 0 "a stopped server leaves an empty lock file"
start_server
expect_eq "$(jg show "$echo_id" --json | jq -r .state)" done "a third server opens the directory"
