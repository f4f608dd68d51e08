#!/usr/bin/env bash
# --spawn local: with no worker, the server starts workers as its own children, sized from
# the joblets that wait (cores, RAM, constraints as tags), never more than --spawn-max at
# once, each exiting after --spawn-idle without work; the reason of a joblet held back by
# the maximum says so; a shutdown stops the spawned workers. Bad --spawn values are refused,
# naming the flag and the rule.
source "$(dirname "$0")/lib.sh"

refused() {	# EXPECTED-TEXT ARGS…: the server refuses ARGS, saying EXPECTED-TEXT
	local want=$1 rc=0 out
	shift
	out=$("$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/never" "$@" 2>&1) || rc=$?
	expect_eq "$rc" 2 "server $* is refused"
	grep -qF -- "$want" <<<"$out" || fail "server $*: expected '$want' in: $out"
	[[ ! -e $T/never/server.url ]] || fail "server $* started anyway"
}
refused "--spawn: slurm or local, got 'pbs'" --spawn pbs
refused "--spawn-max: must be 1..10000, got '0'" --spawn local --spawn-max 0
refused "--spawn-idle: a duration of at least 1s, got '10ms'" --spawn local --spawn-idle 10ms
refused "--spawn-idle: a duration of at least 1s, got 'soon'" --spawn local --spawn-idle soon
refused "--spawn-max sets how --spawn starts workers" --spawn-max 3
refused "--spawn-opt: a ' is not closed, got ''-p debug'" --spawn slurm --spawn-opt "'-p debug"
refused "--spawn-opt: an sbatch argument, got ' '" --spawn slurm --spawn-opt " "
refused "--spawn-opt: only --spawn slurm takes extra arguments" --spawn local --spawn-opt "-p x"
refused "--spawn-opt passes arguments to the spawner of --spawn slurm" --spawn-opt "-p x"

start_server --spawn local --spawn-max 2 --spawn-idle 2s --heartbeat 500ms --lease 3s
expect_eq "$(jg workers --json | jq '.workers | length')" 0 "no worker before the jobs"

# Two held one-core jobs: two one-core workers are spawned for them.
a=$(jg add --cores 1 -- "$(hold go)")
b=$(jg add --cores 1 -- "$(hold go)")
wait_state "$a" running
wait_state "$b" running
workers=$(jg workers --json)
expect_eq "$(jq '[.workers[] | select(.name | startswith("jobgrid-spawn-"))] | length' <<<"$workers")" 2 "two spawned workers"
expect_eq "$(jq '[.workers[].cores] | max' <<<"$workers")" 1 "each has the one core its joblet asks"
pid=$(jq -r '.workers[0].pid' <<<"$workers")
tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q -- "--idle-exit 2 " || fail "a spawned worker runs without --idle-exit 2: $(tr '\0' ' ' <"/proc/$pid/cmdline")"
[[ $(ps -o pgid= -p "$pid" | tr -d ' ') == "$pid" ]] || fail "a spawned worker is not in a process group of its own"

# A third joblet that no worker has room for waits: the maximum is reached, and it says so.
c=$(jg add --cores 2 --ram 300 --constraint site=lab -- "echo sized")
reason_has() { jg show "$1" --json | jq -r '.joblets[0].reason' | grep -q -- "$2"; }
wait_until 10 reason_has "$c" "spawning a worker as a local process: 2 running, the most --spawn-max allows"
jg status | grep -q "spawned workers (local): 2 running, 0 pending (at most 2)" ||
	fail "status does not count the spawned workers: $(jg status)"
expect_eq "$(jg workers --json | jq '.workers | length')" 2 "no third worker beyond --spawn-max"
metrics=$(curl -sS "$JOBGRID_URL/metrics")
grep -qx 'jobgrid_spawned_workers{state="running"} 2' <<<"$metrics" || fail "/metrics: no 2 running spawned workers"
grep -qx 'jobgrid_joblets{state="ready"} 1' <<<"$metrics" || fail "/metrics: no ready joblet (the gauge autoscalers read)"

# Released, the held jobs end; an idle worker exits, and one sized for the third joblet
# (2 cores, 300 MB, tagged site=lab) takes it.
touch "$T/go"
jg wait "$a" "$b" "$c" --timeout 30s >/dev/null || fail "the jobs did not end"
expect_eq "$(jg show "$c" --json | jq -r .state)" done "the sized joblet ran"
grep -q "registered: jobgrid-spawn-[0-9a-f]*-3, 2 cores, 300 MB" "${LOGS[-1]}" ||
	fail "no worker of 2 cores and 300 MB was spawned: $(grep registered "${LOGS[-1]}")"

# After --spawn-idle without work, every spawned worker has exited.
no_workers() { [[ $(jg workers --json | jq '.workers | length') == 0 ]]; }
wait_until 20 no_workers
none_counted() { [[ $(jg status --json | jq '.spawn.pending + .spawn.running') == 0 ]]; }
wait_until 10 none_counted

# A shutdown stops a spawned worker that runs a joblet.
d=$(jg add -- "$(hold go2)")
wait_state "$d" running
pid=$(jg workers --json | jq -r '.workers[0].pid')
kill_server
wait_until 15 proc_gone "$pid"
log "the shutdown stopped the spawned worker"
touch "$T/go2"	# its joblet runs again on the next server's worker, and ends

# With --auth, a spawned worker reads a worker token from a 0600 file the server made,
# never from its command line.
start_server --auth --spawn local --spawn-max 1 --spawn-idle 2s
export JOBGRID_TOKEN
JOBGRID_TOKEN=$(cat "$T/data/admin.token")
e=$(jg add -- "$(hold go3)")
wait_state "$e" running
expect_eq "$(stat -c %a "$T/data/local-workers.token")" 600 "the spawned workers' token file is 0600"
ps -eo args | grep -F "$T/data" | grep -qF "$(cat "$T/data/local-workers.token")" &&
	fail "a token is on a command line"
ps -eo args | grep -F -- "--token-file $T/data/local-workers.token" | grep -q jobgrid-spawn- ||
	fail "the spawned worker was not given the token file"
touch "$T/go3"
wait_state "$e" done
