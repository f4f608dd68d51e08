# A private Slurm cluster for tests: munged + slurmctld + slurmd on loopback, everything
# under one directory, started in the background of the calling script and stopped by PID
# (see ../shared/recipes/slurm.md for the measured steps and pitfalls). Source it, then:
#
#   slurm_start DIR   start it; exports SLURM_CONF (every Slurm command reads it), sets
#                     SLURM_NODE and SLURM_PIDS. Returns 77 when Slurm is not installed.
#   slurm_stop        TERM slurmd, slurmctld, munged by PID and wait for them.
#
# The node is this machine under its own short host name with NodeAddr=127.0.0.1, so
# nothing in /etc/hosts is needed or changed. Its CPUs are the machine's (a node that
# claims more is drained by slurmctld). Ports come from 15000–31999, below the ephemeral
# range (a slurmd on an ephemeral port once failed to register), and are checked free.

SLURM_PIDS=()
SLURM_MUNGE=""

_slurm_free_port() {	# a TCP port in 15000..31999 nobody listens on
	local p i
	for ((i = 0; i < 50; i++)); do
		p=$((15000 + RANDOM % 17000))
		if ! ss -Htln "sport = :$p" 2>/dev/null | grep -q .; then
			echo "$p"
			return 0
		fi
	done
	return 1
}

slurm_start() {
	local dir=$1 i cport dport
	for cmd in munged mungekey slurmctld slurmd sbatch squeue scancel scontrol sinfo; do
		command -v "$cmd" >/dev/null 2>&1 || PATH=$PATH:/usr/sbin command -v "$cmd" >/dev/null 2>&1 ||
			{ echo "slurm: $cmd is not installed (make deps installs it)"; return 77; }
	done
	export PATH=$PATH:/usr/sbin
	mkdir -p "$dir/state" "$dir/spool"
	# munged wants every directory above its socket searchable by all, which a test's
	# private directory is not: the socket goes in a directory of its own under /tmp.
	SLURM_MUNGE=$(mktemp -d /tmp/jg-munge.XXXXXX)
	chmod 755 "$SLURM_MUNGE"
	mungekey --create --keyfile="$SLURM_MUNGE/munge.key" >/dev/null 2>&1
	chmod 600 "$SLURM_MUNGE/munge.key"
	(exec munged -F --socket="$SLURM_MUNGE/munge.sock" --key-file="$SLURM_MUNGE/munge.key" \
		--pid-file="$SLURM_MUNGE/munged.pid" --seed-file="$SLURM_MUNGE/seed" \
		--log-file="$dir/munged.log") >"$dir/munged.out" 2>&1 &
	SLURM_PIDS+=($!)
	for ((i = 0; ; i++)); do
		munge -n --socket="$SLURM_MUNGE/munge.sock" >/dev/null 2>&1 && break
		if ((i > 100)) || ! kill -0 "${SLURM_PIDS[0]}" 2>/dev/null; then
			echo "slurm: munged did not start"; tail -3 "$dir/munged.out"
			return 1
		fi
		sleep 0.05
	done
	cport=$(_slurm_free_port) && dport=$(_slurm_free_port) || { echo "slurm: no free port"; return 1; }
	[[ $cport != "$dport" ]] || dport=$((cport + 1))
	SLURM_NODE=$(hostname -s)
	cat >"$dir/slurm.conf" <<CONF
ClusterName=jgtest
SlurmctldHost=$SLURM_NODE(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort=$cport
SlurmdPort=$dport
CommunicationParameters=NoCtldInAddrAny,NoInAddrAny
AuthType=auth/munge
CredType=cred/munge
AuthInfo=socket=$SLURM_MUNGE/munge.sock
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/slurmctld.log
SlurmdLogFile=$dir/slurmd.log
MailProg=/bin/true
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
JobCompType=jobcomp/none
MpiDefault=none
SwitchType=switch/none
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
SchedulerParameters=batch_sched_delay=0
Epilog=/bin/true
ReturnToService=2
MaxJobCount=100000
MinJobAge=600
NodeName=$SLURM_NODE NodeAddr=127.0.0.1 CPUs=$(nproc) RealMemory=4000 State=UNKNOWN
PartitionName=debug Nodes=$SLURM_NODE Default=YES MaxTime=INFINITE State=UP
CONF
	export SLURM_CONF=$dir/slurm.conf
	(cd "$dir" && exec slurmctld -D) >"$dir/slurmctld.out" 2>&1 &
	SLURM_PIDS+=($!)
	(cd "$dir" && exec slurmd -D -N "$SLURM_NODE") >"$dir/slurmd.out" 2>&1 &
	SLURM_PIDS+=($!)
	local deadline=$((SECONDS + 20))
	while ((SECONDS < deadline)); do
		[[ $(timeout 5 sinfo -h -n "$SLURM_NODE" -o %T 2>/dev/null) == idle ]] && return 0
		sleep 0.05
	done
	echo "slurm: the node did not become idle"; tail -5 "$dir/slurmctld.log" "$dir/slurmd.log"
	return 1
}

slurm_stop() {
	local i pid
	# slurmd first, then slurmctld, then munged: the reverse of their start.
	for ((i = ${#SLURM_PIDS[@]} - 1; i >= 0; i--)); do
		pid=${SLURM_PIDS[$i]}
		kill -TERM "$pid" 2>/dev/null || continue
		wait "$pid" 2>/dev/null || true
	done
	SLURM_PIDS=()
	[[ -n ${SLURM_MUNGE:-} ]] && rm -rf "$SLURM_MUNGE"
	SLURM_MUNGE=""
}
