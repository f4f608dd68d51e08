#!/usr/bin/env bash
# A 4xx answer to a worker's report is final. The worker talks to the server through a
# proxy that answers 413 to bodies over 1000 bytes, as nginx's client_max_body_size does:
#  - an output chunk over it stops that attempt's output: the worker says why in its log
#    and on the attempt, sends nothing more of it, and the job still ends;
#  - a finish report over it (a long joblet_started error) is replaced, once, by a short
#    report saying why, so the attempt ends and shows it.
# Neither request is sent again: the proxy refuses each once, and the worker goes on
# running jobs. The same holds for registration: a worker the server refuses (a bad
# --name) says why and exits 2 after asking once.
source "$(dirname "$0")/lib.sh"
start_server
"$JG_BUILD/faultproxy" "$T/proxy.port" "127.0.0.1:${JOBGRID_URL##*:}" --max-body 1000 \
	2>"$T/proxy.log" &
PROXY_PID=$!
wait_until 10 test -s "$T/proxy.port"
start_worker w1 --cores 1 --server "http://127.0.0.1:$(cat "$T/proxy.port")"
wait_workers 1

refusals() { grep -c "refused POST $1" "$T/proxy.log" || true; }
attempt_of() { jg show "$1" --json | jq -c '.joblets[0].attempts[0]'; }
_last_line_is() { [[ $(jg log "$1" | tail -n 1) == "$2" ]]; }

# ---- An output chunk refused: the rest of that output is given up, the job ends.
id=$(jg add --name refused -- "seq 1 5; while [ ! -e '$T/go' ]; do sleep 0.05; done;
	printf '%0200000d\n' 0; echo after")
wait_until 20 _last_line_is "$id" "[w1] 5"
touch "$T/go"
jg wait "$id" --timeout 30s >/dev/null || fail "the job whose output was refused did not end done"
a=$(attempt_of "$id")
att=$(jq -r .id <<<"$a")
[[ $(jq -r .message <<<"$a") == "output from byte 10 on was refused by the server (HTTP 413): "*"at most 1000 bytes"* ]] ||
	fail "the attempt does not say why its output stopped: $(jq -r .message <<<"$a")"
log "ok: the attempt says why: $(jq -r .message <<<"$a")"
expect_eq "$(jg log "$id" | tr '\n' ' ')" "[w1] 1 [w1] 2 [w1] 3 [w1] 4 [w1] 5 " "the log holds what was delivered, nothing after"
expect_eq "$(jq -r .output_bytes <<<"$a")" 10 "the server stored the 10 bytes it took"
grep -q "attempt $att: output from byte 10 on was refused by the server (HTTP 413)" "$T"/worker.w1.*.log ||
	fail "the worker's log does not say why"

# ---- A finish report refused: a short one says so instead, once.
mkdir -p "$T/defs"
cat >"$T/defs/loud.yaml" <<'EOF'
description: a joblet_started error too long for the proxy
script: |
  function joblet_started(job, joblet)
    error(string.rep("far too long ", 120))
  end
EOF
jg deploy "$T/defs" >/dev/null || fail "the definition did not deploy"
loud=$(jg run loud)
_ended() { [[ $(jg show "$1" --json | jq -r .state) == failed ]]; }
wait_until 30 _ended "$loud"
a=$(attempt_of "$loud")
expect_eq "$(jq -r '.state + " " + .fail_reason' <<<"$a")" "failed exit" "the short report keeps the outcome"
[[ $(jq -r .message <<<"$a") == "the worker's report was refused by the server (HTTP 413): "*"at most 1000 bytes"* ]] ||
	fail "the attempt does not say its report was refused: $(jq -r .message <<<"$a")"
log "ok: the attempt says why: $(jq -r .message <<<"$a")"
grep -q "attempt $(jq -r .id <<<"$a"): the server refused its report (HTTP 413)" "$T"/worker.w1.*.log ||
	fail "the worker's log does not say its report was refused"

# ---- Nothing is sent again: one more job runs through the same worker, and each refused
# request was seen once.
id2=$(jg add -- echo still working)
jg wait "$id2" --timeout 30s >/dev/null || fail "the worker did not go on"
expect_eq "$(jg log "$id2")" "[w1] still working" "the worker goes on"
expect_eq "$(refusals "/v1/attempts/$att/output")" 1 "the refused chunk was sent once"
expect_eq "$(refusals "/v1/attempts/$(jq -r .id <<<"$a")/finish")" 1 "the refused report was sent once on its own"
expect_eq "$(curl -s "$JOBGRID_URL/metrics" | awk -F'} ' '/http_requests_total\{route="attempt_output"\}/ {print $2}')" 2 \
	"the server got two output chunks: the 10 bytes, and 'still working'"
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true

# ---- A refused registration is not asked again: the worker exits 2. (Its own options are
# checked before it asks; a tag name the server refuses is one it does not check.)
start_worker badtag --cores 1 --tag 'bad!key=1'
pid=${WORKER_PID[badtag]}
wait_until 30 sh -c "! kill -0 $pid 2>/dev/null"
rc=0
wait "$pid" || rc=$?
unset "WORKER_PID[badtag]"
expect_eq "$rc" 2 "a worker whose registration is refused exits 2"
grep -q "registration refused (422): .*tag names are" "$T"/worker.badtag*.log ||
	fail "the worker's log does not say why: $(cat "$T"/worker.badtag*.log)"
expect_eq "$(curl -s "$JOBGRID_URL/metrics" | awk -F'} ' '/http_errors_total\{route="worker_register"\}/ {print $2}')" 1 \
	"it asked once"
