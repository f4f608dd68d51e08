#!/usr/bin/env bash
# e2e-store: postgres
# A leader whose database stops answering it (its backends are stopped with SIGSTOP: the
# connections stay open and silent, as in a partition from the database alone) while a
# request waits on a commit. The standby takes over; the deposed leader answers the waiting
# request 503 not_leader a lease after it was deposed, instead of waiting for the database
# without end, starts again as a standby naming the new leader, and nothing of the request
# is in the database. The client's retry with the same Idempotency-Key on the new leader
# makes the job once.
export JOBGRID_TEST_STORE=postgres
source "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || { log "no psql here: skipped"; exit 77; }

_pg_test_db
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$1"; }
HA_ARGS=(--leader-lease 2s --heartbeat 1s --lease 30s)

start_ha a "${HA_ARGS[@]}"
wait_until 30 leading a
start_ha b "${HA_ARGS[@]}"
wait_until 30 standby b
JOBGRID_URL=$(url_of a) jg add -- true >/dev/null || fail "a first add on a"

# a's backends (the lease's and the store's connections carry its holder in their
# application_name), stopped while idle: a backend stopped inside a statement could hold
# the lease's row lock and keep b from taking over.
holder=$(sql "SELECT holder FROM jg_leader")
backends() {
	sql "SELECT pid FROM pg_stat_activity WHERE application_name LIKE '%$holder%'" | sort -n
}
STOPPED=()
resume_backends() { local p; for p in "${STOPPED[@]}"; do kill -CONT "$p" 2>/dev/null || true; done; STOPPED=(); }
stop_idle_backends() {
	mapfile -t pids < <(backends)
	((${#pids[@]} >= 2)) || return 1
	local p
	for p in "${pids[@]}"; do kill -STOP "$p"; STOPPED+=("$p"); done
	[[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name LIKE '%$holder%'
		AND state <> 'idle'") == 0 ]] && return 0
	resume_backends
	return 1
}
trap 'rc=$?; resume_backends; (exit $rc); _cleanup' EXIT
wait_until 30 stop_idle_backends
log "stopped a's backends: ${STOPPED[*]}"

# An add to a now waits on a commit the database will not confirm.
curl -s --max-time 60 -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-H 'Idempotency-Key: silent-1' -d '{"cmd": "echo once"}' "$(url_of a)/v1/jobs" >"$T/code" &
CURL=$!
track $CURL
wait_until 30 leading b
log "ok: b took over"
wait $CURL || true
expect_eq "$(cat "$T/code")/$(jq -r .error.code "$T/body")" "503/not_leader" \
	"the request waiting on the silent database is answered 503 not_leader"
wait_until 30 grep -q "the database has not confirmed 1 batch a lease after this server was deposed" "$T"/server.a.*.log
wait_until 30 bash -c "curl -s --max-time 2 '$(url_of a)/healthz' | grep -qx 'standby, leader at $(url_of b)'"
log "ok: a started again as a standby naming b"

resume_backends
expect_eq "$(sql "SELECT count(*) FROM jobs WHERE cmd = 'echo once'")" 0 "nothing of the refused add is in the database"
code=$(curl -s -o "$T/body" -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
	-H 'Idempotency-Key: silent-1' -d '{"cmd": "echo once"}' "$(url_of b)/v1/jobs")
expect_eq "$code" 201 "the retry on the new leader makes the job"
expect_eq "$(sql "SELECT count(*) FROM jobs WHERE cmd = 'echo once'")" 1 "once"
log "PASS"
