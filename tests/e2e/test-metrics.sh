#!/usr/bin/env bash
# /metrics (issue 14): real output of a server with work in every state passes
# `promtool check metrics` (Prometheus' own linter, from Debian's prometheus package), and
# its figures agree with what the CLI shows: jobs and joblets by state and group, why
# waiting joblets wait, what runs on each worker, reserve and commit histograms, replies by
# route and status, event-stream clients, and a worker lost when its lease ran out.
source "$(dirname "$0")/lib.sh"
command -v promtool >/dev/null || fail "promtool is missing (make deps installs prometheus)"
start_server --lease 2s --heartbeat 500ms
M=$T/metrics.txt
scrape() { curl -sS "$JOBGRID_URL/metrics" >"$M"; }
# metric NAME{LABELS}: its value in the last scrape, or nothing
metric() { K="$1 " awk 'index($0, ENVIRON["K"]) == 1 {print $NF}' "$M"; }
lint() {
	promtool check metrics <"$M" >"$T/promtool.out" 2>&1 ||
		fail "promtool check metrics: $(cat "$T/promtool.out")"
}

log "an idle server: the output is valid and every family is there"
scrape
lint
for f in jobgrid_jobs jobgrid_joblets jobgrid_group_joblets jobgrid_joblets_not_running \
	jobgrid_workers jobgrid_worker_running_joblets jobgrid_worker_lease_expiries_total \
	jobgrid_jobs_added_total jobgrid_attempts_started_total jobgrid_script_processes \
	jobgrid_store_commits_total jobgrid_store_commit_seconds jobgrid_store_batch_records \
	jobgrid_reserve_seconds jobgrid_http_requests_total jobgrid_http_responses_total \
	jobgrid_sse_clients jobgrid_log_followers; do
	grep -q "^# TYPE $f " "$M" || fail "no family $f"
done

log "work in several states, two workers"
start_worker busy --cores 2
start_worker spare --cores 1
wait_workers 2
run=$(jg add --group 'g"1' --cores 2 --joblets 1 -- "$(hold go)")
big=$(jg add --group big --cores 64 -- true)
after=$(jg add --group deps --after-ok "$run" -- true)
done_id=$(jg add --group fast -- true)
jg wait "$done_id" --timeout 30s >/dev/null
wait_state "$run" running
curl -s -o /dev/null "$JOBGRID_URL/v1/jobs/999999"	# a 404
jg events >"$T/events.out" 2>&1 &
events_pid=$!
track "$events_pid"
_sse_is() { scrape; [[ $(metric jobgrid_sse_clients) == "$1" ]]; }
wait_until 20 _sse_is 1
lint

status=$(jg status --json)
for st in waiting ready running done; do
	want=$(jq -r ".joblets.$st // 0" <<<"$status")
	expect_eq "$(metric "jobgrid_joblets{state=\"$st\"}")" "$want" "joblets $st as status says"
done
expect_eq "$(metric 'jobgrid_jobs{state="running"}')" 1 "one job running"
expect_eq "$(metric 'jobgrid_jobs{state="done"}')" 1 "one job done"
expect_eq "$(metric 'jobgrid_jobs{state="ready"}')" 1 "the 64-core job is ready"
expect_eq "$(metric 'jobgrid_jobs{state="waiting"}')" 1 "the dependant waits"
expect_eq "$(metric 'jobgrid_group_joblets{group="g\"1",state="running"}')" 1 "a quote in a group name is escaped"
expect_eq "$(metric 'jobgrid_joblets_not_running{group="big",reason="no worker has 64 cores"}')" 1 \
	"why the big one waits"
grep -q '^jobgrid_joblets_not_running{group="deps",reason="waiting for ' "$M" ||
	fail "no reason for the dependant: $(grep not_running "$M")"
busy_id=$(jg workers --json | jq -r '.workers[] | select(.name == "busy") | .id')
expect_eq "$(metric "jobgrid_worker_running_joblets{worker=\"$busy_id\",node=\"busy\"}")" 1 "busy runs one"
expect_eq "$(metric "jobgrid_worker_cores_used{worker=\"$busy_id\",node=\"busy\"}")" 2 "with 2 cores"
expect_eq "$(metric jobgrid_jobs_added_total)" 4 "four jobs added"
expect_eq "$(metric 'jobgrid_http_responses_total{route="job_get",code="404"}')" 1 "the 404 is counted"
(($(metric jobgrid_reserve_seconds_count) > 0)) || fail "no reserve timed"
(($(metric jobgrid_store_commit_seconds_count) > 0)) || fail "no commit timed"
expect_eq "$(metric 'jobgrid_reserve_seconds_bucket{le="+Inf"}')" "$(metric jobgrid_reserve_seconds_count)" \
	"the +Inf bucket holds every reserve"
expect_eq "$(metric 'jobgrid_store_batch_records_bucket{le="+Inf"}')" "$(metric jobgrid_store_commits_total)" \
	"one batch size per commit"

log "a worker that falls silent is lost when its lease runs out"
stop_worker spare STOP
_expired() { scrape; [[ $(metric jobgrid_worker_lease_expiries_total) == 1 ]]; }
wait_until 20 _expired
stop_worker spare CONT
kill "$events_pid"
touch "$T/go"
jg wait "$after" --timeout 30s >/dev/null
scrape
lint
expect_eq "$(metric 'jobgrid_jobs{state="done"}')" 3 "three jobs done"
log "ok"

log "the Grafana dashboard: every query parses and names only metrics the server has"
dash=$(dirname "$0")/../../contrib/grafana/jobgrid.json
jq -e '.panels | length > 10' "$dash" >/dev/null || fail "the dashboard has no panels"
# Each query as a recording rule, so that promtool parses it; Grafana's own variables are
# given plain values first.
{
	echo "groups:"
	echo "  - name: dashboard"
	echo "    rules:"
	jq -r '.panels[].targets[].expr' "$dash" | sed -e 's/\$__rate_interval/5m/g' -e 's/\$instance/.*/g' |
		awk '{gsub(/'"'"'/, "'"''"'"); printf "      - record: q%d\n        expr: '"'"'%s'"'"'\n", NR, $0}'
} >"$T/dashboard-rules.yml"
promtool check rules "$T/dashboard-rules.yml" >"$T/promtool.out" 2>&1 ||
	fail "a dashboard query does not parse: $(cat "$T/promtool.out")"
for name in $(jq -r '.panels[].targets[].expr' "$dash" | grep -o 'jobgrid_[a-z_]*' | sort -u); do
	base=${name%_bucket}
	base=${base%_sum}
	base=${base%_count}
	grep -q "^# TYPE $base " "$M" || fail "the dashboard queries $name, which /metrics lacks"
done
log "ok: the dashboard's queries"
