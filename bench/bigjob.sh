# `make bench`, one big job array (sourced by bench.sh, which gives J, W, RUNS, median,
# rss_kb, fresh and stop_server): a job of 10^5 `true` joblets through 2 local workers.
# Writes into $W: bigjob_rss_mb_before, _after and _after_show (the server's RSS before the
# job was added, once it had run, and once every page of it was read RUNS times),
# bigjob_rss_bytes_per_joblet (the growth of its anonymous RSS, RssAnon, over the run, per
# joblet), bigjob_run_s, bigjob_show_json_ms
# (`show --json`: the job and its first page), bigjob_show_all_ms (`show --json --joblets
# 0-99999`: every page), bigjob_page_ms (one GET of a page of 250, from curl),
# bigjob_status_ms_idle and bigjob_status_ms_reading (GET /v1/stats alone, and while
# another client reads every page of the job again and again), bigjob_throughput_ms (GET
# /v1/stats?throughput=1, the dashboard's chart, over the job's attempts), and for a second
# job of 10^5 joblets no worker fits, cancelled, retried, then removed (POST
# /v1/jobs/remove): bigjob_{cancel,retry,remove}_ms (the call) and
# bigjob_stall_ms_{cancel,retry,remove} (the longest answer a status loop from another
# client saw while it ran: how long the call held the loop; bigjob_stall_ms_quiet: the same
# for 1 s of nothing, what the machine's load alone makes of it). Medians of RUNS or more.

# The server's anonymous RSS (heap and stacks) in kB: what a joblet costs, without the
# binary's pages, which a loaded machine may evict and so make VmRSS fall.
_anon_kb() { awk '/^RssAnon/ {print $2}' "/proc/$1/status"; }
# The same once it holds still for half a second (at most 10 s): a server just started
# hashes its dummy password on a helper thread (Argon2id, 64 MB for a moment).
_settled_anon_kb() {
	local last=-1 now same=0 i
	for ((i = 0; i < 100 && same < 5; i++)); do
		now=$(_anon_kb "$1")
		if [[ $now == "$last" ]]; then same=$((same + 1)); else same=0; fi
		last=$now
		sleep 0.1
	done
	echo "$last"
}
_curl_ms() { curl -s -o /dev/null -w '%{time_total}\n' "$1" | awk '{printf "%.2f\n", $1 * 1000}'; }
_ms_since() { echo "$1 $(date +%s%N)" | awk '{printf "%.1f\n", ($2 - $1) / 1e6}'; }

_bigjob_read_loop() {	# ID: every page, until $W/stop-bigjob exists
	while [[ ! -e $W/stop-bigjob ]]; do
		JOBGRID_URL=$URL "$J" show --json --joblets 0-99999 "$1" >/dev/null
		touch "$W/bigjob-read"
	done
}

# OUT: GET /v1/stats until $W/stop-status exists, each answer's time in ms. One curl asks 20
# times on one connection, so a time is the server's answer, not a process start.
_status_loop() {
	local urls=() i
	for ((i = 0; i < 20; i++)); do urls+=(-o /dev/null "$URL/v1/stats"); done
	while [[ ! -e $W/stop-status ]]; do
		curl -s -w '%{time_total}\n' "${urls[@]}" | awk '{printf "%.2f\n", $1 * 1000}' >>"$1"
	done
}

# NAME CMD…: run CMD once while a status loop runs; CMD's ms into bigjob_NAME_ms, the
# longest status answer into bigjob_stall_ms_NAME.
_bigjob_stall() {
	local name=$1 t0 spid
	shift
	rm -f "$W/stop-status" "$W/status-ms"
	_status_loop "$W/status-ms" &
	spid=$!
	until [[ -s $W/status-ms ]]; do sleep 0.01; done	# the loop is at it
	t0=$(date +%s%N)
	"$@" >/dev/null
	_ms_since "$t0" >"$W/bigjob_${name}_ms"
	touch "$W/stop-status"
	wait "$spid" || true
	sort -g "$W/status-ms" | tail -1 >"$W/bigjob_stall_ms_$name"
}

bench_bigjob() {
	local n=100000 id t0 i rpid
	fresh --local-workers 2 --local-worker-cores "$(nproc)"
	until [[ $(curl -s "$URL/v1/stats" | jq .workers) == 2 ]]; do sleep 0.05; done
	_settled_anon_kb "$SERVER_PID" >"$W/bigjob_anon_kb_before"
	echo $(($(rss_kb "$SERVER_PID") / 1024)) >"$W/bigjob_rss_mb_before"
	t0=$(date +%s%N)
	id=$(JOBGRID_URL=$URL "$J" add --name big --joblets $n -- true)
	JOBGRID_URL=$URL "$J" wait "$id" --timeout 3600s >/dev/null
	_ms_since "$t0" | awk '{printf "%.1f\n", $1 / 1000}' >"$W/bigjob_run_s"
	echo $(($(rss_kb "$SERVER_PID") / 1024)) >"$W/bigjob_rss_mb_after"
	echo "$(cat "$W/bigjob_anon_kb_before") $(_anon_kb "$SERVER_PID") $n" |
		awk '{printf "%d\n", ($2 - $1) * 1024 / $3}' >"$W/bigjob_rss_bytes_per_joblet"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		JOBGRID_URL=$URL "$J" show --json "$id" >/dev/null
		_ms_since "$t0"
	done | median >"$W/bigjob_show_json_ms"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		JOBGRID_URL=$URL "$J" show --json --joblets 0-99999 "$id" >/dev/null
		_ms_since "$t0"
	done | median >"$W/bigjob_show_all_ms"
	echo $(($(rss_kb "$SERVER_PID") / 1024)) >"$W/bigjob_rss_mb_after_show"
	for ((i = 0; i < 5 * RUNS; i++)); do
		_curl_ms "$URL/v1/jobs/$id?joblets_cursor=50000"
	done | median >"$W/bigjob_page_ms"
	for ((i = 0; i < 10 * RUNS; i++)); do _curl_ms "$URL/v1/stats"; done | median >"$W/bigjob_status_ms_idle"
	rm -f "$W/stop-bigjob" "$W/bigjob-read"
	_bigjob_read_loop "$id" &
	rpid=$!
	until [[ -e $W/bigjob-read ]]; do sleep 0.05; done	# the reader is at it
	for ((i = 0; i < 10 * RUNS; i++)); do _curl_ms "$URL/v1/stats"; done | median >"$W/bigjob_status_ms_reading"
	touch "$W/stop-bigjob"
	wait "$rpid" || true
	for ((i = 0; i < 5 * RUNS; i++)); do _curl_ms "$URL/v1/stats?throughput=1"; done | median >"$W/bigjob_throughput_ms"
	# A second job as big that no worker fits: its joblets wait ready until cancelled.
	id=$(JOBGRID_URL=$URL "$J" add --name big2 --joblets $n --constraint bench=none -- true)
	# What a loaded machine alone makes of the longest status: the same loop for 1 s while
	# the server has nothing else to do.
	for ((i = 0; i < RUNS; i++)); do
		_bigjob_stall quiet sleep 1
		cat "$W/bigjob_stall_ms_quiet" >>"$W/stall.quiet"
		_bigjob_stall cancel env JOBGRID_URL="$URL" "$J" cancel "$id"
		cat "$W/bigjob_cancel_ms" >>"$W/took.cancel"
		cat "$W/bigjob_stall_ms_cancel" >>"$W/stall.cancel"
		_bigjob_stall retry env JOBGRID_URL="$URL" "$J" retry "$id"
		cat "$W/bigjob_retry_ms" >>"$W/took.retry"
		cat "$W/bigjob_stall_ms_retry" >>"$W/stall.retry"
	done
	median <"$W/stall.quiet" >"$W/bigjob_stall_ms_quiet"
	for k in cancel retry; do
		median <"$W/took.$k" >"$W/bigjob_${k}_ms"
		median <"$W/stall.$k" >"$W/bigjob_stall_ms_$k"
	done
	_bigjob_stall remove curl -sS -f -d "{\"ids\": [\"$id\"]}" "$URL/v1/jobs/remove"
	stop_server
}
