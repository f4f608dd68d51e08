#!/usr/bin/env bash
# e2e-store: postgres
# A leader whose lease another server took (the test takes it in the database, as a
# standby would) learns it at its next commit: the request whose change could not commit is
# answered 503 not_leader, never 200, nothing of it is in the database, and the server
# steps down and comes back as a standby naming the new leader. Also: the leadership flags
# are refused where they cannot work.
export JOBGRID_TEST_STORE=postgres
source "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || { log "no psql here: skipped"; exit 77; }

# Bad flags: a clear error naming the flag and the rule, nothing started.
rc=0
jg server --data "$T/x" --leader-lease 1s >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--leader-lease without a PostgreSQL store is a usage error"
grep -q -- "--leader-lease: only servers sharing a PostgreSQL store" "$T/err" || fail "says why: $(cat "$T/err")"
rc=0
jg server --data "$T/x" --advertise http://h:1 >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--advertise without a PostgreSQL store is a usage error"
rc=0
jg server --data "$T/x" --leader-lease 100ms >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--leader-lease below 300ms"
grep -q -- "--leader-lease: a duration of 300ms to 1h, got '100ms'" "$T/err" || fail "says the range: $(cat "$T/err")"
_pg_test_db
rc=0
jg server --data "$T/x" --store "$PG_TEST_URL" --advertise ftp://h:1 >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--advertise must be an http(s) URL"
grep -q -- "--advertise:" "$T/err" || fail "names --advertise: $(cat "$T/err")"
[[ ! -e $T/x ]] || fail "a refused start made its data directory"

sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$1"; }

# A long lease: its renewals (every 20 s) do not notice the takeover before the commit does.
# A fixed port (below the ephemeral range): the server starts again on the same --listen.
SERVER_PORT=$((20000 + RANDOM % 12000))
start_server --leader-lease 60s
id=$(jg add -- true) || fail "add on the leader"
expect_eq "$(sql "SELECT count(*) FROM jobs")" 1 "the first job is committed"
holder=$(sql "SELECT holder FROM jg_leader")
sql "UPDATE jg_leader SET epoch = epoch + 1, holder = 'other', url = 'http://127.0.0.1:9',
	expires_at = now() + interval '1 hour'" >/dev/null
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-H 'Idempotency-Key: fence-1' -d '{"cmd": "echo late"}' "$JOBGRID_URL/v1/jobs")
expect_eq "$code/$(jq -r .error.code "$T/body")" "503/not_leader" "an add that did not commit is answered 503 not_leader"
expect_eq "$(sql "SELECT count(*) FROM jobs")" 1 "nothing of it in the database"
wait_until 30 grep -q "deposed: a commit found the lease in another server's hands" "$T"/server.*.log
wait_until 30 bash -c "curl -s '$JOBGRID_URL/healthz' | grep -qx 'standby, leader at http://127.0.0.1:9'"
grep -q "starting again as a standby" "$T"/server.*.log || fail "it started again"
kill -0 "$SERVER_PID" || fail "the same process (re-executed) serves as a standby"
code=$(curl -s -o "$T/body" -w '%{http_code}' -D "$T/headers" "$JOBGRID_URL/v1/jobs/$id")
expect_eq "$code/$(jq -r .error.leader "$T/body")" "503/http://127.0.0.1:9" "the standby names the new leader"
grep -qi '^JobGrid-Leader: http://127.0.0.1:9' "$T/headers" || fail "JobGrid-Leader: $(cat "$T/headers")"
[[ $(sql "SELECT holder FROM jg_leader") != "$holder" ]] || fail "the lease is the other's"

# The other never comes: once its lease runs out (made so here), the standby takes over
# again, with a new epoch, and the first job is there.
sql "UPDATE jg_leader SET expires_at = now() - interval '1 second'" >/dev/null
wait_until 30 bash -c "[[ \$(curl -s '$JOBGRID_URL/healthz') == ok ]]"
jg show "$id" --json >"$T/show" || fail "show after the takeover"
expect_eq "$(jq -r .id "$T/show")" "$id" "the job committed before is there"
expect_eq "$(sql "SELECT count(*) FROM jobs")" 1 "and only it"
log "PASS"
