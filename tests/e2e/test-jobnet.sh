#!/usr/bin/env bash
# Job networks (SPEC §7, the JobScheduler dependency-handling issue): a table of scenarios,
# each run on its own server with a virtual clock (--test-clock) and one local worker.
#
# A scenario is a function s_NAME registered with `scenario NAME "what it covers"`; its
# body is a little table:
#   def NAME [COMMAND] <<'Y' … Y   a definition file (name and command are written for
#                                  you; COMMAND defaults to `true`), the rest from stdin
#   config <<'Y' … Y               the server's --config file
#   boot [START] [SERVER ARGS…]    server on the test clock (START: HH:MM on $DAY, or RFC
#                                  3339; default 00:00), one local worker, deploy the defs
#   at [+N] HH:MM[:SS]             set the clock (N days after $DAY), then settle: wait
#                                  until no run is running (jobs run in real time while
#                                  the virtual clock stands still)
#   at_nowait [+N] HH:MM           the same without waiting
#   hand NAME [SETTING=VALUE…]     `jobgrid run` by hand, then settle
#   expect_plan [+N] <<'E' … E     every run of that day's periods, `def@HH:MM=state`
#                                  (planned_at in UTC), compared as sorted lists
#   expect_why DEF@HH:MM TEXT [+N] the reason of that run contains TEXT
#
# Times are UTC (TZ=UTC) unless a scenario says otherwise; $DAY (2026-11-23) is a Monday.
# Run some only: JOBNET_ONLY="name1 name2" bash test-jobnet.sh. ctest runs it in parts
# (E2E_PART=K/N: every Nth scenario from the Kth), each on its own servers.
# e2e-parts: 5
source "$(dirname "$0")/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
export TZ=UTC
DAY=2026-11-23
D=""
SCENARIOS=()
declare -A WHAT=()

scenario() { SCENARIOS+=("$1"); WHAT[$1]=$2; }

# A fresh scenario: no server, an empty data dir, an empty definition dir, UTC.
fresh() {
	kill_server TERM
	rm -rf "$T/data" "$T/defs" "$T/config.yaml"
	SERVER_PORT=0
	D=$T/defs
	mkdir -p "$D"
	export TZ=UTC
	DAY=2026-11-23
	CONFIG_ARGS=()
}

def() {
	local name=$1 cmd=${2:-true}
	{
		printf 'name: %s\ncommand: '\''%s'\''\n' "$name" "${cmd//\'/\'\'}"
		cat
	} >"$D/$name.yaml"
}

config() {
	cat >"$T/config.yaml"
	CONFIG_ARGS=(--config "$T/config.yaml")
}

# [+N] TIME → RFC 3339 (TIME HH:MM or HH:MM:SS on $DAY + N days, or already RFC 3339).
ts() {
	local d=$DAY t
	if [[ $1 == [+-][0-9]* ]]; then
		d=$(day "$1")
		shift
	fi
	t=$1
	[[ $t == *T* ]] && { echo "$t"; return; }
	[[ $t == ??:?? ]] && t=$t:00
	echo "${d}T${t}Z"
}

day() {	# [+N|-N] → the date N days after (before) $DAY
	if [[ ${1-} == [+-][0-9]* ]]; then date -u -d "$DAY $1 days" +%F; else echo "$DAY"; fi
}

boot() {
	local start
	if [[ ${1-} == "" || ${1-} == -* ]]; then start=$(ts 00:00); else start=$(ts "$1"); shift; fi
	start_server --test-clock "$start" --local-workers 1 "${CONFIG_ARGS[@]}" "$@"
	[[ -z $(ls -A "$D") ]] || jg deploy "$D" >/dev/null
}

# No run of the clock's day or the day before is running.
_idle() {
	local now d dd
	now=$(jg clock --json | jq -r .now)
	d=$(date -d "$now" +%F)
	for dd in "$d" "$(date -d "$d - 1 day" +%F)"; do
		jg plan --date "$dd" --json | jq -e '[.runs[] | select(.state == "running")] | length == 0' >/dev/null ||
			return 1
	done
}
settle() { wait_until 30 _idle; }

at_nowait() { jg clock set "$(ts "$@")" >/dev/null; }
at() { at_nowait "$@"; settle; }
advance() { jg clock advance "$1" >/dev/null; settle; }

hand() {
	local out
	out=$(jg run "$@") || fail "run $* failed: $out"
	settle
}

plan_lines() {	# [+N]
	jg plan --date "$(day "${1-}")" --json |
		jq -r '.runs[] | "\(.definition)@\(.planned_at[11:16])=\(.state)"' | LC_ALL=C sort
}

expect_plan() {	# [+N], expected lines on stdin
	local want got
	want=$({ grep -v '^\s*$' || true; } | sed 's/^\s*//;s/\s*$//' | LC_ALL=C sort)
	got=$(plan_lines "${1-}")
	[[ $got == "$want" ]] || fail "$SCN: plan of $(day "${1-}"):
--- expected
$want
--- got
$got
--- full
$(jg plan --date "$(day "${1-}")")"
}

expect_why() {	# DEF@HH:MM TEXT [+N]
	local key=$1 text=$2 why
	why=$(jg plan --date "$(day "${3-}")" --json |
		jq -r --arg k "$key" '.runs[] | select("\(.definition)@\(.planned_at[11:16])" == $k) | .reason')
	[[ -n $why ]] || fail "$SCN: no run $key on $(day "${3-}")"
	[[ $why == *"$text"* ]] || fail "$SCN: $key: reason '$why' lacks '$text'"
}

run_rc() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }

_run_state() {	# DEF@HH:MM STATE [+N]: is that run in STATE?
	jg plan --date "$(day "${3-}")" --json | jq -e --arg k "$1" --arg s "$2" \
		'any(.runs[]; "\(.definition)@\(.planned_at[11:16])" == $k and .state == $s)' >/dev/null
}

# ==== scenarios ==========================================================================

scenario chain_early "a predecessor's success starts a planned successor early, and a start-time-less one"
s_chain_early() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
predecessors: [a]
Y
	def c <<'Y'
predecessors: [b]
Y
	boot
	expect_plan <<'E'
a@06:00=planned
b@07:00=planned
E
	at 06:00
	expect_plan <<'E'
a@06:00=done
b@07:00=done
c@06:00=done
E
	expect_why b@07:00 "started by a's success"
	expect_why c@06:00 "started by b's success"
}

scenario over_midnight "period_start 06:00: a 02:00 run belongs to the previous day's period"
s_over_midnight() {
	def a <<'Y'
schedule: {start_times: ["22:00"], period_start: "06:00"}
dependencies: {successor: {force_start_in_period: false}}
Y
	# b's Tuesday 02:00 run is in Monday's period (Mon 06:00 - Tue 06:00), with a's 22:00;
	# b2 has midnight periods, so a's Monday run is not in its Tuesday period.
	def b <<'Y'
schedule: {start_times: ["02:00"], period_start: "06:00"}
predecessors: [a]
Y
	def b2 <<'Y'
schedule: {start_times: ["02:00"]}
predecessors: [a]
Y
	boot
	at 02:00
	# Monday 02:00 is in Sunday's period for b (a's Sunday 22:00 was before the server).
	expect_plan -1 <<'E'
b@02:00=skipped
E
	expect_why b@02:00 "predecessor a has not completed successfully" -1
	at 22:00
	at +1 02:00
	# a's success restarted b2's skipped Monday run (the successor check's rule a); b's
	# skipped Monday 02:00 run is in Sunday's period and stays skipped.
	expect_plan <<'E'
a@22:00=done
b2@02:00=done
b@02:00=done
E
	expect_why b@02:00 "its start time came"
	expect_why b2@02:00 "started by a's success"
	expect_plan -1 <<'E'
b@02:00=skipped
E
	expect_plan +1 <<'E'
a@22:00=planned
b2@02:00=skipped
b@02:00=planned
E
}

scenario deep_two_paused "mode deep: a paused chain p1 -> p2 is replaced by its predecessor a (shallow drops it)"
s_deep_two_paused() {
	def a false <<'Y'
schedule: {start_times: ["06:00"]}
successors: [p1]
Y
	def p1 <<'Y'
successors: [p2]
Y
	def p2 <<'Y'
successors: [d, s]
Y
	def d <<'Y'
schedule: {start_times: ["07:00"]}
dependencies: {mode: deep}
Y
	def s <<'Y'
schedule: {start_times: ["07:00"]}
dependencies: {mode: shallow}
Y
	boot
	jg pause p1 p2 >/dev/null
	at 06:00
	at 07:00
	expect_plan <<'E'
a@06:00=failed
d@07:00=skipped
s@07:00=done
E
	expect_why d@07:00 "predecessor a has not completed successfully"
	expect_why s@07:00 "its start time came"
}

scenario deep_restart "mode deep: a's success starts d beyond two paused successors"
s_deep_restart() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [p1]
Y
	def p1 <<'Y'
successors: [p2]
Y
	def p2 <<'Y'
successors: [d]
Y
	def d <<'Y'
schedule: {start_times: ["05:00", "07:00"]}
dependencies: {mode: deep}
Y
	boot
	jg pause p1 p2 >/dev/null
	at 05:00
	expect_why d@05:00 "predecessor a has a run planned at"
	at 06:00
	# The skipped 05:00 run comes before the planned 07:00 one; one start per check.
	expect_plan <<'E'
a@06:00=done
d@05:00=done
d@07:00=planned
E
	expect_why d@05:00 "started by a's success"
	at 07:00
	expect_plan <<'E'
a@06:00=done
d@05:00=done
d@07:00=done
E
}

scenario pred_planned_later "a predecessor with a run still planned this period skips the run; its success restarts it"
s_pred_planned_later() {
	def a <<'Y'
schedule: {start_times: ["06:00", "09:00"]}
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
predecessors: [a]
Y
	boot
	at 06:00
	expect_plan <<'E'
a@06:00=done
a@09:00=planned
b@08:00=skipped
E
	expect_why b@08:00 "predecessor a has a run planned at"
	at 09:00
	expect_plan <<'E'
a@06:00=done
a@09:00=done
b@08:00=done
E
	expect_why b@08:00 "started by a's success"
}

scenario skipped_restarted "a run skipped at its start time is started by its predecessor's later success"
s_skipped_restarted() {
	def a 'sleep 0.2' <<'Y'
schedule: {start_times: ["07:00"]}
Y
	def b <<'Y'
schedule: {start_times: ["06:00"]}
predecessors: [a]
Y
	boot
	at 06:00
	expect_plan <<'E'
a@07:00=planned
b@06:00=skipped
E
	at 07:00
	expect_plan <<'E'
a@07:00=done
b@06:00=done
E
	expect_why b@06:00 "started by a's success"
}

scenario pred_running "a running predecessor skips the run; a failed end leaves it skipped"
s_pred_running() {
	def a "$(hold pred_running-go); false" <<'Y'
schedule: {start_times: ["06:00"]}
Y
	def b <<'Y'
schedule: {start_times: ["06:01"]}
predecessors: [a]
Y
	boot
	at_nowait 06:00
	at_nowait 06:01
	expect_why b@06:01 "predecessor a is running"
	touch "$T/pred_running-go"
	settle
	expect_plan <<'E'
a@06:00=failed
b@06:01=skipped
E
}

scenario shallow_paused "mode shallow: a paused predecessor is dropped, its own runs are skipped"
s_shallow_paused() {
	def a false <<'Y'
schedule: {start_times: ["06:00"]}
Y
	def p <<'Y'
schedule: {start_times: ["06:30"]}
predecessors: [a]
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
predecessors: [p]
Y
	boot
	jg pause p >/dev/null
	at 06:00
	at 06:30
	at 07:00
	expect_plan <<'E'
a@06:00=failed
b@07:00=done
p@06:30=skipped
E
	expect_why p@06:30 "definition is paused"
	expect_why b@07:00 "its start time came"
}

scenario failure_branch "a failed run starts its successors_on_failure, not its successors; a later successor is skipped"
s_failure_branch() {
	def a false <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
successors_on_failure: [alert]
Y
	def b <<'Y'
Y
	def alert <<'Y'
Y
	def c <<'Y'
schedule: {start_times: ["07:00"]}
predecessors: [a]
Y
	boot
	at 06:00
	at 07:00
	expect_plan <<'E'
a@06:00=failed
alert@06:00=done
c@07:00=skipped
E
	expect_why alert@06:00 "started by a's failure"
	expect_why c@07:00 "predecessor a has not completed successfully"
}

scenario fan_out_in "fan-out to three, fan-in of two: the first predecessor's success skips, the last's starts"
s_fan_out_in() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b, c, d]
Y
	def b <<'Y'
Y
	def c "$(hold fan_out_in-go)" <<'Y'
Y
	def d <<'Y'
Y
	def j <<'Y'
predecessors: [b, c]
Y
	boot
	at_nowait 06:00
	wait_until 20 _run_state b@06:00 done
	expect_why j@06:00 "predecessor c is running"
	touch "$T/fan_out_in-go"
	settle
	expect_plan <<'E'
a@06:00=done
b@06:00=done
c@06:00=done
d@06:00=done
j@06:00=done
E
	expect_why j@06:00 "started by c's success"
}

scenario timeslot_wait "timeslot first: a due run outside its slot waits, starts when it opens; one whose period ends is skipped"
s_timeslot_wait() {
	def w <<'Y'
schedule: {start_times: ["06:00"], timeslot: "Mon-Fri 08:00-10:00"}
Y
	def late <<'Y'
schedule: {start_times: ["20:00"], timeslot: "Mon-Fri 08:00-10:00"}
Y
	boot
	at 06:00
	expect_plan <<'E'
late@20:00=planned
w@06:00=waiting
E
	expect_why w@06:00 "waiting for its timeslot (opens"
	at 08:00
	expect_why w@06:00 "its timeslot opened"
	at 20:00
	expect_why late@20:00 "does not open again this period"
	at +1 00:00
	expect_plan <<'E'
late@20:00=skipped
w@06:00=done
E
	expect_why late@20:00 "period ended outside its timeslot"
}

scenario succ_force_false "successor.force_start_in_period false: planned successors wait for their time; skipped ones still restart"
s_succ_force_false() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b, b2]
dependencies: {successor: {force_start_in_period: false}}
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	def b2 <<'Y'
schedule: {start_times: ["05:00"]}
Y
	boot
	at 05:00
	at 06:00
	expect_plan <<'E'
a@06:00=done
b2@05:00=done
b@08:00=planned
E
	expect_why b2@05:00 "started by a's success"
	at 08:00
	expect_why b@08:00 "its start time came"
}

scenario repeat_network_run "repeat network re-checks every run; repeat run skips the check after one passed"
s_repeat_network_run() {
	# The run with rc=1 holds until bn@08:00 has been checked against it.
	def a "if [ {{rc}} = 1 ]; then $(hold repeat_network_run-go); fi; exit {{rc}}" <<'Y'
args: {rc: {type: integer, default: 0}}
schedule: {start_times: ["06:00"]}
successors: [bn, br]
dependencies: {successor: {force_start_in_period: false}}
Y
	def bn <<'Y'
schedule: {start_times: ["07:00", "08:00"]}
dependencies: {repeat: network}
Y
	def br <<'Y'
schedule: {start_times: ["07:00", "08:00"]}
dependencies: {repeat: run}
Y
	boot
	at 06:00
	at 07:00
	at 07:59
	jg run a rc=1 >/dev/null
	at_nowait 08:00
	touch "$T/repeat_network_run-go"
	settle
	expect_plan <<'E'
a@06:00=done
a@07:59=failed
bn@07:00=done
bn@08:00=skipped
br@07:00=done
br@08:00=done
E
	expect_why bn@08:00 "predecessor a is running"
}

scenario repeat_none "repeat none: one successful run a period; the successor check makes no second run"
s_repeat_none() {
	def a <<'Y'
schedule: {start_times: ["06:00", "09:00"]}
successors: [n, t]
dependencies: {predecessor: {force_start_in_period: true}}
Y
	def n <<'Y'
dependencies: {repeat: none, predecessor: {force_start_in_period: true}}
Y
	def t <<'Y'
schedule: {start_times: ["07:00", "10:00"]}
dependencies: {repeat: none, predecessor: {force_start_in_period: true}, successor: {force_start_in_period: false}}
Y
	boot
	at 06:00
	at 07:00
	at 09:00
	at 10:00
	expect_plan <<'E'
a@06:00=done
a@09:00=done
n@06:00=done
t@07:00=done
t@10:00=skipped
E
	expect_why t@10:00 "already ran successfully this period (repeat: none)"
}

scenario no_start_times "a member without start times runs only when started (by hand here, then its successor)"
s_no_start_times() {
	def z <<'Y'
successors: [y]
Y
	def y <<'Y'
Y
	boot
	at 23:00
	expect_plan <<'E'
E
	hand z
	expect_plan <<'E'
y@23:00=done
z@23:00=done
E
	expect_why z@23:00 "started by hand"
	expect_why y@23:00 "started by z's success"
	expect_eq "$(jg plan --json | jq -r '[.runs[].origin] | sort | join(",")')" "hand,trigger" "origins"
	expect_plan +1 <<'E'
E
}

scenario shared_definition "two networks sharing a definition: it waits for both sides"
s_shared_definition() {
	# network 1: a1 -> shared -> z1; network 2: a2 -> shared
	def a1 <<'Y'
schedule: {start_times: ["06:00"]}
successors: [shared]
Y
	def a2 <<'Y'
schedule: {start_times: ["07:00"]}
successors: [shared]
Y
	def shared <<'Y'
successors: [z1]
Y
	def z1 <<'Y'
Y
	boot
	at 06:00
	expect_plan <<'E'
a1@06:00=done
a2@07:00=planned
shared@06:00=skipped
E
	expect_why shared@06:00 "predecessor a2 has a run planned at"
	at 07:00
	expect_plan <<'E'
a1@06:00=done
a2@07:00=done
shared@06:00=done
z1@07:00=done
E
}

scenario calendar "calendar weekdays, include and exclude decide which days get planned runs"
s_calendar() {
	def wk <<'Y'
schedule:
  start_times: ["06:00"]
  calendar: {weekdays: [Mon-Fri], include: [2026-11-28], exclude: [2026-11-30]}
Y
	def sat <<'Y'
schedule: {start_times: ["06:00"], calendar: {weekdays: Sat}}
Y
	boot 2026-11-27T00:00:00Z
	DAY=2026-11-27	# a Friday
	local i
	for i in 0 1 2 3; do
		at +$i 06:00
	done
	expect_plan <<'E'
wk@06:00=done
E
	expect_plan +1 <<'E'
sat@06:00=done
wk@06:00=done
E
	expect_plan +2 <<'E'
E
	expect_plan +3 <<'E'
E
	expect_plan +4 <<'E'
wk@06:00=planned
E
	expect_plan +8 <<'E'
sat@06:00=planned
E
}

scenario deploy_cycle "a cycle is refused at deploy, naming it (exit 2), failure edges included"
s_deploy_cycle() {
	def ok <<'Y'
schedule: {start_times: ["06:00"]}
Y
	boot
	mkdir -p "$T/c1" "$T/c2"
	printf 'name: x\ncommand: "true"\nsuccessors: [y]\n' >"$T/c1/x.yaml"
	printf 'name: y\ncommand: "true"\nsuccessors: [x]\n' >"$T/c1/y.yaml"
	run_rc jg deploy "$T/c1"
	expect_eq "$RC" 2 "a cycle is refused"
	[[ $OUT == *"cycle: "*"x -> y -> x"* || $OUT == *"cycle: "*"y -> x -> y"* ]] || fail "cycle message: $OUT"
	printf 'name: x\ncommand: "true"\nsuccessors_on_failure: [y]\n' >"$T/c2/x.yaml"
	printf 'name: y\ncommand: "true"\nsuccessors: [x]\n' >"$T/c2/y.yaml"
	run_rc jg deploy "$T/c2"
	expect_eq "$RC" 2 "a cycle through a failure edge is refused"
	[[ $OUT == *"cycle: "*"x -> y -> x"* || $OUT == *"cycle: "*"y -> x -> y"* ]] || fail "cycle message: $OUT"
	printf 'name: x\ncommand: "true"\npredecessors: [x]\n' >"$T/c2/x.yaml"
	rm "$T/c2/y.yaml"
	run_rc jg deploy "$T/c2"
	[[ $RC == 2 && $OUT == *"x.yaml:3:"*"predecessors: x names itself"* ]] || fail "self edge: $RC $OUT"
	expect_eq "$(jg joblist --json | jq -r '[.definitions[].name] | join(",")')" ok "nothing of them deployed"
}

scenario unknown_predecessor "an edge naming an undeployed definition is refused at deploy"
s_unknown_predecessor() {
	boot
	def b <<'Y'
schedule: {start_times: ["06:00"]}
predecessors: [nosuch]
Y
	run_rc jg deploy "$D"
	expect_eq "$RC" 2 "an unknown predecessor is refused"
	[[ $OUT == *"predecessor nosuch is not deployed"* ]] || fail "message: $OUT"
	printf 'name: c\ncommand: "true"\nsuccessors_on_failure: [gone]\n' >"$D/b.yaml"
	run_rc jg deploy "$D"
	[[ $RC == 2 && $OUT == *"c: successor on failure gone is not deployed"* ]] || fail "failure edge: $RC $OUT"
	expect_plan <<'E'
E
}

scenario pause_resume "pause skips a definition's due runs, resume lets the next ones run; both persist by name"
s_pause_resume() {
	def a <<'Y'
schedule: {start_times: ["06:00", "08:00"]}
Y
	boot
	jg pause a >/dev/null
	at 06:00
	jg resume a >/dev/null
	at 08:00
	expect_plan <<'E'
a@06:00=skipped
a@08:00=done
E
	expect_why a@06:00 "definition is paused"
	run_rc jg pause nosuch
	expect_eq "$RC" 4 "pausing an unknown definition is not found"
}

scenario plan_dates "plan --date: a later day's runs are not planned yet, an earlier day's read back"
s_plan_dates() {
	def a <<'Y'
schedule: {start_times: ["06:00", "18:00"]}
successors: [b]
Y
	def b <<'Y'
Y
	boot
	expect_eq "$(jg plan --date 2026-11-25 --json | jq -r '[.runs[] | "\(.definition)@\(.planned_at[11:16])=\(.state):\(.reason)"] | join(" ")')" \
		"a@06:00=planned:not planned yet a@18:00=planned:not planned yet" "a later day"
	at 06:00
	at 18:00
	at +1 06:00
	at +1 18:00
	at +2 12:00
	# b was made and skipped by a's 06:00 success (a's 18:00 run still to come), then
	# restarted by the 18:00 one: one b run a day.
	expect_plan <<'E'
a@06:00=done
a@18:00=done
b@06:00=done
E
	expect_plan +1 <<'E'
a@06:00=done
a@18:00=done
b@06:00=done
E
	expect_why b@06:00 "started by a's success" +1
	run_rc jg plan --date 2026-13-01
	expect_eq "$RC" 2 "a bad date is refused"
}

scenario simulate "plan --simulate 1: the events of the coming day, without running anything"
s_simulate() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
successors_on_failure: [alert]
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
Y
	def c <<'Y'
predecessors: [b]
Y
	def alert <<'Y'
Y
	boot
	local got
	got=$(jg plan --simulate 1 --json | jq -r '.events[] | "\(.at[11:16]) \(.event) \(.definition)"')
	expect_eq "$got" "06:00 start a
06:01 done a
06:01 start b
06:02 done b
06:02 start c
06:03 done c" "simulated events"
	jg plan --simulate 1 | grep -q "started by a's success" || fail "the text form lacks reasons"
	expect_plan <<'E'
a@06:00=planned
b@07:00=planned
E
	expect_eq "$(jg list --json | jq '.jobs | length')" 0 "simulation made no jobs"
}

scenario restart "kill -9 keeps the plan: finished runs, planned runs and pauses survive"
s_restart() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
dependencies: {successor: {force_start_in_period: false}}
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
Y
	def p <<'Y'
schedule: {start_times: ["07:00"]}
Y
	boot
	at 06:00
	jg pause p >/dev/null
	kill_server KILL
	restart_server --test-clock "$(ts 06:30)" --local-workers 1
	expect_plan <<'E'
a@06:00=done
b@07:00=planned
p@07:00=planned
E
	at 07:00
	expect_plan <<'E'
a@06:00=done
b@07:00=done
p@07:00=skipped
E
	expect_why p@07:00 "definition is paused"
	expect_why b@07:00 "its start time came"
}

scenario hand_predecessor "a hand run counts as its predecessor's success for later checks"
s_hand_predecessor() {
	def a <<'Y'
successors: [b]
dependencies: {successor: {force_start_in_period: false}}
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	def b2 <<'Y'
schedule: {start_times: ["05:00"]}
predecessors: [a]
Y
	boot
	at 05:00
	at 06:00
	hand a
	at 08:00
	expect_plan <<'E'
a@06:00=done
b2@05:00=done
b@08:00=done
E
	expect_why a@06:00 "started by hand"
	expect_why b@08:00 "its start time came"
	expect_why b2@05:00 "started by a's success"
}

scenario force_server "force-start settings in the server config; a definition overrides them"
s_force_server() {
	config <<'Y'
dependencies:
  predecessor: {force_start_in_period: true}
  successor: {force_start_in_period: true}
Y
	def a <<'Y'
schedule: {start_times: ["06:00", "09:00"]}
successors: [b, b2]
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	def b2 <<'Y'
schedule: {start_times: ["08:00"]}
dependencies: {predecessor: {force_start_in_period: false}}
Y
	boot
	at 06:00
	expect_plan <<'E'
a@06:00=done
a@09:00=planned
b2@08:00=skipped
b@08:00=done
E
	expect_why b@08:00 "started by a's success"
	expect_why b2@08:00 "predecessor a has a run planned at"
	kill_server TERM
	printf 'dependencies: {mode: sideways}\n' >"$T/bad.yaml"
	run_rc "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/data2" --config "$T/bad.yaml"
	[[ $RC != 0 && $OUT == *"dependencies.mode"* ]] || fail "a bad config: $RC $OUT"
}

scenario pred_force_planned "predecessor.force_start_in_period true: a predecessor whose only run this period is still planned does not hold the member back"
s_pred_force_planned() {
	config <<'Y'
dependencies: {successor: {force_start_in_period: false}}
Y
	def pa <<'Y'
schedule: {start_times: ["10:00"]}
Y
	def pc <<'Y'
schedule: {start_times: ["08:00"]}
predecessors: [pa]
dependencies: {predecessor: {force_start_in_period: true}}
Y
	def pd <<'Y'
schedule: {start_times: ["08:00"]}
predecessors: [pa]
Y
	boot
	at 08:00
	expect_plan <<'E'
pa@10:00=planned
pc@08:00=done
pd@08:00=skipped
E
	expect_why pc@08:00 "predecessor pa's run planned at"
	expect_why pd@08:00 "predecessor pa has a run planned at"
}

scenario force_definition "successor.force_start_in_period in the definition beats the server config"
s_force_definition() {
	config <<'Y'
dependencies: {successor: {force_start_in_period: false}}
Y
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
dependencies: {successor: {force_start_in_period: true}}
Y
	def a2 <<'Y'
schedule: {start_times: ["06:00"]}
successors: [c]
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	def c <<'Y'
schedule: {start_times: ["08:00"]}
Y
	boot
	at 06:00
	expect_plan <<'E'
a2@06:00=done
a@06:00=done
b@08:00=done
c@08:00=planned
E
}

scenario force_run_time "run-time settings beat the definition: jobgrid run a successor.force_start_in_period=true"
s_force_run_time() {
	def a <<'Y'
successors: [b, c]
dependencies: {successor: {force_start_in_period: false}}
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	def c <<'Y'
schedule: {start_times: ["09:00"]}
Y
	boot
	at 06:00
	hand a
	expect_plan <<'E'
a@06:00=done
b@08:00=planned
c@09:00=planned
E
	at 07:00
	hand a dependencies.successor.force_start_in_period=true
	expect_plan <<'E'
a@06:00=done
a@07:00=done
b@08:00=done
c@09:00=done
E
	expect_why c@09:00 "started by a's success"
	run_rc jg run a mode=sideways
	expect_eq "$RC" 2 "a bad run-time setting is refused"
}

scenario cron_starts "cron start times give planned runs like times of day"
s_cron_starts() {
	def k <<'Y'
schedule: {start_times: [{cron: "0 */6 * * *"}, "23:30"]}
Y
	boot
	at 06:00
	expect_plan <<'E'
k@00:00=done
k@06:00=done
k@12:00=planned
k@18:00=planned
k@23:30=planned
E
}

scenario dst_berlin "Europe/Berlin: a start time in the skipped hour runs at the jump; plan days are local"
s_dst_berlin() {
	export TZ=Europe/Berlin
	DAY=2026-03-29	# clocks go 02:00 -> 03:00 (01:00Z)
	def d <<'Y'
schedule: {start_times: ["02:30", "04:00"]}
Y
	boot 2026-03-28T23:30:00Z
	expect_plan <<'E'
d@01:00=planned
d@02:00=planned
E
	at 2026-03-29T01:00:00Z
	at 2026-03-29T02:00:00Z
	expect_plan <<'E'
d@01:00=done
d@02:00=done
E
}

scenario fan_in_planned "fan-in into a planned run: started early by the first predecessor and skipped, restarted by the last"
s_fan_in_planned() {
	def a <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
Y
	def x <<'Y'
successors: [b]
Y
	def b <<'Y'
schedule: {start_times: ["08:00"]}
Y
	boot
	at 06:00
	expect_plan <<'E'
a@06:00=done
b@08:00=skipped
E
	expect_why b@08:00 "predecessor x has not completed successfully"
	at 07:00
	hand x
	expect_plan <<'E'
a@06:00=done
b@08:00=done
x@07:00=done
E
	expect_why b@08:00 "started by x's success"
}

scenario precedence "timeslot before dependencies before start time: a waiting run is not started by its predecessor"
s_precedence() {
	def a <<'Y'
schedule: {start_times: ["07:00"]}
successors: [t]
Y
	def t <<'Y'
schedule: {start_times: ["06:00"], timeslot: "08:00-10:00"}
Y
	boot
	at 06:00
	expect_why t@06:00 "waiting for its timeslot"
	at 07:00
	expect_plan <<'E'
a@07:00=done
t@06:00=waiting
E
	at 08:00
	expect_plan <<'E'
a@07:00=done
t@06:00=done
E
	expect_why t@06:00 "its timeslot opened"
}

scenario waiting_pred "a predecessor waiting for its timeslot counts as still to come"
s_waiting_pred() {
	def a <<'Y'
schedule: {start_times: ["06:00"], timeslot: "09:00-10:00"}
successors: [b]
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
Y
	boot
	at 06:00
	at 07:00
	expect_why b@07:00 "predecessor a has a run planned at"
	at 09:00
	expect_plan <<'E'
a@06:00=done
b@07:00=done
E
	expect_why b@07:00 "started by a's success"
}

scenario period_12h "a 12h period: each half day is a period of its own (repeat none counts per period)"
s_period_12h() {
	def h <<'Y'
schedule: {start_times: ["03:00", "04:00", "15:00"], period: 12h}
dependencies: {repeat: none}
Y
	boot
	at 03:00
	at 04:00
	at 15:00
	expect_plan <<'E'
h@03:00=done
h@04:00=skipped
h@15:00=done
E
	expect_why h@04:00 "repeat: none"
}

scenario redeploy "a redeploy reconciles the current period: new start times planned, dropped ones gone, earlier ones not made up"
s_redeploy() {
	def a <<'Y'
schedule: {start_times: ["06:00", "12:00"]}
Y
	boot
	at 08:00
	def a <<'Y'
schedule: {start_times: ["07:00", "10:00", "14:00"]}
Y
	jg deploy "$D" >/dev/null
	expect_plan <<'E'
a@06:00=done
a@10:00=planned
a@14:00=planned
E
	at 10:00
	expect_why a@10:00 "its start time came"
	jg undeploy a >/dev/null
	expect_plan <<'E'
a@06:00=done
a@10:00=done
E
}

scenario paused_hand_run "a paused definition run by hand still starts its successors; a paused successor is not started"
s_paused_hand_run() {
	def a <<'Y'
successors: [b, c]
Y
	def b <<'Y'
Y
	def c <<'Y'
Y
	boot
	jg pause a c >/dev/null
	at 06:00
	hand a
	expect_plan <<'E'
a@06:00=done
b@06:00=done
E
}

scenario example_jobnet "examples/jobnet deploys; its simulated day and real day are the ones its README describes"
s_example_jobnet() {
	boot
	jg deploy "$ROOT/examples/jobnet" >/dev/null
	jg pause archive >/dev/null
	expect_plan <<'E'
cleanup@02:00=planned
extract-customers@07:30=planned
extract-orders@07:00=planned
load@12:00=planned
E
	local got
	got=$(jg plan --simulate 1 --json | jq -r '.events[] | "\(.at[11:16]) \(.event) \(.definition)"')
	expect_eq "$got" "02:00 skip cleanup
07:00 start extract-orders
07:01 done extract-orders
07:01 skip transform
07:30 start extract-customers
07:31 done extract-customers
07:31 start transform
07:32 done transform
07:32 wait load
10:00 start load
10:01 done load
10:01 start report
10:02 done report" "the README's simulated day"
	at 02:00
	expect_plan -1 <<'E'
cleanup@02:00=skipped
E
	at 07:00
	expect_why transform@07:00 "predecessor extract-customers has a run planned at"
	at 07:30
	expect_why load@12:00 "waiting for its timeslot (opens Mon 2026-11-23 10:00)"
	at 10:00
	expect_plan <<'E'
cleanup@02:00=planned
extract-customers@07:30=done
extract-orders@07:00=done
load@12:00=done
report@10:00=done
transform@07:00=done
E
	at +1 02:00
	hand transform fail=1
	expect_plan <<'E'
alert@02:00=done
cleanup@02:00=done
extract-customers@07:30=done
extract-orders@07:00=done
load@12:00=done
report@10:00=done
transform@02:00=failed
transform@07:00=done
E
	expect_why alert@02:00 "started by transform's failure"
}

scenario cancel_failure "a cancelled run is not a success: its failure branch starts, its successors do not"
s_cancel_failure() {
	def a "$(hold never)" <<'Y'
schedule: {start_times: ["06:00"]}
successors: [b]
successors_on_failure: [alert]
Y
	def b <<'Y'
Y
	def alert <<'Y'
Y
	boot
	at_nowait 06:00
	wait_until 20 _run_state a@06:00 running
	local job
	job=$(jg plan --json | jq -r '.runs[] | select(.definition == "a") | .job')
	jg cancel "$job" >/dev/null
	settle
	expect_plan <<'E'
a@06:00=failed
alert@06:00=done
E
}

scenario deep_server_config "mode deep from the server config (the lowest layer), shallow in one definition"
s_deep_server_config() {
	config <<'Y'
dependencies: {mode: deep}
Y
	def a false <<'Y'
schedule: {start_times: ["06:00"]}
successors: [p]
Y
	def p <<'Y'
successors: [d, s]
Y
	def d <<'Y'
schedule: {start_times: ["07:00"]}
Y
	def s <<'Y'
schedule: {start_times: ["07:00"]}
dependencies: {mode: shallow}
Y
	boot
	jg pause p >/dev/null
	at 06:00
	at 07:00
	expect_plan <<'E'
a@06:00=failed
d@07:00=skipped
s@07:00=done
E
	expect_why d@07:00 "predecessor a has not completed successfully"
}

scenario undeploy_predecessor "an undeployed predecessor is no longer waited for; its planned runs are dropped; the edge left dangling stops no other deploy"
s_undeploy_predecessor() {
	def a <<'Y'
schedule: {start_times: ["09:00"]}
Y
	def b <<'Y'
schedule: {start_times: ["07:00"]}
predecessors: [a]
Y
	boot
	at 06:00
	jg undeploy a >/dev/null
	at 07:00
	expect_plan <<'E'
b@07:00=done
E
	mkdir -p "$T/other"
	printf 'name: other\ncommand: "true"\n' >"$T/other/other.yaml"
	run_rc jg deploy "$T/other"
	[[ $RC == 0 && $OUT == "deployed other version 1 from "* ]] || fail "b's dangling edge stopped another deploy: $RC $OUT"
	run_rc jg deploy "$D/b.yaml"
	[[ $RC == 2 && $OUT == *"b.yaml:4:16: b: predecessor a is not deployed"* ]] || fail "a new version of b: $RC $OUT"
}

# ==== runner ==============================================================================

started=$SECONDS
n=0
i=0
for SCN in "${SCENARIOS[@]}"; do
	i=$((i + 1))
	if [[ -n ${JOBNET_ONLY-} && " $JOBNET_ONLY " != *" $SCN "* ]]; then continue; fi
	if [[ -n ${E2E_PART-} ]] && (((i - 1) % ${E2E_PART#*/} != ${E2E_PART%/*} - 1)); then continue; fi
	t0=$SECONDS
	fresh
	"s_$SCN"
	n=$((n + 1))
	log "ok: $SCN ($((SECONDS - t0)) s): ${WHAT[$SCN]}"
done
kill_server TERM
log "$n scenarios passed in $((SECONDS - started)) s"
