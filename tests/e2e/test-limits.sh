#!/usr/bin/env bash
# Limit groups (issue 3 item 5) and --max-running (item 8): the limit holds exactly with
# three workers polling at once; `jobgrid limit` shows and changes it live, 0 pauses; the
# limit survives a restart; --max-running throttles a job's joblets.
source "$(dirname "$0")/lib.sh"
start_server
for n in a b c; do start_worker "$n" --cores 4; done
wait_workers 3

# ---- 30 jobs in group db:2 on 12 free cores: never more than 2 at once.
ids=()
# The first members hold until the checks below are done, however slow the machine.
for i in $(seq 1 30); do
	ids+=("$(jg add --name "db$i" --limit db:2 -- "$(hold db-go)")")
done
_running() { [[ $(jg limit "$1" --json | jq -r .running) == "$2" ]]; }	# GROUP N
wait_until 20 _running db 2 || fail "two db members never ran"
# Every worker is seen to pass over the waiting members (a probe it takes after them): a
# third member would have been taken instead if the limit leaked.
for n in a b c; do probe_passed --constraint "node=$n"; done
expect_eq "$(jg limit db --json | jq -r '"\(.limit) \(.running)"')" "2 2" "limit db: 2, 2 running"
jg show "${ids[29]}" --json | jq -r '.joblets[0].reason' | grep -q "limit group db full (2 of 2 running)" ||
	fail "a waiting member should say the group is full: $(jg show "${ids[29]}" --json | jq -r '.joblets[0].reason')"
log "ok: a waiting member says the group is full"
touch "$T/db-go"
jg wait "${ids[@]}" --timeout 60s >/dev/null || fail "the db jobs did not finish"
lines=$(attempt_lines "${ids[@]}")
expect_eq "$(peak_overlap <<<"$lines")" 2 "at most 2 of group db ran at once, across 3 workers"
expect_eq "$(wc -l <<<"$lines")" 30 "each of the 30 ran once"
log "they ran on $(awk '{print $3}' <<<"$lines" | sort -u | wc -l) worker(s)"

# ---- The same across workers for certain: a 3-core member fits once on a 4-core worker, so
# the two that run at once are on two workers while the third worker polls for a free slot.
# The members hold until two run and every worker has passed over the rest.
wide=()
for i in $(seq 1 9); do wide+=("$(jg add --name "wdb$i" --cores 3 --limit wdb:2 -- "$(hold wdb-go)")"); done
wait_until 20 _running wdb 2 || fail "two wdb members never ran"
for n in a b c; do probe_passed --constraint "node=$n"; done
expect_eq "$(jg limit wdb --json | jq -r .running)" 2 "wdb: still 2 running"
touch "$T/wdb-go"
jg wait "${wide[@]}" --timeout 60s >/dev/null || fail "the wdb jobs did not finish"
lines=$(attempt_lines "${wide[@]}")
expect_eq "$(peak_overlap <<<"$lines")" 2 "3-core members of wdb:2: 2 at once on two workers, never 3"
nodes=$(awk '{print $3}' <<<"$lines" | sort -u | wc -l)
((nodes >= 2)) || fail "the wdb jobs ran on $nodes worker(s), expected at least 2"
log "ok: the wdb jobs ran on $nodes workers"

# ---- Pause with 0, resume with 3 live.
jg limit db 0 >/dev/null
expect_eq "$(jg limit db)" "db: limit 0, running 0, waiting 0" "limit db 0 shows"
more=()
for i in $(seq 1 12); do more+=("$(jg add --name "m$i" --limit db -- "$(hold more-go)")"); done
for n in a b c; do probe_passed --constraint "node=$n"; done
expect_eq "$(jg show "${more[0]}" --json | jq -r .state)" ready "a paused group starts nothing"
expect_eq "$(jg show "${more[0]}" --json | jq -r '.joblets[0].reason')" "limit group db paused (limit 0)" "the reason says paused"
expect_eq "$(jg limit db --json | jq -c '{name, limit, running, waiting}')" \
	'{"name":"db","limit":0,"running":0,"waiting":12}' "limit --json"
jg limit db 3 >/dev/null
wait_until 20 _running db 3 || fail "three db members never ran after the limit was raised"
for n in a b c; do probe_passed --constraint "node=$n"; done
expect_eq "$(jg limit db --json | jq -r .running)" 3 "db: still 3 running"
touch "$T/more-go"
jg wait "${more[@]}" --timeout 60s >/dev/null || fail "the resumed jobs did not finish"
expect_eq "$(attempt_lines "${more[@]}" | peak_overlap)" 3 "after raising the limit to 3: 3 at once, never more"

# ---- The limit is kept across a restart.
kill_server KILL
restart_server
expect_eq "$(jg limit db --json | jq -r .limit)" 3 "the limit survived kill -9"
rc=0
jg limit nosuch >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "an unknown group is not found"
rc=0
jg limit db lots >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "a bad number is a usage error"
api PUT /v1/limits/db '{"limit": -5}' >/dev/null
expect_eq "$API_STATUS" 422 "a limit below -1 is refused"
rc=0
jg add --limit 'bad name:2' -- true >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 2 "a bad group name is refused"

# ---- --max-running: 10 joblets, at most 2 at once on 12 free cores.
wait_workers 3
arr=$(jg add --name arr --joblets 10 --max-running 2 -- "$(hold arr-go)")
_arr_two() { [[ $(jg show "$arr" --json | jq -r '.counts.running // 0') == 2 ]]; }
wait_until 20 _arr_two || fail "two joblets of the array never ran"
for n in a b c; do probe_passed --constraint "node=$n"; done
expect_eq "$(jg show "$arr" --json | jq -r '.counts.running')" 2 "the array: still 2 running"
touch "$T/arr-go"
jg wait "$arr" --timeout 60s >/dev/null || fail "the array did not finish"
expect_eq "$(attempt_lines "$arr" | peak_overlap)" 2 "--max-running 2: at most 2 joblets at once"
expect_eq "$(jg show "$arr" --json | jq -r '.counts.done')" 10 "all 10 joblets done"
