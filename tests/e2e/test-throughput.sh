#!/usr/bin/env bash
# GET /v1/stats?throughput=1 (the dashboard's chart): joblets started, done and failed per
# minute over the last hour, from the attempts the server holds: a user counts their own
# jobs only, a restart keeps the counts, a bad value is 400 naming the field.
source "$(dirname "$0")/lib.sh"
start_server --auth --local-workers 1
ADMIN=$(cat "$T/data/admin.token")
export JOBGRID_TOKEN=$ADMIN
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
ALICE=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
[[ $ALICE =~ ^jg_ ]] || fail "alice could not log in"

a1=$(jg add -- true); a2=$(jg add -- true); a3=$(jg add --retries 0 -- false)
b1=$(JOBGRID_TOKEN=$ALICE jg add --joblets 2 -- true)
for id in "$a1" "$a2" "$b1"; do wait_state "$id" done; done
wait_state "$a3" failed

# sums TOKEN: "started done failed" over the hour, and the number of intervals
sums() {
	API_TOKEN=$1 api GET '/v1/stats?throughput=1' |
		jq -r '.throughput | "\(.started | add) \(.done | add) \(.failed | add) \(.started | length) \(.interval_s)"'
}
expect_eq "$(sums "$ADMIN")" "5 4 1 60 60" "the admin counts every attempt"
expect_eq "$(sums "$ALICE")" "2 2 0 60 60" "alice counts her own"
last=$(API_TOKEN=$ADMIN api GET '/v1/stats?throughput=1' | jq '.throughput.started[-1] + .throughput.started[-2]')
expect_eq "$last" 5 "the attempts are in the last minutes"
expect_eq "$(API_TOKEN=$ADMIN api GET /v1/stats | jq 'has("throughput")')" false "only when asked"

log "a restart keeps them"
kill_server
restart_server --auth --local-workers 1
expect_eq "$(sums "$ADMIN")" "5 4 1 60 60" "after a restart"

API_TOKEN=$ADMIN api GET '/v1/stats?throughput=yes' >"$T/out"
expect_eq "$API_STATUS" 400 "a bad throughput value"
expect_eq "$(jq -r .error.field "$T/out")" throughput "naming the field"
log "PASS"
