#!/usr/bin/env bash
# The shipped examples (issue 4): the whole examples/ folder deploys at once under the names
# the files give; the sweep makes every point of its grid exactly once; the command template
# takes a hostile string verbatim and runs nothing of it; arguments are checked by type,
# limits and choices, naming the argument.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
start_server
start_worker melt --cores 2
start_worker freeze --cores 2
wait_workers 2
run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }

jg deploy "$ROOT/examples" >"$T/deployed" || fail "examples/ did not deploy: $(cat "$T/deployed")"
names=$(jg joblist --json | jq -r '[.definitions[].name] | sort | join(",")')
for n in chunks failover sweep template; do
	[[ ,$names, == *,$n,* ]] || fail "joblist lacks $n: $names"
done
log "ok: examples/ deploys as a whole: $names"

# The sweep: 2 x 3 points, each result once.
id=$(jg run sweep alphas=1,2 betas=3,4,5 points=6 "results=$T/res")
jg wait "$id" --timeout 60s >/dev/null || fail "the sweep did not end done: $(jg show "$id")"
expect_eq "$(cat "$T"/res/point-* | sort | tr '\n' ';')" "1 3 3;1 4 4;1 5 5;2 3 6;2 4 8;2 5 10;" \
	"every point of the grid ran once with its own values"
expect_eq "$(jg log "$id" | grep -c 'point [0-5]: ALPHA=')" 6 "one log line per point"
run_rc jg run sweep alphas=1 betas=2 points=3 "results=$T/res2" --wait
expect_eq "$RC" 1 "points beyond the grid fail"
grep -q "point 1 is outside the grid" <(jg log "$(jg list --json | jq -r '.jobs[-1].id')") ||
	fail "the failing point does not say why"

# The template: a hostile label arrives verbatim and nothing in it runs.
label='it'"'"'s $(touch '"$T"'/PWNED) "quoted" `touch '"$T"'/PWNED2`; rm -rf /'
id=$(jg run template "label=$label" "out=$T/t" verbose=yes)
jg wait "$id" --timeout 60s >/dev/null || fail "the template run failed: $(jg log "$id")"
got=$(jg log "$id" | sed -n 's/^\[[a-z]*\] label: //p')
expect_eq "$got" "$label" "the label arrived as typed"
[[ ! -e $T/PWNED && ! -e $T/PWNED2 ]] || fail "part of an argument was run"
log "ok: nothing in the argument ran"
jg log "$id" | grep -q "excluded: --exclude=\*.tmp --exclude=\*.swp" || fail "the list did not give one word per item"
expect_eq "$(jg show "$id" --json | jq -r '.priority, .retries, .time_ms' | tr '\n' ' ')" "10 1 600000 " \
	"the facts set priority, retries and the time limit"

run_rc jg run template level=12
expect_eq "$RC" 2 "an integer over its max is refused"
[[ $OUT == *"level: must be at most 9, got 12"* ]] || fail "level: $OUT"
run_rc jg run template compressor=zip
[[ $RC == 2 && $OUT == *"compressor: must be one of"* ]] || fail "compressor: $OUT"
run_rc jg run template ratio=lots
[[ $RC == 2 && $OUT == *"ratio: must be a real"* ]] || fail "ratio: $OUT"
run_rc jg run template colour=red
[[ $RC == 2 && $OUT == *"colour: template has no such argument"* ]] || fail "unknown: $OUT"
log "ok: bad arguments are refused naming the argument and the rule"
log "PASS"
