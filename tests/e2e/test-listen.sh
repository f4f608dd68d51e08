#!/usr/bin/env bash
# --listen without authentication or TLS: loopback only. 0.0.0.0, ::, an interface address
# and a name that resolves to one are refused with why and what is missing, before anything
# touches the data directory; 127.0.0.0/8, ::1 and names resolving there are served, and the
# address actually bound is printed. Beyond loopback the server starts with --tls and
# --auth (its certificate names the address, every interface's for a wildcard), or with
# --insecure-no-tls and --auth (warned at start). `cannot listen` says why. X-Jobgrid-User
# counts only from loopback peers.
#
# Runs in its own network and mount namespaces (tests run as root): a non-loopback address,
# 10.9.9.9 and fd00:9::9, sits on the namespace's lo, and /etc/hosts names it "farhost", so
# the refusals are of addresses that would bind, and a non-loopback peer can connect.
if [[ -z ${JG_LISTEN_NS-} ]]; then
	exec unshare --net --mount env JG_LISTEN_NS=1 bash "$0" "$@"
fi
source "$(dirname "$0")/lib.sh"
ip link set lo up
ip addr add 10.9.9.9/32 dev lo
ip addr add fd00:9::9/128 dev lo nodad
printf '127.0.0.1 localhost\n::1 localhost ip6-localhost\n10.9.9.9 farhost\n127.0.0.5 nearhost\n' >"$T/hosts"
mount --bind "$T/hosts" /etc/hosts

# ---- refused: each exits 2 and says why, and no data directory appears ----------------
refused() {	# ADDR:PORT WHAT-THE-MESSAGE-NAMES…
	local spec=$1 rc=0 out
	shift
	out=$(timeout 60 "$JOBGRID_BIN" server --listen "$spec" --data "$T/refused" "${RFLAGS[@]}" 2>&1) || rc=$?
	expect_eq "$rc" 2 "--listen $spec is refused with exit 2"
	[[ ! -e $T/refused ]] || fail "--listen $spec: the refused server created its data directory"
	for want in "$@"; do
		[[ $out == *"$want"* ]] || fail "--listen $spec: the refusal should say '$want': $out"
	done
	log "ok: $out"
}
RFLAGS=()
why=("authentication" "TLS" "loopback only" "missing: --tls (or --tls-cert and --tls-key) and --auth")
refused 0.0.0.0:0 "--listen 0.0.0.0:0" "0.0.0.0 means every interface" "${why[@]}"
refused '[::]:0' "--listen [::]:0" ":: means every interface" "${why[@]}"
refused 10.9.9.9:0 "10.9.9.9 is not a loopback address" "${why[@]}"
refused '[fd00:9::9]:0' "fd00:9::9 is not a loopback address" "${why[@]}"
refused farhost:0 "10.9.9.9 (farhost resolves to it) is not a loopback address" "${why[@]}"
refused :7370 "ADDR is empty" "every interface"
refused '::1:7370' "an IPv6 address goes in brackets"
refused 127.0.0.1:65536 "PORT must be a number 0..65535"
refused 127.0.0.1 "expected ADDR:PORT"
refused nosuchhost.invalid:0 "cannot listen on nosuchhost.invalid:0: cannot resolve nosuchhost.invalid: "
RFLAGS=(--tls)
refused 10.9.9.9:0 "10.9.9.9 is not a loopback address" "missing: --auth."
RFLAGS=(--auth)
refused 0.0.0.0:0 "0.0.0.0 means every interface" "missing: --tls (or --tls-cert and --tls-key)."
RFLAGS=(--insecure-no-tls)
refused 10.9.9.9:0 "--insecure-no-tls waives TLS, never authentication" "missing: --auth."
RFLAGS=(--insecure-no-tls --tls --auth)
refused 10.9.9.9:0 "--insecure-no-tls contradicts --tls"
RFLAGS=()

# ---- served: the address actually bound is printed and answers -------------------------
served() {	# ADDR:PORT EXPECTED-URL-PREFIX [SERVER ARGS…]
	local spec=$1 want=$2 dir=$T/served.$RANDOM pid url i
	shift 2
	"$JOBGRID_BIN" server --listen "$spec" --data "$dir" "$@" >"$dir.log" 2>&1 &
	pid=$!
	LOGS+=("$dir.log")
	for ((i = 0; i < 400; i++)); do
		[[ -s $dir/server.url ]] && break
		kill -0 "$pid" 2>/dev/null || { cat "$dir.log"; fail "--listen $spec: the server exited"; }
		sleep 0.05
	done
	url=$(cat "$dir/server.url")
	[[ $url == "$want"* && $url =~ :[1-9][0-9]*$ ]] || fail "--listen $spec: server.url should be $want<port>, got $url"
	grep -qF "listening on $url " "$dir.log" || fail "--listen $spec: the log should say listening on $url: $(cat "$dir.log")"
	expect_eq "$(curl -sSg --cacert "$dir/tls/ca.pem" "$url/healthz")" ok "--listen $spec answers at $url"
	if [[ $url == https://* ]]; then
		SANS=$(openssl x509 -in "$dir/tls/server.pem" -noout -ext subjectAltName)
		log "certificate names: $SANS"
	fi
	LAST_LOG=$dir.log
	kill -TERM "$pid"
	wait "$pid" || fail "--listen $spec: the server did not stop cleanly"
}
served 127.0.0.5:0 "http://127.0.0.5:"
served nearhost:0 "http://127.0.0.5:"
served localhost:0 "http://127.0.0.1:"
served '[::1]:0' "http://[::1]:"
served 10.9.9.9:0 "https://10.9.9.9:" --tls --auth
[[ $SANS == *"IP Address:10.9.9.9"* ]] || fail "the certificate should name 10.9.9.9: $SANS"
served 0.0.0.0:0 "https://127.0.0.1:" --tls --auth
[[ $SANS == *"IP Address:10.9.9.9"* && $SANS == *"IP Address:FD00:9:0:0:0:0:0:9"* ]] ||
	fail "a wildcard's certificate should name every interface address: $SANS"
served farhost:0 "https://10.9.9.9:" --tls --auth
[[ $SANS == *"DNS:farhost"* ]] || fail "the certificate should name farhost: $SANS"
served 10.9.9.9:0 "http://10.9.9.9:" --insecure-no-tls --auth
grep -q "WARNING: --insecure-no-tls: plain HTTP beyond loopback" "$LAST_LOG" ||
	fail "--insecure-no-tls should warn at start: $(cat "$LAST_LOG")"
grep -q "warn server.*--insecure-no-tls" "$LAST_LOG" || fail "and in the log: $(cat "$LAST_LOG")"
log "ok: --insecure-no-tls warns"

# ---- cannot listen: the reason, and nothing on disk --------------------------------------
start_server
port=${JOBGRID_URL##*:}
rc=0
out=$(timeout 60 "$JOBGRID_BIN" server --listen "127.0.0.1:$port" --data "$T/busy" 2>&1) || rc=$?
expect_eq "$rc" 1 "a port in use exits 1"
[[ $out == *"cannot listen on 127.0.0.1:$port: Address already in use"* ]] ||
	fail "the error should give the reason: $out"
[[ ! -e $T/busy ]] || fail "a server that cannot listen created its data directory"
log "ok: $out"

# A server.url that cannot be written is said, with the reason (the server still serves).
mkdir -p "$T/urlfail/server.url"
"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/urlfail" >"$T/urlfail.log" 2>&1 &
urlfail_pid=$!
LOGS+=("$T/urlfail.log")
wait_until 20 grep -q 'listening on' "$T/urlfail.log"
grep -qF "cannot write $T/urlfail/server.url: Is a directory" "$T/urlfail.log" ||
	fail "an unwritable server.url should be reported with the reason: $(cat "$T/urlfail.log")"
log "ok: an unwritable server.url is reported with the reason"
kill -TERM "$urlfail_pid"
wait "$urlfail_pid" || fail "the server with an unwritable server.url did not stop cleanly"

# ---- the owner header counts from loopback peers only -------------------------------------
owner_of_add() {	# CURL-ARGS…: add a job, print its owner
	local body
	body=$(curl -sS "$@" -d '{"cmd":"true"}' "$JOBGRID_URL/v1/jobs")
	jq -r '.ids[0] // .error.message' <<<"$body" | cut -d. -f1
}
expect_eq "$(owner_of_add -H 'X-Jobgrid-User: mallory')" mallory "a loopback peer names its user"
expect_eq "$(owner_of_add --interface 127.0.0.5 -H 'X-Jobgrid-User: mallory')" mallory \
	"a peer anywhere in 127.0.0.0/8 is loopback too"
expect_eq "$(owner_of_add --interface 10.9.9.9 -H 'X-Jobgrid-User: mallory')" anonymous \
	"a non-loopback peer's X-Jobgrid-User is ignored: it is anonymous"
expect_eq "$(owner_of_add --interface 10.9.9.9)" anonymous "a non-loopback peer without the header is anonymous"
expect_eq "$(owner_of_add --interface 10.9.9.9 -H 'X-Jobgrid-User: not a name!')" anonymous \
	"a non-loopback peer's header is not even read"
code=$(curl -sS -o /dev/null -w '%{http_code}' -H 'X-Jobgrid-User: not a name!' -d '{"cmd":"true"}' \
	"$JOBGRID_URL/v1/jobs")
expect_eq "$code" 400 "from loopback the same header is read, and refused"
expect_eq "$(jg list --owner anonymous --json | jq '.jobs | length')" 3 "three jobs belong to anonymous"
