#!/usr/bin/env bash
# Recovery with history out of memory (issue 14): a restart loads in full only the jobs
# memory keeps and the other finished jobs as history (their final state, counts, learned
# figures). Everything a client sees is as it was before the restart: stats and /metrics
# counts, the throughput series (which reads the attempts of jobs out of memory), show of an old job, list --state failed, a job in memory that waits for an old
# one by id (it keeps that one in memory), new dependencies on old jobs (met and broken),
# retry of an old failed job (a new attempt id), learned requirements, the next job's seq.
source "$(dirname "$0")/lib.sh"
ARGS=(--local-workers 2 --history-memory 0)
start_server "${ARGS[@]}"
in_memory() { curl -sS "$JOBGRID_URL/v1/stats" | jq .jobs_in_memory; }

log "finished jobs of every kind, then out of memory"
ok=()
for i in 1 2 3; do ok+=("$(jg add --group ga --req-group rg --name okjob -- "echo out-$i")"); done
f1=$(jg add --group gb --name failjob -- "exit 3")
f2=$(jg add --group gb --name failjob -- "exit 4")
# Three joblets, the middle one fails: the job is failed, its joblets 2 done and 1 failed.
multi=$(jg add --group gm --joblets 3 -- '[ "$JOBGRID_JOBLET" != 1 ]')
for id in "${ok[@]}"; do jg wait "$id" --timeout 60s >/dev/null; done
for id in "$f1" "$f2" "$multi"; do jg wait "$id" --timeout 60s >/dev/null 2>&1 || true; done
# Waits (a time gate far ahead) for an old done job by id: both stay in memory.
waiter=$(jg add --after-ok "${ok[0]}" --not-before 2h -- true)
two_in_memory() { [[ $(in_memory) == 2 ]]; }
wait_until 30 two_in_memory || fail "jobs in memory: $(in_memory), not the waiter and its dependency"

# What a client sees of them, before and after the restart.
views() {
	curl -sS "$JOBGRID_URL/v1/stats" | jq -S -c '{jobs, jobs_in_memory, joblets, groups}'	# groups in any order
	curl -sS "$JOBGRID_URL/metrics" | grep -E '^jobgrid_(jobs|joblets)(\{|_in_memory)'
	jg show "${ok[1]}" --json | jq -c '{state, joblets: [.joblets[] | {state, attempts: [.attempts[] | {id, state, exit_code}]}]}'
	jg show "$multi" --json | jq -c '{state, joblets: [.joblets[].state]}'
	jg list --state failed --json | jq -c '[.jobs[].seq]'
	jg show "$waiter" --json | jq -c '{state, reason: .joblets[0].reason}'
	throughput
}
# The last hour's attempts started, done and failed: those of jobs out of memory too.
throughput() { curl -sS "$JOBGRID_URL/v1/stats?throughput=1" | jq -c '.throughput | [(.started, .done, .failed) | add]'; }
expect_eq "$(throughput)" "[8,5,3]" "the throughput series counts the attempts of jobs out of memory"
before=$(views)
log "learned requirements of rg, before: a job of the group that waits"
learned() { jg add --req-group rg --limit "l$1" --not-before 2h -- true; }
l1=$(learned 1)
learned_before=$(jg show "$l1" --json | jq -c '[.ram_mb, .ram_learned, .time_ms, .time_learned]')
expect_eq "$(jq -c '.[1]' <<<"$learned_before")" true "the group has learned figures"
jg remove "$l1" >/dev/null
max_attempt=$(jg show "$f2" --json | jq '.joblets[0].attempts[-1].id')

log "restart"
kill_server
restart_server "${ARGS[@]}"
grep -Eq "recovered 2 jobs \([^)]*\) and 5 as history" "${LOGS[-1]}" ||
	fail "the restart did not load the old jobs as history: $(grep recovered "${LOGS[-1]}")"
expect_eq "$(views)" "$before" "stats, metrics, show, list and the waiter as before the restart"
l2=$(learned 2)
expect_eq "$(jg show "$l2" --json | jq -c '[.ram_mb, .ram_learned, .time_ms, .time_learned]')" \
	"$learned_before" "learned requirements as before the restart"
jg remove "$l2" >/dev/null

log "new dependencies on old jobs: met and broken"
after_ok=$(jg add --after-ok "${ok[2]}" -- true)
after_bad=$(jg add --after-ok "$f1" -- true)
jg wait "$after_ok" --timeout 60s >/dev/null || fail "a job after an old done one did not run"
wait_state "$after_bad" skipped || fail "a job after an old failed one: $(jg show "$after_bad" --json | jq -r .state)"
expect_eq "$(jg show "$after_bad" --json | jq -r .joblets[0].reason)" \
	"dependency $f1 failed (--after-ok)" "why it was skipped"
[[ ${after_ok##*.} -gt ${waiter##*.} ]] || fail "a new job's seq ${after_ok##*.} is not past the old ones"

log "retry of an old failed job: a new attempt, with a new id"
jg retry "$f2" >/dev/null
jg wait "$f2" --timeout 60s >/dev/null 2>&1 || true
attempts=$(jg show "$f2" --json | jq -c '[.state, [.joblets[0].attempts[].id]]')
expect_eq "$(jq -c '[.[0], (.[1] | length)]' <<<"$attempts")" '["failed",2]' "retried once more"
new_id=$(jq '.[1][-1]' <<<"$attempts")
[[ $new_id -gt $max_attempt ]] || fail "the new attempt's id $new_id is not past the old ones ($max_attempt)"
expect_eq "$(jg list --state failed --json | jq -c '[.jobs[].seq] | length')" 3 "list --state failed"
log "ok"
