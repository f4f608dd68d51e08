#!/usr/bin/env bash
# --local-workers N splits the machine between its workers: their cores add up to the
# machine's (at least 1 each), their RAM to at most its RAM, so no more one-core joblets run
# at once than there are cores. --local-worker-cores/-ram/-gpus size them instead; a server
# restarted after a crash with other sizes replaces the earlier workers, each name once.
source "$(dirname "$0")/lib.sh"
C=$(getconf _NPROCESSORS_ONLN)
RAM=$(awk '/^MemTotal:/ {print int($2 / 1024)}' /proc/meminfo)
want=$((C >= 2 ? C : 2))	# 2 workers, at least 1 core each
start_server --local-workers 2 --lease 10s --heartbeat 500ms
wait_workers 2
ws=$(jg workers --json)
expect_eq "$(jq '[.workers[].cores] | add' <<<"$ws")" "$want" "the local workers' cores add up to the machine's $C"
expect_eq "$(jq "[.workers[].ram_mb] | all(. == ($RAM / 2 | floor))" <<<"$ws")" true "each has half the RAM"
grep -q "on $C cores: each gets 1 core" "$T/server.0.log" && ((C >= 2)) &&
	fail "no oversubscription warning expected on $C cores"

# More one-core joblets than cores: only as many run at once as there are cores.
ids=()
for ((i = 0; i < want + 2; i++)); do
	ids+=("$(jg add --name "hold$i" -- "while [ ! -e '$T/go' ]; do sleep 0.05; done")")
done
_running_is() { [[ $(jg status --json | jq .joblets.running) == "$1" ]]; }
wait_until 20 _running_is "$want"
expect_eq "$(jg status --json | jq .joblets.ready)" 2 "the two over the cores wait"
touch "$T/go"
jg wait "${ids[@]}" --timeout 60s >/dev/null || fail "the jobs did not finish"
expect_eq "$(attempt_lines "${ids[@]}" | peak_overlap)" "$want" "at most $want one-core joblets ran at once"

# Bad sizes are refused with the option and the rule.
rc=0
"$JOBGRID_BIN" server --data "$T/bad" --local-workers 2 --local-worker-cores x 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "a bad --local-worker-cores is a usage error"
grep -q -- "--local-worker-cores: must be 0..1048576, got 'x'" "$T/err" || fail "unclear: $(cat "$T/err")"
rc=0
"$JOBGRID_BIN" server --data "$T/bad" --local-worker-ram 100 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--local-worker-ram without --local-workers is a usage error"
grep -q -- "--local-workers N" "$T/err" || fail "unclear: $(cat "$T/err")"

# A crash, then a server with given sizes: the earlier workers do not fit them, so they
# are stopped and new ones started; each name is listed once, with the new sizes.
old=$(jg workers --json | jq -r '.workers[].pid')
for pid in $old; do WORKER_PID[local$pid]=$pid; done
kill_server KILL
restart_server --local-workers 2 --local-worker-cores 1 --local-worker-ram 300 --local-worker-gpus 1 \
	--lease 10s --heartbeat 500ms
_sizes_are() {
	jg workers --json | jq -e '(.workers | length) == 2 and
		([.workers[] | .cores == 1 and .ram_mb == 300 and .gpus == 1] | all)'
}
wait_until 30 _sizes_are
expect_eq "$(jg workers --json | jq -r '[.workers[].name] | unique | length')" 2 "each name once"
for pid in $old; do
	jg workers --json | jq -e --argjson p "$pid" '[.workers[] | select(.pid == $p)] | length == 0' >/dev/null ||
		fail "the earlier worker $pid should have been replaced"
	wait_until 20 proc_gone "$pid"
	unset "WORKER_PID[local$pid]"
done
grep -q "its cores, RAM or GPUs differ" "$T/server.1.log" || fail "the server should say why it replaced them"
log "ok: the earlier workers were replaced by ones of the new size"
