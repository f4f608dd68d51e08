#!/usr/bin/env bash
# Authentication (SPEC §9, issue 12): a server with --auth writes an admin token on its
# first start, answers calls without valid credentials with 401 and WWW-Authenticate,
# calls of the wrong role with 403 (a worker token cannot add jobs or deploy, a user token
# cannot reserve or report), refuses a revoked, logged-out or expired token at once, owns
# a job by the caller's token whatever the request says, sends refusals to admins' event
# streams only, keeps users and tokens across a restart, and its local workers run jobs
# with a worker token of their own.
source "$(dirname "$0")/lib.sh"
start_server --auth --local-workers 1
ADMIN_FILE=$T/data/admin.token
[[ -s $ADMIN_FILE ]] || fail "no admin token written"
expect_eq "$(stat -c %a "$ADMIN_FILE")" 600 "admin.token is mode 0600"
grep -q "wrote an admin token" "${LOGS[0]}" || fail "the server did not say it wrote the admin token"
ADMIN=$(cat "$ADMIN_FILE")
[[ $ADMIN =~ ^jg_[0-9a-f]{64}$ ]] || fail "admin token text: $ADMIN"
expect_eq "$(stat -c %a "$T/data/local-workers.token")" 600 "the local workers' token file is 0600"
ps -eo args | grep -F "$T/data" | grep -qF "$(cat "$T/data/local-workers.token")" &&
	fail "a token is on a command line"

# code METHOD PATH TOKEN [BODY]: the HTTP status (headers of the reply in $T/h)
code() {
	curl -sS -o "$T/body" -D "$T/h" -w '%{http_code}' -X "$1" ${3:+-H "Authorization: Bearer $3"} \
		-H 'Content-Type: application/json' ${4:+--data-binary "$4"} "$JOBGRID_URL$2"
}

log "no credentials: 401 with WWW-Authenticate, whatever X-Jobgrid-User claims"
expect_eq "$(code GET /v1/jobs '')" 401 "no token"
grep -qi '^WWW-Authenticate: Bearer realm="jobgrid"' "$T/h" || fail "no WWW-Authenticate: $(cat "$T/h")"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'X-Jobgrid-User: root' "$JOBGRID_URL/v1/jobs")" 401 \
	"X-Jobgrid-User proves nothing"
expect_eq "$(code GET /v1/jobs "jg_$(printf '%064d' 0)")" 401 "an unknown token"
grep -qi 'error="invalid_token"' "$T/h" || fail "a bad token is not said to be invalid"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' -H 'Authorization: Basic YTpi' "$JOBGRID_URL/v1/jobs")" 401 \
	"another scheme"
expect_eq "$(code GET /healthz '')" 200 "the health check is open"
rc=0; JOBGRID_TOKEN= jg status >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 5 "the CLI without a token exits 5"
grep -q "log in or give a token" "$T/err" || fail "no hint: $(cat "$T/err")"

export JOBGRID_TOKEN=$ADMIN
log "admin adds users; a user logs in with curl"
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
printf 'bob-pw\n' | jg user add bob --password-stdin >/dev/null
rc=0; printf 'x\n' | jg user add alice --password-stdin 2>/dev/null || rc=$?
expect_eq "$rc" 2 "adding a user twice is refused"
expect_eq "$(jg user list --json | jq -r '[.users[].name] | join(",")')" alice,bob "user list"
login() {	# USER PASSWORD: the token, or nothing
	curl -sS -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$JOBGRID_URL/v1/login" | jq -r '.token // empty'
}
ALICE=$(login alice alice-pw)
BOB=$(login bob bob-pw)
[[ $ALICE =~ ^jg_ && $BOB =~ ^jg_ ]] || fail "logins gave no tokens"
expect_eq "$(JOBGRID_TOKEN=$ALICE jg --json status >/dev/null; echo $?)" 0 "alice's token works"
expect_eq "$(curl -s -H "Authorization: Bearer $ALICE" "$JOBGRID_URL/v1/whoami" | jq -r '.user + " " + .role')" \
	"alice user" "whoami"

log "the owner of a job is the token's user"
id=$(curl -sS -H "Authorization: Bearer $ALICE" -H 'X-Jobgrid-User: bob' -d '{"cmd":"echo mine"}' \
	"$JOBGRID_URL/v1/jobs" | jq -r '.ids[0]')
expect_eq "${id%%.*}" alice "X-Jobgrid-User: bob does not make it bob's"
expect_eq "$(code POST /v1/jobs "$ALICE" '{"cmd":"true","owner":"bob"}')" 400 "no owner field in a job"
JOBGRID_TOKEN=$ALICE jg wait "$id" >/dev/null || fail "the local worker (worker token of its own) did not run $id"
expect_eq "$(JOBGRID_TOKEN=$ALICE jg log "$id")" "[$(jq -r '.joblets[0].attempts[0].node' <<<"$(JOBGRID_TOKEN=$ALICE jg show "$id" --json)")] mine" "its output"

log "a worker token cannot add jobs or deploy; a user token cannot reserve or report"
W=$(jg token create --role worker --name w-auth 2>/dev/null)
[[ $W =~ ^jg_ ]] || fail "token create printed no token"
expect_eq "$(code POST /v1/jobs "$W" '{"cmd":"true"}')" 403 "a worker adds a job"
grep -q forbidden "$T/body" || fail "403 without code forbidden: $(cat "$T/body")"
expect_eq "$(code PUT /v1/definitions/x "$W" '{}')" 403 "a worker deploys"
expect_eq "$(code POST /v1/definitions "$W" '{}')" 403 "a worker deploys files"
expect_eq "$(code GET /v1/jobs "$W")" 403 "a worker lists jobs"
expect_eq "$(code POST /v1/workers "$ALICE" '{"name":"x","cores":1,"ram_mb":1}')" 403 "a user registers a worker"
expect_eq "$(code POST /v1/workers/w1/reserve "$ALICE" '{}')" 403 "a user reserves"
expect_eq "$(code POST /v1/workers/w1/heartbeat "$ALICE" '{}')" 403 "a user heartbeats"
expect_eq "$(code POST /v1/attempts/1/finish "$ALICE" '{}')" 403 "a user reports"
expect_eq "$(code POST /v1/tokens "$ALICE" '{"role":"worker"}')" 403 "a user makes a worker token"
expect_eq "$(code GET /v1/users "$ALICE")" 403 "a user lists users"
rc=0; JOBGRID_TOKEN=$ALICE jg user list >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 5 "the CLI exits 5 on 403"
grep -q "refused 403 w-auth: POST /v1/jobs from 127.0.0.1" "${LOGS[0]}" || fail "no log line for the refusal"

log "a worker with a token file, and one with JOBGRID_TOKEN that its joblets do not see"
printf '%s\n' "$W" >"$T/w.token"
chmod 600 "$T/w.token"
start_worker filew --token-file "$T/w.token"
JOBGRID_TOKEN=$W start_worker envw
wait_workers 3
t1=$(JOBGRID_TOKEN=$ALICE jg add --constraint node=filew -- true)
t2=$(JOBGRID_TOKEN=$ALICE jg add --constraint node=envw -- sh -c 'test -z "${JOBGRID_TOKEN-}"')
JOBGRID_TOKEN=$ALICE jg wait "$t1" "$t2" >/dev/null || fail "a joblet saw the worker token or the workers did not run"
chmod 644 "$T/w.token"
rc=0; timeout 10 "$JOBGRID_BIN" worker --server "$JOBGRID_URL" --name loose --token-file "$T/w.token" \
	2>"$T/loose.err" || rc=$?
expect_eq "$rc" 2 "a token file others may read is refused"
grep -q "chmod 600" "$T/loose.err" || fail "no hint: $(cat "$T/loose.err")"

log "revoked, logged-out and expired tokens get 401 at once"
tid=$(curl -s -H "Authorization: Bearer $BOB" "$JOBGRID_URL/v1/whoami" | jq -r .token)
JOBGRID_TOKEN=$BOB jg token revoke "$tid" >/dev/null
expect_eq "$(code GET /v1/jobs "$BOB")" 401 "a token revoked by its owner"
grep -q "revoked" "$T/body" || fail "the 401 does not say revoked: $(cat "$T/body")"
A2=$(login alice alice-pw)
expect_eq "$(code POST /v1/logout "$A2")" 200 "logout"
expect_eq "$(code GET /v1/jobs "$A2")" 401 "a logged-out token"
other=$(jg token list --json | jq '[.tokens[] | select(.user == "alice")][0].id')
expect_eq "$(code DELETE "/v1/tokens/$other" "$BOB")" 401 "revoked bob cannot even try"
SHORT=$(JOBGRID_TOKEN=$ALICE jg token create --role user --name short --expires 2s 2>/dev/null)
expect_eq "$(code GET /v1/jobs "$SHORT")" 200 "a short token works at first"
_expired() { [[ $(code GET /v1/jobs "$SHORT") == 401 ]]; }
wait_until 15 _expired
grep -q "expired" "$T/body" || fail "the 401 does not say expired: $(cat "$T/body")"
expect_eq "$(code DELETE "/v1/tokens/$(jg token list --json | jq '[.tokens[] | select(.name == "w-auth")][0].id')" "$ALICE")" \
	404 "alice cannot see the admin's worker token"

log "refusals reach admins' event streams only"
"$JOBGRID_BIN" events >"$T/admin.events" 2>&1 &
track $!
JOBGRID_TOKEN=$ALICE "$JOBGRID_BIN" events >"$T/alice.events" 2>&1 &
track $!
# Alice's stream is open once it shows a job of hers added after it started.
_alice_open() { local j; j=$(JOBGRID_TOKEN=$ALICE jg add -- true); grep -q "\"job\":\"$j\"" "$T/alice.events"; }
wait_until 20 _alice_open
# A refusal of alice's now; the admin's stream shows it (once open: try again until then).
_refused_seen() { code GET /v1/users "$ALICE" >/dev/null; grep -q '"auth.refused"' "$T/admin.events"; }
wait_until 15 _refused_seen
grep '"auth.refused"' "$T/admin.events" | head -1 | jq -e '.user == "alice" and .status == 403 and .peer == "127.0.0.1"' \
	>/dev/null || fail "the event: $(grep auth.refused "$T/admin.events" | head -1)"
last=$(JOBGRID_TOKEN=$ALICE jg add -- true)
_alice_saw() { grep -q "\"job\":\"$last\"" "$T/alice.events"; }
wait_until 15 _alice_saw
grep -q auth.refused "$T/alice.events" && fail "a user's stream got an auth.refused event"

log "passwd: the old password first; deleting a user revokes their tokens"
printf 'alice-pw\nalice-new\n' | JOBGRID_TOKEN=$ALICE jg passwd --password-stdin >/dev/null
[[ -z $(login alice alice-pw) ]] || fail "the old password still works"
ALICE=$(login alice alice-new)
[[ -n $ALICE ]] || fail "the new password does not work"
rc=0; printf 'wrong\nx\n' | JOBGRID_TOKEN=$ALICE jg passwd --password-stdin 2>/dev/null || rc=$?
expect_eq "$rc" 5 "a wrong old password"
BOB=$(login bob bob-pw)
jg user del bob >/dev/null
expect_eq "$(code GET /v1/jobs "$BOB")" 401 "a deleted user's token"
[[ -z $(login bob bob-pw) ]] || fail "a deleted user logs in"

log "users and tokens survive a restart; the admin token is not made again"
kill_server
restart_server --auth --local-workers 1
expect_eq "$(cat "$ADMIN_FILE")" "$ADMIN" "admin.token kept"
expect_eq "$(code GET /v1/jobs "$ALICE")" 200 "alice's token after the restart"
expect_eq "$(code GET /v1/jobs "$SHORT")" 401 "the expired token after the restart"
t3=$(JOBGRID_TOKEN=$ALICE jg add -- true)
JOBGRID_TOKEN=$ALICE jg wait "$t3" >/dev/null || fail "the local worker after the restart"
log "ok"
