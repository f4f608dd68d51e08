#!/usr/bin/env bash
# Guarantee 5: a connection dropped after the server got `add` but before the client saw the
# reply: the CLI retries with the same Idempotency-Key and nothing is created twice. Also
# --unique refuses a second incomplete job with the same command and cwd.
source "$(dirname "$0")/lib.sh"
start_server
PROXY=$JG_BUILD/dropproxy
[[ -x $PROXY ]] || fail "missing test helper $PROXY"
"$PROXY" "$T/proxy.port" "127.0.0.1:${JOBGRID_URL##*:}" 2 >"$T/proxy.log" 2>&1 &
PROXY_PID=$!
wait_until 10 test -s "$T/proxy.port"
before=$(jg status --json | jq '.joblets | add')
id=$(JOBGRID_URL="http://127.0.0.1:$(cat "$T/proxy.port")" jg add --name dropped -- echo once)
[[ -n $id ]] || fail "add printed no id"
after=$(jg status --json | jq '.joblets | add')
expect_eq "$((after - before))" 1 "one job although the first two replies were lost"
expect_eq "$(jg list --json | jq '[.jobs[] | select(.name == "dropped")] | length')" 1 "listed once"
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true

# The same key sent twice by hand replays the first reply.
r1=$(curl -sS -H 'Idempotency-Key: fixed-key-1' -d '{"cmd":"echo k"}' "$JOBGRID_URL/v1/jobs")
r2=$(curl -sS -H 'Idempotency-Key: fixed-key-1' -d '{"cmd":"echo k"}' "$JOBGRID_URL/v1/jobs")
expect_eq "$r2" "$r1" "a repeated key replays the first reply"

# --unique: a second incomplete job with the same command and cwd is refused with exit 2.
u1=$(jg add --unique -- sleep 100)
rc=0
jg add --unique -- sleep 100 >/dev/null 2>"$T/unique.err" || rc=$?
expect_eq "$rc" 2 "a duplicate --unique add exits 2"
grep -q "$u1" "$T/unique.err" || fail "the refusal should name $u1: $(cat "$T/unique.err")"
jg cancel "$u1" >/dev/null
jg add --unique -- sleep 100 >/dev/null || fail "once the first is cancelled, the same job is accepted"
