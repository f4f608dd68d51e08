#!/usr/bin/env bash
# `jobgrid login` and `logout` end to end (SPEC §9, issue 12), as a user meets them on a
# server with TLS and authentication: the first login shows the CA's fingerprint and pins
# it, takes the password from stdin, keeps a token per server URL in a 0600 file; every
# command then works with no token given; a wrong password stores nothing; a tokens file
# others may read is refused rather than used; logout revokes the token on the server and
# removes its line, leaving the other servers' lines.
source "$(dirname "$0")/lib.sh"
export HOME=$T/home
unset XDG_CONFIG_HOME JOBGRID_CA JOBGRID_TOKEN
mkdir -p "$HOME"
start_server --tls --auth --local-workers 1
[[ $JOBGRID_URL == https://* ]] || fail "the server should serve https: $JOBGRID_URL"
CFG=$HOME/.config/jobgrid
FP=$(sed -n 's/.*the CA.s fingerprint is \(sha256:[0-9a-f]*\).*/\1/p' "${LOGS[0]}" | head -1)
[[ $FP =~ ^sha256:[0-9a-f]{64}$ ]] || fail "no fingerprint in the server's log"
ADMIN=$(cat "$T/data/admin.token")

log "the admin adds alice (the admin's token from the file, trusted by --ca)"
printf 'alice-pw\n' | JOBGRID_TOKEN=$ADMIN jg --ca "$T/data/tls/ca.pem" user add alice --password-stdin >/dev/null

log "no token yet: the CLI says to log in"
rc=0; out=$(jg --ca "$T/data/tls/ca.pem" status 2>&1) || rc=$?
expect_eq "$rc" 5 "a command without a token"
[[ $out == *"log in"* ]] || fail "no hint to log in: $out"

log "a wrong password: refused, nothing stored but the pin"
rc=0; out=$(printf 'wrong\n' | jg login --user alice --password-stdin 2>&1) || rc=$?
expect_eq "$rc" 5 "a wrong password"
[[ $out == *"$FP"* ]] || fail "the first login shows the CA's fingerprint: $out"
[[ ! -e $CFG/tokens ]] || fail "a refused login stored a token: $(cat "$CFG/tokens")"
expect_eq "$(cat "$CFG/known_servers")" "$JOBGRID_URL $FP" "the pin is kept (the CA was shown and accepted)"

log "the right password: a token per URL, mode 0600"
# Another server's line is kept through login and logout.
OTHER="https://other.example:7370 jg_$(printf '%064d' 7)"
printf '# kept\n%s\n' "$OTHER" >"$CFG/tokens"
chmod 600 "$CFG/tokens"
out=$(printf 'alice-pw\n' | jg login --user alice --password-stdin 2>&1)
log "login said: $out"
[[ $out =~ "logged in to $JOBGRID_URL as alice (role user, token "[1-9][0-9]*", expires " && $out == *"$CFG/tokens"* ]] ||
	fail "login should say who, where and where the token is kept: $out"
[[ $out != *"not known yet"* ]] || fail "a pinned server is shown as new again: $out"
expect_eq "$(stat -c %a "$CFG/tokens")" 600 "the tokens file is 0600"
TOKEN=$(awk -v u="$JOBGRID_URL" '$1 == u {print $2}' "$CFG/tokens")
[[ $TOKEN =~ ^jg_[0-9a-f]{64}$ ]] || fail "no token line for $JOBGRID_URL: $(cat "$CFG/tokens")"
grep -qxF "$OTHER" "$CFG/tokens" || fail "login dropped another server's line"
grep -qx '# kept' "$CFG/tokens" || fail "login dropped a comment"
[[ $out != *"$TOKEN"* ]] || fail "login printed the token"

log "commands work with the stored token and the pinned CA, as alice"
id=$(jg add -- echo logged-in)
jg wait "$id" --timeout 30s >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .owner)" alice "the job is alice's"
expect_eq "$(curl -s --cacert "$T/data/tls/ca.pem" -H "Authorization: Bearer $TOKEN" \
	"$JOBGRID_URL/v1/whoami" | jq -r .user)" alice "the stored token is alice's"

log "a tokens file others may read is refused, not used"
chmod 644 "$CFG/tokens"
rc=0; out=$(jg status 2>&1) || rc=$?
expect_eq "$rc" 2 "a tokens file readable by others"
[[ $out == *"$CFG/tokens: others may read it (mode 0644): chmod 600 it"* ]] ||
	fail "the refusal should name the file, its mode and the fix: $out"
chmod 600 "$CFG/tokens"
printf '%s\nnot a line\n' "$OTHER" >"$CFG/tokens.bad"
chmod 600 "$CFG/tokens.bad"
cp "$CFG/tokens" "$CFG/tokens.good"
mv "$CFG/tokens.bad" "$CFG/tokens"
rc=0; out=$(jg status 2>&1) || rc=$?
expect_eq "$rc" 2 "a broken tokens file"
[[ $out == *"$CFG/tokens line 2: expected two fields, URL VALUE"* ]] ||
	fail "the refusal should name the file, the line and the rule: $out"
mv "$CFG/tokens.good" "$CFG/tokens"
jg status >/dev/null

log "logout revokes the token at once and removes only its line"
out=$(jg logout 2>&1)
[[ $out == *"logged out of $JOBGRID_URL: the token is revoked"* ]] || fail "logout said: $out"
expect_eq "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$T/data/tls/ca.pem" \
	-H "Authorization: Bearer $TOKEN" "$JOBGRID_URL/v1/whoami")" 401 "the token after logout"
! grep -qF "$JOBGRID_URL " "$CFG/tokens" || fail "logout left the line: $(cat "$CFG/tokens")"
grep -qxF "$OTHER" "$CFG/tokens" || fail "logout dropped another server's line"
rc=0; jg status >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 5 "after logout the CLI has no token"
out=$(jg logout 2>&1)
[[ $out == *"not logged in to $JOBGRID_URL"* ]] || fail "a second logout: $out"
log "ok"
