#!/usr/bin/env bash
# Guarantee 1: kill -9 the server again and again while a client adds jobs and two
# workers run them. After each restart every acknowledged job is there, and in the end
# all of them finish; none exists twice; every done joblet really ran.
source "$(dirname "$0")/lib.sh"
start_server --lease 2s --heartbeat 500ms
start_worker alpha --cores 2
start_worker beta --cores 2
mkdir -p "$T/ran"

# The client: add jobs one by one; an id is written only once the server acknowledged it.
client() {
	local i
	for ((i = 0; i < 100000; i++)); do
		[[ -e $T/stop-client ]] && return 0
		jg add --name crash -- "touch $T/ran/\$JOBGRID_JOB.\$JOBGRID_RETRY; sleep 0.0\$((RANDOM % 5))" \
			>>"$T/acked" 2>>"$T/client.err" || true
	done
}
client &
CLIENT_PID=$!
client &	# two at once, so kills land between many requests
CLIENT2_PID=$!
track "$CLIENT_PID"	# a failed check must not leave them adding (and holding ctest's pipe)
track "$CLIENT2_PID"

snapshot() {	# FILE: "id state" of every job, as the server says now
	jg list --limit 1000000 --json | jq -r '.jobs[] | "\(.id) \(.state)"' | sort >"$1"
}
for round in 1 2 3 4 5 6; do
	sleep "0.$((RANDOM % 7 + 3))"
	cp "$T/acked" "$T/acked.before"
	snapshot "$T/seen.before"	# every state in it was sent to us, so it is committed
	kill_server KILL
	restart_server --lease 2s --heartbeat 500ms
	snapshot "$T/seen.after"
	# Every id acknowledged before the kill must be there after it...
	missing=$(sort "$T/acked.before" | comm -23 - <(cut -d' ' -f1 "$T/seen.after") | wc -l)
	expect_eq "$missing" 0 "round $round: all $(wc -l <"$T/acked.before") acknowledged jobs survived kill -9"
	# ...and every result the server had reported as done is still done.
	# (grep finds no line when nothing was done yet: not a failure under pipefail)
	undone=$({ grep ' done$' "$T/seen.before" || true; } | comm -23 - "$T/seen.after" | wc -l)
	expect_eq "$undone" 0 "round $round: all $(grep -c ' done$' "$T/seen.before" || true) done results survived"
done
touch "$T/stop-client"
wait "$CLIENT_PID" "$CLIENT2_PID" || true

total=$(wc -l <"$T/acked")
((total >= 20)) || fail "the client got only $total jobs acknowledged"
expect_eq "$(sort "$T/acked" | uniq -d | wc -l)" 0 "no id acknowledged twice"
# All finish: wait exits 0 only if every job is done.
jg wait $(cat "$T/acked") --timeout 120s >/dev/null || fail "not every acknowledged job finished done"
listed=$(jg list --limit 1000000 --json | jq '.jobs | length')
((listed >= total)) || fail "list shows $listed jobs, $total were acknowledged"
# Every done joblet ran for real: its marker exists.
notrun=0
while read -r id; do
	[[ -n $(ls "$T/ran/$id".* 2>/dev/null) ]] || { log "$id is done but never ran"; notrun=$((notrun + 1)); }
done <"$T/acked"
expect_eq "$notrun" 0 "every acknowledged job ran"
log "$total jobs acknowledged across 6 kill -9 restarts, all done"
