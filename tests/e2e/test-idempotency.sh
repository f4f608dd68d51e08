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

# ---- A key whose first request is still being answered (a deploy waits for its checker
# child, stopped here) holds off a resend with 503 in_progress, which clients send again;
# once answered, the resend replays the answer, and the definition is deployed once.
deploy_body='{"files": [{"file": "held.yaml", "name": "held", "source": "name: held\ncommand: true\n"}]}'
post_deploy() {	# KEY [CURL-ARGS…]: print "STATUS BODY"
	local key=$1
	shift
	curl -sS -o "$T/deploy.$key" -w '%{http_code}' -H "Idempotency-Key: $key" \
		-H 'Content-Type: application/json' --data-binary "$deploy_body" "$@" \
		"$JOBGRID_URL/v1/definitions" 2>/dev/null || true
	printf ' %s' "$(cat "$T/deploy.$key" 2>/dev/null)"
}
checker() { pgrep -P "$SERVER_PID" -f -- ' defcheck$'; }
# Until the checker is up or the request PID is answered (a checker may live a few tens of
# milliseconds: looked for without pausing, for 20 s at most).
checker_or_answered() {
	local deadline=$((SECONDS + 20))
	until checker >/dev/null || ! kill -0 "$1" 2>/dev/null; do
		((SECONDS < deadline)) || fail "neither a checker nor an answer for request $1"
	done
}
versions() { curl -sS "$JOBGRID_URL/v1/definitions/held" | jq '.versions | length // 0'; }
# The checker may answer before it is stopped: then that key is simply answered, and the
# next key tries again. Only a key caught open is judged.
caught="" second=""
for ((try = 1; try <= 20; try++)); do
	key=held-$try
	post_deploy "$key" >"$T/first" &
	first_pid=$!
	checker_or_answered "$first_pid"
	checker_pid=$(checker) || { wait "$first_pid"; continue; }
	kill -STOP "$checker_pid" 2>/dev/null || { wait "$first_pid"; continue; }
	second=$(post_deploy "$key")
	[[ ${second%% *} == 503 ]] && caught=$key
	kill -CONT "$checker_pid" 2>/dev/null || true
	wait "$first_pid"
	[[ -z $caught ]] || break
done
[[ -n $caught ]] || fail "no resend was ever held off while its first request was open: $second"
[[ $second == *'"in_progress"'* ]] || fail "the 503 should say in_progress: $second"
log "ok: a resend while the first request is answered gets 503 in_progress (try $try)"
first=$(cat "$T/first")
expect_eq "${first%% *}" 201 "the first deploy is answered"
expect_eq "$(post_deploy "$caught")" "$first" "a resend after the answer replays it"
expect_eq "$(versions)" "$try" "each key deployed once"

# A client that leaves while its deploy is checked called it off (499): the key is not
# kept, so its resend runs.
before=$(versions)
post_deploy leaver --max-time 1 >/dev/null &
leaver_pid=$!
checker_or_answered "$leaver_pid"
checker_pid=$(checker || true)
kill -STOP "$checker_pid" 2>/dev/null || true
wait "$leaver_pid" || true	# curl gave up: the server sees the connection close
kill -CONT "$checker_pid" 2>/dev/null || true
_resend_answered() { [[ $(post_deploy leaver) != 503* ]]; }
wait_until 20 _resend_answered
resend=$(post_deploy leaver)
expect_eq "${resend%% *}" 201 "the resend of a called-off deploy runs (no 499 kept)"
expect_eq "$(versions)" "$((before + 1))" "the called-off deploy did not count; its resend deployed once"
