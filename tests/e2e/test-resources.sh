#!/usr/bin/env bash
# Resources (issue 3 item 1): a joblet goes only to a worker it fits; one that fits no
# worker waits with a reason and runs once changed; a big joblet that does not fit now does
# not block smaller ones, and is not starved either (--starve-after holds a worker for it);
# --gpus; --time gives fail reason time.
source "$(dirname "$0")/lib.sh"
start_server --starve-after 1s
start_worker small --cores 1 --ram 1000 --gpus 0
start_worker big --cores 4 --ram 8000 --gpus 1
wait_workers 2
node_of() { jg show "$1" --json | jq -r '.joblets[0].attempts[0].node'; }

# ---- Fit: each job to the only worker it fits.
c3=$(jg add --name c3 --cores 3 -- true)
r4=$(jg add --name r4 --ram 4000 -- true)
g1=$(jg add --name g1 --gpus 1 -- true)
jg wait "$c3" "$r4" "$g1" --timeout 20s >/dev/null || fail "the fitting jobs did not finish"
expect_eq "$(node_of "$c3")" big "3 cores only fit big"
expect_eq "$(node_of "$r4")" big "4000 MB only fit big"
expect_eq "$(node_of "$g1")" big "a GPU only on big"
expect_eq "$(jg show "$g1" --json | jq -r '.joblets[0].attempts[0] | "\(.cores) \(.ram_mb) \(.gpus)"')" \
	"1 0 1" "the attempt records what it was given"

# ---- Fits nowhere: waits (not failed) with a reason, in show and status; mod makes it run.
# Both workers are seen to pass over it (a probe job each takes after it) first.
huge=$(jg add --name huge --cores 64 -- true)
probe_passed --constraint node=small
probe_passed --constraint node=big
expect_eq "$(jg show "$huge" --json | jq -r .state)" ready "a joblet no worker fits stays queued"
expect_eq "$(jg show "$huge" --json | jq -r '.joblets[0].reason')" "no worker has 64 cores" "show says why"
jg status | grep -q "no worker has 64 cores" || fail "status does not say why: $(jg status)"
log "ok: status says no worker has 64 cores"
jg status --json | jq -e '.waiting[""][] | select(.reason == "no worker has 64 cores") | .joblets == 1' >/dev/null ||
	fail "status --json lacks the reason: $(jg status --json)"
log "ok: status --json counts it"
api GET /v1/stats | jq -e '.waiting == {}' >/dev/null || fail "plain stats should not compute reasons"
tb=$(jg add --name tb --ram 100000 -- true)
probe_passed --constraint node=small
probe_passed --constraint node=big
expect_eq "$(jg show "$tb" --json | jq -r .state)" ready "nor does one with 100000 MB"
expect_eq "$(jg show "$tb" --json | jq -r '.joblets[0].reason')" "no worker has 100000 MB RAM" "RAM too"
jg mod "$huge" --cores 2 >/dev/null
jg mod "$tb" --ram 100 >/dev/null
jg wait "$huge" "$tb" --timeout 20s >/dev/null || fail "after mod they should run"
expect_eq "$(node_of "$huge")" big "the modified job ran where 2 cores fit"

# ---- No head-of-line blocking: on big (4 cores) with 1 core busy, a 4-core job waits and
# the 1-core ones behind it run meanwhile. busy holds its core until the check is made. The
# wide one and the small ones come in one request: the first scan that finds the wide one
# blocked passes it with all three (the scheduler counts a blocked joblet as overtaken from
# that scan on, and after --starve-after holds the worker for it).
stop_worker small
busy=$(jg add --name busy --cores 1 -- "$(hold busy-go)")
wait_state "$busy" running
mapfile -t hol < <(printf '{"name": "%s", "cores": %d, "cmd": "true"}\n' wide 4 small 1 small 1 small 1 |
	jg add --jsonl)
expect_eq "${#hol[@]}" 4 "the wide job and three small ones added in one request"
wide=${hol[0]}
smalls=("${hol[@]:1}")
jg wait "${smalls[@]}" --timeout 20s >/dev/null || fail "the small ones did not run"
expect_eq "$(jg show "$wide" --json | jq -r .state)" ready "the wide one still waits for 4 free cores"
touch "$T/busy-go"
jg wait "$wide" "$busy" --timeout 20s >/dev/null || fail "the wide one did not run after"
wide_start=$(jg show "$wide" --json | jq -r "$JQ_MS .joblets[0].attempts[0].started_at | ms")
for s in "${smalls[@]}"; do
	st=$(jg show "$s" --json | jq -r "$JQ_MS .joblets[0].attempts[0].started_at | ms")
	((st < wide_start)) || fail "small $s started at $st, not before the wide one ($wide_start)"
done
log "ok: 3 one-core joblets passed the 4-core one that did not fit"

# ---- Not starved: a steady stream of 1-core jobs keeps at least one core busy all the
# time; with --starve-after 1s the worker is held for the 4-core job, which starts before
# the stream ends. s0 holds its core until the whole stream is queued, so the 4-core job
# cannot simply start on an idle worker.
first=$(jg add --name s0 --cores 1 -- "$(hold s0-go)")
wait_state "$first" running
mapfile -t jobs < <({
	echo '{"name": "starving", "cores": 4, "cmd": "true"}'
	for i in $(seq 1 24); do echo '{"name": "s", "cores": 1, "cmd": "sleep 0.5"}'; done
} | jg add --jsonl)
expect_eq "${#jobs[@]}" 25 "the 4-core job and 24 stream jobs added in one request"
big4=${jobs[0]}
stream=("${jobs[@]:1}")
touch "$T/s0-go"
jg wait "$big4" "${stream[@]}" --timeout 60s >/dev/null || fail "the stream or the big job did not finish"
big_start=$(jg show "$big4" --json | jq -r "$JQ_MS .joblets[0].attempts[0].started_at | ms")
last_start=$(attempt_lines "${stream[@]}" | awk '{print $1}' | sort -n | tail -1)
((big_start < last_start)) || fail "the 4-core job started at $big_start, after the whole stream ($last_start)"
after=$(attempt_lines "${stream[@]}" | awk -v b="$big_start" '$1 > b' | wc -l)
log "ok: the 4-core job started before the stream ended ($after of 24 small ones after it)"

# ---- --time: a joblet over its limit fails with reason time.
slow=$(jg add --name slow --time 1s -- "$(hold never)")
rc=0
jg wait "$slow" --timeout 20s >/dev/null || rc=$?
expect_eq "$rc" 1 "the timed-out job failed"
expect_eq "$(jg show "$slow" --json | jq -r '.joblets[0].attempts[0].fail_reason')" time "fail reason time"
