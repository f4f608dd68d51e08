#!/usr/bin/env bash
# Joblets that run as their owner (issue 12): a worker started as root with --run-as-owner
# runs each joblet as the local account named like its job's owner. Two accounts made here
# (useradd, names unique to the run, removed at the end whatever happens) each run `id -un`
# and write files; the files belong to them, the environment names them, the attempt says
# whom it ran as, and the joblet's cgroup is theirs (limits excepted). An owner with no
# account, and root, fail with reason permission; a working directory the owner may not
# enter fails with cwd, and a job that names none runs in the owner's home; a worker that is
# not root is refused at start.
# The server runs without authentication on loopback: the owner is set with X-Jobgrid-User.
source "$(dirname "$0")/lib.sh"

if [[ $(id -u) != 0 ]] || ! command -v useradd >/dev/null || ! command -v setpriv >/dev/null; then
	log "SKIPPED: needs root, useradd and setpriv (uid $(id -u))"
	exit 77
fi

# Account names unique to this run (the test's pid), checked to be free.
A=jgra$$a
B=jgra$$b
NOBODY=jgra$$none
for u in "$A" "$B" "$NOBODY"; do
	getent passwd "$u" >/dev/null && fail "an account $u exists already"
done
MADE=()
remove_accounts() {
	local u pid
	# Their processes first (userdel refuses an account still in use): the workers, then
	# whatever a failed check left running as these accounts (made by this run alone).
	for pid in "${WORKER_PID[@]}"; do _stop_pid "$pid"; done
	for u in "${MADE[@]}"; do
		for pid in $(pgrep -U "$u" || true); do kill -KILL "$pid" 2>/dev/null || true; done
		wait_until 10 bash -c "! pgrep -U $u >/dev/null"
		userdel "$u" >/dev/null 2>&1 || log "could not remove account $u"
	done
}
trap 'rc=$?; remove_accounts; (exit $rc); _cleanup' EXIT

open_to_other_accounts	# the accounts reach their homes below it, and the binary
chmod 755 "$T"
for u in "$A" "$B"; do
	useradd -M -d "$T/home-$u" -s /bin/sh -U "$u"
	MADE+=("$u")
	mkdir -m 700 "$T/home-$u"
	chown "$u:$u" "$T/home-$u"
done

start_server
start_worker owners --cores 4 --run-as-owner
wait_workers 1
grep -q 'joblets run as their owners' "${LOGS[-1]}" || fail "the worker does not say joblets run as their owners"

# POST /v1/jobs as OWNER (X-Jobgrid-User) with the JSON body; prints the job id.
add_as() {
	local owner=$1 body=$2 out
	out=$(curl -sS -X POST -H 'Content-Type: application/json' -H "X-Jobgrid-User: $owner" \
		--data-binary "$body" "$JOBGRID_URL/v1/jobs")
	jq -er '.ids[0]' <<<"$out" || fail "adding a job as $owner: $out"
}

# ---- Each account runs `id -un`, writes files, and holds until its cgroup was looked at.
declare -A JOB=()
for u in "$A" "$B"; do
	h=$T/home-$u
	cmd="id -un > $h/id.txt; echo written > $h/file.txt; echo \"\$HOME \$USER \$LOGNAME \$SHELL\" > $h/env.txt; pwd > $h/pwd.txt; touch $h/started; $(hold "go-$u")"
	JOB[$u]=$(add_as "$u" "$(jq -nc --arg cmd "$cmd" --arg cwd "$h" '{cmd: $cmd, cwd: $cwd}')")
done
note=$(jg workers --json | jq -r '.workers[0] | "\(.ram_method) \(.ram_method_note)"')
for u in "$A" "$B"; do
	h=$T/home-$u
	wait_until 20 test -e "$h/started"
	if [[ $note == "cgroup cgroup v"* ]]; then
		# The joblet's group (the worker says where they are: "cgroup vN: DIR/jl-*").
		base=${note#cgroup cgroup v? : }
		base=${base#*: }
		att=$(jg show "${JOB[$u]}" --json | jq -r '.joblets[0].attempts[0].id')
		jl=${base%/jl-\*}/jl-$att
		[[ -d $jl ]] || fail "attempt $att has no cgroup $jl"
		expect_eq "$(stat -c %U "$jl")" "$u" "the cgroup of $u's joblet is $u's"
		expect_eq "$(stat -c %U "$jl/cgroup.procs")" "$u" "its cgroup.procs is $u's (delegated)"
		for f in memory.max memory.limit_in_bytes; do
			[[ -e $jl/$f ]] && expect_eq "$(stat -c %U "$jl/$f")" root "its limit ($f) stays root's"
		done
	else
		log "no cgroup here ($note): the cgroup's owner is not checked"
	fi
	touch "$T/go-$u"
done
for u in "$A" "$B"; do
	h=$T/home-$u
	jg wait "${JOB[$u]}" --timeout 30s >/dev/null || fail "$u's job failed: $(jg show "${JOB[$u]}" --json | jq -c .joblets)"
	expect_eq "$(cat "$h/id.txt")" "$u" "id -un in $u's joblet"
	expect_eq "$(stat -c %U:%G "$h/id.txt") $(stat -c %U "$h/file.txt")" "$u:$u $u" "the files $u's joblet wrote are $u's"
	expect_eq "$(cat "$h/env.txt")" "$h $u $u /bin/sh" "HOME, USER, LOGNAME and SHELL come from $u's account"
	expect_eq "$(cat "$h/pwd.txt")" "$h" "the joblet of $u runs in the job's working directory"
	expect_eq "$(jg show "${JOB[$u]}" --json | jq -r '.joblets[0].attempts[0].run_as')" "$u" "the attempt says it ran as $u"
	jg show "${JOB[$u]}" | grep -q "on owners as $u " || fail "show does not say the attempt ran as $u: $(jg show "${JOB[$u]}")"
	log "ok: show says the attempt ran as $u"
done

# ---- A job that names no working directory runs in its owner's home (the server says the
# directory is its default; it stays /tmp for a worker that runs joblets as itself).
id=$(add_as "$A" '{"cmd": "pwd > where.txt"}')
jg wait "$id" --timeout 30s >/dev/null || fail "the job without a cwd failed: $(jg show "$id" --json | jq -c .joblets)"
expect_eq "$(cat "$T/home-$A/where.txt")" "$T/home-$A" "a job without a working directory runs in the owner's home"
expect_eq "$(jg show "$id" --json | jq -r .cwd)" /tmp "the job itself keeps the default working directory"

# ---- A script run's joblet_started (`jobgrid script` on the worker) and the commands it
# runs are the owner's too.
out=$(jg deploy "$(cd "$(dirname "$0")/../.." && pwd)/examples/chunks")
[[ $out == "deployed chunks version 1 from "* ]] || fail "deploy said: $out"
body=$(jq -nc --arg c "id -un >> $T/home-$A/chunks.txt; echo" '{args: {items: 2, chunk: 2, command: $c}}')
out=$(curl -sS -X POST -H 'Content-Type: application/json' -H "X-Jobgrid-User: $A" \
	--data-binary "$body" "$JOBGRID_URL/v1/definitions/chunks/runs")
id=$(jq -er .id <<<"$out") || fail "running chunks as $A: $out"
jg wait "$id" --timeout 60s >/dev/null || fail "the chunks run of $A failed: $(jg show "$id" --json | jq -c .joblets)"
expect_eq "$(sort -u "$T/home-$A/chunks.txt") $(stat -c %U "$T/home-$A/chunks.txt")" "$A $A" \
	"joblet_started's commands ran as $A"
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].run_as')" "$A" "the script joblet says it ran as $A"

# ---- A working directory the owner may not enter (B's home, 0700) fails with cwd.
id=$(add_as "$A" "$(jq -nc --arg cwd "$T/home-$B" '{cmd: "true", cwd: $cwd}')")
wait_state "$id" failed
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0] | "\(.fail_reason) \(.run_as)"')" "cwd $A" \
	"$A may not enter $B's home: reason cwd"

# ---- An owner with no account here, and root, fail with permission and say why.
id=$(add_as "$NOBODY" '{"cmd": "true"}')
wait_state "$id" failed
att=$(jg show "$id" --json | jq -c '.joblets[0].attempts[0] | {fail_reason, run_as, message}')
expect_eq "$(jq -r .fail_reason <<<"$att") $(jq -r .run_as <<<"$att")" "permission null" \
	"an owner with no account fails with permission, never run"
[[ $(jq -r .message <<<"$att") == *"no local account named '$NOBODY'"* ]] || fail "the message does not say there is no account: $att"
id=$(add_as root "{\"cmd\": \"touch $T/root-ran\"}")
wait_state "$id" failed
att=$(jg show "$id" --json | jq -c '.joblets[0].attempts[0] | {fail_reason, message}')
expect_eq "$(jq -r .fail_reason <<<"$att")" permission "an owner root fails with permission"
[[ $(jq -r .message <<<"$att") == *"uid 0"* ]] || fail "the message does not say root is refused: $att"
[[ ! -e $T/root-ran ]] || fail "a joblet ran as root"
log "ok: root is refused and nothing ran"

# ---- A worker killed outright takes its joblets with it also when they run as their owner
# (a change of credentials clears the parent-death signal: the child sets it again).
id=$(add_as "$A" "$(jq -nc --arg cmd "echo \$\$ > $T/home-$A/leader; $(hold never)" '{cmd: $cmd}')")
wait_until 20 test -s "$T/home-$A/leader"
leader=$(cat "$T/home-$A/leader")
expect_eq "$(stat -c %U "/proc/$leader")" "$A" "the joblet's leader runs as $A"
stop_worker owners KILL
wait_until 10 proc_gone "$leader"
log "ok: the joblet run as $A ended with its worker"

# ---- A worker that is not root is refused at start (exit 2) and says why.
rc=0
setpriv --reuid "$A" --regid "$A" --init-groups "$JOBGRID_BIN" worker --server "$JOBGRID_URL" \
	--name notroot --run-as-owner >"$T/notroot.log" 2>&1 || rc=$?
LOGS+=("$T/notroot.log")
expect_eq "$rc" 2 "a worker not root with --run-as-owner exits 2"
grep -q -- "--run-as-owner: the worker must run as root" "$T/notroot.log" || fail "no clear message: $(cat "$T/notroot.log")"
expect_eq "$(jg workers --json | jq '[.workers[] | select(.name == "notroot")] | length')" 0 "it never registered"
log "PASS"
