#!/usr/bin/env bash
# RAM limits by memory cgroup v1 (issue 10 item 22), for real: hosts that mount the memory
# controller on its own hierarchy (/sys/fs/cgroup/memory) with the process's group on the
# "N:memory:/path" line of /proc/self/cgroup. A worker started as root there makes its own
# group D/jobgrid.PID and runs each attempt in D/jobgrid.PID/jl-ATTEMPT with the exact limit;
# the kernel's OOM kill is fail reason ram with the peak from memory.max_usage_in_bytes; the
# whole joblet ends even when the kernel killed only part of it; a process that left the
# process group ends with its joblet; every group is removed afterwards.
# (The v2 path is at the end of test-exec.) Skipped, loudly, only where neither may be used.
source "$(dirname "$0")/lib.sh"

cg1=$(cg1_memory_dir)
self2=$(sed -n 's/^0:://p' /proc/self/cgroup)
if [[ $(id -u) != 0 || -z $cg1 || ! -w $cg1 ]]; then
	if [[ -n $self2 ]] && grep -qw memory /sys/fs/cgroup/cgroup.controllers 2>/dev/null; then
		log "SKIPPED: no writable cgroup v1 memory controller here; cgroup v2 has memory (test-exec's cgroup v2 path runs it)"
	else
		log "SKIPPED: neither cgroup version may be used here (uid $(id -u), v1 memory dir '${cg1}')"
	fi
	exit 77
fi
start_server
start_worker cg1 --cores 2 --grace 1s
wait_workers 1
wpid=${WORKER_PID[cg1]}
base=$cg1/jobgrid.$wpid
expect_eq "$(jg workers --json | jq -r '.workers[0] | "\(.ram_method) \(.ram_method_note)"')" \
	"cgroup cgroup v1: $base/jl-*" "the worker uses cgroup v1 and says where"
[[ -d $base ]] || fail "the worker's own group $base was not made"
grep -qx "$wpid" "$cg1/cgroup.procs" || fail "the worker itself stays in its group $cg1"

# ---- A joblet in its own group with the exact limit; its peak; the group goes after it.
id=$(jg add --ram 100 -- "echo \$\$ > $T/pid; head -c 30000000 /dev/zero | tail -c 1 >/dev/null; while [ ! -e $T/go ]; do sleep 0.05; done")
wait_until 20 test -s "$T/pid"
att=$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].id')
jl=$base/jl-$att
[[ -d $jl ]] || fail "attempt $att has no group $jl"
grep -qx "$(cat "$T/pid")" "$jl/cgroup.procs" || fail "the joblet's shell is not in $jl: $(cat "$jl/cgroup.procs")"
expect_eq "$(cat "$jl/memory.limit_in_bytes")" $((100 << 20)) "memory.limit_in_bytes is exactly --ram 100"
if [[ -e $jl/memory.memsw.limit_in_bytes ]]; then
	expect_eq "$(cat "$jl/memory.memsw.limit_in_bytes")" $((100 << 20)) "no swapping past it (memsw)"
fi
touch "$T/go"
jg wait "$id" --timeout 30s >/dev/null || fail "the joblet in its group failed: $(jg show "$id" --json | jq -c .joblets)"
peak=$(jg show "$id" --json | jq '.joblets[0].attempts[0].peak_ram_mb')
((peak >= 1 && peak <= 100)) || fail "peak_ram_mb $peak should come from the group (1..100)"
log "ok: peak ${peak} MB from the group"
_gone() { [[ ! -e $1 ]]; }
wait_until 10 _gone "$jl"
log "ok: the attempt's group is removed"

# ---- Over the limit: the kernel OOM-kills it (64 MB against dd's 100 MB buffer, filled
# from /dev/zero), fail reason ram, the peak from memory.max_usage_in_bytes; then it runs
# again with more RAM (no retry spent).
id=$(jg add --ram 64 --retries 0 --name oom -- dd if=/dev/zero of=/dev/null bs=100M count=1)
jg wait "$id" --timeout 60s >/dev/null || fail "the OOM job did not end done after growing: $(jg show "$id" --json | jq -c .joblets)"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0] | "\(.state) \(.fail_reason) \(.ram_mb)"' <<<"$show")" "failed ram 64" \
	"attempt 1 was OOM-killed and read as ram"
msg=$(jq -r '.joblets[0].attempts[0].message' <<<"$show")
[[ $msg == "killed by the kernel: over the cgroup limit of 64 MB (peak "*" MB)" ]] || fail "the message says the kernel killed it: $msg"
p1=$(jq '.joblets[0].attempts[0].peak_ram_mb' <<<"$show")
((p1 >= 50 && p1 <= 64)) || fail "the peak $p1 MB should be near the limit the kernel held (64 MB)"
expect_eq "$(jq -r '.joblets[0].attempts[1] | "\(.state) \(.ram_mb)"' <<<"$show")" "done 1064" "attempt 2 ran with more RAM"
log "ok: OOM kill at a peak of ${p1} MB read as ram"

# ---- The kernel killed only the child that grew; the worker ends the rest of the joblet
# (v1 has no memory.oom.group), which would otherwise wait on the file forever.
id=$(jg add --ram 64 --retries 0 --name part -- "dd if=/dev/zero of=/dev/null bs=100M count=1; echo survived; while [ ! -e $T/part-go ]; do sleep 0.05; done")
_first_failed() { [[ $(jg show "$1" --json | jq -r '.joblets[0].attempts[0].state') == failed ]]; }
wait_until 30 _first_failed "$id"
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].fail_reason')" ram "part of the joblet OOM-killed: the joblet fails with ram"
touch "$T/part-go"
jg wait "$id" --timeout 60s >/dev/null || fail "the grown re-run failed"

# ---- A process that left the process group still ends with its joblet: the worker kills
# every process of the group (v1 has no cgroup.kill).
id=$(jg add -- "setsid sleep 300 >/dev/null 2>&1 </dev/null & echo \$! > $T/escaped; head -c 10000000 /dev/zero | tail -c 1 >/dev/null")
jg wait "$id" --timeout 30s >/dev/null || fail "the escaping joblet failed"
esc=$(cat "$T/escaped")
_dead() { ! kill -0 "$1" 2>/dev/null; }
wait_until 10 _dead "$esc"
log "ok: a process that left the group died with its joblet"

# ---- Every group goes: the attempts' while the worker runs, its own when it stops.
_no_jl() { ! compgen -G "$base/jl-*" >/dev/null; }
wait_until 10 _no_jl
log "ok: no attempt group is left"
stop_worker cg1
[[ ! -e $base ]] || fail "the worker's group $base is left after it stopped"
log "ok: the worker's own group is removed when it stops"
