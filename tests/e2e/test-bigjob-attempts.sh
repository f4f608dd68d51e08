#!/usr/bin/env bash
# A job of 1200 joblets keeps only its joblets' states and counts in memory once they are
# final and committed (attempts_in_memory in /v1/stats falls to 0); its attempts are read
# back from the store for the page that shows them (`show --json --joblets`, `show
# --joblets`, paging every joblet), after a restart too; a retry numbers the new attempts
# after those in the store and shows both; a cancel, retry and remove of a job of 20000
# joblets leave a `status` from another client answered (its time is printed, not judged);
# the removed job is gone from show, list and status, from the store's tables, and a job
# added after it runs. A restart reads only the attempts of joblets not final (its log
# says how many it read and left in the store), and the stats, learned requirements and
# throughput series are as before it.
source "$(dirname "$0")/lib.sh"
start_server
N=1200
# Joblets 7, 507 and 1007 fail with exit 3, twice each (--retries 1); once $T/retried
# exists (the retry below), their attempts hold on $T/go first.
id=$(jg add --name big --joblets $N --retries 1 --req-group big -- \
	"if [ \$((JOBGRID_JOBLET % 500)) -eq 7 ]; then if [ -e '$T/retried' ]; then $(hold go); fi; exit 3; fi")
start_worker w1 --cores 8
wait_workers 1
wait_until 280 _state_is "$id" failed

in_memory() { api GET /v1/stats | jq .attempts_in_memory; }
_none_held() { [[ $(in_memory) == 0 ]]; }
wait_until 20 _none_held
log "ok: the finished joblets' attempts left memory"

# index: [n node state exit_code has-times]… of every attempt, as a page shows it.
page_of() {
	jg show "$id" --json --joblets "$1" | jq -c '.joblets[] | [.index, [.attempts[] |
		[.n, .node, .state, .exit_code, (.started_at != null and .ended_at != null)]]]'
}
check_pages() {
	expect_eq "$(page_of 5-7,1007 | tr '\n' ' ')" \
		'[5,[[1,"w1","done",0,true]]] [6,[[1,"w1","done",0,true]]] [7,[[1,"w1","failed",3,true],[2,"w1","failed",3,true]]] [1007,[[1,"w1","failed",3,true],[2,"w1","failed",3,true]]] ' \
		"$1: each attempt's node, state, exit and times read back"
	out=$(jg show "$id" --joblets 7)
	grep -q "attempt 2 (#[0-9]*) on w1 .*: failed, exit 3" <<<"$out" || fail "$1: show --joblets 7: $out"
	# Every joblet, page by page: 1203 attempts, ids each once.
	jg show "$id" --json --joblets 0-$((N - 1)) >"$T/all"
	expect_eq "$(jq '[.joblets[].attempts[]] | length' "$T/all")" $((N + 3)) "$1: every attempt, every page"
	expect_eq "$(jq '[.joblets[].attempts[].id] | unique | length' "$T/all")" $((N + 3)) "$1: ids each once"
	expect_eq "$(jq -c '[.joblets[] | select(.attempts | length == 0) | .index]' "$T/all")" '[]' \
		"$1: no joblet without its attempts"
	jq -c '[.joblets[] | [.index, .retry, .errors, [.attempts[] | [.id, .n, .started_at, .ended_at, .exit_code]]]]' \
		"$T/all" >"$T/all.$2"
}
check_pages "in memory" before

# What a client sees besides the pages: counts, the last hour's attempts started, done and
# failed, and the figures learned from the job's successful attempts (a job of its req
# group that waits shows them).
views() {
	api GET /v1/stats | jq -S -c '{jobs, jobs_in_memory, joblets, attempts_in_memory}'
	api GET '/v1/stats?throughput=1' | jq -c '.throughput | [(.started, .done, .failed) | add]'
	local l
	l=$(jg add --req-group big --not-before 2h -- true)
	jg show "$l" --json | jq -c '[.ram_mb, .ram_learned, .time_ms, .time_learned]'
	jg remove "$l" >/dev/null
}
before=$(views)
expect_eq "$(sed -n 2p <<<"$before")" "[$((N + 3)),$((N - 3)),6]" "the throughput of the job's attempts"
expect_eq "$(sed -n 3p <<<"$before" | jq '.[1] and .[3]')" true "its req group learned figures"
# read LEFT: the restart's log line says it read READ attempts and left LEFT in the store.
loaded() {
	local line
	line=$(grep "recovered " "${LOGS[-1]}")
	grep -Eq "recovered [0-9]+ jobs \($N joblets, $1 attempts read, $2 left in the store\)" <<<"$line" ||
		fail "the restart should read $1 attempts and leave $2 in the store: $line"
}

kill_server
restart_server
wait_workers 1
loaded 0 $((N + 3))
expect_eq "$(in_memory)" 0 "after a restart, none held"
check_pages "after a restart" after
expect_eq "$(cat "$T/all.after")" "$(cat "$T/all.before")" "the same attempts as before the restart"
expect_eq "$(views)" "$before" "stats, throughput and learned figures as before the restart"

# ---- Retry: the failed joblets run again; the new attempts follow those in the store.
touch "$T/retried"
jg retry "$id" >/dev/null
_three_running() { [[ $(jg show "$id" --json --joblets 7 | jq -c '.counts.running') == 3 ]]; }
wait_until 60 _three_running	# joblets 7, 507 and 1007 hold
expect_eq "$(page_of 7 | jq -c '[.[1][] | [.[0], .[2]]]')" '[[1,"failed"],[2,"failed"],[3,"running"]]' \
	"a retried joblet shows its stored attempts, then the running one"
expect_eq "$(in_memory)" 3 "only the running attempts are held"
# A restart now reads the attempts of the three joblets not final (two stored, one
# running each), and the running ones go on.
kill_server
restart_server
loaded 9 $((N - 3))
wait_workers 1
expect_eq "$(in_memory)" 9 "the attempts of the joblets not final are held"
touch "$T/go"
wait_until 120 _state_is "$id" failed
wait_until 20 _none_held
expect_eq "$(page_of 7,1007 | jq -c '[.[1][] | .[0]]' | tr '\n' ' ')" '[1,2,3,4] [1,2,3,4] ' \
	"attempts 3 and 4 after the retry"
expect_eq "$(jg show "$id" --json --joblets 7 | jq -c '[.joblets[0].attempts[].id] | . == sort')" true \
	"ids ascending across the store and memory"

# ---- A job of 20000 joblets no worker fits: cancel, retry and remove it while another
# client asks for the status; each status is answered, and its time is printed.
M=20000
big=$(jg add --name bigger --joblets $M --constraint test=none -- true)
status_loop() {	# OUT: status times (s), one a line, until $T/stop-status exists
	while [[ ! -e $T/stop-status ]]; do
		curl -sS -f -o /dev/null -w '%{time_total}\n' "$JOBGRID_URL/v1/stats" >>"$1" || exit 1
	done
}
during() {	# NAME CMD…
	local name=$1 spid
	shift
	rm -f "$T/stop-status" "$T/status.$name"
	status_loop "$T/status.$name" & spid=$!; track $spid
	wait_until 20 test -s "$T/status.$name"
	"$@" >/dev/null || fail "$name of the job of $M joblets failed"
	touch "$T/stop-status"
	wait $spid || fail "a status during $name was not answered"
	log "$name of $M joblets: $(wc -l <"$T/status.$name") status answers meanwhile, the longest in $(sort -g "$T/status.$name" | tail -1) s"
}
during cancel jg cancel "$big"
expect_eq "$(api GET "/v1/jobs/$big?joblets=none" | jq -c .counts)" "{\"cancelled\":$M}" "all cancelled"
during retry jg retry "$big"
expect_eq "$(api GET "/v1/jobs/$big?joblets=none" | jq -c .counts)" "{\"ready\":$M}" "all ready again"
big_seq=$(api GET "/v1/jobs/$big?joblets=none" | jq .seq)
during remove api POST /v1/jobs/remove "{\"ids\": [\"$big\"]}"
expect_eq "$(api POST /v1/jobs/remove "{\"ids\": [\"$big\"]}" | jq -r '.errors[0].code')" not_found "removed"
# Gone from every answer: show, the list, the counts.
rc=0; jg show "$big" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "show of the removed job"
expect_eq "$(jg list --all --json | jq --arg id "$big" '[.jobs[] | select(.id == $id)] | length')" 0 \
	"the removed job in the list"
expect_eq "$(jg status --json | jq '.joblets.ready // 0')" 0 "ready joblets once it is gone"
# The queue is whole after its joblets left it at once: a job added now runs.
after=$(jg add --name after --joblets 3 -- true)
wait_until 60 _state_is "$after" done
kill_server
# No row of it is left in the store.
rows_of() {
	local q="SELECT (SELECT count(*) FROM jobs WHERE seq=$1) + (SELECT count(*) FROM joblets WHERE seq=$1) + (SELECT count(*) FROM attempts WHERE seq=$1)"
	if [[ ${JOBGRID_TEST_STORE:-} == postgres ]]; then
		psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$q"
	else
		sqlite3 -readonly "$T/data/jobgrid.sqlite" "$q"
	fi
}
expect_eq "$(rows_of "$big_seq")" 0 "rows of the removed job (seq $big_seq) in the store"
log "PASS"
