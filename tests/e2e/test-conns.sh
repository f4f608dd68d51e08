#!/usr/bin/env bash
# Connections a slow or greedy client holds: a client that connects and sends half a
# header (slowloris), or nothing, is dropped at --header-timeout; above --max-connections
# new connections are closed at once, and once the held ones are gone a normal client is
# served again. Plain HTTP and TLS alike.
source "$(dirname "$0")/lib.sh"

# Reads fd until the server closes it; "closed" or "open" when nothing came within SECS.
closed_within() {	# FD SECS
	if timeout "$2" cat <&"$1" >/dev/null 2>&1; then echo closed; else echo open; fi
}

healthz() { curl -sS -m 10 ${CACERT:+--cacert "$CACERT"} "$JOBGRID_URL/healthz" 2>&1; }

check_server() {	# the same checks on the server just started
	local hp=${JOBGRID_URL#*://} port=${JOBGRID_URL##*:} fd
	# ---- slowloris: half a header, then silence; and a silent connection -----------------
	exec {slow}<>"/dev/tcp/127.0.0.1/$port"
	printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n' >&$slow
	exec {silent}<>"/dev/tcp/127.0.0.1/$port"
	expect_eq "$(closed_within $slow 20)" closed "$1: half a header is dropped at --header-timeout"
	expect_eq "$(closed_within $silent 20)" closed "$1: a silent connection is dropped too"
	exec {slow}>&- {silent}>&-
	expect_eq "$(healthz)" ok "$1: the server still serves"

	# ---- the cap: 4 held (this server allows 4), the next is closed ------------------------
	kill_server
	restart_server "${ARGS[@]}" --max-connections 4 --header-timeout 60s
	local held=()
	for i in 1 2 3 4; do
		exec {fd}<>"/dev/tcp/127.0.0.1/$port"
		held+=("$fd")
	done
	# A fifth connection is closed at once: nothing comes back, whatever is sent.
	exec {fd}<>"/dev/tcp/127.0.0.1/$port"
	# In a subshell: when the server has closed it already, the write's SIGPIPE ends the
	# subshell, not the test.
	(printf 'GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n' >&$fd) 2>/dev/null || true
	expect_eq "$(closed_within $fd 20)" closed "$1: a connection above --max-connections is closed"
	exec {fd}>&-
	grep -q "connections open (--max-connections): closing new ones" "${LOGS[-1]}" ||
		fail "$1: the log should say the cap was reached"
	rc=0; out=$(healthz) || rc=$?
	[[ $out != ok ]] || fail "$1: a client above the cap should not be served"
	log "ok: $1: above the cap curl says: $out"
	for fd in "${held[@]}"; do exec {fd}>&-; done
	wait_until 20 bash -c "[[ \$(curl -sS -m 5 ${CACERT:+--cacert $CACERT} $JOBGRID_URL/healthz) == ok ]]"
	log "ok: $1: served again once the held connections are gone"
	# Keep-alive clients count once: a CLI making many requests on one connection works.
	for i in 1 2 3; do jg ${CACERT:+--ca "$CACERT"} status >/dev/null; done
	kill_server
	SERVER_PORT=0
}

ARGS=()
start_server --header-timeout 1s
check_server "plain HTTP"
ARGS=(--tls)
start_server --tls --header-timeout 1s
CACERT=$T/data/tls/ca.pem
check_server "TLS"
