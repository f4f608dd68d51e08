#!/usr/bin/env bash
# --log-format json on server and worker: every line the processes write during a real run
# (start, jobs done and failed, a drain that stops everything) is one JSON object with
# time, level, component, pid and msg; local workers log the same way. A bad value is
# refused naming the flag, and the default text format is unchanged.
source "$(dirname "$0")/lib.sh"

# ---- Bad values are usage errors that name the flag.
rc=0
out=$("$JOBGRID_BIN" server --data "$T/nodata" --log-format yaml 2>&1) || rc=$?
expect_eq "$rc" 2 "server --log-format yaml exits 2"
[[ $out == *"--log-format: must be text or json, got 'yaml'"* ]] || fail "it names the flag: $out"
[[ ! -e $T/nodata ]] || fail "a refused server creates nothing"
rc=0
out=$("$JOBGRID_BIN" worker --server http://127.0.0.1:1 --log-format JSON 2>&1) || rc=$?
expect_eq "$rc" 2 "worker --log-format JSON exits 2"
[[ $out == *"--log-format: must be text or json, got 'JSON'"* ]] || fail "it names the flag: $out"

# ---- A run in json mode: a local worker, an outside one, jobs that pass and fail.
start_server --log-format json --local-workers 1
server_log=${LOGS[-1]}
start_worker outside --log-format json --cores 1
worker_log=${LOGS[-1]}
wait_workers 2
ok=$(jg add -- 'echo "quote\d ü"')
bad=$(jg add -- 'exit 3')
jg wait "$ok" "$bad" --timeout 60s >/dev/null 2>&1 || true
expect_eq "$(jg show "$bad" --json | jq -r .state)" failed "the failing job failed"
stop_worker outside
jg drain >/dev/null
wait_until 30 proc_gone "$SERVER_PID"
wait "$SERVER_PID" || fail "the drained server exited non-zero"
SERVER_PID=""

for f in "$server_log" "$worker_log"; do
	[[ -s $f ]] || fail "$f is empty"
	n=0
	while IFS= read -r line; do
		n=$((n + 1))
		jq -e 'type == "object" and (.time | test("^20[0-9-]+T[0-9:.]+Z$"))
			and (.level | IN("debug", "info", "warn", "error"))
			and (.component | IN("server", "worker")) and (.pid | type == "number")
			and (.msg | type == "string")' <<<"$line" >/dev/null ||
			fail "line $n of $f is not a log object with the fields: $line"
	done <"$f"
	log "ok: all $n lines of $(basename "$f") are JSON log objects"
done
expect_eq "$(jq -r .component "$server_log" | sort -u | tr '\n' ' ')" "server worker " \
	"the server's stderr holds its own lines and its local worker's"
expect_eq "$(jq -r .component "$worker_log" | sort -u)" worker "the outside worker's component"
[[ $(jq -r 'select(.component == "worker") .pid' "$server_log" | sort -u | wc -l) -ge 1 ]] ||
	fail "the local worker's lines carry its pid"
grep -q '"msg":"listening on ' "$server_log" || fail "the server says where it listens"

# ---- The default is the text format: `TIME LEVEL server[PID]: message`.
start_server
server_log=${LOGS[-1]}
kill_server TERM
grep -qE '^20[0-9-]+T[0-9:.]+Z info server\[[0-9]+\]: listening on ' "$server_log" ||
	fail "text lines as before: $(head -3 "$server_log")"
grep -q "jobgrid server is up at" "$server_log" || fail "the banner is still shown in text mode"
log "PASS"
