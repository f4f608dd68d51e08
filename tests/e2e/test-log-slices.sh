#!/usr/bin/env bash
# `log` reads a job's output from the store in slices, the next one only when the last is
# on its way to the client: a reader that takes its time over a 64 MiB log costs the server
# one slice of memory, not the log, and every other client is served meanwhile. A
# follower that joins mid-run gets every line once, whatever it has missed.
source "$(dirname "$0")/lib.sh"
measure_rss
start_server
start_worker w1 --cores 2 --spool "$T"
wait_workers 1
line=0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstu
size=$((64 << 20))

id=$(jg add --name big --output-limit 1G -- "head -c $size < <(yes $line)")
jg wait "$id" --timeout 120s >/dev/null || fail "the 64 MiB job did not end done"
expect_eq "$(jg show "$id" --json | jq -r .joblets[0].attempts[0].output_bytes)" "$size" "64 MiB stored"
base=$(proc_mb "$SERVER_PID" VmRSS)

# ---- A slow reader (200 KB/s: the whole log would take six minutes).
curl -sS --limit-rate 200k "$JOBGRID_URL/v1/jobs/$id/log" -o "$T/slow.log" &
SLOW=$!
wait_until 20 test -s "$T/slow.log"
for k in 1 2 3; do
	other=$(jg add -- echo other $k)
	jg wait "$other" --timeout 30s >/dev/null || fail "a job added while the log is read did not run"
	expect_eq "$(jg log "$other")" "[w1] other $k" "another client is served while the big log is read ($k)"
	now=$(proc_mb "$SERVER_PID" VmRSS)
	((now - base < 24)) || fail "the server holds $((now - base)) MB more while one client reads the log slowly"
done
kill -0 "$SLOW" 2>/dev/null || fail "the slow reader should still be reading"
log "ok: while a slow client reads the 64 MiB log the server holds $((now - base)) MB more (RSS $now MB)"
kill "$SLOW" 2>/dev/null || true
wait "$SLOW" 2>/dev/null || true

# ---- A fast reader gets all of it; the server is left as it was.
jg log "$id" >"$T/fast.log"
whole=$((size / (${#line} + 1)))
expect_eq "$(grep -c -x -F "[w1] $line" "$T/fast.log")" "$whole" "every whole line"
expect_eq "$(wc -l <"$T/fast.log")" $((whole + 1)) "and the one the size cut"
rm -f "$T/fast.log" "$T/slow.log"

# ---- A follower that joins a running job gets what came before and what comes after,
# each line once.
f=$(jg add --name follow -- "seq 1 50000; while [ ! -e '$T/go' ]; do sleep 0.05; done; seq 50001 100000")
_printed() { [[ $(jg log "$f" | tail -n 1) == "[w1] 50000" ]]; }
wait_until 30 _printed
jg log -f "$f" >"$T/follow.log" &
FOLLOW=$!
wait_until 20 grep -q -x -F "[w1] 50000" "$T/follow.log"
touch "$T/go"
jg wait "$f" --timeout 30s >/dev/null || fail "the followed job did not end done"
wait_until 20 sh -c "! kill -0 $FOLLOW 2>/dev/null"
wait "$FOLLOW" || fail "log -f exited non-zero"
seq 1 100000 | sed 's/^/[w1] /' | cmp -s - "$T/follow.log" || fail "log -f did not give every line once, in order"
log "ok: log -f gave 100000 lines once, in order, joining mid-run"
