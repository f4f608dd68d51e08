#!/usr/bin/env bash
# Lua job scripts end to end (issue 4): job_started schedules joblets with arguments and
# sets facts; joblet_started runs on the worker (print into the log, joblet:run, an error
# fails the attempt with message and traceback); joblet_completed/joblet_failed/
# job_completed run on the server in order and keep facts; a failing or runaway job_started
# refuses the run and the server answers meanwhile; escapes from the sandbox are refused on
# the server and on the worker; a script in a Lua file beside the YAML (deployed and
# versioned with it); deploy-time problems of YAML, Lua, cycles and edges all at once with
# file:line:col; PUT of a definition; script facts and script files survive kill -9.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_server --heartbeat 1s --lease 4s
start_worker melt --cores 2
start_worker freeze --cores 2
wait_workers 2
run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }

# ---- the chunks example -------------------------------------------------------------
out=$(jg deploy "$ROOT/examples/chunks")
[[ $out == "deployed chunks version 1 from "* ]] || fail "deploy said: $out"
id=$(jg run chunks items=10 chunk=4)
[[ $id =~ \.chunks\.[0-9]+$ ]] || fail "run printed '$id'"
jg wait "$id" --timeout 60s >/dev/null || fail "the chunks job did not end done: $(jg show "$id")"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .joblet_count <<<"$show")" 3 "job_started scheduled 3 joblets for 10 items in chunks of 4"
expect_eq "$(jq -r '.script.definition + " " + (.script.version|tostring)' <<<"$show")" "chunks 1" \
	"show names the definition version"
jg log "$id" >"$T/log"
grep -q '^\[server\] job_started: 10 items in 3 chunks of up to 4$' "$T/log" ||
	fail "job_started's print is not in the log: $(cat "$T/log")"
for c in "0: items 0..3" "1: items 4..7" "2: items 8..9"; do
	grep -Eq "^\[(melt|freeze)\] chunk $c on (melt|freeze), try 0$" "$T/log" ||
		fail "no joblet_started line for chunk $c: $(cat "$T/log")"
done
for i in $(seq 0 9); do
	expect_eq "$(grep -Ec "^\[(melt|freeze)\] item $i$" "$T/log")" 1 "item $i ran once" >/dev/null
done
log "ok: joblet_started ran on the workers with each chunk's arguments; every item ran once"
_done_tally() { [[ $(jg show "$id" --json | jq -r '.script.facts["chunks.done"]') == 3 ]]; }
wait_until 20 _done_tally || fail "joblet_completed did not count 3 chunks: $(jg show "$id" --json | jq -c .script)"
expect_eq "$(jg show "$id" --json | jq -r '.script.facts["chunks.total"]')" 3 "job_started's setFact kept"
_has_summary() { jg log "$id" | grep -q '^\[server\] job_completed: done: 3 of 3 chunks done$'; }
wait_until 20 _has_summary || fail "job_completed's summary missing: $(jg log "$id")"
log "ok: joblet_completed ran for each joblet before job_completed, which saw the tally"

# Facts given at run time take the declared type; the command is the user's own.
id=$(jg run chunks items=3 chunk=3 "command=sh -c 'exit 3' x")
rc=0
jg wait "$id" --timeout 60s >/dev/null || rc=$?
expect_eq "$rc" 1 "a command that fails fails the joblet"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 2 "joblet.maxretry 1: two attempts"
msg=$(jq -r '.joblets[0].attempts[0].message' <<<"$show")
[[ $msg == "joblet_started: chunks.lua:"*"item 0: the command exited 3"*"stack traceback"*"chunks.lua:"* ]] ||
	fail "the attempt's message lacks the error and traceback: $msg"
log "ok: an error in joblet_started fails the attempt with its message and traceback"
expect_eq "$(jq -r '[.joblets[0].attempts[].node] | unique | length' <<<"$show")" 2 "the retry ran on the other node"
_failed_logged() { [[ $(jg log "$id" | grep -c '^\[server\] joblet_failed 0: chunk 0 failed on .* (exit)$') == 2 ]]; }
wait_until 20 _failed_logged || fail "joblet_failed did not run twice: $(jg log "$id")"
log "ok: joblet_failed ran for each failed attempt"

# ---- job_started that fails or runs away refuses the run ------------------------------
mk() {	# NAME SCRIPT-BODY: a definition file with that script
	mkdir -p "$T/defs"
	{
		printf 'description: test %s\nscript: |\n' "$1"
		sed 's/^/  /' <<<"$2"
	} >"$T/defs/$1.yaml"
}
mk boom 'function job_started(job)
  local t = {}
  error("no plan for " .. job:getFact("job.name"))
end'
mk spin 'function job_started(job)
  while true do pcall(function() while true do end end) end
end'
mk bomb 'function job_started(job)
  local s = string.rep("x", 1 << 20)
  local t = {}
  for i = 1, 1000 do t[i] = s .. i end
end'
mk pattern 'function job_started(job)
  return string.rep("a", 40000):find(".-.-.-.-.-.-.-.-.-b")
end'
mk escape 'function job_started(job)
  os.execute("touch ESCAPED")
end'
mk escape2 'function job_started(job)
  io.open("ESCAPED", "w")
end'
mk escape3 'function job_started(job)
  require("os")
end'
mk escape4 'function job_started(job)
  load("return 1")
end'
mk nothing 'function job_started(job)
  print("nothing to do")
end
function job_completed(job)
  print("completed as " .. job:getFact("job.state"))
end'
mk worker_escape 'function joblet_started(job, joblet)
  local f = io.open(os.getenv("HOME") .. "/ESCAPED", "w")
end'
mk worker_spin 'function joblet_started(job, joblet)
  while true do end
end'
jg deploy "$T/defs" >/dev/null || fail "the test definitions did not deploy"
before=$(jg list --json | jq '.jobs | length')
run_rc jg run boom
expect_eq "$RC" 2 "an error in job_started refuses the run"
[[ $OUT == *"job_started failed, no job was made: "*"no plan for boom"*"stack traceback"* ]] ||
	fail "the refusal lacks the error and traceback: $OUT"
log "ok: the refusal carries the error, its line and the traceback"
run_rc jg run spin
expect_eq "$RC" 2 "a loop that catches its own stop is still stopped"
[[ $OUT == *"stopped: ran more than"*"instructions"* ]] || fail "spin: $OUT"
run_rc jg run bomb
expect_eq "$RC" 2 "a memory bomb is stopped"
[[ $OUT == *"stopped: used more than"*"MB"* ]] || fail "bomb: $OUT"
log "ok: instruction and memory budgets stop job_started"
# A backtracking pattern runs inside one C call, where no hook fires: the script
# process's CPU limit ends it, and the server answers other requests meanwhile. Its script
# process is the server's child `jobgrid script` that was not there before the run.
script_children() { pgrep -P "$SERVER_PID" -f -- "/jobgrid script$" | sort || true; }
before_kids=$(script_children)
jg run pattern >"$T/pattern.out" 2>&1 &
ppid=$!
_pattern_child() {
	spid=$(comm -13 <(echo "$before_kids") <(script_children) | head -1)
	[[ -n $spid ]]
}
wait_until 20 _pattern_child	# sets spid
t0=$(date +%s%N)
curl -sS --max-time 5 "$JOBGRID_URL/v1/stats" >/dev/null || fail "the server did not answer while a script ran"
kill -0 "$spid" 2>/dev/null || fail "the pattern's script process $spid ended before the answer: $(cat "$T/pattern.out")"
log "ok: the server answered in $(( ($(date +%s%N) - t0) / 1000000 )) ms while a runaway pattern ran"
kill -0 $ppid 2>/dev/null || fail "the run of the pattern was not still waiting: $(cat "$T/pattern.out")"
rc=0
wait $ppid || rc=$?
expect_eq "$rc" 2 "the runaway pattern refuses the run"
grep -q "the script process stopped at its CPU time limit\|stopped: killed at its time limit" "$T/pattern.out" ||
	fail "pattern: $(cat "$T/pattern.out")"
log "ok: a runaway pattern is stopped by the CPU limit and reported"
for e in escape escape2 escape3 escape4; do
	run_rc jg run "$e"
	expect_eq "$RC" 2 "$e is refused"
	[[ $OUT == *"nil value"* ]] || fail "$e: $OUT"
done
[[ ! -e ESCAPED && ! -e /tmp/ESCAPED ]] || fail "a sandbox escape made a file"
log "ok: os.execute, io.open, require and load are not there on the server"
expect_eq "$(jg list --json | jq '.jobs | length')" "$before" "no refused run made a job"

# A job_started that schedules nothing makes a job that is done at once.
id=$(jg run nothing)
jg wait "$id" --timeout 10s >/dev/null || fail "the empty job did not end done"
expect_eq "$(jg show "$id" --json | jq -r '.state + " " + (.joblet_count|tostring)')" "done 0" "no joblets: done"
_completed() { jg log "$id" | grep -q '^\[server\] job_completed: completed as done$'; }
wait_until 20 _completed || fail "job_completed did not run for the empty job: $(jg log "$id")"
log "ok: a job_started that schedules nothing gives a done job; job_completed runs"

# On the worker: the same sandbox; an escape fails the attempt, a loop is stopped.
id=$(jg run worker_escape)
jg wait "$id" --timeout 30s >/dev/null && fail "the worker escape succeeded"
msg=$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].message')
[[ $msg == "joblet_started: "*"nil value"* ]] || fail "worker escape: $msg"
[[ ! -e $HOME/ESCAPED ]] || fail "the worker escape made a file"
id=$(jg run worker_spin)
jg wait "$id" --timeout 60s >/dev/null && fail "the worker loop succeeded"
msg=$(jg show "$id" --json | jq -r '.joblets[0].attempts[0].message')
[[ $msg == "joblet_started: stopped: ran more than"* ]] || fail "worker spin: $msg"
log "ok: on the worker io and os are absent and a loop is stopped"

# ---- a script in a Lua file beside the YAML (issue 10 item 17) -----------------------
mkdir -p "$T/lua/lib"
printf 'description: a script file\nscript: lib/hello.lua\n' >"$T/lua/hello.yaml"
cat >"$T/lua/lib/hello.lua" <<'LUA'
function job_started(job)
  job:schedule(1, {})
end
function joblet_started(job, joblet)
  print("hello one from " .. joblet:getFact("resource.id"))
end
LUA
out=$(jg deploy "$T/lua")
expect_eq "$out" "deployed hello version 1 from $T/lua/hello.yaml" \
	"script: lib/hello.lua deploys with its file; the .lua file is no definition itself"
expect_eq "$(jg jobinfo hello --json | jq -r .script_file)" "$T/lua/lib/hello.lua" "jobinfo names the script file"
id=$(jg run hello)
jg wait "$id" --timeout 30s >/dev/null || fail "the file script's run failed: $(jg show "$id")"
jg log "$id" | grep -Eq '^\[(melt|freeze)\] hello one from (melt|freeze)$' || fail "no output from the file script: $(jg log "$id")"
sed -i 's/hello one/hello two/' "$T/lua/lib/hello.lua"
id=$(jg run hello)
jg wait "$id" --timeout 30s >/dev/null || fail "the second run failed: $(jg show "$id")"
jg log "$id" | grep -q 'hello one from' || fail "a change to the file changed what is deployed: $(jg log "$id")"
log "ok: the script file's text is kept with version 1; a change on disk needs a deploy"
expect_eq "$(jg deploy "$T/lua/hello.yaml" | awk '{print $4}')" 2 "deploying again makes version 2"
id=$(jg run hello)
jg wait "$id" --timeout 30s >/dev/null || fail "version 2 failed: $(jg show "$id")"
jg log "$id" | grep -q 'hello two from' || fail "version 2 does not run the changed file: $(jg log "$id")"
expect_eq "$(jg show "$id" --json | jq -r .script.version)" 2 "the run names version 2"
run_rc jg deploy "$T/lua/lib/hello.lua"
[[ $RC == 2 && $OUT == *"a Lua file is deployed with the definition whose script: names it"* ]] ||
	fail "deploying a .lua file alone: $RC $OUT"
log "ok: a Lua file given alone is refused with the reason"

# ---- deploy-time checks: every problem at once (issue 10 item 18) --------------------
mkdir -p "$T/bad/lib"
printf 'description: bad\nscript: |\n  function job_started(job)\n    if then\n  end\n' >"$T/bad/syntax.yaml"
printf 'description: bad\nscript: |\n  job_started = 5\n' >"$T/bad/notfn.yaml"
printf 'description: bad\nscript: lib/broken.lua\n' >"$T/bad/broken.yaml"
printf -- '-- a comment\nfunction job_started(job)\n  local x = = 1\nend\n' >"$T/bad/lib/broken.lua"
printf 'description: bad\nscript: gone.lua\n' >"$T/bad/gone.yaml"
printf 'description: bad\nscript: ../outside.lua\n' >"$T/bad/escape.yaml"
printf 'x = 1\n' >"$T/outside.lua"
printf 'name: cyc1\ncommand: "true"\nsuccessors: [cyc2]\n' >"$T/bad/cyc1.yaml"
printf 'name: cyc2\ncommand: "true"\nsuccessors: [cyc1]\n' >"$T/bad/cyc2.yaml"
printf 'name: orphan\ncommand: "true"\npredecessors: [first, nosuch]\n' >"$T/bad/orphan.yaml"
run_rc jg deploy "$T/bad"
expect_eq "$RC" 2 "bad scripts are refused"
grep -q "^jobgrid: 8 problems; nothing was deployed" <<<"$OUT" || fail "not 8 problems, each once: $OUT"
grep -q "syntax.yaml:4:[0-9]*: script: .*'then'" <<<"$OUT" || fail "no syntax error at line 4: $OUT"
grep -q "notfn.yaml:3:[0-9]*: script: job_started must be a function" <<<"$OUT" || fail "no not-a-function error: $OUT"
log "ok: a Lua syntax error and a handler that is no function are reported with file:line:col"
grep -qF "$T/bad/lib/broken.lua:3:1: script: unexpected symbol near '='" <<<"$OUT" || fail "no error in the Lua file at its line: $OUT"
grep -qF "$T/bad/gone.yaml:2:9: script: gone.lua: no such file $T/bad/gone.lua" <<<"$OUT" || fail "no missing-file problem: $OUT"
grep -qF "$T/bad/escape.yaml:2:9: script: ../outside.lua: must be a file next to the definition" <<<"$OUT" || fail "no escape problem: $OUT"
log "ok: a Lua file's error is at NAME.lua:LINE; a missing or escaping script file at the script: line"
grep -Eq ": cycle: (cyc1 -> cyc2 -> cyc1|cyc2 -> cyc1 -> cyc2);" <<<"$OUT" || fail "no cycle: $OUT"
grep -qF "cyc1 -> cyc2 at $T/bad/cyc1.yaml:3:14 (successors: cyc2)" <<<"$OUT" || fail "the cycle lacks cyc1's line: $OUT"
grep -qF "cyc2 -> cyc1 at $T/bad/cyc2.yaml:3:14 (successors: cyc1)" <<<"$OUT" || fail "the cycle lacks cyc2's line: $OUT"
grep -qF "$T/bad/orphan.yaml:3:16: orphan: predecessor first is not deployed" <<<"$OUT" || fail "no unknown predecessor: $OUT"
grep -qF "$T/bad/orphan.yaml:3:23: orphan: predecessor nosuch is not deployed" <<<"$OUT" || fail "not every unknown predecessor: $OUT"
log "ok: Lua problems, a cycle naming each file and line, and every unknown predecessor in one refusal"
run_rc jg jobinfo syntax
expect_eq "$RC" 4 "nothing of the bad set was deployed"

# ---- PUT /v1/definitions/{name} -----------------------------------------------------
src=$(jq -Rs . <"$T/defs/nothing.yaml")
api PUT /v1/definitions/put%2Fone "{\"source\": $src}" >"$T/res"; res=$(cat "$T/res")
expect_eq "$API_STATUS" 201 "PUT deploys a definition under the URL's name"
expect_eq "$(jq -r '.deployed[0].name + " " + (.deployed[0].version|tostring)' <<<"$res")" "put/one 1" "PUT made version 1"
api PUT /v1/definitions/put%2Fone "{\"source\": $src}" >"$T/res"; res=$(cat "$T/res")
expect_eq "$(jq -r '.deployed[0].version' <<<"$res")" 2 "a second PUT makes version 2"
api PUT /v1/definitions/put%2Fother "{\"source\": \"name: elsewhere\\ncommand: true\\n\"}" >"$T/res"; res=$(cat "$T/res")
expect_eq "$API_STATUS" 422 "PUT of a file naming another definition is refused"
[[ $res == *"differs from put/other"* ]] || fail "PUT name mismatch said: $res"
api PUT /v1/definitions/put%2Fone '{"source": 5}' >"$T/res"; res=$(cat "$T/res")
expect_eq "$API_STATUS" 400 "PUT without a source string is refused"
api PUT /v1/definitions/put%2Ffile '{"source": "script: s.lua\n", "scripts": {"s.lua": "function job_started(job) end\n"}}' >"$T/res"
expect_eq "$API_STATUS" 201 "PUT of a definition with its script file"
expect_eq "$(jg jobinfo put/file --json | jq -r .script_file)" "put/s.lua" "named beside the default file put/file.yaml"
api POST /v1/definitions '{"files": [{"file": "a.yaml", "source": "script: s.lua\n", "scripts": {"s.lua": 5}}]}' >"$T/res"; res=$(cat "$T/res")
expect_eq "$API_STATUS/$(jq -r .error.field <<<"$res")" "400/files[0].scripts" "a script file that is no text is refused, naming the field"

# ---- restart ------------------------------------------------------------------------
id=$(jg run chunks items=2 chunk=1)
jg wait "$id" --timeout 60s >/dev/null || fail "chunks items=2 failed"
_two() { [[ $(jg show "$id" --json | jq -r '.script.facts["chunks.done"]') == 2 ]]; }
wait_until 20 _two || fail "tally not 2"
kill_server KILL
restart_server --heartbeat 1s --lease 4s
wait_workers 2
expect_eq "$(jg show "$id" --json | jq -r '.script.facts["chunks.done"] + .script.facts["chunks.total"]')" 4 \
	"script facts survived kill -9 and restart"
hid=$(jg run hello)
jg wait "$hid" --timeout 30s >/dev/null || fail "hello after the restart failed: $(jg show "$hid")"
jg log "$hid" | grep -q 'hello two from' || fail "the stored script file did not survive the restart: $(jg log "$hid")"
log "ok: a script file deployed with its definition survives kill -9"
jg log "$id" | grep -q '^\[server\] job_started: 2 items in 2 chunks of up to 1$' ||
	fail "the server lines of the log did not survive: $(jg log "$id")"
log "ok: facts and server log lines survive a restart"
log "PASS"
