#!/usr/bin/env bash
# Retries with exponential back-off, then `failed` with a reason.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w --cores 2
id=$(jg add --retries 2 --retry-delay 1s --name flaky -- "echo try \$JOBGRID_RETRY; exit 3")
rc=0
jg wait "$id" --timeout 60s >/dev/null || rc=$?
expect_eq "$rc" 1 "wait exits 1 for a failed job"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" failed "the job failed"
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 3 "1 run + 2 retries"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 2 "both retries used"
expect_eq "$(jq -r '.joblets[0].reason' <<<"$show")" "exit code 3" "the reason names the exit code"
expect_eq "$(jq -r '[.joblets[0].attempts[].fail_reason] | unique | join(",")' <<<"$show")" exit "every attempt failed with reason exit"
# Back-off: 1 s ±25 % before the first retry, 2 s ±25 % before the second (plus dispatch).
ms='def ms: (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber);'
g1=$(jq -r "$ms"' .joblets[0].attempts | (.[1].started_at | ms) - (.[0].ended_at | ms)' <<<"$show")
g2=$(jq -r "$ms"' .joblets[0].attempts | (.[2].started_at | ms) - (.[1].ended_at | ms)' <<<"$show")
((g1 >= 750 && g1 <= 2500)) || fail "first back-off ${g1} ms, expected 750..1250 ms plus dispatch"
((g2 >= 1500 && g2 <= 3500)) || fail "second back-off ${g2} ms, expected 1500..2500 ms plus dispatch"
log "back-off gaps ${g1} ms then ${g2} ms"
jg log "$id" | grep -c '^\[w\] try ' | grep -qx 3 || fail "log should hold three tries: $(jg log "$id")"
expect_eq "$(jg log "$id" | sed -n 3p)" "[w] try 2" "the third run saw JOBGRID_RETRY=2"
