#!/usr/bin/env bash
# The dashboard in Debian's chromium, headless, driven by playwright-core: a real server
# with real workers, without authentication (dashboard.cjs). Screenshots of each page go to
# $JG_BUILD/ui-screenshots/.
source "$(dirname "$0")/../e2e/lib.sh"
start_server
start_worker ui-a --cores 4
start_worker ui-b --cores 4
wait_workers 2
export T JOBGRID_BIN JG_BUILD UI_WORKERS=2
node "$(dirname "$0")/dashboard.cjs" || fail "the browser test failed"
log "PASS"
