#!/usr/bin/env bash
# The dashboard with authentication (--auth) in Debian's chromium, headless
# (dashboard-auth.cjs): login, what a user sees and may do, logout, an admin.
source "$(dirname "$0")/../e2e/lib.sh"
start_server --auth --local-workers 1
ADMIN_TOKEN=$(cat "$T/data/admin.token")
export JOBGRID_TOKEN=$ADMIN_TOKEN
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
printf 'boss-pw\n' | jg user add boss --role admin --password-stdin >/dev/null
ALICE_TOKEN=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
[[ $ALICE_TOKEN =~ ^jg_ ]] || fail "alice could not log in"
# A network of two for the Job network page: a user sees it, without Pause.
mkdir -p "$T/net"
printf 'name: first\ncommand: "true"\nsuccessors: [second]\n' >"$T/net/first.yaml"
printf 'name: second\ncommand: "true"\n' >"$T/net/second.yaml"
jg deploy "$T/net" >/dev/null
ADMINS_JOB=$(jg add --name admins -- true)
ALICES_JOB=$(JOBGRID_TOKEN=$ALICE_TOKEN jg add --name alices -- true)
wait_workers 1
export T JOBGRID_BIN JG_BUILD ADMIN_TOKEN ALICE_TOKEN ADMINS_JOB ALICES_JOB
node "$(dirname "$0")/dashboard-auth.cjs" || fail "the browser test failed"
log "PASS"
