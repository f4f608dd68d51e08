#!/usr/bin/env bash
# The dashboard in Debian's chromium, headless, driven by playwright-core: a real server
# with real workers, without authentication (dashboard.cjs), across a restart of the
# server. Screenshots of each page go to
# $JG_BUILD/ui-screenshots/.
source "$(dirname "$0")/../e2e/lib.sh"
start_server
start_worker ui-a --cores 4
start_worker ui-b --cores 4
wait_workers 2
# A definition for the run form: an integer with bounds, a string with choices.
mkdir -p "$T/defs"
sim_def() {	# MAX: sim.yaml with that bound on steps
	cat >"$T/defs/sim.yaml" <<YAML
description: A simulation in steps
args:
  steps: {type: integer, default: 3, min: 1, max: $1, description: how many steps}
  mode: {type: string, choices: [fast, slow], default: fast, description: the pace}
command: echo steps {{steps}} mode {{mode}}
YAML
}
sim_def 100
jg deploy "$T/defs" >/dev/null
jg deploy "$(dirname "$0")/../../examples/chunks" >/dev/null	# a script: its output on the job page
export T JOBGRID_BIN JG_BUILD UI_WORKERS=2
# The browser test asks for a server restart with $T/restart-request and waits for
# $T/restarted (its stream must resume across it), for a new version of sim with
# $T/redeploy-request, $T/redeployed, and for a third worker to start or stop with
# $T/worker-start-request and $T/worker-stop-request.
node "$(dirname "$0")/dashboard.cjs" &
NODE=$!
track $NODE
while kill -0 "$NODE" 2>/dev/null; do
	if [[ -e $T/redeploy-request ]]; then	# a tighter bound, while the form is open
		rm "$T/redeploy-request"
		sim_def 10
		jg deploy "$T/defs" >/dev/null
		touch "$T/redeployed"
	fi
	if [[ -e $T/worker-start-request ]]; then
		rm "$T/worker-start-request"
		start_worker ui-c --cores 2
	fi
	if [[ -e $T/worker-stop-request ]]; then
		rm "$T/worker-stop-request"
		stop_worker ui-c
	fi
	if [[ -e $T/restart-request ]]; then
		rm "$T/restart-request"
		kill_server
		restart_server
		touch "$T/restarted"
	fi
	sleep 0.05
done
wait "$NODE" || fail "the browser test failed"
log "PASS"
