#!/usr/bin/env bash
# Retention (issue 14): `jobgrid prune --finished-before D|TIME [--group G] [--dry-run]`
# removes finished jobs that ended before the time with their joblets, attempts and output,
# from memory and from the store, and gives the space back; a job others still wait for is
# kept and counted; unfinished jobs are never touched; `server --retain D` does the same on
# its own. Bad values are refused naming the field.
source "$(dirname "$0")/lib.sh"
start_server --test-clock 2026-01-01T00:00:00Z
# A worker of its own, not a local one: it keeps its running joblet across the restarts.
start_worker w --cores 4
wait_workers 1
big=$(jg add --group logs --name chatty -- "head -c 20000000 /dev/zero | tr '\\0' x; echo")
done_a=$(jg add --group a -- true)
failed_a=$(jg add --group a -- "exit 3")
done_b=$(jg add --group b -- true)
member=$(jg add --group g --dep-group G -- true)
holder=$(jg add --group g --dep-group G -- "$(hold go)")
waiter=$(jg add --group g --after-group G -- true)
cancelled=$(jg add --group c --cores 64 -- true)
jg cancel "$cancelled" >/dev/null
ready=$(jg add --group r --cores 64 -- true)
for id in "$big" "$done_a" "$done_b" "$member"; do jg wait "$id" --timeout 60s >/dev/null; done
jg wait "$failed_a" --timeout 30s >/dev/null || true
wait_state "$holder" running
jg clock advance 2h >/dev/null
# A job that ends now, after the clock moved: newer than any cut below.
fresh_id=$(jg add --group a -- true)
jg wait "$fresh_id" --timeout 30s >/dev/null
kill_server	# its last commit checkpoints the log into the store file, so sizes compare
size_before=$(stat -c %s "$T/data/jobgrid.sqlite")
restart_server --test-clock 2026-01-01T02:00:00Z
((size_before > 15000000)) || fail "the big log should be in the store: $size_before bytes"

log "bad requests are refused, naming the field, and change nothing"
rc=0; out=$(jg prune 2>&1) || rc=$?
expect_eq "$rc" 2 "prune without --finished-before"
[[ $out == *"--finished-before is required"* ]] || fail "$out"
for bad in -5m yesterday 0s; do
	rc=0; out=$(jg prune --finished-before "$bad" 2>&1) || rc=$?
	expect_eq "$rc" 2 "--finished-before $bad"
	[[ $out == *"finished_before"* ]] || fail "the error should name the field: $out"
done
expect_eq "$(api POST /v1/prune '{"finished_before":"1h","colour":"red"}' >/dev/null; echo "$API_STATUS")" 400 "an unknown field"
expect_eq "$(api POST /v1/prune '{"finished_before":"1h","dry_run":"yes"}' >/dev/null; echo "$API_STATUS")" 400 "dry_run not a boolean"
expect_eq "$(jg list --json | jq '.jobs | length')" 10 "nothing removed by refusals"

log "a dry run counts and removes nothing"
out=$(jg prune --finished-before 1h --dry-run)
[[ $out == "would remove 5 finished jobs (5 joblets) that ended before 2026-01-01T01:00:00"*"; 1 kept because other jobs wait for them" ]] ||
	fail "dry run said: $out"
expect_eq "$(jg list --json | jq '.jobs | length')" 10 "a dry run removes nothing"

log "one group only"
out=$(jg prune --finished-before 1h --group a --json)
expect_eq "$(jq -c '[.jobs, .joblets, .kept, .dry_run]' <<<"$out")" '[2,2,0,false]' "group a: the two old jobs"
rc=0; jg show "$done_a" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "a pruned job is not found"
rc=0; jg log "$failed_a" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "nor its log"
expect_eq "$(jg show "$fresh_id" --json | jq -r .state)" done "the newer job of group a stays"
expect_eq "$(jg show "$done_b" --json | jq -r .state)" done "group b untouched"

log "every group: finished and old go; waited-for, unfinished and new stay"
out=$(jg prune --finished-before 1h)
[[ $out == "removed 3 finished jobs (3 joblets) that ended before"*"; 1 kept because other jobs wait for them" ]] ||
	fail "prune said: $out"
for id in "$big" "$done_b" "$cancelled"; do
	rc=0; jg show "$id" >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 4 "$id is gone"
done
expect_eq "$(jg show "$member" --json | jq -r .state)" done "the group member a job waits for stays"
expect_eq "$(jg show "$holder" --json | jq -r .state)" running "a running job stays"
expect_eq "$(jg show "$waiter" --json | jq -r .state)" waiting "a waiting job stays"
expect_eq "$(jg show "$ready" --json | jq -r .state)" ready "a ready job stays"
expect_eq "$(jg show "$fresh_id" --json | jq -r .state)" done "a job newer than the cut stays"

log "the removals are in the store and the space is given back"
kill_server
size_after=$(stat -c %s "$T/data/jobgrid.sqlite")
((size_after < size_before / 2)) || fail "the store did not shrink: $size_before -> $size_after bytes"
log "ok: the store went from $size_before to $size_after bytes"
touch "$T/go"

log "--retain: at start and then every minute, jobs that ended longer ago than D go"
rc=0; "$JOBGRID_BIN" server --retain 0s >"$T/bad.log" 2>&1 || rc=$?
expect_eq "$rc" 2 "--retain 0s"
grep -q -- "--retain: a duration of more than 0" "$T/bad.log" || fail "$(cat "$T/bad.log")"
restart_server --test-clock 2026-01-03T00:00:00Z --retain 1d
_gone() { ! jg show "$fresh_id" >/dev/null 2>&1; }
wait_until 20 _gone	# it ended on January 1st: more than a day ago
wait_until 20 grep -q -- "--retain: removed" "${LOGS[-1]}"
expect_eq "$(jg show "$ready" --json | jq -r .state)" ready "retention keeps unfinished jobs"
log "ok"
