#!/usr/bin/env bash
# How the worker runs joblets (SPEC §3): the fail reasons told apart, the time limit that
# kills the whole process group, the JOBGRID_* environment, output order, CPU and RAM.
source "$(dirname "$0")/lib.sh"
start_server
start_worker node1 --cores 4 --grace 1s
mkdir -p "$T/dir"
printf '#!/bin/sh\necho hi\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
mkdir -p "$T/gone" && rm -rf "$T/gone"

reason() {	# CMD… → the fail reason of its only attempt
	local id
	id=$(jg add "$@")
	jg wait "$id" --timeout 60s >/dev/null || true
	jg show "$id" --json | jq -r '.joblets[0].attempts[-1].fail_reason'
}
expect_eq "$(reason -- true)" "" "success has no fail reason"
expect_eq "$(reason -- 'exit 3')" exit "a non-zero exit"
expect_eq "$(reason -- no-such-command-xyz)" notfound "a missing command, run directly"
expect_eq "$(reason -- 'no-such-command-xyz | cat')" notfound "a missing command in a pipeline (pipefail carries its 127)"
expect_eq "$(reason -- "$T/noexec.sh")" permission "a file without execute permission"
expect_eq "$(reason -- 'kill -9 $$')" signal "killed by a signal"
expect_eq "$(reason --cwd /tmp -- 'cd / && true')" "" "a command with shell syntax"

# The CLI refuses a missing --cwd itself, so this one goes to the API directly.
api POST /v1/jobs "{\"cmd\":\"true\",\"cwd\":\"$T/gone\"}" >"$T/cwd.json"
expect_eq "$API_STATUS" 201 "the server accepts a cwd it cannot check"
id=$(jq -r '.ids[0]' "$T/cwd.json")
jg wait "$id" --timeout 30s >/dev/null || true
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].fail_reason')" cwd "a working directory that does not exist"

# The time limit ends the joblet and everything it started, grandchildren included.
id=$(jg add --time 1s -- "sleep 300 & echo \$! > $T/grandchild; sleep 300")
rc=0
jg wait "$id" --timeout 30s >/dev/null || rc=$?
expect_eq "$rc" 1 "a timed-out job has failed"
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].fail_reason')" time "fail reason time"
gc=$(cat "$T/grandchild")
for ((i = 0; i < 50; i++)); do kill -0 "$gc" 2>/dev/null || break; sleep 0.1; done
kill -0 "$gc" 2>/dev/null && fail "the background grandchild $gc survived the time limit"
log "ok: the grandchild died with its joblet"

# Environment, working directory and ordered output of several joblets.
id=$(jg add --joblets 2 --cwd "$T/dir" --env GREETING=hello --name envcheck -- \
	'echo "$GREETING $JOBGRID_JOB/$JOBGRID_JOBLET retry=$JOBGRID_RETRY node=$JOBGRID_NODE pwd=$(pwd)"; for i in 1 2 3; do echo line$i; done')
jg wait "$id" --timeout 30s >/dev/null || fail "envcheck failed"
log_text=$(jg log "$id/1")
expect_eq "$(head -1 <<<"$log_text")" "[node1] hello $id/1 retry=0 node=node1 pwd=$T/dir" "environment and cwd of joblet 1"
expect_eq "$(tail -3 <<<"$log_text" | tr '\n' ' ')" "[node1] line1 [node1] line2 [node1] line3 " "output in order"
expect_eq "$(jg log "$id" | wc -l)" 8 "both joblets' output in the job log"
expect_eq "$(jg log "$id/1" --json | jq -r '.lines[1] | "\(.node) \(.line)"')" "node1 line1" "log --json gives node and line"

# CPU time and peak RAM are measured.
id=$(jg add -- 'i=0; while [ $i -lt 300000 ]; do i=$((i+1)); done; head -c 60000000 /dev/zero | tail -c 1 >/dev/null')
jg wait "$id" --timeout 60s >/dev/null || fail "the busy job failed"
cpu=$(jg show "$id" --json | jq '.joblets[0].attempts[0].cpu_ms')
ram=$(jg show "$id" --json | jq '.joblets[0].attempts[0].peak_ram_mb')
((cpu > 50)) || fail "cpu_ms $cpu should show the busy loop"
((ram >= 1)) || fail "peak_ram_mb $ram"
log "ok: cpu ${cpu} ms, peak ${ram} MB"

# The RAM limit: sampled group RSS over --ram kills the joblet with reason ram (and the
# scheduler re-queues it with more RAM: test-learned follows that to the end).
# The echo after the sleep keeps bash (and its 80 MB string) alive: a last command would be exec'd.
id=$(jg add --ram 30 --name hog -- 's=$(head -c 80000000 /dev/zero | tr "\0" a); sleep 30; echo ${#s}')
_first_attempt_ended() { [[ $(jg show "$1" --json | jq -r '.joblets[0].attempts[0].state') == failed ]]; }
wait_until 20 _first_attempt_ended "$id"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" ram "fail reason ram"
peak=$(jq '.joblets[0].attempts[0].peak_ram_mb' <<<"$show")
((peak > 30)) || fail "peak_ram_mb $peak should exceed the 30 MB limit"
log "ok: killed at a peak of ${peak} MB"
jg cancel "$id" >/dev/null

# How RAM is measured is said per worker; this host has no memory controller in cgroup v2,
# so the worker samples and says why, and insisting on cgroups is refused at start.
w=$(jg workers --json | jq -c '.workers[0] | {ram_method, ram_method_note}')
method=$(jq -r .ram_method <<<"$w")
note=$(jq -r .ram_method_note <<<"$w")
[[ ($method == sampling || $method == cgroup) && -n $note ]] || fail "workers should say how RAM is measured: $w"
log "ok: RAM by $method ($note)"
jg workers | grep -q "RAM-BY" || fail "the workers table lacks the RAM-BY column"
if [[ $method == sampling ]]; then
	rc=0
	err=$(jg worker --server "$JOBGRID_URL" --name strict --ram-method cgroup 2>&1) || rc=$?
	expect_eq "$rc" 2 "--ram-method cgroup where cgroups are unusable is refused"
	grep -q -- "--ram-method cgroup: " <<<"$err" || fail "the refusal should say why: $err"
fi
