#!/usr/bin/env bash
# Placement (issue 3 item 4): --constraint K=V against worker tags (and node=NAME), --avoid,
# and Orchestrate's failover: a joblet that failed on a node runs its next attempt on
# another node when one fits.
source "$(dirname "$0")/lib.sh"
start_server --heartbeat 1s --lease 5s
start_worker a --cores 2 --tag gpu=a100 --tag rack=r1
start_worker b --cores 2 --tag gpu=t4 --tag rack=r1
wait_workers 2
node_of() { jg show "$1" --json | jq -r '.joblets[0].attempts[0].node'; }

ids=()
for i in 1 2 3 4; do ids+=("$(jg add --name "a100-$i" --constraint gpu=a100 -- sleep 0.2)"); done
both=$(jg add --name both --constraint gpu=t4 --constraint rack=r1 -- true)
byname=$(jg add --name byname --constraint node=b -- true)
jg wait "${ids[@]}" "$both" "$byname" --timeout 20s >/dev/null || fail "the constrained jobs did not finish"
expect_eq "$(attempt_lines "${ids[@]}" | awk '{print $3}' | sort -u | tr '\n' ' ')" "a " "gpu=a100 ran only on a"
expect_eq "$(node_of "$both")" b "two constraints: only b has gpu=t4 and rack=r1"
expect_eq "$(node_of "$byname")" b "node=b names the worker"
expect_eq "$(jg show "$both" --json | jq -c .constraints)" '{"gpu":"t4","rack":"r1"}' "show lists the constraints"

# A constraint no worker meets: waits with the reason, runs once a worker has the tag. Each
# worker is seen to pass over it (a probe job it takes after it) before "it waits" is checked.
h100=$(jg add --name h100 --constraint gpu=h100 -- true)
probe_passed --constraint node=a
probe_passed --constraint node=b
expect_eq "$(jg show "$h100" --json | jq -r .state)" ready "no worker has it: it waits"
expect_eq "$(jg show "$h100" --json | jq -r '.joblets[0].reason')" "no worker matches constraint gpu=h100" "the reason names the constraint"
start_worker c --cores 1 --tag gpu=h100
jg wait "$h100" --timeout 20s >/dev/null || fail "the h100 job did not run on the new worker"
expect_eq "$(node_of "$h100")" c "it ran on the worker that came with the tag"
stop_worker c
wait_workers 2

# --avoid: never on the avoided node, even when it is the only idle one.
av=()
for i in 1 2 3 4 5 6; do av+=("$(jg add --name "avoid-$i" --avoid a -- sleep 0.2)"); done
jg wait "${av[@]}" --timeout 20s >/dev/null || fail "the avoiding jobs did not finish"
expect_eq "$(attempt_lines "${av[@]}" | awk '{print $3}' | sort -u | tr '\n' ' ')" "b " "--avoid a: all ran on b"
only=$(jg add --name only-a --avoid b --constraint gpu=t4 -- true)
probe_passed --constraint node=b
expect_eq "$(jg show "$only" --json | jq -r .state)" ready "b passed over it: it waits"
expect_eq "$(jg show "$only" --json | jq -r '.joblets[0].reason')" "every worker that could run it is on an avoided node" \
	"the reason says the only match is avoided"
jg cancel "$only" >/dev/null

# Failover: a job that fails once prefers the other node for its retry, every time.
for i in 1 2 3 4; do
	flag="$T/flag.$i"
	fo=$(jg add --name "fo$i" --retries 2 -- "test -e $flag || { touch $flag; exit 1; }")
	jg wait "$fo" --timeout 20s >/dev/null || fail "failover job $i did not end done"
	n1=$(jg show "$fo" --json | jq -r '.joblets[0].attempts[0].node')
	n2=$(jg show "$fo" --json | jq -r '.joblets[0].attempts[1].node')
	[[ $n1 != "$n2" ]] || fail "failover job $i: both attempts on $n1"
	expect_eq "$(jg show "$fo" --json | jq -r '.joblets[0] | "\(.state) \(.errors) \(.attempts | length)"')" \
		"done 1 2" "failover job $i: failed on $n1, done on $n2"
done

# mod changes placement of a waiting job: a constraint nobody meets, then one b meets.
stuck=$(jg add --name stuck --constraint gpu=h200 -- true)
probe_passed --constraint node=a
probe_passed --constraint node=b
expect_eq "$(jg show "$stuck" --json | jq -r .state)" ready "gpu=h200 waits"
jg mod "$stuck" --constraint gpu=t4 >/dev/null
jg wait "$stuck" --timeout 20s >/dev/null || fail "after mod --constraint gpu=t4 it should run"
expect_eq "$(node_of "$stuck")" b "mod --constraint replaced the list: it ran on b"
