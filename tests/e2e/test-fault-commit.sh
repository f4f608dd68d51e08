#!/usr/bin/env bash
# A commit that fails (a test build's store told to fail its Nth batch, JOBGRID_TEST_FAULTS
# in src/store/store-faulty.h: the real transaction fails part way, after rows of the batch
# were written). The server stops with exit 1 and a message saying so, and answers none of
# the requests that waited on that commit. A restart has every acknowledged change and
# nothing of the failed batch; requests sent again with their idempotency keys are applied
# once; a worker's finish report whose commit failed is sent again and applied once; adds
# sent in parallel, some grouped into the failing transaction, lose none acknowledged and,
# sent again, make one job per key.
source "$(dirname "$0")/lib.sh"

# The server that was just started runs with injected faults (a test build honours them).
faults_on() {
	SLOG=${LOGS[-1]}
	grep -q 'store: test faults:' "$SLOG" ||
		fail "the server ignores JOBGRID_TEST_FAULTS (built without JG_TEST_FAULTS?)"
}

# The server stopped by itself on the failed commit: exit 1, the reason in its log.
stopped_on_failed_commit() {
	wait_until 30 proc_gone "$SERVER_PID"
	local rc=0
	wait "$SERVER_PID" || rc=$?
	SERVER_PID=""
	expect_eq "$rc" 1 "a failed commit stops the server with exit 1"
	grep -q 'store: injected fault: the commit of batch' "$SLOG" || fail "the fault was not injected"
	grep -q 'store: commit failed, stopping without answering the requests that wait on it' "$SLOG" ||
		fail "the log should say the commit failed and the server stops: $(tail -3 "$SLOG")"
}

# POST a job with an idempotency key; prints the HTTP status (000: no reply), the body
# goes to $T/reply.KEY.
post() {	# KEY N
	curl -sS -o "$T/reply.$1" -w '%{http_code}' -X POST -H "Idempotency-Key: $1" \
		-H 'Content-Type: application/json' \
		--data-binary "{\"name\": \"n$2\", \"cmd\": \"echo $2 >>'$T/ran'\"}" \
		"$JOBGRID_URL/v1/jobs" 2>/dev/null || true
}
reply_id() { jq -r '.ids[0]' <"$T/reply.$1"; }
job_ids() { jg list --all --json | jq -r '[.jobs[].id] | sort | join(" ")'; }

# ---- Adds, one commit each, until the one whose commit fails.
JOBGRID_TEST_FAULTS=commit:4 start_server
faults_on
acked=()
failed=0
for i in $(seq 1 10); do
	code=$(post "k$i" "$i")
	if [[ $code != 201 ]]; then
		failed=$i
		break
	fi
	acked+=("$(reply_id "k$i")")
done
((failed > 1)) || fail "the injected commit failure should come after some adds (add $failed failed)"
expect_eq "$code" 000 "the add whose commit failed gets no reply at all"
stopped_on_failed_commit

restart_server
expect_eq "$(job_ids)" "$(printf '%s\n' "${acked[@]}" | sort | paste -sd' ')" \
	"after a restart: the ${#acked[@]} acknowledged adds, nothing of the failed one"
for ((i = 1; i < failed; i++)); do
	code=$(post "k$i" "$i")
	expect_eq "$code $(reply_id "k$i")" "201 ${acked[i - 1]}" "add $i sent again: its first reply, no new job"
done
code=$(post "k$failed" "$failed")
expect_eq "$code" 201 "the add whose commit failed, sent again, is taken"
new=$(reply_id "k$failed")
code=$(post "k$failed" "$failed")
expect_eq "$code $(reply_id "k$failed")" "201 $new" "sent a third time: the same job"
expect_eq "$(jg list --all --json | jq '.jobs | length')" "$failed" "one job per key"
start_worker a
mapfile -t all < <(jg list --all --json | jq -r '.jobs[].id')
jg wait "${all[@]}" --timeout 60s >/dev/null || fail "the jobs did not finish"
expect_eq "$(sort -n "$T/ran" | paste -sd' ')" "$(seq 1 "$failed" | paste -sd' ')" "each job ran once"

# ---- A worker's finish report whose commit fails: the worker sends it again to the next
# server, which applies it once; the joblet does not run again.
held=$(jg add --name held -- sh -c "$(hold go); echo held >>'$T/held'")
wait_state "$held" running
kill_server TERM
JOBGRID_TEST_FAULTS=commit:2 restart_server
faults_on
# The worker's reattachment is the new server's first commit; its finish report, once
# the joblet is let go, is the second, the one that fails.
_commits() { [[ $(curl -sS "$JOBGRID_URL/metrics" | awk '$1 == "jobgrid_store_commits_total" {print $2}') == "$1" ]]; }
wait_until 30 _commits 1
expect_eq "$(jg show "$held" --json | jq -r .state)" running "the held joblet runs on, reattached"
touch "$T/go"
stopped_on_failed_commit
restart_server
wait_state "$held" done
expect_eq "$(jg show "$held" --json | jq '[.joblets[].attempts[]] | length')" 1 "one attempt: the report was applied once"
expect_eq "$(jg show "$held" --json | jq -r '.joblets[0].attempts[0].exit_code')" 0 "its exit code as the worker reported it"
expect_eq "$(wc -l <"$T/held")" 1 "the held job ran once"

# ---- Adds in parallel, grouped into the failing transaction: every acknowledged one is
# kept; one that was not may be kept or not, and sending each key again gives one job per
# key, the acknowledged ones their first reply.
stop_worker a
kill_server TERM
JOBGRID_TEST_FAULTS=commit:3 restart_server
faults_on
before=$(jg list --all --json | jq '.jobs | length')
for i in $(seq 1 30); do post "p$i" "p$i" >"$T/code.p$i" & done
wait_until 60 proc_gone "$SERVER_PID"
wait	# the adds, and the server
SERVER_PID=""
grep -q 'store: commit failed, stopping without answering' "$SLOG" || fail "the server should stop on the failed commit"
acked=()
for i in $(seq 1 30); do
	code=$(<"$T/code.p$i")
	case $code in
	201) acked+=("p$i=$(reply_id "p$i")") ;;
	000) ;;
	*) fail "add p$i: HTTP $code, expected 201 or no reply" ;;
	esac
done
((${#acked[@]} < 30)) || fail "every parallel add was acknowledged: the fault never struck"
restart_server
kept=$(job_ids)
for ka in "${acked[@]}"; do
	[[ " $kept " == *" ${ka#*=} "* ]] || fail "acknowledged add ${ka%%=*} (${ka#*=}) was lost"
done
log "ok: ${#acked[@]} of 30 parallel adds acknowledged, all kept"
for i in $(seq 1 30); do
	code=$(post "p$i" "p$i")
	expect_eq "$code" 201 "add p$i sent again"
done
for ka in "${acked[@]}"; do
	expect_eq "$(reply_id "${ka%%=*}")" "${ka#*=}" "acknowledged add ${ka%%=*} sent again: its first reply"
done
expect_eq "$(jg list --all --json | jq '.jobs | length')" "$((before + 30))" "one job per key, no more"
expect_eq "$(for i in $(seq 1 30); do reply_id "p$i"; done | sort -u | wc -l)" 30 "30 keys, 30 different jobs"
