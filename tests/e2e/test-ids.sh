#!/usr/bin/env bash
# Every id the server prints is accepted back by every command and endpoint that takes one:
# a definition named by its path (jn/a, SPEC §1) makes runs such as root.jn/a.2, whose '/'
# is part of the name, not a joblet index. Runs show, log (also ID/INDEX and -f), wait,
# cancel, retry, remove, mod, events --job and run --wait on such ids, and jobinfo, pause,
# resume and undeploy on such a name.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w1 --cores 1
wait_workers 1
mkdir -p "$T/defs/jn"
cat >"$T/defs/jn/a.yaml" <<'EOF'
command: echo jn-a ran
EOF
# b holds until its file appears, so a check can rely on it running (or waiting behind it).
cat >"$T/defs/jn/b.yaml" <<EOF
command: while [ ! -e $T/go ]; do sleep 0.05; done; echo jn-b ran
EOF
jg deploy "$T/defs" >/dev/null || fail "deploy"

ok() {	# MESSAGE CMD…: the command must exit 0
	local msg=$1 rc=0
	shift
	"$@" >"$T/out" 2>"$T/err" || rc=$?
	((rc == 0)) || fail "$msg: exit $rc: $(cat "$T/err")"
	log "ok: $msg"
}

ok "run jn/a --wait" jg run jn/a --wait
a=$(jg list --json | jq -r '[.jobs[] | select(.name == "jn/a")][0].id')
[[ $a == */a.* ]] || fail "the run's id holds the definition's path: $a"
ok "show $a" jg show "$a"
grep -q "^job $a: done" "$T/out" || fail "show names the job: $(cat "$T/out")"
ok "show --json $a" jg show --json "$a"
expect_eq "$(jq -r .id "$T/out")" "$a" "show --json gives the same id"
ok "log $a" jg log "$a"
grep -q '^\[w1\] jn-a ran$' "$T/out" || fail "log: $(cat "$T/out")"
ok "log $a/0" jg log "$a/0"
grep -q '^\[w1\] jn-a ran$' "$T/out" || fail "log ID/0: $(cat "$T/out")"
ok "log -f of an ended job" jg log -f "$a"
ok "wait $a" jg wait "$a"
ok "wait --json $a" jg wait --json "$a"
expect_eq "$(jq -r --arg a "$a" '.[$a]' "$T/out")" done "wait --json keys the state by the id"
api GET "/v1/jobs/$(jq -rn --arg a "$a" '$a | @uri')" >/dev/null
expect_eq "$API_STATUS" 200 "GET /v1/jobs/{id} with the '/' as %2F"
ok "jobinfo jn/a" jg jobinfo jn/a

# b1 runs (holding on its file), b2 waits behind it on the one-core worker.
b1=$(jg run jn/b)
b2=$(jg run jn/b)
[[ $b1 == */b.* && $b2 == */b.* ]] || fail "run printed ids holding the path: $b1 $b2"
wait_state "$b1" running
"$JOBGRID_BIN" events --job "$b1" >"$T/events" 2>"$T/events.err" &	# $! is events itself
EV=$!
track "$EV"
ok "mod $b2 --priority 5" jg mod "$b2" --priority 5
expect_eq "$(jg show --json "$b2" | jq .priority)" 5 "the change took"
ok "cancel $b2" jg cancel "$b2"
expect_eq "$(jg show --json "$b2" | jq -r .state)" cancelled "cancelled"
ok "retry $b2" jg retry "$b2"
expect_eq "$(jg show --json "$b2" | jq -r .state)" ready "re-queued"
ok "remove $b2" jg remove "$b2"
rc=0
jg show "$b2" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "the removed job is gone"
touch "$T/go"
ok "wait $b1" jg wait "$b1"
ended() { [[ $(jq -r 'select(.event == "job.ended") | .job' "$T/events") == "$b1" ]]; }
wait_until 20 ended
kill "$EV" 2>/dev/null || true
wait "$EV" 2>/dev/null || true
log "ok: events --job $b1 followed it to its end"
ok "log of $b1 after it ran" jg log "$b1"
grep -q 'jn-b ran' "$T/out" || fail "log: $(cat "$T/out")"

# A run with --wait on a definition named by its path.
ok "run jn/b --wait (its file exists)" jg run jn/b --wait

# The definition's own name with '/': pause, resume, undeploy.
ok "pause jn/a" jg pause jn/a
ok "resume jn/a" jg resume jn/a
ok "undeploy jn/a" jg undeploy jn/a
rc=0
jg jobinfo jn/a >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 4 "undeployed: jobinfo finds no jn/a"
log "all id checks passed"
