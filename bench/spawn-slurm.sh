# `make bench`, spawning through Slurm (sourced by bench.sh, which gives J, W, fresh and
# stop_server): on a private Slurm cluster (tests/helpers/slurm.sh), the seconds from adding
# 50 `true` jobs to a server with no worker and --spawn slurm until all are done, beside
# Slurm's own rate for 50 `sbatch --wrap=true` jobs on the same cluster in the same run.
# Writes spawn_slurm_s, spawn_slurm_per_s and slurm_sbatch_per_s into $W ("n/a" without
# Slurm).
source "$(dirname "${BASH_SOURCE[0]}")/../tests/helpers/slurm.sh"

_slurm_idle() { [[ -z $(squeue --noheader --format=%i 2>/dev/null) ]]; }
_slurm_wait_idle() {	# until squeue lists no job, 120 s at most
	local deadline=$((SECONDS + 120))
	until _slurm_idle; do
		((SECONDS < deadline)) || return 1
		sleep 0.05
	done
}

bench_spawn_slurm() {
	local n=50 i t0 t1 rc=0
	for f in spawn_slurm_s spawn_slurm_per_s slurm_sbatch_per_s; do echo "n/a" >"$W/$f"; done
	slurm_start "$W/slurm" >>"$W/slurm.log" 2>&1 || rc=$?
	if ((rc != 0)); then
		echo "bench: Slurm did not start (rc $rc): no spawning figures" >&2
		slurm_stop
		return 0
	fi
	# One job first: slurmctld's first scheduling pass comes about 3 s after its start.
	sbatch --parsable --output=/dev/null --wrap=true >/dev/null && _slurm_wait_idle
	t0=$(date +%s%N)
	for ((i = 0; i < n; i++)); do sbatch --parsable --output=/dev/null -c 1 --wrap=true >/dev/null; done
	_slurm_wait_idle
	t1=$(date +%s%N)
	echo "$n $t0 $t1" | awk '{printf "%.1f\n", $1 / (($3 - $2) / 1e9)}' >"$W/slurm_sbatch_per_s"

	fresh --spawn slurm --spawn-max "$(nproc)" --spawn-idle 2s
	t0=$(date +%s%N)
	local ids
	ids=$(seq "$n" | sed 's/.*/true/' | JOBGRID_URL=$URL "$J" add)
	JOBGRID_URL=$URL "$J" wait $ids --timeout 300s >/dev/null
	t1=$(date +%s%N)
	echo "$t0 $t1" | awk '{printf "%.2f\n", ($2 - $1) / 1e9}' >"$W/spawn_slurm_s"
	echo "$n $t0 $t1" | awk '{printf "%.1f\n", $1 / (($3 - $2) / 1e9)}' >"$W/spawn_slurm_per_s"
	_slurm_wait_idle || true	# the workers' idle exit, so slurmd stops with nothing running
	stop_server
	slurm_stop
}
