#!/usr/bin/env bash
# Dependencies (issue 3, SPEC §4 and §7 for ad-hoc jobs): --after-ok/--after-fail/--after-any,
# dep groups with members added later, skip propagation and its undoing by retry, cycles
# refused, remove of a job others wait for, unknown ids, survival of a kill -9, fan-out/fan-in.
# ctest runs it in two parts (E2E_PART=K/N), each on a server of its own, so that each stays
# within the timeout on a loaded machine: refusals, dep groups, chains and kill -9; then
# fan-out/fan-in and mod. Run by hand, it runs both on one server.
# e2e-parts: 2
source "$(dirname "$0")/lib.sh"
start_server

MS='def ms: if . == null then null else (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber) end;'
jf() { jg show "$1" --json | jq -r "$2"; }	# ID FILTER → raw value
tms() { jg show "$1" --json | jq -r "$MS $2 | ms"; }	# ID TIME-FILTER → epoch ms
state() { jf "$1" .state; }
reason() { jf "$1" '.joblets[0].reason'; }
seq_of() { jf "$1" .seq; }
count_jobs() { jg list --limit 1000000 --json | jq '.jobs | length'; }
run() {	# CMD… → $RC and $OUT (stdout and stderr), never fails the test by itself
	RC=0
	OUT=$("$@" 2>&1) || RC=$?
}
expect_names() {	# TEXT SEQ MESSAGE: TEXT names job SEQ (as "12" or "owner.name.12")
	[[ $1 =~ (^|[^0-9])$2([^0-9]|$) ]] || fail "$3: '$1' does not name job $2"
	log "ok: $3 ($1)"
}
expect_after() {	# LATER_MS EARLIER_MS MESSAGE: LATER ≥ EARLIER
	[[ $1 =~ ^[0-9]+$ && $2 =~ ^[0-9]+$ ]] || fail "$3: times missing (later '$1', earlier '$2')"
	(($1 >= $2)) || fail "$3: $1 is $(($2 - $1)) ms before $2"
	log "ok: $3 (+$(($1 - $2)) ms)"
}

part() { [[ -z ${E2E_PART-} || ${E2E_PART%/*} == "$1" ]]; }

if part 1; then
	# ---- Without any worker: nothing runs, so refusals are judged on jobs that have not started.
	# A cycle through dep groups: X is in gx and waits for gy; Y would be in gy and wait for gx.
	x=$(jg add --name cyc-x --dep-group gx --after-group gy -- true)
	expect_eq "$(jf "$x" '.dep_groups | join(",")')/$(jf "$x" '.after_groups | join(",")')" "gx/gy" "X shows its dep group and after-group"
	n0=$(count_jobs)
	run jg add --name cyc-y --dep-group gy --after-group gx -- true
	expect_eq "$RC" 2 "a dependency cycle is refused with exit 2"
	grep -qi cycle <<<"$OUT" || fail "the refusal should mention the cycle: $OUT"
	log "ok: the refusal says: $OUT"
	expect_eq "$(count_jobs)" "$n0" "the refused job was not added"
	expect_eq "$(jg list --limit 1000000 --json | jq '[.jobs[] | select(.name == "cyc-y")] | length')" 0 "no job named cyc-y exists"

	# An unknown dependency id: exit 4, naming it, nothing added.
	run jg add --name orphan --after-ok 987654 -- true
	expect_eq "$RC" 4 "an unknown --after-ok id exits 4"
	grep -q 987654 <<<"$OUT" || fail "the error should name the unknown id 987654: $OUT"
	log "ok: the error names it: $OUT"
	run jg add --name orphan --after-any root.nosuch.987655 -- true
	expect_eq "$RC" 4 "an unknown full --after-any id exits 4"
	expect_eq "$(count_jobs)" "$n0" "nothing was added for unknown dependencies"

	# remove of a job another job waits for: refused; --force removes it and skips the dependant.
	r=$(jg add --name rm-target -- true)
	s=$(jg add --name rm-dependant --after-ok "$r" -- true)
	rseq=$(seq_of "$r")
	expect_eq "$(state "$s")" waiting "the dependant of a job that has not run waits"
	expect_eq "$(jf "$s" '.after_ok | map(tostring) | join(",")')" "$rseq" "show --json lists after_ok by seq"
	run jg remove "$r"
	((RC != 0)) || fail "remove of a job that $s waits for succeeded: $OUT"
	grep -qi wait <<<"$OUT" || fail "the refusal should say others wait for it: $OUT"
	log "ok: remove refused with exit $RC: $OUT"
	expect_eq "$(state "$r")" ready "the refused job is still there"
	run jg remove --force "$r"
	expect_eq "$RC" 0 "remove --force removes it ($OUT)"
	run jg show "$r"
	expect_eq "$RC" 4 "the force-removed job is gone"
	wait_state "$s" skipped
	expect_names "$(reason "$s")" "$rseq" "the dependant is skipped with a reason naming the removed job"

	# ---- One single-core worker: dep group whose third member arrives after the dependant.
	start_worker one --cores 1
	wait_workers 1
	# m1 and m2 hold on a file until m3 has been added, however slow the machine.
	m1=$(jg add --name m1 --dep-group g -- "$(hold g-go)")
	m2=$(jg add --name m2 --dep-group g -- "$(hold g-go)")
	gd=$(jg add --name gdep --after-group g -- true)
	expect_eq "$(state "$gd")" waiting "the --after-group dependant waits"
	grep -q 'group g' <<<"$(reason "$gd")" || fail "its reason should name group g: $(reason "$gd")"
	log "ok: its reason: $(reason "$gd")"
	m3=$(jg add --name m3 --dep-group g -- sleep 1)
	touch "$T/g-go"
	expect_eq "$(jf "$gd" '.after_groups | join(",")')" g "show --json lists after_groups"
	jg wait "$m1" "$m2" "$m3" "$gd" --timeout 30s >/dev/null || fail "the group and its dependant did not all end done"
	c3=$(tms "$m3" .created_at)
	e12=$(jg show "$m2" --json | jq -r "$MS .ended_at | ms")
	e1=$(tms "$m1" .ended_at)
	((e1 > e12)) && e12=$e1
	expect_after "$e12" "$c3" "m3 was added before m1 and m2 had ended (the test's premise)"
	gs=$(tms "$gd" '.joblets[0].attempts[0].started_at')
	for m in "$m1" "$m2" "$m3"; do
		expect_after "$gs" "$(tms "$m" .ended_at)" "the group dependant started after member $(jf "$m" .name) ended"
	done

	# An --after-group on a group nobody is in is satisfied at once.
	e=$(jg add --name emptydep --after-group nobody-here -- true)
	st=$(state "$e")
	[[ $st != waiting ]] || fail "a dependant of an empty group waits: $(reason "$e")"
	log "ok: a dependant of an empty group is $st at once"
	jg wait "$e" --timeout 20s >/dev/null || fail "the dependant of an empty group did not run"
	log "ok: it ran"

	# ---- A second worker with four cores for the rest.
	start_worker w --cores 4
	wait_workers 2
	a=$(jg add --name dep-a -- "$(hold a-go)")
	b=$(jg add --name dep-b --after-ok "$a" -- true)
	aseq=$(seq_of "$a")
	wait_state "$a" running
	expect_eq "$(state "$b")" waiting "B waits while A runs"
	expect_names "$(reason "$b")" "$aseq" "B's reason names A"
	touch "$T/a-go"
	# A failing chain F ← B2 ← C2 (after-ok); F fails until the flag file exists, and once it
	# exists holds until B2 has been seen waiting for it again.
	f=$(jg add --name dep-f -- "test -e $T/flag || exit 1; $(hold f-go)")
	b2=$(jg add --name dep-b2 --after-ok "$f" -- true)
	c2=$(jg add --name dep-c2 --after-ok "$b2" -- true)
	# after-fail and after-any on a failing X1 and a succeeding Y1.
	x1=$(jg add --name dep-x1 -- 'exit 1')
	y1=$(jg add --name dep-y1 -- true)
	afx=$(jg add --name afx --after-fail "$x1" -- true)
	afy=$(jg add --name afy --after-fail "$y1" -- true)
	anx=$(jg add --name anx --after-any "$x1" -- true)
	any=$(jg add --name any --after-any "$y1" -- true)
	expect_eq "$(jf "$afx" '.after_fail | map(tostring) | join(",")')" "$(seq_of "$x1")" "show --json lists after_fail"
	expect_eq "$(jf "$anx" '.after_any | map(tostring) | join(",")')" "$(seq_of "$x1")" "show --json lists after_any"

	jg wait "$b" --timeout 30s >/dev/null || fail "B did not end done: $(reason "$b")"
	expect_after "$(tms "$b" '.joblets[0].attempts[0].started_at')" "$(tms "$a" .ended_at)" "B started after A ended"

	wait_state "$f" failed
	fseq=$(seq_of "$f")
	wait_state "$b2" skipped
	expect_names "$(reason "$b2")" "$fseq" "B2 is skipped with a reason naming the failed F"
	expect_eq "$(jf "$b2" '.joblets[0].attempts | length')" 0 "the skipped B2 never ran"
	wait_state "$c2" skipped
	expect_names "$(reason "$c2")" "$(seq_of "$b2")" "C2 (after-ok B2) is skipped too, naming B2"

	jg wait "$afx" --timeout 20s >/dev/null || fail "--after-fail on a failed job did not run: $(reason "$afx")"
	log "ok: --after-fail ran after a failure"
	expect_after "$(tms "$afx" '.joblets[0].attempts[0].started_at')" "$(tms "$x1" .ended_at)" "--after-fail started after its dependency ended"
	wait_state "$afy" skipped
	expect_names "$(reason "$afy")" "$(seq_of "$y1")" "--after-fail on a succeeded job is skipped, naming it"
	jg wait "$anx" "$any" --timeout 20s >/dev/null || fail "--after-any did not run both ways: $(state "$anx") $(state "$any")"
	log "ok: --after-any ran after a failure and after a success"

	# Fix F's cause and retry it: B2 goes back to waiting, then runs.
	touch "$T/flag"
	run jg retry "$f"
	expect_eq "$RC" 0 "retry F ($OUT)"
	expect_eq "$(state "$b2")" waiting "retry of F put the skipped B2 back to waiting"
	expect_names "$(reason "$b2")" "$fseq" "B2 again waits for F"
	touch "$T/f-go"
	jg wait "$f" "$b2" --timeout 30s >/dev/null || fail "after the retry F and B2 did not end done: $(state "$f") $(state "$b2")"
	log "ok: F and B2 are done after the retry"
	expect_after "$(tms "$b2" '.joblets[0].attempts[0].started_at')" "$(tms "$f" .ended_at)" "B2 started after the retried F ended"
	log "note: C2 (skipped because of B2) is now $(state "$c2"): $(reason "$c2")"

	# ---- Dependencies survive kill -9 of the server.
	# P holds on a file until the checks after the restart are made: on a loaded machine a
	# timed job may already have ended by then.
	p=$(jg add --name dep-p --dep-group pg -- "$(hold p-go)")
	q=$(jg add --name dep-q --after-ok "$p" -- true)
	q2=$(jg add --name dep-q2 --after-group pg -- true)
	wait_state "$p" running
	pseq=$(seq_of "$p")
	kill_server KILL
	# shellcheck disable=SC2119 # the same (no) flags as at first
	restart_server
	expect_eq "$(state "$q")" waiting "after kill -9 and restart the dependant still waits"
	expect_names "$(reason "$q")" "$pseq" "its reason still names P"
	expect_eq "$(jf "$q" '.after_ok | map(tostring) | join(",")')" "$pseq" "after_ok survived the restart"
	expect_eq "$(state "$q2")" waiting "the --after-group dependant still waits"
	expect_eq "$(jf "$p" '.dep_groups | join(",")')" pg "P's dep group survived"
	expect_eq "$(state "$p")" running "P still runs (it holds on a file)"
	touch "$T/p-go"
	jg wait "$p" "$q" "$q2" --timeout 40s >/dev/null || fail "P, Q, Q2 did not end done: $(state "$p") $(state "$q") $(state "$q2")"
	log "ok: P, Q and Q2 are done after the restart"
	expect_after "$(tms "$q" '.joblets[0].attempts[0].started_at')" "$(tms "$p" .ended_at)" "Q started after P ended"
	expect_after "$(tms "$q2" '.joblets[0].attempts[0].started_at')" "$(tms "$p" .ended_at)" "Q2 started after P ended"
fi

if part 2; then
	if [[ -n ${E2E_PART-} ]]; then	# alone: the four-core worker part 1 would have started
		start_worker w --cores 4
		wait_workers 1
	fi
	# ---- Fan-out / fan-in: one root, 20 after-ok on it in dep group fan, one after-group fan.
	# The root runs until the 21 others are added, however long that takes on a busy machine.
	root=$(jg add --name fan-root -- sh -c "while [ ! -e '$T/fan-go' ]; do sleep 0.05; done")
	leaves=()
	for i in $(seq 1 20); do leaves+=("$(jg add --name "fan-$i" --after-ok "$root" --dep-group fan -- true)"); done
	tail_id=$(jg add --name fan-tail --after-group fan -- true)
	expect_eq "$(state "$tail_id")" waiting "the fan-in job waits"
	touch "$T/fan-go"
	jg wait "$root" "${leaves[@]}" "$tail_id" --timeout 40s >/dev/null || fail "the fan-out/fan-in did not all end done"
	log "ok: all 22 jobs are done"
	root_end=$(tms "$root" .ended_at)
	last_leaf_end=0
	early=0
	for l in "${leaves[@]}"; do
		sj=$(jg show "$l" --json)
		ls_=$(jq -r "$MS .joblets[0].attempts[0].started_at | ms" <<<"$sj")
		le=$(jq -r "$MS .ended_at | ms" <<<"$sj")
		((ls_ >= root_end)) || { log "leaf $l started $((root_end - ls_)) ms before the root ended"; early=$((early + 1)); }
		((le > last_leaf_end)) && last_leaf_end=$le
	done
	expect_eq "$early" 0 "every leaf started after the root ended"
	expect_after "$(tms "$tail_id" '.joblets[0].attempts[0].started_at')" "$last_leaf_end" "the fan-in started after the last leaf ended"

	# ---- mod changes the dependencies of a job that has not started.
	# The gate holds until mod has been shown not to wait for it.
	gate=$(jg add --name mod-gate -- "$(hold gate-go)")
	free=$(jg add --name mod-free -- true)
	dep=$(jg add --name mod-dep --after-ok "$gate" -- true)
	jg mod "$dep" --after-ok "$free" >/dev/null
	jg wait "$dep" --timeout 20s >/dev/null || fail "after mod --after-ok it should wait only for $free"
	expect_after "$(tms "$dep" '.joblets[0].attempts[0].started_at')" "$(tms "$free" .ended_at)" "it started after the new dependency"
	[[ $(state "$gate") != done ]] || fail "the old dependency should not have been waited for"
	log "ok: mod --after-ok replaced the dependency (it ran while $gate was still $(state "$gate"))"
	run jg mod "$dep" --after-ok "$gate"
	expect_eq "$RC" 2 "dependencies of a job that started cannot change"
	touch "$T/gate-go"
	jg wait "$gate" --timeout 20s >/dev/null || fail "the gate did not end once released"
fi
