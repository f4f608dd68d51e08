#!/usr/bin/env bash
# History out of memory (issue 14): with --history-memory 0 a finished job leaves the
# server's memory once its last change is committed (jobs_in_memory in /v1/stats and
# jobgrid_jobs_in_memory in /metrics count what stays) and is read back from the store on
# demand: show, log, list with each filter, paging in both orders, stats, retry of a
# failed job, remove, a new job depending on one (ok and broken), a restart, and the
# isolation between two users all see it as if it had never left; a restart and retention
# reach it too.
source "$(dirname "$0")/lib.sh"
start_server --auth --local-workers 2 --history-memory 0
export JOBGRID_TOKEN
JOBGRID_TOKEN=$(cat "$T/data/admin.token")
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
printf 'bob-pw\n' | jg user add bob --password-stdin >/dev/null
login() { curl -sS -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$JOBGRID_URL/v1/login" | jq -r .token; }
ADMIN=$JOBGRID_TOKEN ALICE=$(login alice alice-pw) BOB=$(login bob bob-pw)
as() { local who=$1; shift; JOBGRID_TOKEN=$who jg "$@"; }
# get TOKEN PATH: the body of a GET
get() { curl -sS -H "Authorization: Bearer $1" "$JOBGRID_URL$2"; }
in_memory() { get "$ADMIN" /v1/stats | jq .jobs_in_memory; }
_none_in_memory() { [[ $(in_memory) == 0 ]]; }

ok=()
for i in 1 2 3; do ok+=("$(as "$ALICE" add --group ga --name okjob -- "echo out-$i")"); done
f1=$(as "$ALICE" add --group gb --name failjob -- "echo bad; exit 3")
f2=$(as "$ALICE" add --group gb --name failjob -- "exit 4")
b1=$(as "$BOB" add --group ga --name bobjob -- true)
for id in "${ok[@]}"; do as "$ALICE" wait "$id" --timeout 60s >/dev/null; done
as "$BOB" wait "$b1" --timeout 60s >/dev/null
as "$ALICE" wait "$f1" --timeout 60s >/dev/null 2>&1 || true
as "$ALICE" wait "$f2" --timeout 60s >/dev/null 2>&1 || true
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
_metric_none() { curl -sS -H "Authorization: Bearer $ADMIN" "$JOBGRID_URL/metrics" | grep -qx 'jobgrid_jobs_in_memory 0'; }
wait_until 20 _metric_none || fail "/metrics does not say 0 jobs in memory"

check_history() {	# every view of the evicted jobs, as the store holds them
	log "show and log read evicted jobs back"
	expect_eq "$(as "$ALICE" show "${ok[0]}" --json | jq -r '[.state, (.joblets[0].attempts | length)] | @tsv')" \
		"done	1" "an evicted done job with its attempt"
	expect_eq "$(as "$ALICE" show "$f1" --json | jq -r '.state')" failed "an evicted failed job"
	expect_eq "$(as "$ALICE" log "${ok[1]}" | sed 's/^\[[^]]*\] //')" out-2 "the log of an evicted job"
	log "list: each filter, paging both ways"
	ids() { jq -r '[.jobs[].seq] | @tsv'; }
	local s1=${ok[0]##*.} s2=${ok[1]##*.} s3=${ok[2]##*.} sf1=${f1##*.} sf2=${f2##*.} sb=${b1##*.}
	expect_eq "$(get "$ALICE" '/v1/jobs' | ids)" "$s1	$s2	$s3	$sf1	$sf2" "alice lists her jobs only"
	expect_eq "$(get "$ADMIN" '/v1/jobs' | ids)" "$s1	$s2	$s3	$sf1	$sf2	$sb" "the admin lists all"
	expect_eq "$(get "$ALICE" '/v1/jobs?state=failed' | ids)" "$sf1	$sf2" "state filter"
	expect_eq "$(get "$ADMIN" '/v1/jobs?group=ga' | ids)" "$s1	$s2	$s3	$sb" "group filter"
	expect_eq "$(get "$ADMIN" '/v1/jobs?owner=bob' | ids)" "$sb" "owner filter"
	expect_eq "$(get "$ADMIN" '/v1/jobs?name=fail' | ids)" "$sf1	$sf2" "name filter"
	expect_eq "$(get "$ADMIN" '/v1/jobs?name=job&group=gb&state=failed' | ids)" "$sf1	$sf2" "filters together"
	local page
	page=$(get "$ALICE" '/v1/jobs?limit=2')
	expect_eq "$(ids <<<"$page") $(jq -r '.more' <<<"$page")" "$s1	$s2 3" "first page of two, 3 more"
	page=$(get "$ALICE" "/v1/jobs?limit=2&cursor=$(jq -r .next_cursor <<<"$page")")
	expect_eq "$(ids <<<"$page") $(jq -r '.more' <<<"$page")" "$s3	$sf1 1" "second page"
	page=$(get "$ALICE" "/v1/jobs?limit=2&cursor=$(jq -r .next_cursor <<<"$page")")
	expect_eq "$(ids <<<"$page") $(jq -r '.next_cursor' <<<"$page")" "$sf2 null" "last page"
	page=$(get "$ALICE" '/v1/jobs?limit=2&order=desc')
	expect_eq "$(ids <<<"$page") $(jq -r '.more' <<<"$page")" "$sf2	$sf1 3" "newest first"
	page=$(get "$ALICE" "/v1/jobs?limit=2&order=desc&cursor=$(jq -r .next_cursor <<<"$page")")
	expect_eq "$(ids <<<"$page")" "$s3	$s2" "newest first, second page"
	log "stats count what left memory"
	expect_eq "$(get "$ADMIN" /v1/stats | jq -c '[.jobs, .joblets.done, .joblets.failed]')" "[6,4,2]" "admin stats"
	expect_eq "$(get "$ALICE" /v1/stats | jq -c '[.jobs, .joblets.done, .joblets.failed, .groups.gb.failed]')" \
		"[5,3,2,2]" "alice's stats"
	log "isolation: another user's evicted job does not exist"
	local rc=0
	as "$BOB" show "${ok[0]}" >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 4 "bob cannot see alice's job"
	rc=0; as "$BOB" log "$f1" >/dev/null 2>&1 || rc=$?
	expect_eq "$rc" 4 "nor its log"
	expect_eq "$(get "$BOB" '/v1/jobs?owner=alice' | ids)" "" "nor list it"
	expect_eq "$(get "$BOB" /v1/jobs | ids)" "$sb" "bob lists his own"
}
check_history

log "a new job depending on evicted ones"
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
after_ok=$(as "$ALICE" add --after-ok "${ok[2]}" -- true)
after_bad=$(as "$ALICE" add --after-ok "$f2" -- true)
as "$ALICE" wait "$after_ok" --timeout 60s >/dev/null || fail "a job after an evicted done one did not run"
wait_state "$after_bad" skipped 2>/dev/null ||
	expect_eq "$(as "$ALICE" show "$after_bad" --json | jq -r .state)" skipped "a job after an evicted failed one"
rc=0; as "$BOB" add --after-ok "${ok[2]}" -- true >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "bob cannot depend on alice's evicted job"

log "retry of an evicted failed job, remove of another"
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
as "$ALICE" retry "$f1" >/dev/null
as "$ALICE" wait "$f1" --timeout 60s >/dev/null 2>&1 || true
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
expect_eq "$(as "$ALICE" show "$f1" --json | jq -r '[.state, (.joblets[0].attempts | length)] | @tsv')" \
	"failed	2" "retried: a second attempt"
as "$ALICE" remove "$f2" >/dev/null
rc=0; as "$ALICE" show "$f2" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "a removed evicted job is gone"
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
expect_eq "$(get "$ALICE" '/v1/jobs?state=failed' | jq '[.jobs[].seq] | length')" 1 "the list lacks it"

log "a restart: history stays in the store, out of memory"
kill_server
restart_server --auth --local-workers 2 --history-memory 0
wait_until 20 _none_in_memory || fail "jobs stay in memory after the restart: $(in_memory)"
expect_eq "$(as "$ALICE" show "${ok[0]}" --json | jq -r .state)" done "read back after the restart"
expect_eq "$(as "$ALICE" log "${ok[2]}" | sed 's/^\[[^]]*\] //')" out-3 "its log too"
expect_eq "$(get "$ADMIN" /v1/stats | jq -c '[.jobs, .joblets.done, .joblets.skipped, .joblets.failed]')" \
	"[7,5,1,1]" "stats after the restart"
log "retention reaches jobs out of memory"
expect_eq "$(jg prune --finished-before 1ms --dry-run --json | jq -c '[.jobs, .kept]')" "[7,0]" \
	"a dry run counts every finished job, in memory or not"
out=$(jg prune --finished-before 1ms --group gb --json)
expect_eq "$(jq .jobs <<<"$out")" 1 "the failed job of group gb pruned"
rc=0; as "$ALICE" show "$f1" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "a pruned job is gone"

log "retry of an evicted job whose own dependency left memory too"
dep_fail=$(as "$ALICE" add --after-ok "${ok[2]}" -- false)
as "$ALICE" wait "$dep_fail" --timeout 60s >/dev/null 2>&1 || true
wait_until 20 _none_in_memory || fail "jobs stay in memory: $(in_memory)"
as "$ALICE" retry "$dep_fail" >/dev/null
as "$ALICE" wait "$dep_fail" --timeout 60s >/dev/null 2>&1 || true
expect_eq "$(as "$ALICE" show "$dep_fail" --json | jq -r '[.state, (.joblets[0].attempts | length)] | @tsv')" \
	"failed	2" "run again, not skipped: its dependency out of memory still counts as done"

log "a job of more than 1000 joblets stays in memory (reading it back would hold the loop)"
big=$(as "$ALICE" add --joblets 1001 -- true)
small=$(as "$ALICE" add -- true)
as "$ALICE" wait "$big" --timeout 120s >/dev/null
as "$ALICE" wait "$small" --timeout 60s >/dev/null
only_big() { [[ $(in_memory) == 1 ]]; }
wait_until 30 only_big || fail "jobs in memory: $(in_memory)"
expect_eq "$(as "$ALICE" show "$big" --json | jq -r .state)" done "the big job, from memory"

log "a page of stored jobs is the same page as from memory"
# Joblets that end alike and not: counts per state, and a job of several joblets.
mixed=$(as "$ALICE" add --joblets 5 --group gm --name mixed -- 'exit $((JOBGRID_JOBLET % 2))')
as "$ALICE" wait "$mixed" --timeout 60s >/dev/null 2>&1 || true
wait_until 30 only_big || fail "jobs in memory: $(in_memory)"
pages() {	# every page of two, both ways, and one filtered, as the admin and alice see them
	local who q cur page
	for who in "$ADMIN" "$ALICE"; do
		for q in 'limit=2' 'limit=2&order=desc' 'state=failed&limit=1' 'group=gm'; do
			cur=0
			while [[ $cur != null ]]; do
				page=$(get "$who" "/v1/jobs?$q&cursor=$cur")
				jq -c . <<<"$page"
				cur=$(jq -r .next_cursor <<<"$page")
				[[ -n $cur ]] || fail "no page of $q: '$page'" >&2
			done
		done
	done
}
stored=$(pages)
expect_eq "$(jq -c 'select(.jobs[0].seq == '"${mixed##*.}"') | .jobs[0].counts' <<<"$stored" | head -n 1)" \
	'{"done":3,"failed":2}' "the counts of a stored job of five joblets"
kill_server
restart_server --auth --local-workers 2 --history-memory never
expect_eq "$(in_memory)" 10 "every job in memory"
in_full=$(pages)
[[ $stored == "$in_full" ]] || fail "pages differ, stored vs in memory:
$(diff <(echo "$stored") <(echo "$in_full"))"
log "ok: $(wc -l <<<"$stored") pages alike"
log "ok"
