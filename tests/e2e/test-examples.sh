#!/usr/bin/env bash
# The shipped examples: examples/ deploys as one folder (every definition file in it, so a
# new example that stops deploying fails here) and joblist names them; the sweep runs each
# point of its grid exactly once, a point that fails once is retried and the job ends done;
# the command template gets a hostile string argument verbatim and runs none of it, its
# facts reach the job, and bad values are refused naming the argument, making no job.
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# A clock that stands still: the jobnet example's start times never come during the test.
start_server --test-clock 2026-11-23T00:00:00Z
start_worker melt --cores 2
start_worker freeze --cores 2
wait_workers 2
run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
jobs_now() { jg list --json | jq '.jobs | length'; }

# ---- the whole folder ----------------------------------------------------------------------
jg deploy "$ROOT/examples" >"$T/deployed" 2>&1 || fail "examples/ did not deploy: $(cat "$T/deployed")"
files=$(find "$ROOT/examples" -name '*.yaml' | wc -l)
expect_eq "$(grep -c '^deployed ' "$T/deployed")" "$files" "every definition file under examples/ deployed"
names=$(jg joblist --json | jq -r '[.definitions[].name] | sort | join(" ")')
for n in chunks failover sweep template; do
	[[ " $names " == *" $n "* ]] || fail "joblist lacks $n: $names"
done
log "ok: joblist names them: $names"

# ---- sweep: x = -2, 1, 4 and seeds 0, 1; point (1, 0) fails on its first try ----------------
flaky='if [ "$X" = 1 ] && [ "$SEED" = 0 ] && [ "$JOBGRID_RETRY" = 0 ]; then exit 7; fi
echo "working on $X"; echo $((X * 10 + SEED))'
id=$(jg run sweep from=-2 to=4 step=3 seeds=2 "results=$T/res" "command=$flaky")
rc=0
jg wait "$id" --timeout 30s >/dev/null || rc=$?
show=$(jg show "$id" --json)
expect_eq "$rc $(jq -r .state <<<"$show")" "0 done" "the sweep ended done"
expect_eq "$(jq '.joblets | length' <<<"$show")" 6 "one joblet per point: 3 x times 2 seeds"
expect_eq "$(jq -c '[.joblets[] | [.attempts[].exit_code]]' <<<"$show")" "[[0],[0],[7,0],[0],[0],[0]]" \
	"point 2 (x 1, seed 0) failed once and was tried again; the others ran once"
expect_eq "$(ls -A "$T/res" | sort | tr '\n' ' ')" "point-0 point-1 point-2 point-3 point-4 point-5 " \
	"one result file per point and no temporary files left"
expect_eq "$(cat "$T"/res/point-* | sort -n -k1,1 -k2,2 | tr '\n' ';')" \
	"-2 0 -20;-2 1 -19;1 0 10;1 1 11;4 0 40;4 1 41;" "each point's line once, with its own x, seed and value"
expect_eq "$(jg log "$id" | grep -c '^\[[a-z]*\] x=-\{0,1\}[0-9] seed=[01]: ')" 6 "one value line per point in the log"

run_rc jg run sweep step=0
[[ $RC == 2 && $OUT == *"step: must be at least 1"* ]] || fail "step=0: $RC $OUT"
run_rc jg run sweep from=5 to=1 step=1
[[ $RC == 2 && $OUT == *"joblets: the count must come out as 1..100000"* ]] || fail "to < from: $RC $OUT"
log "ok: a grid without points is refused"

# ---- template: hostile text in a string, a list and a path ------------------------------------
label='it'"'"'s $(touch '"$T"'/PWNED1) "quoted" `touch '"$T"'/PWNED2`; touch '"$T"'/PWNED3 # \ $HOME'
src="$T/in dir \$(touch PWNED4) 'q'"	# the run's cwd is $T: a relative touch lands there
mkdir -p "$src" && echo data >"$src/a.txt" && echo skip >"$src/b.tmp"
id=$(cd "$T" && jg run template "label=$label" "source=$src" "out=$T/t" 'exclude=*.tmp,with space' verbose=true)
jg wait "$id" --timeout 30s >/dev/null || fail "the template run failed: $(jg log "$id")"
jg log "$id" >"$T/tlog"
expect_eq "$(sed -n 's/^\[[a-z]*\] label: //p' "$T/tlog")" "$label" "the label arrived verbatim"
expect_eq "$(sed -n 's/^\[[a-z]*\] source: //p' "$T/tlog")" "$src" "the path arrived verbatim"
expect_eq "$(sed -n 's/^\[[a-z]*\] excluded: //p' "$T/tlog")" "--exclude=*.tmp --exclude=with space" \
	"a list gives one word per item"
expect_eq "$(find "$T" -name 'PWNED[0-9]' | wc -l)" 0 "no command in an argument ran"
expect_eq "$(tar -tzf "$T/t/archive-$id.tar.gz" | sort | tr '\n' ' ')" \
	"in dir \$(touch PWNED4) 'q'/ in dir \$(touch PWNED4) 'q'/a.txt " "the archive holds the source, without *.tmp"
expect_eq "$(jg show "$id" --json | jq -c '[.priority, .retries, .time_ms, .cores, .ram_mb]')" \
	"[10,1,600000,1,64]" "the facts set priority, retries, time limit, cores and RAM"

# ---- bad values: refused with the argument's name, no job made -------------------------------
before=$(jobs_now)
check_refused() {	# EXPECTED-TEXT ARG…
	local want=$1
	shift
	run_rc jg run template "$@"
	[[ $RC == 2 && $OUT == *"$want"* ]] || fail "run template $*: exit $RC, said: $OUT"
}
check_refused "level: must be at most 9, got 12" level=12
check_refused "level: must be at least 1, got 0" level=0
check_refused "level: must be an integer" level=high
check_refused "ratio: must be a real" ratio=lots
check_refused "ratio: must be at most 1" ratio=1.5
check_refused "verbose: must be a boolean" verbose=maybe
check_refused "compressor: must be one of" compressor=zip
check_refused "colour: template has no such argument" colour=red
check_refused "facts.joblet.timeout: must be a whole number" joblet.timeout=soon
expect_eq "$(jobs_now)" "$before" "refused runs made no job"
log "ok: wrong types, out-of-range values, unknown names are refused naming the argument"
log "PASS"
