# Shared helpers for the end-to-end tests: real server and worker processes on 127.0.0.1,
# a real SQLite file, the real CLI. Source it first thing in a test-*.sh script.
#
#   start_server [ARGS…]      server on 127.0.0.1:0 with --data $T/data; sets SERVER_PID, JOBGRID_URL
#   restart_server [ARGS…]    start a new server on the same data dir (same port if free)
#   kill_server [SIG]         signal the server we started (default TERM) and wait for it
#   start_worker NAME [ARGS…] a worker named NAME; its PID is in WORKER_PID[NAME]
#   track PID                 end this background process (a CLI that follows) at exit too;
#                             start such a CLI as "$JOBGRID_BIN" …, not jg …, so $! is it
#   jg ARGS…                  run the CLI
#   api METHOD PATH [BODY]    curl the API, print the body; status in $API_STATUS; the reply
#                             is checked against docs/openapi.json when the test passes;
#                             with $API_TOKEN set it sends that bearer token
#   wait_until SECS CMD…      retry CMD until it succeeds, or fail the test
#   wait_workers N            until N workers are registered (20 s at most)
#   wait_state ID STATE       until the job is in STATE (20 s at most)
#   jq_get JSON FILTER        run a jq filter over JSON text, raw output
#   proc_gone PID             the process ended (a zombie counts: an orphan may wait long
#                             to be reaped)
#   cg1_memory_dir            this process's cgroup v1 memory directory, or nothing
#   expect_eq ACTUAL EXPECTED MESSAGE
#   measure_rss               before starting processes whose RSS a test bounds
#   proc_mb PID VmHWM|VmRSS   a process's peak or current RSS in MB
#   hold NAME                 shell text for a job's command that waits until the file $T/NAME
#                             exists: a job whose state a check assumes holds on it, and the
#                             test touches $T/NAME once the check is made (never a timed sleep)
#   probe_passed [ADD ARGS…]  add a `true` job (ADD ARGS place it, e.g. --constraint node=a)
#                             and wait until it is done: the worker scan that took it passed
#                             over every older ready joblet it could have taken, so "X still
#                             waits" is then a real check
#
# JOBGRID_TEST_STORE=postgres: every server of the test uses one fresh database of its own
# (PG_TEST_URL), on the suite's cluster (JG_PG_STATE, the ctest fixture pg/cluster) or, run
# alone, on a private cluster started for the test (tests/helpers/pg.sh).
#
# Only processes started here are ended, by PID. On exit every log is scanned for
# sanitizer reports, which fail the test. A test that cannot run here says why and exits 77
# (ctest shows it as skipped).
set -euo pipefail

JOBGRID_BIN=${JOBGRID_BIN:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)/build-test/jobgrid}
JG_BUILD=${JG_BUILD:-$(dirname "$JOBGRID_BIN")}
TEST_NAME=$(basename "${0%.sh}")
mkdir -p "$JG_BUILD/e2e-tmp"
T=$(mktemp -d "$JG_BUILD/e2e-tmp/$TEST_NAME.XXXXXX")
export JOBGRID_RETRY_SECS=${JOBGRID_RETRY_SECS:-5}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:fast_unwind_on_malloc=0}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1}
declare -A WORKER_PID=()
TRACKED=()
SERVER_PID=""
SERVER_PORT=0
SERVER_ARGS=()
LOGS=()

log() { printf '[%s] %s\n' "$TEST_NAME" "$*"; }
fail() { printf '[%s] FAIL: %s\n' "$TEST_NAME" "$*"; exit 1; }

_stop_pid() {	# PID: TERM, wait up to 10 s, then KILL
	local pid=$1 i
	kill -0 "$pid" 2>/dev/null || return 0
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	kill -KILL "$pid" 2>/dev/null || true
	wait "$pid" 2>/dev/null || true
}

_cleanup() {
	local rc=$? name f pid
	for pid in "${TRACKED[@]}"; do _stop_pid "$pid"; done
	for name in "${!WORKER_PID[@]}"; do _stop_pid "${WORKER_PID[$name]}"; done
	[[ -n $SERVER_PID ]] && _stop_pid "$SERVER_PID"
	for f in "${LOGS[@]}"; do
		if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$f" 2>/dev/null; then
			echo "---- sanitizer report in $f ----"
			grep -E -A40 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$f" | head -80
			rc=1
		fi
	done
	_pg_cleanup
	if ((rc == 0)) && ! _check_replies; then
		rc=1
	fi
	if ((rc != 0 && rc != 77)); then	# 77: skipped (ctest's SKIP_RETURN_CODE)
		for f in "${LOGS[@]}"; do echo "---- tail of $f ----"; tail -25 "$f" 2>/dev/null || true; done
	else
		rm -rf "$T"
	fi
	exit $rc
}
trap _cleanup EXIT

PG_TEST_URL=""
PG_STATE=""
PG_OWN=0
# shellcheck source=../helpers/pg.sh
source "$(dirname "${BASH_SOURCE[0]}")/../helpers/pg.sh"

_pg_cleanup() {	# the test's database, and a cluster started for this test alone
	[[ -n $PG_TEST_URL ]] && pg_dropdb "$PG_STATE" "${PG_TEST_URL##*/}" >/dev/null 2>&1 || true
	if ((PG_OWN)); then pg_stop "$PG_STATE"; fi
	PG_TEST_URL=""
}

# Under JOBGRID_TEST_STORE=postgres: the test's database, made at the first start_server.
_pg_test_db() {
	[[ ${JOBGRID_TEST_STORE:-sqlite} == postgres && -z $PG_TEST_URL ]] || return 0
	PG_STATE=${JG_PG_STATE:-}
	if [[ -z $PG_STATE || ! -f $PG_STATE ]]; then
		PG_STATE=$T/pg.state
		pg_start "$PG_STATE" || fail "cannot start a PostgreSQL cluster"
		PG_OWN=1
	fi
	local name
	name=$(basename "$T" | tr 'A-Z.-' 'a-z__')
	PG_TEST_URL=$(pg_createdb "$PG_STATE" "jg_$name") || fail "cannot create database jg_$name"
	log "store: $PG_TEST_URL"
}

jg() { "$JOBGRID_BIN" "$@"; }

# Servers sharing the test's PostgreSQL database (docs/SCALE.md), by name: start_ha NAME
# [ARGS…] starts one on a port below the ephemeral range, fixed for the server's life (a
# server that steps down starts again on the same --listen), with data in $T/NAME.
declare -A SPID=() SPORT=()
start_ha() {
	local name=$1 try port=${SPORT[$1]:-}
	shift
	for ((try = 0; try < 20; try++)); do
		[[ -n ${SPORT[$name]:-} ]] || port=$((20000 + RANDOM % 12000))
		local log="$T/server.$name.$((${#LOGS[@]})).log"
		LOGS+=("$log")
		"$JOBGRID_BIN" server --listen "127.0.0.1:$port" --data "$T/$name" --store "$PG_TEST_URL" \
			"$@" >"$log" 2>&1 &
		SPID[$name]=$!
		# Up once it says where it listens (a standby) or serves (the leader).
		wait_until 30 grep -qE "standby at|listening on|address already in use|cannot listen" "$log"
		if ! grep -qE "address already in use|cannot listen" "$log"; then
			track "${SPID[$name]}"
			SPORT[$name]=$port
			return 0
		fi
		wait "${SPID[$name]}" 2>/dev/null || true
		[[ -z ${SPORT[$name]:-} ]] || sleep 0.2	# its own port, not free yet
	done
	fail "server $name found no free port"
}
url_of() { echo "http://127.0.0.1:${SPORT[$1]}"; }
health() { curl -s --max-time 2 "$(url_of "$1")/healthz" || true; }
leading() { [[ $(health "$1") == ok ]]; }
standby() { [[ $(health "$1") == standby* ]]; }

# For tests that act as other local accounts: those must reach the binary and $T by path.
# A build tree under a directory closed to them (a clone in a 0700 directory) is not; then
# $T and a copy of the binary move to a directory of their own under /tmp, removed at exit.
open_to_other_accounts() {
	chmod 711 "$T"
	if setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$JOBGRID_BIN" 2>/dev/null &&
		setpriv --reuid 65534 --regid 65534 --clear-groups test -x "$T" 2>/dev/null; then
		return 0
	fi
	local pub
	pub=$(mktemp -d "/tmp/jg-$TEST_NAME.XXXXXX")
	chmod 711 "$pub"
	cp "$JOBGRID_BIN" "$pub/jobgrid"
	chmod 755 "$pub/jobgrid"
	JOBGRID_BIN=$pub/jobgrid
	rmdir "$T"
	T=$pub	# removed by _cleanup with everything in it
	log "the build tree is closed to other accounts: working in $T"
}

start_server() {
	SERVER_ARGS=("$@")
	local log="$T/server.$((${#LOGS[@]})).log" i
	LOGS+=("$log")
	rm -f "$T/data/server.url"
	_pg_test_db
	"$JOBGRID_BIN" server --listen "127.0.0.1:$SERVER_PORT" --data "$T/data" \
		${PG_TEST_URL:+--store "$PG_TEST_URL"} "$@" >"$log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 200; i++)); do
		[[ -s $T/data/server.url ]] && break
		kill -0 "$SERVER_PID" 2>/dev/null || { cat "$log"; fail "server exited at start"; }
		sleep 0.05
	done
	[[ -s $T/data/server.url ]] || fail "server did not start"
	JOBGRID_URL=$(cat "$T/data/server.url")
	export JOBGRID_URL
	SERVER_PORT=${JOBGRID_URL##*:}
}

kill_server() {
	local sig=${1:-TERM}
	[[ -n $SERVER_PID ]] || return 0
	kill -"$sig" "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}

# The same port when it is free again, so workers find the new server.
restart_server() {
	local i
	for ((i = 0; i < 50; i++)); do
		start_server "$@" 2>/dev/null && return 0
		sleep 0.1
	done
	fail "server did not restart"
}

track() { TRACKED+=("$1"); }

start_worker() {
	local name=$1
	shift
	local log="$T/worker.$name.$((${#LOGS[@]})).log"
	LOGS+=("$log")
	"$JOBGRID_BIN" worker --server "$JOBGRID_URL" --name "$name" "$@" >"$log" 2>&1 &
	WORKER_PID[$name]=$!
}

stop_worker() {	# NAME [SIG]
	local pid=${WORKER_PID[$1]}
	if [[ ${2:-TERM} == TERM ]]; then _stop_pid "$pid"; else kill -"$2" "$pid" 2>/dev/null || true; fi
	[[ ${2:-TERM} == STOP || ${2:-TERM} == CONT ]] || unset "WORKER_PID[$1]"
}

API_STATUS=0
api() {
	local method=$1 path=$2 body=${3-} out
	out=$(curl -sS -X "$method" -H 'Content-Type: application/json' -w '\n%{http_code}' \
		${API_TOKEN:+-H "Authorization: Bearer $API_TOKEN"} \
		${body:+--data-binary "$body"} "$JOBGRID_URL$path")
	API_STATUS=${out##*$'\n'}
	record_reply "$method" "$path" "$API_STATUS" "${out%$'\n'*}"
	printf '%s\n' "${out%$'\n'*}"
}

# record_reply METHOD PATH STATUS BODY: kept in $T/replies.jsonl, which the exit of a test
# that passed checks against docs/openapi.json (tools/validate-responses.js).
record_reply() {	# the body on stdin: a page of joblets is beyond an argument's size limit
	printf '%s' "$4" | jq -cn --arg m "$1" --arg p "$2" --arg s "$3" --rawfile b /dev/stdin \
		'{method: $m, path: $p, status: $s, body: $b}' >>"$T/replies.jsonl"
}

# Every recorded reply against the API document; a mismatch fails the test, naming the
# route, the status and the schema's complaint.
_check_replies() {
	[[ -s $T/replies.jsonl ]] || return 0
	local root
	root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
	[[ -d $root/tools/node_modules/ajv ]] || { echo "ajv is not installed: run npm ci --prefix $root/tools"; return 1; }
	node "$root/tools/validate-responses.js" "$root/docs/openapi.json" "$T/replies.jsonl"
}

wait_until() {
	local secs=$1 deadline
	shift
	deadline=$((SECONDS + secs))
	until "$@" >/dev/null 2>&1; do
		((SECONDS < deadline)) || fail "timed out after ${secs}s waiting for: $*"
		sleep 0.1
	done
}

_worker_count_is() { [[ $(jg workers --json | jq '.workers | length') == "$1" ]]; }
_state_is() { [[ $(jg show "$1" --json | jq -r .state) == "$2" ]]; }
wait_workers() { wait_until 20 _worker_count_is "$1"; }
wait_state() { wait_until 20 _state_is "$1" "$2"; }

jq_get() { jq -r "$2" <<<"$1"; }

proc_gone() {
	local stat
	stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 0
	[[ ${stat##*) } == Z* ]]
}

# ASan keeps freed memory in quarantine (256 MB by default), which would hide what a
# process holds: a test that bounds RSS makes the quarantine small (the last option wins).
measure_rss() { export ASAN_OPTIONS="$ASAN_OPTIONS:quarantine_size_mb=8"; }
proc_mb() { awk -v f="$2:" '$1 == f {print int($2 / 1024)}' "/proc/$1/status"; }

hold() { echo "while [ ! -e '$T/$1' ]; do sleep 0.05; done"; }

probe_passed() {
	local id
	id=$(jg add --name probe "$@" -- true)
	jg wait "$id" --timeout 20s >/dev/null || fail "the probe job $id ($*) did not run"
}

# This process's cgroup v1 memory directory (the memory line of /proc/self/cgroup under the
# v1 mount with the memory controller), or nothing.
cg1_memory_dir() {
	local self mnt
	self=$(awk -F: '$2 ~ /(^|,)memory(,|$)/ { print $3; exit }' /proc/self/cgroup)
	mnt=$(awk '{ split($0, half, " - "); split(half[2], fs, " ") }
		fs[1] == "cgroup" && fs[3] ~ /(^|,)memory(,|$)/ && $4 == "/" { print $5; exit }' /proc/self/mountinfo)
	[[ -n $self && -n $mnt ]] || return 0
	[[ $self == / ]] && self=""
	printf '%s%s\n' "$mnt" "$self"
}

expect_eq() {
	[[ "$1" == "$2" ]] || fail "$3: expected '$2', got '$1'"
	log "ok: $3"
}

# Peak number of intervals open at once, from "START END" lines (ms) on stdin; at a tie an
# end counts before a start, so back-to-back runs do not overlap.
peak_overlap() {
	awk '{print $1, 1; print $2, -1}' | sort -k1,1n -k2,2n |
		awk '{c += $2; if (c > m) m = c} END {print m + 0}'
}
# jq prelude: RFC 3339 with milliseconds → ms since the epoch.
JQ_MS='def ms: if . == null then null else (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber) end;'
# "START END NODE CORES JOB" for every attempt of the jobs named (one show each).
attempt_lines() {
	local id
	for id in "$@"; do
		jg show "$id" --json | jq -r "$JQ_MS"' .seq as $s | .joblets[].attempts[] |
			"\(.started_at | ms) \(if .ended_at then (.ended_at | ms) else 9999999999999 end) \(.node) \(.cores) \($s)"'
	done
}
