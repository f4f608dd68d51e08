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
export T JOBGRID_BIN JG_BUILD UI_WORKERS=2
# The browser test asks for a server restart with $T/restart-request and waits for
# $T/restarted (its stream must resume across it).
node "$(dirname "$0")/dashboard.cjs" &
NODE=$!
track $NODE
while kill -0 "$NODE" 2>/dev/null; do
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
