#!/usr/bin/env bash
# --spawn slurm on a private Slurm cluster (tests/helpers/slurm.sh: munged, slurmctld and
# slurmd on loopback, stopped by PID): with no worker at all, 200 jobs of mixed sizes run
# on workers the server submitted with sbatch; squeue, watched throughout, never lists more
# of them than --spawn-max, and none is left once they have been idle for --spawn-idle. A
# failing sbatch shows its error in the joblets' reason and backs off; draining the server
# scancels its pending Slurm jobs.
source "$(dirname "$0")/lib.sh"
source "$(dirname "$0")/../helpers/slurm.sh"
rc=0
slurm_start "$T/slurm" || rc=$?
((rc == 77)) && { log "Slurm is not installed: skipped"; exit 77; }
((rc == 0)) || fail "the private Slurm cluster did not start"
trap 'rc=$?; slurm_stop; (exit $rc); _cleanup' EXIT

ours() { squeue --noheader --format=%j 2>/dev/null | grep -c '^jobgrid-spawn-' || true; }

start_server --spawn slurm --spawn-max 3 --spawn-idle 3s --heartbeat 500ms --lease 3s
expect_eq "$(jg workers --json | jq '.workers | length')" 0 "no worker before the jobs"

# Watch squeue until told to stop: the most of our jobs it ever listed.
(
	most=0
	while [ ! -e "$T/watch-stop" ]; do
		n=$(ours)
		((n > most)) && most=$n && echo "$most" >"$T/most"
		sleep 0.1
	done
) &
WATCH=$!
track "$WATCH"

ids=$( {
	seq 1 100 | sed 's/.*/echo small &/' | jg add --group mixed --cores 1
	seq 1 60 | sed 's/.*/echo pair &/' | jg add --group mixed --cores 2
	seq 1 40 | sed 's/.*/echo mem &/' | jg add --group mixed --cores 1 --ram 200
})
expect_eq "$(wc -l <<<"$ids")" 200 "200 jobs added"
jg wait $ids --timeout 150s >/dev/null || { jg status; fail "the jobs did not all end"; }
expect_eq "$(jg status --json | jq '.groups.mixed.done')" 200 "every job is done"
log1=${LOGS[-1]}
grep 'registered: ' "$log1" | grep -v 'registered: jobgrid-spawn-' && fail "a worker that was not spawned registered"

# After --spawn-idle without work, the workers exit and their Slurm jobs end.
wait_until 40 bash -c "[[ \$(squeue --noheader --format=%j | grep -c '^jobgrid-spawn-') == 0 ]]"
touch "$T/watch-stop"
wait "$WATCH" || true
most=$(cat "$T/most" 2>/dev/null || echo 0)
((most >= 1)) || fail "squeue never listed a spawned worker"
((most <= 3)) || fail "squeue listed $most spawned workers at once, more than --spawn-max 3"
log "at most $most spawned workers in squeue at once; none left after the idle time"
submitted=$(grep -c 'spawned worker .* through Slurm: Slurm job' "$log1")
((submitted >= 1)) || fail "no sbatch submission was logged"
none_counted() { [[ $(jg status --json | jq '.spawn.pending + .spawn.running') == 0 ]]; }
wait_until 10 none_counted	# the server's next squeue sees them gone

# A failing sbatch (a partition that does not exist): the reason says so, and it backs off.
kill_server
start_server --spawn slurm --spawn-max 2 --spawn-opt "-p nosuchpartition"
id=$(jg add -- true)
reason_has() { jg show "$id" --json | jq -r '.joblets[0].reason' | grep -q -- "$1"; }
wait_until 20 reason_has "spawning a worker through Slurm: sbatch: error: .*nosuchpartition"
jg status | grep -q "spawning a worker through Slurm: sbatch: error" ||
	fail "status does not show the sbatch error: $(jg status)"
wait_until 20 reason_has "next try in 4 s"	# 1 s, 2 s, 4 s: the pause doubles
expect_eq "$(ours)" 0 "nothing was submitted"
jg cancel "$id" >/dev/null

# Draining scancels a spawned Slurm job that is still pending (held by --begin).
kill_server
start_server --spawn slurm --spawn-max 2 --spawn-opt "--begin=now+1hour"
id=$(jg add -- true)
wait_until 20 bash -c "squeue --noheader --format='%j %T' | grep -q '^jobgrid-spawn-.* PENDING'"
jg status | grep -q "spawned workers (slurm): 0 running, 1 pending (at most 2)" ||
	fail "status does not count the pending spawned worker: $(jg status)"
wait_until 10 reason_has "spawning a worker through Slurm: asked for (Slurm job [0-9]* PENDING), not registered yet"
jg drain >/dev/null
wait_until 20 proc_gone "$SERVER_PID"
wait_until 20 bash -c "[[ \$(squeue --noheader --format=%j | grep -c '^jobgrid-spawn-') == 0 ]]"
grep -q "cancelling 1 spawned Slurm job" "${LOGS[-1]}" || fail "the cancel was not logged"
log "drain cancelled the pending Slurm job"
