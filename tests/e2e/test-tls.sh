#!/usr/bin/env bash
# TLS end to end, on loopback: the server's own CA and certificate in DATA/tls (files and
# modes, the fingerprint printed at start, reused on restart), curl --cacert, plain HTTP to
# the TLS port refused, TLS 1.1 refused while 1.2 and 1.3 work, the CLI and a worker
# trusting the server by --ca / JOBGRID_CA and by the pin `jobgrid login` stores, a wrong
# CA and a changed pin refused with their messages, --tls-cert/--tls-key with a certificate
# made here by openssl req (and a key that does not match refused before DATA is touched).
source "$(dirname "$0")/lib.sh"
command -v openssl >/dev/null || { log "no openssl command"; exit 77; }
export HOME=$T/home
unset XDG_CONFIG_HOME JOBGRID_CA
mkdir -p "$HOME"

fp_of() {	# PEM file → its fingerprint as jobgrid prints it
	printf 'sha256:%s\n' "$(openssl x509 -in "$1" -noout -fingerprint -sha256 | sed 's/.*=//; s/://g' | tr A-F a-f)"
}
mode_of() { stat -c %a "$1"; }

start_server --tls
hp=${JOBGRID_URL#https://}
[[ $JOBGRID_URL == https://127.0.0.1:* ]] || fail "server.url should be https://127.0.0.1:PORT, got $JOBGRID_URL"
D=$T/data/tls
for f in ca.pem ca.key server.pem server.key; do [[ -s $D/$f ]] || fail "DATA/tls/$f is missing"; done
expect_eq "$(mode_of "$D")" 700 "DATA/tls is 0700"
expect_eq "$(mode_of "$D/ca.key")" 600 "ca.key is 0600"
expect_eq "$(mode_of "$D/server.key")" 600 "server.key is 0600"
FP=$(fp_of "$D/ca.pem")
grep -qF "the CA's fingerprint is $FP" "${LOGS[0]}" || fail "the log should give the CA fingerprint $FP: $(cat "${LOGS[0]}")"
grep -qF "TLS CA fingerprint:   $FP" "${LOGS[0]}" || fail "the start banner should give $FP"
sans=$(openssl x509 -in "$D/server.pem" -noout -ext subjectAltName)
for want in "IP Address:127.0.0.1" "DNS:localhost" "DNS:$(hostname)"; do
	[[ $sans == *"$want"* ]] || fail "the server certificate should name $want: $sans"
done
openssl verify -CAfile "$D/ca.pem" "$D/server.pem" >/dev/null || fail "server.pem is not signed by ca.pem"

# ---- curl and openssl ----------------------------------------------------------------------
expect_eq "$(curl -sS --cacert "$D/ca.pem" "$JOBGRID_URL/healthz")" ok "curl --cacert over TLS"
rc=0; curl -sS "$JOBGRID_URL/healthz" >/dev/null 2>&1 || rc=$?
expect_eq "$rc" 60 "curl without the CA refuses the certificate"
rc=0; out=$(curl -sS "http://$hp/healthz" 2>&1) || rc=$?
((rc != 0)) || fail "plain HTTP to the TLS port should fail, got: $out"
log "ok: plain HTTP to the TLS port fails (curl exit $rc)"
tls_try() {	# VERSION-FLAG [MORE…]: the protocol a handshake agreed on, or nothing
	openssl s_client -connect "$hp" -CAfile "$D/ca.pem" -verify_return_error "$@" </dev/null 2>/dev/null |
		awk -F', ' '/^New, / && $2 != "(NONE)" {print $2}'
}
expect_eq "$(tls_try -tls1_2)" TLSv1.2 "TLS 1.2 works"
expect_eq "$(tls_try -tls1_3)" TLSv1.3 "TLS 1.3 works"
expect_eq "$(tls_try -tls1_1 -cipher 'DEFAULT@SECLEVEL=0')" "" "TLS 1.1 is refused"
expect_eq "$(tls_try -tls1_2 -cipher 'AES128-SHA:AES256-SHA')" "" "TLS 1.2 without forward secrecy is refused"

# ---- the CLI: no trust, a CA file, JOBGRID_CA, a wrong CA ----------------------------------
# Without a CA or pin libcurl loads the system's CA bundle: many small allocations, which
# ASan's slow unwinder would make take seconds.
rc=0; out=$(ASAN_OPTIONS=$ASAN_OPTIONS:fast_unwind_on_malloc=1 jg status 2>&1) || rc=$?
expect_eq "$rc" 3 "the CLI refuses a server it has no CA or pin for"
[[ $out == *"is not trusted"* && $out == *"jobgrid login"* && $out == *"--ca FILE"* ]] ||
	fail "the refusal should say to run jobgrid login or give --ca: $out"
jg --ca "$D/ca.pem" status >/dev/null
JOBGRID_CA=$D/ca.pem jg status >/dev/null
jg status --ca "$D/ca.pem" >/dev/null
log "ok: --ca FILE (before or after the command) and JOBGRID_CA"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=other \
	-keyout "$T/other.key" -out "$T/other.pem" 2>/dev/null
rc=0; out=$(jg --ca "$T/other.pem" status 2>&1) || rc=$?
expect_eq "$rc" 3 "a wrong CA is refused"
[[ $out == *"is not signed by a CA in --ca $T/other.pem"* && $out == *"$FP"* ]] ||
	fail "the wrong-CA refusal should name the file and what the server offers: $out"
rc=0; out=$(jg --ca "$T/nosuch.pem" status 2>&1) || rc=$?
expect_eq "$rc" 2 "an unreadable CA file is a usage error"
[[ $out == *"--ca $T/nosuch.pem: cannot read it"* ]] || fail "it should say so: $out"

# ---- a worker over TLS (by --ca) runs a job end to end ----------------------------------------
start_worker w1 --ca "$D/ca.pem"
export JOBGRID_CA=$D/ca.pem
wait_workers 1
id=$(jg add -- echo over-tls)
jg wait "$id" --timeout 30s >/dev/null
[[ $(jg log "$id") == *over-tls* ]] || fail "the job's output should come back: $(jg log "$id")"
log "ok: a worker with --ca ran a job"
unset JOBGRID_CA

# ---- login pins the CA; the CLI and a worker then trust the pin -------------------------------
rc=0; out=$(echo not-a-password | jg login --password-stdin 2>&1) || rc=$?
log "login said (exit $rc): $out"
[[ $out == *"$FP"* && $out == *"Pinned it in $HOME/.config/jobgrid/known_servers"* ]] ||
	fail "login should show the fingerprint and say where it was pinned: $out"
expect_eq "$(cat "$HOME/.config/jobgrid/known_servers")" "$JOBGRID_URL $FP" "known_servers holds URL and fingerprint"
expect_eq "$(mode_of "$HOME/.config/jobgrid/known_servers")" 600 "known_servers is 0600"
expect_eq "$(mode_of "$HOME/.config/jobgrid")" 700 "~/.config/jobgrid is 0700"
jg status >/dev/null
log "ok: the CLI trusts the pinned CA"
stop_worker w1
start_worker w2
wait_workers 1
id=$(jg add -- echo pinned)
jg wait "$id" --timeout 30s >/dev/null
log "ok: a worker trusting the pin ran a job"
# A second login does not ask again: the pin is there.
out=$(echo x | jg login --password-stdin 2>&1) || true
[[ $out != *"not known yet"* ]] || fail "a pinned server is not shown as new again: $out"

# ---- restart: the same CA; a new CA is refused by the pin ----------------------------------------
kill_server
restart_server --tls
expect_eq "$(fp_of "$D/ca.pem")" "$FP" "a restart keeps the CA"
jg status >/dev/null
kill_server
rm -rf "$D"
restart_server --tls
FP2=$(fp_of "$D/ca.pem")
[[ $FP2 != "$FP" ]] || fail "a removed DATA/tls should give a new CA"
rc=0; out=$(jg status 2>&1) || rc=$?
expect_eq "$rc" 3 "a changed CA is refused"
for want in "HAS CHANGED" "pinned:  $FP ($HOME/.config/jobgrid/known_servers line 1)" "offered: $FP2" \
	"remove line 1 of $HOME/.config/jobgrid/known_servers"; do
	[[ $out == *"$want"* ]] || fail "the refusal should say '$want': $out"
done
log "ok: $out"
wlog=${LOGS[-1]}
for f in "${LOGS[@]}"; do [[ $f == *worker.w2* ]] && wlog=$f; done
wait_until 20 grep -qF "HAS CHANGED" "$wlog"
log "ok: the worker refuses the changed CA too"
stop_worker w2
rc=0; out=$(echo x | jg login --password-stdin 2>&1) || rc=$?
[[ $out == *"HAS CHANGED"* ]] || fail "login does not replace a pin silently: $out"
expect_eq "$(cat "$HOME/.config/jobgrid/known_servers")" "$JOBGRID_URL $FP" "the old pin stays until removed"
kill_server

# ---- another address: the certificate is issued again, by the same CA ------------------------------
"$JOBGRID_BIN" server --listen 127.0.0.5:0 --data "$T/data" --tls >"$T/other-addr.log" 2>&1 &
other_pid=$!
track "$other_pid"
LOGS+=("$T/other-addr.log")
wait_until 20 grep -q "listening on https://127.0.0.5:" "$T/other-addr.log"
expect_eq "$(fp_of "$D/ca.pem")" "$FP2" "the CA stays when the server moves"
[[ $(openssl x509 -in "$D/server.pem" -noout -ext subjectAltName) == *"IP Address:127.0.0.5"* ]] ||
	fail "the certificate should now name 127.0.0.5"
openssl verify -CAfile "$D/ca.pem" "$D/server.pem" >/dev/null || fail "the new certificate is the CA's"
kill -TERM "$other_pid"
wait "$other_pid" || fail "the server on 127.0.0.5 did not stop cleanly"

# ---- --tls-cert / --tls-key -------------------------------------------------------------------
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj /CN=mine \
	-addext "subjectAltName=IP:127.0.0.1" -keyout "$T/mine.key" -out "$T/mine.pem" 2>/dev/null
refused() {	# WANT ARGS…: exit 2, the message, no data directory
	local want=$1 rc=0 out
	shift
	out=$(timeout 60 "$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/refused" "$@" 2>&1) || rc=$?
	expect_eq "$rc" 2 "server $* is refused"
	[[ $out == *"$want"* ]] || fail "server $*: should say '$want': $out"
	[[ ! -e $T/refused ]] || fail "server $*: the refused server created its data directory"
}
refused "--tls-key $T/other.key: this key does not match the certificate of --tls-cert $T/mine.pem" \
	--tls-cert "$T/mine.pem" --tls-key "$T/other.key"
refused "--tls-cert $T/nosuch.pem: cannot read it" --tls-cert "$T/nosuch.pem" --tls-key "$T/mine.key"
refused "--tls-cert and --tls-key go together" --tls-cert "$T/mine.pem"
refused "--tls-cert $T/mine.key: not a PEM certificate" --tls-cert "$T/mine.key" --tls-key "$T/mine.key"
SERVER_PORT=0
start_server --tls-cert "$T/mine.pem" --tls-key "$T/mine.key"
MINE=$(fp_of "$T/mine.pem")
grep -qF "the CA's fingerprint is $MINE" "${LOGS[-1]}" || fail "the log should give $MINE"
expect_eq "$(curl -sS --cacert "$T/mine.pem" "$JOBGRID_URL/healthz")" ok "curl with your own certificate"
jg --ca "$T/mine.pem" status >/dev/null
log "ok: the CLI with --ca of your own certificate"
