#!/usr/bin/env bash
# A store that does not read back whole stops the server's start: a joblet state or a
# network run out of range, a row that points at nothing, a page that cannot be read. The
# server exits 1 naming the store and the table, and the store's file is left byte for
# byte as it was. Once the damage is undone, the same store starts and nothing runs again.
source "$(dirname "$0")/lib.sh"
export TZ=UTC
mkdir -p "$T/defs"
printf 'name: nightly\ncommand: true\nschedule: {start_times: ["23:00"]}\n' >"$T/defs/nightly.yaml"
start_server --test-clock 2026-11-23T06:00:00Z
start_worker a
wait_workers 1
jg deploy "$T/defs" >/dev/null
expect_eq "$(jg plan --json | jq -r '[.runs[] | .state] | join(",")')" planned "the network run is planned"
once=$(jg add --name once -- sh -c "echo ran >>'$T/ran'")
wait_state "$once" done
stop_worker a
kill_server TERM
DB=$T/data/jobgrid.sqlite
cp "$DB" "$T/pristine.sqlite"

SQLTOOL=$JG_BUILD/sqltool
[[ -x $SQLTOOL ]] || fail "missing test helper $SQLTOOL"
sql() { "$SQLTOOL" "$DB" exec "$1" || fail "cannot change the store: $1"; }

# A start loads in full only what memory keeps; the jobs that ended more than
# --history-memory ago (here all: the test clock's day is long past) are counted from their
# job rows and read back, and checked, when named. Every row is read, and checked, at a
# start that keeps them all in memory, but the attempts of a final joblet none of whose
# attempts runs or was lost: those are read, and checked, when a page shows them (below).
FULL="--history-memory never"
# The store with one change made, refused: exit 1, the message, the file unchanged.
refused() {	# SQL TABLE-TEXT WHAT-ELSE
	local rc=0 out before after
	cp "$T/pristine.sqlite" "$DB"
	rm -f "$DB-wal" "$DB-shm"
	sql "$1"
	before=$(sha256sum <"$DB")
	out=$(timeout 60 "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/data" $FULL 2>&1) || rc=$?
	expect_eq "$rc" 1 "$1: the server refuses to start"
	[[ $out == *"store $DB, table $2: "* ]] || fail "$1: the refusal should name the store and table $2: $out"
	[[ $out == *"$3"* ]] || fail "$1: the refusal should say '$3': $out"
	grep -q 'listening on' <<<"$out" && fail "$1: a refused store must not be served"
	after=$(sha256sum <"$DB")
	expect_eq "$after" "$before" "$1: the store's file is unchanged"
	[[ ! -s $DB-wal ]] || fail "$1: the refused start wrote to the WAL"
	log "ok: $(grep -o 'cannot .*' <<<"$out")"
}
refused "UPDATE joblets SET state = 9" joblets "joblet 0: state is 9, not 0..6"
# A running attempt is read at every start, whatever its joblet.
refused "UPDATE attempts SET fail_reason = 99, state = 0" attempts "fail_reason is 99"
refused "INSERT INTO attempts(id, seq, idx, n, node, worker, state, fail_reason, started_at, ended_at, peak_ram_mb, cpu_ms) VALUES(99, 77, 0, 1, 'n', 'w', 0, 0, 0, 0, 0, 0)" \
	attempts "attempt 99 (job 77 joblet 0): no such joblet"
refused "UPDATE net_runs SET run = json_set(run, '\$.state', 9)" net_runs "run 1: state: out of range"
refused "UPDATE net_runs SET run = json_set(run, '\$.origin', 3)" net_runs "run 1: origin: out of range"
refused "UPDATE net_runs SET run = json_set(run, '\$.over.mode', 7)" net_runs "run 1: over.mode: out of range"
refused "UPDATE net_runs SET run = json_set(run, '\$.id', 2)" net_runs "run 1: id: not the row's"
refused "UPDATE net_runs SET run = 'not json'" net_runs "run 1: not a JSON object"

# A page that cannot be read: the joblets table's root page gets a bad page type.
refused_page() {
	local rc=0 out before after
	cp "$T/pristine.sqlite" "$DB"
	rm -f "$DB-wal" "$DB-shm"
	"$SQLTOOL" "$DB" zap-root joblets || fail "cannot damage the joblets page"
	before=$(sha256sum <"$DB")
	out=$(timeout 60 "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/data" $FULL 2>&1) || rc=$?
	expect_eq "$rc" 1 "a store with an unreadable page is refused"
	[[ $out == *"store $DB, table joblets: "*malformed* ]] ||
		fail "the refusal should name the store, the table and SQLite's reason: $out"
	after=$(sha256sum <"$DB")
	expect_eq "$after" "$before" "the damaged store's file is unchanged"
	log "ok: $(grep -o 'cannot .*' <<<"$out")"
}
refused_page

# The done job's attempt damaged: it stays in the store at the start, and the page that
# reads it names the row in the log and shows the joblet without it.
cp "$T/pristine.sqlite" "$DB"
rm -f "$DB-wal" "$DB-shm"
sql "UPDATE attempts SET fail_reason = 99"
start_server $FULL
expect_eq "$(jg show "$once" --json | jq -r '.state, (.joblets[0].attempts | length)' | paste -sd' ')" \
	"done 0" "the damaged attempt is left out of the page"
grep -q "reading the attempts of job .*attempt 1 .*fail_reason is 99" "${LOGS[-1]}" ||
	fail "the log should name the damaged attempt: $(grep 'reading the attempts' "${LOGS[-1]}")"
kill_server

# A job out of memory is read back when named: a damaged row of it then gets a clear
# error naming the table and the rule, not "no job", and the server goes on serving.
cp "$T/pristine.sqlite" "$DB"
rm -f "$DB-wal" "$DB-shm"
sql "UPDATE joblets SET state = 9 WHERE seq = ${once##*.}"
start_server --test-clock 2026-11-23T06:00:00Z --history-memory 0
api GET "/v1/jobs/$once" >"$T/damaged.json"
expect_eq "$API_STATUS" 500 "a job whose row is damaged is a server-side error, not a 404"
msg=$(jq -r .error.message "$T/damaged.json")
[[ $msg == *"job $once is in the store but cannot be read back"*"table joblets"*"state is 9, not 0..6"* ]] ||
	fail "the error should name the job, the table and the rule: $msg"
rc=0
out=$(jg log "$once" 2>&1) || rc=$?
expect_eq "$rc" 3 "jobgrid log of the damaged job exits as a server-side error"
[[ $out == *"cannot be read back"*"state is 9"* ]] || fail "jobgrid log should say why: $out"
expect_eq "$(api GET /healthz)" ok "the server goes on serving"
log "ok: $msg"
kill_server TERM

# Undamaged again: it starts, the done job stays done and did not run again.
cp "$T/pristine.sqlite" "$DB"
rm -f "$DB-wal" "$DB-shm"
start_server --test-clock 2026-11-23T06:00:00Z
expect_eq "$(jg show "$once" --json | jq -r '.state, (.joblets[0].attempts | length)' | paste -sd' ')" \
	"done 1" "the undamaged store starts with the job done once"
expect_eq "$(jg plan --json | jq -r '[.runs[] | .state] | join(",")')" planned "the network run is back"
expect_eq "$(wc -l <"$T/ran")" 1 "the job ran once"
