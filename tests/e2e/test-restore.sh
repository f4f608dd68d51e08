#!/usr/bin/env bash
# Backups a server makes at a clean stop (--backup-on-stop DIR, --backup-keep N) and
# `jobgrid restore FILE` (SPEC §8, issue 14): every clean stop writes a private copy with
# the last commit in it; only the newest N stay; a copy restored into an empty data
# directory starts a server that has every job, its state, its log and its users; restore
# refuses a directory that holds a store or is in use, and a file that is not a jobgrid
# store, naming the rule and changing nothing.
source "$(dirname "$0")/lib.sh"
B=$T/backups
copies() { find "$B" -maxdepth 1 -name 'jobgrid-*.sqlite' | sort; }
# Copies are named by the second they are made: a new second gives a new name.
_new_second() { [[ $(date -u +%Y%m%dT%H%M%SZ) != "$(basename "$(copies | tail -1)" .sqlite | cut -d- -f2)" ]]; }

log "a bad --backup-on-stop is refused at start"
touch "$T/a-file"
rc=0; "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/d0" --backup-on-stop "$T/a-file" \
	>"$T/bad.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "a file as --backup-on-stop"
grep -q -- "--backup-on-stop: $T/a-file must be a directory" "$T/bad.log" || fail "$(cat "$T/bad.log")"
rc=0; "$JOBGRID_BIN" server --backup-keep 0 >"$T/bad.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "--backup-keep 0"
grep -q -- "--backup-keep" "$T/bad.log" || fail "$(cat "$T/bad.log")"

log "work, then a shutdown: one copy, private, with the last commit in it"
start_server --backup-on-stop "$B" --backup-keep 2 --local-workers 1
done_id=$(jg add --name kept -- echo hello from the past)
jg wait "$done_id" --timeout 30s >/dev/null
failed_id=$(jg add --name broken -- "echo bad; exit 3")
jg wait "$failed_id" --timeout 30s >/dev/null || true
queued_id=$(jg add --name later --cores 64 -- true)	# no worker fits: stays ready
jg shutdown >/dev/null
wait "$SERVER_PID" 2>/dev/null || true
SERVER_PID=""
expect_eq "$(copies | wc -l)" 1 "one copy after one stop"
first=$(copies | head -1)
expect_eq "$(stat -c %a "$first")" 600 "the copy is private"
grep -q "copy of the store at stop: $first" "${LOGS[-1]}" || fail "the server did not say where the copy is"
[[ -z $(find "$B" -name '.*.tmp') ]] || fail "a temporary file was left"

log "--backup-keep 2: a third stop removes the oldest copy"
for i in 1 2; do
	wait_until 5 _new_second
	restart_server --backup-on-stop "$B" --backup-keep 2
	kill_server TERM
done
expect_eq "$(copies | wc -l)" 2 "two copies kept"
copies | grep -qxF "$first" && fail "the oldest copy was not removed"
newest=$(copies | tail -1)

log "restore refuses what it must, changing nothing"
rc=0; out=$(jg restore "$newest" --data "$T/data" 2>&1) || rc=$?
expect_eq "$rc" 2 "restore onto a data directory that holds a store"
[[ $out == *"already holds a store"* ]] || fail "$out"
echo "not a database" >"$T/junk.sqlite"
rc=0; out=$(jg restore "$T/junk.sqlite" --data "$T/r1" 2>&1) || rc=$?
expect_eq "$rc" 2 "restore of a file that is not a store"
[[ $out == *"junk.sqlite is not a readable SQLite database"* ]] || fail "$out"
[[ ! -s $T/r1/jobgrid.sqlite ]] || fail "a refused restore left a store"
rc=0; out=$(jg restore "$T/nowhere.sqlite" --data "$T/r1" 2>&1) || rc=$?
expect_eq "$rc" 2 "restore of a missing file"
mkdir -p "$T/r2"
"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/r2" >"$T/r2.log" 2>&1 &
r2_pid=$!
track "$r2_pid"
wait_until 20 test -s "$T/r2/server.url"
rc=0; out=$(jg restore "$newest" --data "$T/r2" 2>&1) || rc=$?
expect_eq "$rc" 2 "restore into a directory a server uses"
[[ $out == *"in use by another process"* || $out == *"already holds a store"* ]] || fail "$out"
kill -TERM "$r2_pid"
wait "$r2_pid" 2>/dev/null || true

log "restore into an empty directory, then a server on it has everything"
out=$(jg restore "$newest" --data "$T/restored")
[[ $out == *"restored $newest into $T/restored: 3 jobs"* ]] || fail "restore said: $out"
expect_eq "$(stat -c %a "$T/restored/jobgrid.sqlite")" 600 "the restored store is private"
"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/restored" >"$T/restored.log" 2>&1 &
SERVER_PID=$!
LOGS+=("$T/restored.log")
wait_until 20 test -s "$T/restored/server.url"
export JOBGRID_URL=$(cat "$T/restored/server.url")
expect_eq "$(jg show "$done_id" --json | jq -r .state)" done "the done job"
expect_eq "$(jg show "$failed_id" --json | jq -r .state)" failed "the failed job"
expect_eq "$(jg show "$queued_id" --json | jq -r .state)" ready "the queued job"
jg log "$done_id" | grep -q "] hello from the past$" || fail "its log: $(jg log "$done_id")"
log "ok"
