#!/usr/bin/env bash
# A job of many joblets leaves the store a slice of rows per batch (src/store/store.h,
# REC_JOB_DEL): the reply follows the commit of the first slice, which takes the job's own
# row. kill -9 right after that reply leaves the rest of its rows, and its seq in the table
# `removing`; the restart finishes them before it loads. Nothing of the job is seen again
# (show, list, status, the store's tables), the job kept beside it is whole, and the queue
# runs a job added after.
source "$(dirname "$0")/lib.sh"
command -v sqlite3 >/dev/null || { log "no sqlite3 here: skipped"; exit 77; }
[[ ${JOBGRID_TEST_STORE:-} != postgres ]] || command -v psql >/dev/null ||
	{ log "no psql here: skipped"; exit 77; }
sql() {	# the store read without the server (SQLite: read-only)
	if [[ ${JOBGRID_TEST_STORE:-} == postgres ]]; then
		psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$1"
	else
		sqlite3 -readonly "$T/data/jobgrid.sqlite" "$1"
	fi
}
rows_of() {	# SEQ: its rows in jobs, joblets and attempts, and in removing
	sql "SELECT (SELECT count(*) FROM jobs WHERE seq=$1) + (SELECT count(*) FROM joblets WHERE seq=$1) + (SELECT count(*) FROM attempts WHERE seq=$1) + (SELECT count(*) FROM removing WHERE seq=$1)"
}

start_server
M=60000
big=$(jg add --name big --joblets $M --constraint test=none -- true)
# Added after it, so that no later job takes its seq again after the restart (the seq
# that follows the newest job in the store).
keep=$(jg add --name keep --joblets 3 --constraint test=none -- true)
jg cancel "$big" >/dev/null	# every joblet has a row now
big_seq=$(api GET "/v1/jobs/$big?joblets=none" | jq .seq)
api POST /v1/jobs/remove "{\"ids\": [\"$big\"]}" >"$T/removed"
kill_server KILL
expect_eq "$(jq -c .removed "$T/removed")" "[\"$big\"]" "the remove's reply"
expect_eq "$(sql "SELECT count(*) FROM jobs WHERE seq=$big_seq")" 0 "the job's row, committed before the reply"
left=$(rows_of "$big_seq")
((left > 1)) || fail "the removal was through before the kill ($left rows left): nothing to recover"
log "killed with $left rows of the removed job left"

restart_server
rc=0; jg show "$big" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "show of the removed job after the restart"
expect_eq "$(jg list --all --json | jq -c '[.jobs[].id]')" "[\"$keep\"]" "the list after the restart"
expect_eq "$(jg status --json | jq -c '.joblets | with_entries(select(.value > 0))')" '{"ready":3}' "the counts after the restart"
expect_eq "$(api GET "/v1/jobs/$keep?joblets=none" | jq -c .counts)" '{"ready":3}' "the job kept beside it"
start_worker w1 --cores 2
wait_workers 1
after=$(jg add --name after --joblets 2 -- true)
wait_until 60 _state_is "$after" done
kill_server
expect_eq "$(rows_of "$big_seq")" 0 "rows of the removed job (seq $big_seq) in the store"
expect_eq "$(sql "SELECT count(*) FROM removing")" 0 "removals left"
log "PASS"
