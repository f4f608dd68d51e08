#!/usr/bin/env bash
# Per-user isolation over the Unix socket (SPEC §9): two local accounts, made for this run
# and removed at its end, reach the server through DATA/jobgrid.sock, where the kernel's
# peer credentials name them. Neither can see, log, follow, wait on, cancel, retry,
# modify or remove the other's job, through the CLI or any endpoint: another user's job
# answers exactly as a job that does not exist. Root (trusted) sees both. The route walk
# reads the server's own table (`jobgrid routes`): a route without a rule here fails.
source "$(dirname "$0")/lib.sh"

[[ $(id -u) == 0 ]] || { log "needs root to make local accounts; skipped"; exit 77; }
for tool in useradd userdel setpriv curl jq; do
	command -v "$tool" >/dev/null || { log "needs $tool; skipped"; exit 77; }
done

# Account names unique to this run (a marker and our PID), removed at exit even on failure:
# first the processes run as them (userdel refuses while one lives), then the accounts.
UA="jgiso${$}a" UB="jgiso${$}b"
USERS_MADE=()
remove_users() {
	local u pid
	for pid in "${TRACKED[@]}"; do _stop_pid "$pid"; done
	for u in "${USERS_MADE[@]}"; do userdel "$u" >/dev/null 2>&1 || true; done
}
trap 'rc=$?; set +e; remove_users; (exit $rc); _cleanup' EXIT
# Accounts of an earlier run that was killed (a timeout cannot be trapped): their PID is gone.
while IFS=: read -r u _; do
	if [[ $u =~ ^jgiso([0-9]+)[ab]$ ]] && ! kill -0 "${BASH_REMATCH[1]}" 2>/dev/null; then
		userdel "$u" >/dev/null 2>&1 || true
	fi
done < <(getent passwd)
for u in "$UA" "$UB"; do
	useradd -M -N -s /usr/sbin/nologin "$u" || fail "cannot make the account $u"
	USERS_MADE+=("$u")
done

open_to_other_accounts	# they reach $T/data/jobgrid.sock and the binary by name
start_server
SOCK=$T/data/jobgrid.sock
[[ -S $SOCK ]] || fail "no socket at $SOCK"
expect_eq "$(stat -c %a "$SOCK")" 666 "the socket is open to every local account"
expect_eq "$(stat -c %a "$T/data")" 711 "DATA is searchable, not readable, by others"
expect_eq "$(stat -c %a "$T/data/jobgrid.sqlite")" 600 "the store's file is the server's alone"
grep -q "JOBGRID_URL=unix:$SOCK" "$T"/server.0.log || fail "the banner does not name the socket"

# CMD… as account U through the socket (its own HOME; cwd / so that it may read it).
as() {
	local u=$1
	shift
	(cd / && setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups \
		env HOME=/ JOBGRID_URL="unix:$SOCK" "$JOBGRID_BIN" "$@")
}
# curl as account U: METHOD PATH [BODY]; the body is printed, the status is in $T/status
# (written by this shell: U cannot write in $T).
ucurl() {
	local u=$1 method=$2 path=$3 body=${4-} out
	out=$(cd / && setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups \
		curl -sS --unix-socket "$SOCK" -X "$method" -H 'Content-Type: application/json' \
		-o - -w '\n%{http_code}' ${body:+--data-binary "$body"} "http://localhost$path") || true
	printf '%s' "${out##*$'\n'}" >"$T/status"
	record_reply "$method" "$path" "${out##*$'\n'}" "${out%$'\n'*}"
	printf '%s\n' "${out%$'\n'*}"
}
# TEXT ID: TEXT with the job id ID said as "ID" and its seq as "SEQ" (a dependency names
# the seq), so that replies about two ids compare.
norm() {
	local t=${1//$2/ID}
	sed -E "s/(^|[^0-9])${2##*.}([^0-9]|$)/\1SEQ\2/g" <<<"$t"
}
status() { cat "$T/status"; }

# A worker through the socket too: root is trusted, so it may register and report.
start_worker w1 --server "unix:$SOCK" --cores 8
wait_workers 1
expect_eq "$(jq -r '.workers[0].name' <<<"$(curl -sS --unix-socket "$SOCK" http://localhost/v1/workers)")" \
	w1 "a worker serves through unix:PATH"

# ---- jobs of each account ---------------------------------------------------------------
JA=$(as "$UA" add --name ja -- sh -c "$(hold ja)")	# held: running until the end
JB=$(as "$UB" add --name jb -- sh -c "$(hold jb)")
JAF=$(as "$UA" add --name jaf --retries 0 -- false)	# failed: retry has work to do
JAD=$(as "$UA" add --name jad -- echo from-a)	# done, with output
as "$UA" wait "$JAD" --timeout 30s >/dev/null || fail "A's job $JAD did not end done"
as "$UA" wait "$JAF" --timeout 30s >/dev/null && fail "A's failing job $JAF ended done"
wait_state "$JA" running
wait_state "$JB" running
[[ $JA == "$UA".* && $JB == "$UB".* ]] || fail "owners are the accounts: $JA, $JB"
log "A's jobs $JA $JAF $JAD, B's job $JB"
# A job id of A's shape that no job has: the same owner and name, a seq never used.
ABSENT="$UA.ja.999999"

# The scenarios, each on the setup above; ctest runs them as parts (E2E_PART=K/N), so that
# each stays within the timeout on a loaded machine.
# e2e-parts: 3

part_cli() {
	# The owner is served: A's own log, through the socket.
	[[ $(as "$UA" log "$JAD") == *"from-a"* ]] || fail "A cannot read A's own log"
	log "ok: A reads A's own log"

	# ---- the CLI: B on A's jobs, exactly like on a job that does not exist -------------------
	cli_same() {	# DESCRIPTION COMMAND-ARGS… (the id as @ID): B's run on A's job = on ABSENT
		local what=$1 rc_a=0 rc_x=0 out_a out_x
		shift
		local args_a=("${@//@ID/$JA}") args_x=("${@//@ID/$ABSENT}")
		out_a=$(as "$UB" "${args_a[@]}" 2>&1) || rc_a=$?
		out_x=$(as "$UB" "${args_x[@]}" 2>&1) || rc_x=$?
		expect_eq "$rc_a" 4 "B's $what of A's job exits 4 (not found)"
		expect_eq "$(norm "$out_a" "$JA")" "$(norm "$out_x" "$ABSENT")" "B's $what of A's job says what an absent job's says"
	}
	cli_same show show @ID
	cli_same log log @ID
	cli_same "log -f" log -f @ID
	cli_same wait wait --timeout 5s @ID
	cli_same cancel cancel @ID
	cli_same retry retry @ID
	cli_same mod mod @ID --priority 9
	cli_same remove remove @ID
	cli_same "add --after-ok" add --after-ok @ID -- true
	JAF_RC=0
	as "$UB" retry "$JAF" >/dev/null 2>&1 || JAF_RC=$?
	expect_eq "$JAF_RC" 4 "B cannot retry A's failed job"
	expect_eq "$(jg show "$JAF" --json | jq -r .state)" failed "A's failed job is untouched"
	expect_eq "$(jg show "$JA" --json | jq -r .state)" running "A's held job still runs"

	# B's list and status hold B's jobs only, even when asked for A's.
	expect_eq "$(as "$UB" list --json | jq -r '[.jobs[].id] | join(" ")')" "$JB" "B's list is B's job"
	expect_eq "$(as "$UB" list --owner "$UA" --json | jq '.jobs | length')" 0 \
		"B's list of A's jobs is empty"
	expect_eq "$(as "$UA" list --json | jq '.jobs | length')" 3 "A's list holds A's three jobs"
	expect_eq "$(as "$UB" status --json | jq '.joblets.running + .joblets.done + .joblets.failed')" 1 \
		"B's status counts B's one joblet"
	expect_eq "$(ucurl "$UB" GET /v1/stats | jq .jobs)" 1 "B's stats count one job"
	expect_eq "$(ucurl "$UA" GET /v1/stats | jq .jobs)" 3 "A's stats count three jobs"
	# Workers: B sees the node and its load, not A's running joblet.
	W_B=$(ucurl "$UB" GET /v1/workers)
	expect_eq "$(jq -r '.workers[0].running | join(" ")' <<<"$W_B")" "$JB/0" "B sees only B's joblet on w1"
	expect_eq "$(jq '.workers[0].used.cores' <<<"$W_B")" 2 "the node's load counts both joblets"
	expect_eq "$(ucurl "$UA" GET /v1/workers | jq -r '.workers[0].running | join(" ")')" "$JA/0" \
		"A sees only A's joblet on w1"
	# --unique is per owner: B's copy of A's command is not a duplicate of A's.
	as "$UA" add --unique --name u -- sh -c "$(hold u)" >/dev/null
	as "$UB" add --unique --name u -- sh -c "$(hold u)" >/dev/null || fail "B's --unique job was refused by A's"
	# Root, trusted on the socket, sees both.
	expect_eq "$(curl -sS --unix-socket "$SOCK" "http://localhost/v1/jobs/$JA" | jq -r .owner)" "$UA" "root sees A's job"
	expect_eq "$(curl -sS --unix-socket "$SOCK" "http://localhost/v1/jobs/$JB" | jq -r .owner)" "$UB" "root sees B's job"


	# ---- client messages name the unix: address -------------------------------------------
	rc=0
	out=$(JOBGRID_URL="unix:$T/none.sock" jg status 2>&1) || rc=$?
	expect_eq "$rc" 3 "no server on a unix: address is unreachable"
	[[ $out == *"cannot reach the server at unix:$T/none.sock"* ]] || fail "the message: $out"
	rc=0
	out=$(JOBGRID_URL="unix:" jg status 2>&1) || rc=$?
	expect_eq "$rc" 2 "unix: without a path is a usage error"
	[[ $out == *"unix:PATH needs the path"* ]] || fail "the message: $out"
	rc=0
	out=$("$JOBGRID_BIN" worker --server "unix:" 2>&1) || rc=$?
	[[ $rc != 0 && $out == *"unix:PATH needs the path"* ]] || fail "worker --server unix: (rc $rc): $out"
	log "ok: unix: addresses are checked and named in messages"


	# Nothing of A's changed through all that.
	expect_eq "$(jg show "$JA" --json | jq -r '.state + " " + (.priority | tostring)')" "running 0" \
		"A's held job runs, unchanged"
	expect_eq "$(jg show "$JAD" --json | jq -r .state)" done "A's done job is still there"

}

part_events() {
	# ---- events: each account's stream holds its own jobs' events only -----------------------
	for u in "$UA" "$UB"; do
		(cd / && exec setpriv --reuid "$u" --regid "$(id -g "$u")" --init-groups \
			curl -sSN --unix-socket "$SOCK" http://localhost/v1/events) >"$T/events.$u" 2>&1 &
		track $!
	done
	curl -sSN --unix-socket "$SOCK" http://localhost/v1/events >"$T/events.root" 2>&1 &
	track $!
	for f in "$UA" "$UB" root; do wait_until 20 grep -q "jobgrid events" "$T/events.$f"; done
	JA2=$(as "$UA" add --name ja2 -- true)	# A's events first, then B's: B's stream is in order
	as "$UA" wait "$JA2" --timeout 30s >/dev/null
	JB2=$(as "$UB" add --name jb2 -- true)
	as "$UB" wait "$JB2" --timeout 30s >/dev/null
	wait_until 20 grep -q "\"event\":\"job.ended\".*\"job\":\"$JB2\"" "$T/events.$UB"
	wait_until 20 grep -q "\"job\":\"$JB2\"" "$T/events.root"
	wait_until 20 grep -q "\"event\":\"job.ended\".*\"job\":\"$JA2\"" "$T/events.$UA"
	# B's stream got B's last event: anything of A's published before it would be there too.
	! grep -q "\"$UA\." "$T/events.$UB" || fail "B's stream shows A's jobs: $(grep "$UA" "$T/events.$UB" | head -3)"
	! grep -q "\"$UB\." "$T/events.$UA" || fail "A's stream shows B's jobs"
	grep -q "\"job\":\"$JA2\"" "$T/events.root" || fail "root's stream misses A's job"
	log "ok: each stream holds its own jobs' events; root's holds both"


	# ---- a uid with no account is refused --------------------------------------------------
	NOBODY_UID=$(awk -F: 'BEGIN { u = 61000 } { used[$3] = 1 } END { while (u in used) u++; print u }' /etc/passwd)
	out=$(cd / && setpriv --reuid "$NOBODY_UID" --regid "$NOBODY_UID" --clear-groups \
		curl -sS --unix-socket "$SOCK" -o - -w ' %{http_code}' http://localhost/v1/stats)
	[[ $out == *"has no account"*" 401" ]] || fail "a uid without an account: $out"
	log "ok: a uid without an account gets 401"


	touch "$T/ja" "$T/jb" "$T/u"
	wait_state "$JA" done
	wait_state "$JB" done

	# ---- the socket's life: removed at a clean stop, a stale one replaced ---------------------
	# A socket that answers refuses a start: a hard link to this server's socket is the
	# same socket, so a second server on $T/d2 finds one answering there.
	mkdir "$T/d2"
	ln "$SOCK" "$T/d2/jobgrid.sock"
	LOGS+=("$T/d2.log")
	rc=0
	"$JOBGRID_BIN" server --listen 127.0.0.1:0 --data "$T/d2" >"$T/d2.log" 2>&1 || rc=$?
	[[ $rc != 0 ]] && grep -q "another server answers on it" "$T/d2.log" ||
		fail "a live socket did not refuse the start (rc $rc): $(cat "$T/d2.log")"
	[[ -S $T/d2/jobgrid.sock ]] || fail "the refused server removed the live socket"
	log "ok: a socket that answers refuses the start, and stays"
	kill_server TERM
	[[ ! -e $SOCK ]] || fail "the socket outlived a clean stop"
	log "ok: a clean stop removes the socket"
	restart_server
	[[ -S $SOCK ]] || fail "no socket after a restart"
	kill_server KILL
	[[ -S $SOCK ]] || fail "a killed server should leave its socket (the test of a stale one needs it)"
	restart_server
	expect_eq "$(curl -sS --unix-socket "$SOCK" http://localhost/v1/jobs/"$JA" | jq -r .owner)" "$UA" \
		"a stale socket is replaced at start"
}

part_routes() {
	# ---- every route: its roles, and B's call with A's job answers as for an absent job ------
	# A rule for each route of the table: how B calls it, with @ID for a job (A's, then an
	# absent one). KIND job: the reply to A's job must equal the reply to an absent job, and be
	# 404 (or, for /v1/jobs/remove, name the job among the errors as not found). KIND role: no
	# job in it; B's status shows only whether its role may call it.
	declare -A RULE=(
		["POST /v1/jobs"]='job|POST|/v1/jobs|{"cmd":"true","after_ok":["@ID"]}'
		["GET /v1/jobs"]='role|GET|/v1/jobs?owner=@OWNER|'
		["GET /v1/jobs/*"]='job|GET|/v1/jobs/@ID|'
		["PATCH /v1/jobs/*"]='job|PATCH|/v1/jobs/@ID|{"priority":9}'
		["DELETE /v1/jobs/*"]='job|DELETE|/v1/jobs/@ID|'
		["POST /v1/jobs/remove"]='job|POST|/v1/jobs/remove|{"ids":["@ID"]}'
		["POST /v1/jobs/*/cancel"]='job|POST|/v1/jobs/@ID/cancel|'
		["POST /v1/jobs/*/retry"]='job|POST|/v1/jobs/@ID/retry|'
		["GET /v1/jobs/*/log"]='job|GET|/v1/jobs/@ID/log?follow=1|'
		["POST /v1/workers"]='role|POST|/v1/workers|{}'
		["GET /v1/workers"]='role|GET|/v1/workers|'
		["POST /v1/workers/*/reserve"]='role|POST|/v1/workers/w-none/reserve|{}'
		["POST /v1/workers/*/heartbeat"]='role|POST|/v1/workers/w-none/heartbeat|{}'
		["POST /v1/workers/*/leave"]='role|POST|/v1/workers/w-none/leave|{}'
		["POST /v1/attempts/*/output"]='role|POST|/v1/attempts/1/output?offset=0|x'
		["POST /v1/attempts/*/finish"]='role|POST|/v1/attempts/1/finish|{}'
		["GET /v1/events"]='job|GET|/v1/events?job=@ID|'
		["GET /v1/stats"]='role|GET|/v1/stats|'
		["GET /v1/limits"]='role|GET|/v1/limits|'
		["POST /v1/definitions"]='role|POST|/v1/definitions|{}'
		["GET /v1/definitions"]='role|GET|/v1/definitions|'
		["GET /v1/definitions/*"]='role|GET|/v1/definitions/none|'
		["DELETE /v1/definitions/*"]='role|DELETE|/v1/definitions/none|'
		["PUT /v1/definitions/*"]='role|PUT|/v1/definitions/none|{}'
		["POST /v1/definitions/*/pause"]='role|POST|/v1/definitions/none/pause|'
		["POST /v1/definitions/*/resume"]='role|POST|/v1/definitions/none/resume|'
		["GET /v1/plan"]='role|GET|/v1/plan|'
		["GET /v1/clock"]='role|GET|/v1/clock|'
		["POST /v1/clock"]='role|POST|/v1/clock|{}'
		["POST /v1/definitions/*/runs"]='role|POST|/v1/definitions/none/runs|{}'
		["GET /v1/limits/*"]='role|GET|/v1/limits/none|'
		["PUT /v1/limits/*"]='role|PUT|/v1/limits/none|{"limit":1}'
		["POST /v1/drain"]='role|POST|/v1/drain|'
		["POST /v1/shutdown"]='role|POST|/v1/shutdown|'
		["POST /v1/backup"]='role|POST|/v1/backup|{}'
		["POST /v1/prune"]='role|POST|/v1/prune|{}'
		["GET /healthz"]='role|GET|/healthz|'
		["GET /metrics"]='role|GET|/metrics|'
		["GET /v1/openapi.json"]='role|GET|/v1/openapi.json|'
		["GET /"]='role|GET|/|'
		["GET /ui/*"]='role|GET|/ui/app.js|'
		["POST /v1/login"]='role|POST|/v1/login|{}'
		["POST /v1/logout"]='role|POST|/v1/logout|'
		["GET /v1/whoami"]='role|GET|/v1/whoami|'
		["GET /v1/users"]='role|GET|/v1/users|'
		["POST /v1/users"]='role|POST|/v1/users|{"name":"nobody-new"}'
		["DELETE /v1/users/*"]='role|DELETE|/v1/users/nobody-new|'
		["PUT /v1/users/*/password"]="role|PUT|/v1/users/$UB/password|{}"
		["GET /v1/tokens"]='role|GET|/v1/tokens|'
		["POST /v1/tokens"]='role|POST|/v1/tokens|{"role":"user"}'
		["DELETE /v1/tokens/*"]='role|DELETE|/v1/tokens/999999|'
	)
	ROUTES=$(jg routes)
	[[ $(wc -l <<<"$ROUTES") -ge 30 ]] || fail "jobgrid routes lists too few routes: $ROUTES"
	while read -r method pattern roles; do
		rule=${RULE["$method $pattern"]-}
		[[ -n $rule ]] || fail "route $method $pattern has no isolation rule in $0: add one"
		IFS='|' read -r kind m path body <<<"$rule"
		[[ $m == "$method" ]] || fail "the rule of $method $pattern calls $m"
		if [[ $kind == job ]]; then
			got=$(ucurl "$UB" "$m" "${path//@ID/$JA}" "${body//@ID/$JA}")
			st_a=$(status)
			absent=$(ucurl "$UB" "$m" "${path//@ID/$ABSENT}" "${body//@ID/$ABSENT}")
			st_x=$(status)
			expect_eq "$st_a" "$st_x" "$method $pattern: B's status for A's job is an absent job's"
			expect_eq "$(norm "$got" "$JA")" "$(norm "$absent" "$ABSENT")" "$method $pattern: B's reply for A's job is an absent job's"
			if [[ $pattern == /v1/jobs/remove ]]; then
				expect_eq "$(jq -r '.errors[0].code' <<<"$got")" not_found "$method $pattern: A's job is not found for B"
			else
				expect_eq "$st_a" 404 "$method $pattern: B gets 404 for A's job"
			fi
			# A, the owner, is answered (the job routes admit users).
			ucurl "$UA" GET "/v1/jobs/$JA" >/dev/null
			expect_eq "$(status)" 200 "A still sees A's job"
		else
			ucurl "$UB" "$m" "${path//@OWNER/$UA}" "$body" >/dev/null
			st=$(status)
			if [[ ,$roles, == *,user,* ]]; then
				[[ $st != 401 && $st != 403 ]] || fail "$method $pattern admits users, B got $st"
			else
				expect_eq "$st" 403 "$method $pattern ($roles) refuses a user"
			fi
		fi
	done <<<"$ROUTES"
	expect_eq "$(ucurl "$UB" GET "/v1/jobs?owner=$UA" | jq '.jobs | length')" 0 "?owner=A lists nothing for B"


	# Nothing of A's changed through all that.
	expect_eq "$(jg show "$JA" --json | jq -r '.state + " " + (.priority | tostring)')" "running 0" \
		"A's held job runs, unchanged"
	expect_eq "$(jg show "$JAD" --json | jq -r .state)" done "A's done job is still there"

}

PARTS=(part_cli part_events part_routes)
for i in "${!PARTS[@]}"; do
	if [[ -n ${E2E_PART-} ]] && ((i % ${E2E_PART#*/} != ${E2E_PART%/*} - 1)); then continue; fi
	log "scenario ${PARTS[$i]}"
	"${PARTS[$i]}"
done
touch "$T/ja" "$T/jb" "$T/u"	# the held jobs end
log "PASS"
