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
# scheduler re-queues it with more RAM: test-learned follows that to the end). The cgroup
# paths are test-cgroup's (v1) and the end of this file (v2).
# RSS sampling is what a worker does where no memory cgroup may be used: this one is told to
# (started only now, so that the jobs above all ran on node1).
# The echo after the hold keeps bash (and its 80 MB string) alive: a last command would be
# exec'd. It holds until killed, however slow the sampling.
start_worker sampler --cores 1 --grace 1s --ram-method sampling
id=$(jg add --ram 30 --name hog --constraint node=sampler -- 's=$(head -c 80000000 /dev/zero | tr "\0" a); '"$(hold never)"'; echo ${#s}')
_first_attempt_ended() { [[ $(jg show "$1" --json | jq -r '.joblets[0].attempts[0].state') == failed ]]; }
wait_until 20 _first_attempt_ended "$id"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" ram "fail reason ram"
peak=$(jq '.joblets[0].attempts[0].peak_ram_mb' <<<"$show")
((peak > 30)) || fail "peak_ram_mb $peak should exceed the 30 MB limit"
log "ok: killed at a peak of ${peak} MB"
jg cancel "$id" >/dev/null

# How RAM is limited and measured is said per worker (SPEC: memory cgroups where the worker
# may use them, else process-tree RSS sampling). Where cgroup v2 has no memory controller (a
# host whose memory controller is on cgroup v1, as the one this was written on) the worker
# uses v1's when it may write there (root), else it samples and says why, and insisting on
# cgroups is refused at start.
cg2_mount() {	# the mount point of cgroup v2 showing the whole tree, or nothing
	awk '{ split($0, half, " - "); split(half[2], fs, " ") }
	     fs[1] == "cgroup2" && $4 == "/" { print $5; exit }' /proc/self/mountinfo
}
cg2=$(cg2_mount)
self_cg=$(sed -n 's/^0:://p' /proc/self/cgroup)
cgdir=""
[[ -n $cg2 && -n $self_cg ]] && cgdir=$cg2${self_cg%/}
w=$(jg workers --json | jq -c '.workers[] | select(.name == "node1") | {ram_method, ram_method_note}')
method=$(jq -r .ram_method <<<"$w")
note=$(jq -r .ram_method_note <<<"$w")
[[ ($method == sampling || $method == cgroup) && -n $note ]] || fail "workers should say how RAM is measured: $w"
cg1=$(cg1_memory_dir)
if [[ -n $cgdir ]] && ! grep -qw memory "$cgdir/cgroup.controllers" 2>/dev/null; then
	if [[ $(id -u) == 0 && -n $cg1 && -w $cg1 ]]; then
		expect_eq "$method" cgroup "no memory controller in cgroup v2, v1's writable: RAM by cgroup"
		expect_eq "$note" "cgroup v1: $cg1/jobgrid.${WORKER_PID[node1]}/jl-*" "the note names v1 and where"
	else
		expect_eq "$method" sampling "no memory controller in cgroup v2 nor a writable v1: RAM by sampling"
		[[ $note == "no memory controller in cgroup v2 at $cgdir; "* ]] || fail "the note says why: $note"
	fi
fi
expect_eq "$(jg workers --json | jq -r '.workers[] | select(.name == "sampler") | "\(.ram_method) \(.ram_method_note)"')" \
	"sampling chosen with --ram-method sampling" "a worker told to sample says so"
stop_worker sampler
log "ok: RAM by $method ($note)"
expect_eq "$(jg workers | awk '$1 == "node1" { print $6 }')" "$method" "the workers table shows RAM-BY"
jg workers | head -1 | grep -q "RAM-BY" || fail "the workers table lacks the RAM-BY column"
if [[ $method == sampling ]]; then
	rc=0
	err=$(jg worker --server "$JOBGRID_URL" --name strict --ram-method cgroup 2>&1) || rc=$?
	expect_eq "$rc" 2 "--ram-method cgroup where cgroups are unusable is refused"
	grep -qF -- "--ram-method cgroup: $note" <<<"$err" || fail "the refusal should say why ($note): $err"
fi
rc=0
err=$(jg worker --server "$JOBGRID_URL" --name strict --ram-method rss 2>&1) || rc=$?
expect_eq "$rc" 2 "an unknown --ram-method is a usage error"
grep -q "must be auto, cgroup or sampling" <<<"$err" || fail "the usage error should list the methods: $err"

# The server keeps what a worker says and refuses what no worker would say, naming the field.
reg_reject() {	# FIELD BODY (api runs here, not in a subshell, for $API_STATUS)
	api POST /v1/workers "$2" >"$T/reg.json"
	expect_eq "$API_STATUS $(jq -r .error.field "$T/reg.json")" "422 $1" "register refuses ${2:0:80}"
}
reg_reject ram_method '{"name":"probe","cores":0,"ram_method":"guess"}'
reg_reject ram_method '{"name":"probe","cores":0,"ram_method":1}'
reg_reject ram_method_note '{"name":"probe","cores":0,"ram_method_note":["x"]}'
reg_reject ram_method_note "{\"name\":\"probe\",\"cores\":0,\"ram_method_note\":\"$(printf 'x%.0s' {1..1025})\"}"
api POST /v1/workers '{"name":"probe","cores":0,"ram_method":"cgroup","ram_method_note":"/sys/fs/cgroup/x/jl-*"}' >/dev/null
expect_eq "$API_STATUS" 201 "register with a RAM method"
api POST /v1/workers '{"name":"probe2","cores":0}' >/dev/null
expect_eq "$(jg workers --json | jq -c '[.workers[] | select(.name | startswith("probe")) | [.name, .ram_method, .ram_method_note]] | sort')" \
	'[["probe","cgroup","/sys/fs/cgroup/x/jl-*"],["probe2","sampling",""]]' "the method as registered, sampling by default"

# The cgroup path itself, where this test may give a worker a cgroup of its own with the
# memory controller (root, cgroup v2 with memory enabled below its root); skipped elsewhere.
C=""
if [[ $(id -u) == 0 && -n $cg2 ]] && grep -qw memory "$cg2/cgroup.subtree_control" 2>/dev/null &&
	mkdir "$cg2/jobgrid-e2e-$$" 2>/dev/null; then
	C=$cg2/jobgrid-e2e-$$
fi
if [[ -z $C ]]; then
	log "skipped: the cgroup v2 path (needs root and cgroup v2 with the memory controller; here: ${note})"
else
	log "cgroup v2 path in $C"
	printf '#!/bin/sh\necho $$ > "%s/cgroup.procs" || exit 1\nexec "%s" "$@"\n' "$C" "$JOBGRID_BIN" >"$T/in-cgroup.sh"
	chmod +x "$T/in-cgroup.sh"
	JOBGRID_BIN=$T/in-cgroup.sh start_worker cgnode --cores 2 --grace 1s --ram-method cgroup
	_cgnode_up() { [[ $(jg workers --json | jq -r '.workers[] | select(.name == "cgnode") | .ram_method') == cgroup ]]; }
	wait_until 20 _cgnode_up
	expect_eq "$(jg workers --json | jq -r '.workers[] | select(.name == "cgnode") | .ram_method_note')" "cgroup v2: $C/jl-*" "the note names where the joblet cgroups are"
	expect_eq "$(cat "$C/worker/cgroup.procs")" "${WORKER_PID[cgnode]}" "the worker sits in its leaf"
	grep -qw memory "$C/cgroup.subtree_control" || fail "memory is not enabled for the joblets"

	# Over the limit: the kernel kills it, fail reason ram, the peak from the cgroup.
	id=$(jg add --ram 30 --constraint node=cgnode --name cghog -- 's=$(head -c 80000000 /dev/zero | tr "\0" a); '"$(hold never)"'; echo ${#s}')
	wait_until 30 _first_attempt_ended "$id"
	show=$(jg show "$id" --json)
	expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" ram "cgroup: fail reason ram"
	msg=$(jq -r '.joblets[0].attempts[0].message // ""' <<<"$show")
	grep -q "killed by the kernel: over the cgroup limit of 30 MB" <<<"$msg" || fail "the message should say the kernel killed it: $show"
	peak=$(jq '.joblets[0].attempts[0].peak_ram_mb' <<<"$show")
	((peak >= 25)) || fail "peak_ram_mb $peak should be near the 30 MB limit"
	log "ok: killed by the kernel at a peak of ${peak} MB"
	jg cancel "$id" >/dev/null

	# What leaves the process group still ends with the joblet (cgroup.kill), and the
	# joblet's cgroup goes.
	id=$(jg add --constraint node=cgnode -- "setsid sleep 300 >/dev/null 2>&1 </dev/null & echo \$! > $T/escaped; head -c 20000000 /dev/zero | tail -c 1 >/dev/null")
	jg wait "$id" --timeout 30s >/dev/null || fail "the escaping joblet failed"
	esc=$(cat "$T/escaped")
	for ((i = 0; i < 50; i++)); do kill -0 "$esc" 2>/dev/null || break; sleep 0.1; done
	kill -0 "$esc" 2>/dev/null && fail "the process $esc that left the process group survived its joblet"
	log "ok: a process that left the group died with its joblet"
	_no_jl() { ! compgen -G "$C/jl-*" >/dev/null; }
	wait_until 10 _no_jl
	log "ok: the joblet cgroups are removed"

	stop_worker cgnode
	rmdir "$C/worker" "$C" || fail "cannot remove the test cgroup $C"
fi
