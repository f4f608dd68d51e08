#!/usr/bin/env bash
# `jobgrid script` for real, without a server: requests piped in as the server and the
# worker send them. A backtracking pattern, which Lua's instruction hook never sees, is
# ended by the process's CPU limit (a signal, no hang); worker mode writes its reply to
# --reply-fd, runs joblet:run commands with /dev/null for stdin, the joblet's output and
# no inherited CPU limit or reply fd, and exits 1 with the error on stderr when a call
# fails; server mode always answers with a reply.
source "$(dirname "$0")/lib.sh"

script() {	# REQUEST-FILE [ARGS…]: run `jobgrid script`; RC, its stdout in $T/out, stderr in $T/err
	local req=$1
	shift
	RC=0
	LOGS+=("$T/err")
	"$JOBGRID_BIN" script "$@" <"$req" >"$T/out" 2>"$T/err" || RC=$?
}
request() {	# MODE HANDLER LUA-TEXT: a request file, its path on stdout
	local f="$T/req.$RANDOM"
	jq -n --arg mode "$1" --arg h "$2" --arg s "$3" \
		'{mode: $mode, chunkname: "e2e/def", first_line: 10, script: $s,
		  job_facts: {"job.id": "alice.def.1"},
		  calls: [{handler: $h, joblet_facts: {"joblet.number": 0}}]}' >"$f"
	echo "$f"
}

# ---- a C-level runaway ends by the CPU limit --------------------------------------------
req=$(request server job_started 'function job_started(job)
  return string.rep("a", 40000):find(".-.-.-.-.-.-.-.-.-b")
end')
t0=$(date +%s)
RC=0
timeout 120 "$JOBGRID_BIN" script <"$req" >"$T/out" 2>"$T/err" || RC=$?
secs=$(($(date +%s) - t0))
((RC != 124)) || fail "the pattern bomb was not stopped within 120 s"
((RC > 128)) || fail "the pattern bomb did not end by a signal: rc $RC, $(cat "$T/out" "$T/err")"
expect_eq "$(kill -l $((RC - 128)))" XCPU "the signal"
((secs >= 9)) || fail "the pattern ended after ${secs}s: it did not really run away"
[[ ! -s $T/out ]] || fail "a killed script wrote a reply: $(cat "$T/out")"
log "ok: a backtracking pattern ran ${secs}s until the CPU limit ended it (SIGXCPU)"

# ---- worker mode ------------------------------------------------------------------------
req=$(request worker joblet_started "function joblet_started(job, joblet)
  print('before', joblet:getFact('job.id'))
  local code = joblet:run('echo from the command; readlink /proc/self/fd/0; exit 7')
  local cpu = joblet:run('test \"\$(ulimit -St)\" = \"\$(ulimit -Ht)\"')
  local fd3 = joblet:run('test -e /proc/\$\$/fd/3')
  local none, why = joblet:run('kill -TERM \$\$')
  print('after', code, cpu, fd3, none, why)
  joblet:setFact('code', code)
end")
script "$req" --reply-fd 3 3>"$T/reply"
expect_eq "$RC" 0 "a joblet_started that ends well exits 0"
expect_eq "$(cat "$T/out")" "before	alice.def.1
from the command
/dev/null
after	7	0	1	nil	signal 15" "print and the command share the log, in order; stdin is /dev/null"
expect_eq "$(jq -r '.results[0].ok' "$T/reply")" true "the reply went to fd 3"
expect_eq "$(jq -r '.results[0].joblet_facts.code' "$T/reply")" 7 "joblet:run returned the exit code"
[[ ! -s $T/err ]] || fail "stderr: $(cat "$T/err")"
log "ok: worker mode: print and joblet:run write the log in order, the reply is on fd 3;" \
	"commands get /dev/null, no CPU limit of ours and no reply fd"

req=$(request worker joblet_started 'local function check(n)
  if n > 2 then error("too many: " .. n) end
end
function joblet_started(job, joblet)
  print("checking")
  check(5)
end')
script "$req" --reply-fd 3 3>"$T/reply"
expect_eq "$RC" 1 "a failed joblet_started exits 1"
expect_eq "$(head -1 "$T/err")" "joblet_started: e2e/def:11: too many: 5" "the message, at its file line"
grep -q "^stack traceback:" "$T/err" || fail "no traceback on stderr: $(cat "$T/err")"
grep -q "e2e/def:15: in function 'joblet_started'" "$T/err" || fail "traceback lines: $(cat "$T/err")"
expect_eq "$(cat "$T/out")" checking "what it printed before is in the log"
expect_eq "$(jq -r '.results[0].error' "$T/reply")" "e2e/def:11: too many: 5" "and the reply says it too"
req=$(request worker joblet_started 'function joblet_started(job, joblet) while true do end end')
script "$req" --reply-fd 3 3>"$T/reply"
expect_eq "$RC" 1 "a stopped joblet_started exits 1"
[[ $(head -1 "$T/err") == "joblet_started: stopped: ran more than 200000000 instructions" ]] ||
	fail "stop: $(cat "$T/err")"
req=$(request worker joblet_started 'if then')
script "$req" --reply-fd 3 3>"$T/reply"
expect_eq "$RC" 1 "a script that does not compile exits 1 in worker mode"
[[ $(head -1 "$T/err") == "joblet_started: e2e/def:10: unexpected symbol near 'then'" ]] ||
	fail "syntax: $(cat "$T/err")"
log "ok: worker mode: an error, a stop or a syntax error exits 1 with the message on stderr"

# ---- server mode ------------------------------------------------------------------------
req=$(request server job_started 'function job_started(job)
  local t = {}
  for i = 1, 1e9 do t[i] = string.rep("x", 1000) .. i end
end')
script "$req"
expect_eq "$RC" 0 "server mode exits 0 whatever the script did"
expect_eq "$(jq -r '.stopped + " " + .results[0].error' "$T/out")" "memory stopped: used more than 64 MB" \
	"a memory bomb is stopped cleanly"
printf 'not json' >"$T/bad"
script "$T/bad"
expect_eq "$(jq -r .error "$T/out")" "request: not JSON" "a request that is not JSON"
head -c $((8 * 1024 * 1024 + 10)) /dev/zero | tr '\0' ' ' >"$T/big"
script "$T/big"
expect_eq "$(jq -r .error "$T/out")" "request: bigger than 8 MiB" "a request over 8 MiB"
expect_eq "$RC" 0 "refused requests still exit 0"
RC=0
"$JOBGRID_BIN" script --reply-fd x </dev/null >/dev/null 2>"$T/err" || RC=$?
expect_eq "$RC" 2 "a bad --reply-fd is a usage error"
log "ok: server mode: a memory bomb, bad and oversized requests all get a reply"
log "PASS"
