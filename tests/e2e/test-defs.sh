#!/usr/bin/env bash
# Definitions (issue 4, first part): the seed's failover job deployed from examples/ and
# run on melt and freeze (each joblet maxretry+1 attempts, retry numbers 0.., alternating
# nodes, the job failed, `log` with [node] prefixes); argument errors; validation errors
# reported all at once with file:line:col and nothing deployed; versions; undeploy;
# definitions survive a restart.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_server --heartbeat 1s --lease 4s
start_worker melt --cores 1
start_worker freeze --cores 1
wait_workers 2

out=$(jg deploy "$ROOT/examples/failover")
[[ $out == "deployed failover version 1 from "* ]] || fail "deploy said: $out"
log "ok: $out"
expect_eq "$(jg joblist --json | jq -r '.definitions[] | "\(.name) \(.version) \(.groups | join(","))"')" \
	"failover 1 examples" "joblist shows it"
info=$(jg jobinfo --detail failover)
grep -q "sleeptime.*Desc: how long a joblet runs" <<<"$info" || fail "jobinfo lacks sleeptime: $info"
grep -q "Type: Integer" <<<"$info" && grep -q "Default: 7" <<<"$info" || fail "jobinfo lacks type/default: $info"
log "ok: jobinfo --detail shows each argument with Desc, Type, Default"

# The seed's transcript: 2 joblets, each fails 4 times (maxretry 3), alternating nodes.
id=$(jg run failover sleeptime=1 numJoblets=2)
[[ $id =~ ^[a-z_][a-z0-9_-]*\.failover\.[0-9]+$ ]] || fail "run printed '$id', not OWNER.failover.SEQ"
log "ok: run printed $id"
rc=0
jg wait "$id" --timeout 90s >/dev/null || rc=$?
expect_eq "$rc" 1 "the failover job ends failed"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" failed "state failed"
expect_eq "$(jq -r '.definition.name + " " + (.definition.version|tostring)' <<<"$show")" "failover 1" \
	"the job names the definition version it was made from"
expect_eq "$(jq -r '[.joblets[] | .attempts | length] | join(" ")' <<<"$show")" "4 4" "maxretry+1 attempts per joblet"
expect_eq "$(jq -r '[.joblets[] | [.attempts[].fail_reason] | unique | join(",")] | join(" ")' <<<"$show")" \
	"exit exit" "every attempt failed with its exit code"
alt=$(jq -r '[.joblets[] | .attempts | [range(1; length) as $i | .[$i].node != .[$i - 1].node] | all] | all' <<<"$show")
expect_eq "$alt" true "each retry ran on the other node"
jg log "$id" >"$T/log"
for j in 0 1; do
	for r in 0 1 2 3; do
		grep -Eq "^\[(melt|freeze)\] joblet $j try $r of 3 on (melt|freeze)" "$T/log" ||
			fail "the log lacks joblet $j try $r: $(cat "$T/log")"
	done
done
log "ok: the log has [node] lines for retry numbers 0..3 of both joblets"
while read -r node rest; do
	[[ $rest == *"on ${node:1:-1}:"* ]] || fail "a line's prefix and node differ: $node $rest"
done <"$T/log"
log "ok: each line's [node] prefix names the node it ran on"

# Facts overridden at run time.
id2=$(jg run failover sleeptime=0 joblet.maxretry=1)
jg wait "$id2" --timeout 30s >/dev/null || true
expect_eq "$(jg show "$id2" --json | jq -r '.joblets[0].attempts | length')" 2 "joblet.maxretry=1 at run time: 2 attempts"

# Argument errors name the argument and the rule; nothing is made.
before=$(jg list --json | jq '.jobs | length')
run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
run_rc jg run failover sleeptime=soon
expect_eq "$RC" 2 "a non-integer is refused"
[[ $OUT == *"sleeptime: must be an integer"* ]] || fail "$OUT"
log "ok: the refusal names the argument and the rule"
run_rc jg run failover numJoblets=0
[[ $RC == 2 && $OUT == *"numJoblets: must be at least 1"* ]] || fail "min: $RC $OUT"
log "ok: below min is refused, naming the argument"
run_rc jg run failover colour=red
[[ $RC == 2 && $OUT == *"colour: failover has no such argument"* ]] || fail "unknown: $RC $OUT"
log "ok: an unknown argument is refused, naming it"
run_rc jg run nosuch
expect_eq "$RC" 4 "an unknown definition is not found"
expect_eq "$(jg list --json | jq '.jobs | length')" "$before" "no job was made by a refused run"

# Validation: every problem of every file at once, with file:line:col; nothing deployed.
mkdir -p "$T/bad/sub"
cat >"$T/bad/one.yaml" <<'YAML'
description: fine
args:
  n: {type: integer, default: many}
command: echo {{n}} {{missing}}
YAML
printf 'colour: red\ncommand: true\n' >"$T/bad/sub/two.yaml"
printf 'args: {a: 1\n' >"$T/bad/sub/three.yml"
printf 'command: echo good\n' >"$T/bad/good.yaml"
run_rc jg deploy "$T/bad"
expect_eq "$RC" 2 "an invalid set is refused"
grep -q "one.yaml:3:31: args.n.default: must be an integer" <<<"$OUT" || fail "default: $OUT"
grep -q "one.yaml:4:10: command: {{missing}} is neither an argument nor a fact" <<<"$OUT" || fail "ref: $OUT"
grep -q "two.yaml:1:1: unknown key colour" <<<"$OUT" || fail "key: $OUT"
grep -q "three.yml:.*YAML:" <<<"$OUT" || fail "yaml: $OUT"
log "ok: all four problems reported with file:line:col"
expect_eq "$(jg joblist --json | jq -r '[.definitions[].name] | join(",")')" failover "nothing of the bad set was deployed"

# Versions: a redeploy makes version 2; a job made before keeps its command.
mkdir -p "$T/v"
printf 'name: ver\ncommand: echo one\n' >"$T/v/ver.yaml"
jg deploy "$T/v/ver.yaml" >/dev/null
v1=$(jg run ver)
printf 'name: ver\ncommand: echo two\n' >"$T/v/ver.yaml"
expect_eq "$(jg deploy "$T/v/ver.yaml" | awk '{print $4}')" 2 "redeploy is version 2"
v2=$(jg run ver)
jg wait "$v1" "$v2" --timeout 30s >/dev/null
expect_eq "$(jg log "$v1" | sed 's/^\[[^]]*\] //')" one "the earlier run kept version 1"
expect_eq "$(jg log "$v2" | sed 's/^\[[^]]*\] //')" two "the later run has version 2"
expect_eq "$(jg jobinfo ver --json | jq -c '[.versions[].version]')" "[1,2]" "jobinfo shows the history"

# Definitions survive a restart; undeploy retires one.
kill_server KILL
restart_server --heartbeat 1s --lease 4s
expect_eq "$(jg joblist --json | jq -r '[.definitions[] | "\(.name):\(.version)"] | join(",")')" \
	"failover:1,ver:2" "definitions and versions survived kill -9"
jg undeploy ver >/dev/null
expect_eq "$(jg joblist --json | jq -r '[.definitions[].name] | join(",")')" failover "undeploy retired ver"
run_rc jg run ver
expect_eq "$RC" 4 "an undeployed definition cannot run"

# A file that crashes libfyaml 0.7.12 (found by fuzz-defs): the checker process dies, the
# deploy is refused, the server carries on.
run_rc jg deploy "$ROOT/tests/e2e/data/libfyaml-crash.yaml"
expect_eq "$RC" 2 "a file that crashes the YAML library is refused"
[[ $OUT == *"the definition checker stopped"* ]] || fail "the refusal should say the checker stopped: $OUT"
kill -0 "$SERVER_PID" || fail "the server died"
expect_eq "$(jg joblist --json | jq -r '[.definitions[].name] | join(",")')" failover "the server still answers"
