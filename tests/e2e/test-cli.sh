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

# A duration needs a unit: "--time 90" is 90 minutes to a Slurm user, 90 s to a wr user.
out=$(jg add --time 90 -- true 2>&1 || true)
expect_eq "$(rc jg add --time 90 -- true)" 2 "a duration without a unit exits 2"
grep -q -- "--time: a duration needs a unit (ms, s, m, h, d or w), e.g. 90s, 15m, 1h30m, got '90'" <<<"$out" ||
	fail "the error says the one rule: $out"
expect_eq "$(rc jg add --time 0 -- true)" 0 "zero needs no unit"

# Global options before the command; --version; help COMMAND.
expect_eq "$(rc jg --server "$JOBGRID_URL" status)" 0 "--server URL before the command"
expect_eq "$(JOBGRID_URL=http://127.0.0.1:1 rc jg --server="$JOBGRID_URL" --json status)" 0 \
	"--server=URL and --json before the command (the option beats \$JOBGRID_URL)"
expect_eq "$(rc jg --frobnicate status)" 2 "an unknown option before the command exits 2"
[[ $(jg --version) =~ ^jobgrid\ [0-9]+\.[0-9]+\.[0-9]+ ]] || fail "--version: $(jg --version)"
expect_eq "$(rc jg --version)" 0 "--version exits 0"
jg help add >"$T/help"
grep -q "^usage: jobgrid add " "$T/help" || fail "help add gives add's usage: $(head -2 "$T/help")"
grep -q "jobgrid status\|^  status" "$T/help" && fail "help add prints only add's usage"
expect_eq "$(rc jg help frobnicate)" 2 "help of an unknown command exits 2"

# clock advance -5m is a value (refused as a move backwards), not an unknown option.
out=$(jg clock advance -5m 2>&1 || true)
expect_eq "$(rc jg clock advance -5m)" 2 "clock advance -5m exits 2"
grep -q "advance: the clock only moves forward, got '-5m'" <<<"$out" || fail "and says why: $out"

# remove takes a job and the job that waits for it in one call, in either order.
for order in parent-first child-first; do
	p=$(jg add -- true)
	c=$(jg add --after-ok "$p" -- true)
	if [[ $order == parent-first ]]; then args=("$p" "$c"); else args=("$c" "$p"); fi
	expect_eq "$(rc jg remove "${args[@]}")" 0 "remove PARENT CHILD, $order"
	expect_eq "$(rc jg show "$p")$(rc jg show "$c")" 44 "both are gone ($order)"
done
p=$(jg add -- true)
c=$(jg add --after-ok "$p" -- true)
out=$(jg remove "$p" 2>&1 || true)
expect_eq "$(rc jg remove "$p")" 2 "the parent alone is still refused while its child waits"
grep -q "cannot remove $p: other jobs wait for it" <<<"$out" || fail "saying why: $out"
jg remove "$c" "$p" >/dev/null

# plan: the header stands over its columns, whatever their widths.
mkdir -p "$T/plandefs"
printf 'command: "true"\nschedule:\n  start_times: ["23:59:59"]\n' >"$T/plandefs/a-rather-long-definition-name.yaml"
jg deploy "$T/plandefs" >/dev/null
jg plan >"$T/plan"
head_col=$(head -1 "$T/plan" | awk '{print index($0, "DEFINITION") ", " index($0, "STATE")}')
row_col=$(grep a-rather-long "$T/plan" | awk '{print index($0, $2) ", " index($0, $3)}')
expect_eq "$row_col" "$head_col" "plan's rows line up under its header"
jg undeploy a-rather-long-definition-name >/dev/null

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
