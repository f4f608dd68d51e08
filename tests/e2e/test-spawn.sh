#!/usr/bin/env bash
# What a joblet starts with (issue 10 item 5): every signal at its default and none blocked,
# whatever the worker inherited (a worker started by nohup or from a script's background
# job has SIGHUP, SIGINT or SIGQUIT ignored), and no descriptor but stdin, stdout and stderr.
# Also: a worker option that does not parse is refused, naming the option and the rule.
source "$(dirname "$0")/lib.sh"
start_server

# The worker inherits these ignored, as from `nohup` or `trap '' …` in a start script.
trap '' HUP QUIT USR1 USR2 PIPE
start_worker w --cores 2
trap - HUP QUIT USR1 USR2 PIPE
wait_workers 1
grep -q '^SigIgn:.*[1-9a-f]' "/proc/${WORKER_PID[w]}/status" ||
	fail "the worker should have inherited ignored signals: $(grep ^Sig "/proc/${WORKER_PID[w]}/status")"

status_of() {	# CMD → the Sig* lines and open descriptors the joblet saw
	local id
	id=$(jg add -- "$1")
	jg wait "$id" --timeout 30s >/dev/null || fail "$1 failed: $(jg log "$id")"
	jg log "$id" | sed 's/^\[w\] //'
}
# Run directly (plain words: the worker execs cat itself) and through the shell.
direct=$(status_of 'cat /proc/self/status')
expect_eq "$(grep '^SigIgn:' <<<"$direct")" "SigIgn:	0000000000000000" "a joblet run directly ignores no signal"
expect_eq "$(grep '^SigBlk:' <<<"$direct")" "SigBlk:	0000000000000000" "a joblet run directly blocks no signal"
shell=$(status_of 'grep -E "^Sig(Ign|Blk)" /proc/self/status; ls /proc/self/fd | sort -n | tr "\n" " "; echo')
expect_eq "$(grep '^SigIgn:' <<<"$shell")" "SigIgn:	0000000000000000" "a joblet run by the shell ignores no signal"
expect_eq "$(grep '^SigBlk:' <<<"$shell")" "SigBlk:	0000000000000000" "a joblet run by the shell blocks no signal"
# ls itself has one more open: the directory it lists.
expect_eq "$(tail -1 <<<"$shell")" "0 1 2 3 " "only stdin, stdout and stderr are open (3 is ls's listing)"

# A signal that reaches the joblet acts as it would in a terminal: SIGHUP ends it.
id=$(jg add -- "echo \$\$ > $T/pid; while [ ! -e $T/never ]; do sleep 0.05; done")
wait_until 20 test -s "$T/pid"
kill -HUP "$(cat "$T/pid")"
jg wait "$id" --timeout 20s >/dev/null && fail "the joblet should have died of SIGHUP"
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].attempts[0] | "\(.fail_reason) \(.message)"')" \
	"signal Hangup" "SIGHUP is not ignored in the joblet"

# Worker options: a value that does not parse is refused with the option and the rule, and
# no worker starts.
bad_opt() {	# OPTION VALUE RULE
	local rc=0 err
	err=$(jg worker --server "$JOBGRID_URL" --name badopt "--$1" "$2" 2>&1) || rc=$?
	expect_eq "$rc" 2 "worker --$1 $2 exits 2"
	grep -qF -- "--$1: $3" <<<"$err" || fail "the error should name --$1 and the rule ($3): $err"
}
bad_opt cores many "must be an integer 0..1048576, got 'many'"
bad_opt ram -5 "must be an integer 0..1073741823, got '-5'"
bad_opt gpus 1x "must be an integer 0..4096, got '1x'"
bad_opt idle-exit 0 "must be an integer 1..31536000, got '0'"
bad_opt grace soon ""
[[ $(jg workers --json | jq '[.workers[] | select(.name == "badopt")] | length') == 0 ]] ||
	fail "a worker with a bad option registered"
log "ok: no worker with a bad option registered"
