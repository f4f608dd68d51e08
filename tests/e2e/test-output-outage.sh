#!/usr/bin/env bash
# Output and reports across a server outage. The worker talks to the server through a
# proxy that drops the replies to its first two output chunks (the server stored them, the
# worker never heard: it sends them again) and answers 502 while the server is down.
#  - Output a joblet prints while the server is down (kill -9) waits in the worker's spool
#    and arrives after the restart: the log is every line, in order, exactly once.
#  - A joblet that ends during the outage is reported after the restart with the wall time
#    the worker measured, not the time until the server heard of it.
source "$(dirname "$0")/lib.sh"
start_server
"$JG_BUILD/faultproxy" "$T/proxy.port" "127.0.0.1:${JOBGRID_URL##*:}" --drop-reply /output:2 \
	2>"$T/proxy.log" &
PROXY_PID=$!
wait_until 10 test -s "$T/proxy.port"
start_worker w1 --cores 2 --server "http://127.0.0.1:$(cat "$T/proxy.port")" --spool "$T"
wait_workers 1

hold() { printf "while [ ! -e '%s' ]; do sleep 0.05; done" "$T/$1"; }
p=$(jg add --name phases -- "seq 1 30000; touch '$T/phase1'; $(hold go1); seq 30001 2000000;
	touch '$T/phase2'; $(hold go2); seq 2000001 2010000")
w=$(jg add --name timed -- "date +%s%3N >'$T/w.start'; $(hold w.go); date +%s%3N >'$T/w.end'")
_delivered() { [[ $(jg log "$p" | tail -n 1) == "[w1] 30000" ]]; }
wait_until 30 _delivered
wait_until 30 test -e "$T/w.start"
expect_eq "$(grep -c 'dropped the reply to POST /v1/attempts' "$T/proxy.log")" 2 \
	"the replies to the first two chunks were lost on the way"

# ---- The outage: the first joblet prints 15 MB and the second ends while it lasts.
kill_server KILL
touch "$T/go1" "$T/w.go"
wait_until 30 test -e "$T/phase2"
wait_until 30 test -e "$T/w.end"
# Keep the server away while the worker tries to reach it (a second or three of back-off),
# so that the outage is long beside the timed joblet's own run.
_tried() { (($(grep -c 'reserve failed' "$T"/worker.w1.*.log) >= 5)); }
wait_until 30 _tried
restart_server
touch "$T/go2"
jg wait "$p" "$w" --timeout 60s >/dev/null || fail "the jobs did not end done: $(jg show "$p"; jg show "$w")"

# ---- Every line, in order, exactly once.
jg log "$p" >"$T/p.log"
seq 1 2010000 | sed 's/^/[w1] /' >"$T/p.want"
cmp -s "$T/p.log" "$T/p.want" || fail "the log differs from every line once in order:
$(diff "$T/p.want" "$T/p.log" | head -5)"
log "ok: all 2010000 lines once, in order, across the kill -9 and two lost replies"
expect_eq "$(jg show "$p" --json | jq -r .joblets[0].attempts[0].output_bytes)" "$(seq 1 2010000 | wc -c)" \
	"the server stored each byte once"

# ---- The wall time is the worker's.
a=$(jg show "$w" --json | jq -c '.joblets[0].attempts[0]')
own=$(($(cat "$T/w.end") - $(cat "$T/w.start")))
wall=$(jq -r .wall_ms <<<"$a")
span=$(jq -r "$JQ_MS"' (.ended_at | ms) - (.started_at | ms)' <<<"$a")
log "the joblet timed itself at $own ms; wall_ms $wall; the server heard of its end $span ms after it started"
((span >= own + 2000)) || fail "the outage should show in the server's times ($span ms vs $own ms)"
((wall + 50 >= own && wall <= own + 1000)) || fail "wall_ms $wall is not the joblet's own time ($own ms)"
jg show "$w" | grep -q "wall $((wall / 1000))\.[0-9]*s" || fail "show prints another wall time: $(jg show "$w")"
log "ok: wall_ms is the worker's measure ($wall ms), not the outage's ($span ms)"
kill "$PROXY_PID" 2>/dev/null || true
wait "$PROXY_PID" 2>/dev/null || true
