#!/usr/bin/env bash
# Guarantee 4: with one single-core worker, joblets start by priority (high first), then in
# submission order.
source "$(dirname "$0")/lib.sh"
start_server
ids=()
for p in 0 5 0 9 5 0 9 1; do
	ids+=("$(jg add --priority "$p" --name "p$p" -- true)")
done
start_worker solo --cores 1
jg wait "${ids[@]}" --timeout 60s >/dev/null || fail "jobs did not finish"
# Attempt ids are handed out in dispatch order.
order=$(for id in "${ids[@]}"; do jg show "$id" --json | jq -r '"\(.joblets[0].attempts[0].id) \(.priority) \(.seq)"'; done |
	sort -n | awk '{print $2 "/" $3}' | tr '\n' ' ')
expected=$(for i in "${!ids[@]}"; do jg show "${ids[$i]}" --json | jq -r '"\(.priority) \(.seq)"'; done |
	sort -k1,1nr -k2,2n | awk '{print $1 "/" $2}' | tr '\n' ' ')
expect_eq "$order" "$expected" "dispatch order is priority, then FIFO"
