#!/usr/bin/env bash
# The CLI contract (SPEC §4): exit statuses, --jsonl input, list filters, status --json
# shape; and worker options: fail-over between server URLs, tags, --idle-exit, bad values.
source "$(dirname "$0")/lib.sh"
start_server
rc() { local r=0; "$@" >/dev/null 2>&1 || r=$?; echo "$r"; }

expect_eq "$(rc jg add --priority 300 -- true)" 2 "an out-of-range option exits 2"
out=$(jg add --priority 300 -- true 2>&1 || true)
grep -q -- "--priority: must be an integer 0..255, got '300'" <<<"$out" ||
	fail "the error names the option and the rule: $out"
expect_eq "$(rc jg add --time soon -- true)" 2 "a bad duration exits 2"
expect_eq "$(rc jg frobnicate)" 2 "an unknown command exits 2"
expect_eq "$(rc jg show 424242)" 4 "an unknown job exits 4"
expect_eq "$(JOBGRID_RETRY_SECS=1 rc jg status --server http://127.0.0.1:1)" 3 "an unreachable server exits 3"
expect_eq "$(rc jg help)" 0 "help exits 0"
expect_eq "$(jg sta --json | jq -r 'keys | join(",")' | tr ',' '\n' | grep -c -E '^(joblets|groups|workers)$')" 3 \
	"a unique prefix finds the command; status --json has joblets, groups, workers"

# --jsonl: one JSON object per line; options are defaults the lines may override.
printf '%s\n' '{"cmd":"true","name":"first","priority":7}' '{"cmd":"true","group":"other"}' |
	jg add --jsonl --group batch >"$T/ids"
expect_eq "$(wc -l <"$T/ids")" 2 "two ids printed"
expect_eq "$(jg show "$(head -1 "$T/ids")" --json | jq -r '"\(.name) \(.priority) \(.group)"')" "first 7 batch" "line fields and option defaults"
expect_eq "$(jg show "$(tail -1 "$T/ids")" --json | jq -r .group)" other "a line overrides an option"
printf '%s\n' '{"cmd":"true"}' 'not json' | jg add --jsonl >/dev/null 2>"$T/err" && fail "bad JSONL accepted"
grep -q "stdin line 2" "$T/err" || fail "the error names the line: $(cat "$T/err")"
expect_eq "$(jg list --group batch --json | jq '.jobs | length')" 1 "list --group filters"
expect_eq "$(jg list --state ready --limit 1 --json | jq '.jobs | length')" 1 "list --limit"

# Worker: the first URL is dead, the second is the server; tags; idle exit.
start_worker tagged --server "http://127.0.0.1:1,$JOBGRID_URL" --cores 1 --tag rack=r7 --tag gpu=none --idle-exit 2
wait_until 15 bash -c "[[ \$('$JOBGRID_BIN' workers --json | jq -r '.workers[0].tags.rack') == r7 ]]"
log "ok: the worker failed over to the second URL and advertised its tags"
jg wait $(cat "$T/ids") --timeout 30s >/dev/null || fail "jobs did not run"
pid=${WORKER_PID[tagged]}
for ((i = 0; i < 100; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
kill -0 "$pid" 2>/dev/null && fail "--idle-exit 2 did not end the idle worker"
wait "$pid" || fail "the idle worker exited non-zero"
unset "WORKER_PID[tagged]"
log "ok: the idle worker exited by itself"
expect_eq "$(rc "$JOBGRID_BIN" worker --cores many)" 2 "a bad worker option exits 2"
expect_eq "$(rc "$JOBGRID_BIN" worker --server ftp://x)" 2 "a server that is no http URL exits 2"
expect_eq "$(rc "$JOBGRID_BIN" server --lease 1s --heartbeat 1s --data "$T/x")" 2 "a lease shorter than two heartbeats exits 2"
