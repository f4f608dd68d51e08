# `make bench`, history out of memory (sourced by bench.sh, which gives J, B, W, RUNS, median,
# rss_kb and stop_server): 10^6 finished jobs, each with its joblet and one attempt, every
# 10th failed, are written straight into a fresh store by sqlite3 (running 10^6 `true` jobs
# would take hours at the end-to-end rate; the rows are those a server writes for them).
# A server is then started on them twice: every job kept in memory (old, --history-memory never), and
# with --history-memory 0 (new: the finished jobs are loaded as history only). Writes into $W,
# for old and new: history_restart_s_* (start to a healthy server), history_rss_peak_mb_* (the
# most RSS the server held by then: VmHWM), history_rss_mb_* (the server's RSS, for new once
# the sweep took every job out: jobs_in_memory 0) and history_list_failed_ms_* (`list --state
# failed`, a page of 100 of the 10^5 failed jobs, median of RUNS).

_history_rows() {	# DATA N: N finished jobs into DATA's store
	sqlite3 "$1/jobgrid.sqlite" <<SQL
PRAGMA synchronous=OFF;
BEGIN;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $2)
INSERT INTO jobs(seq, owner, name, grp, req_group, cmd, cwd, cores, ram_mb, gpus, time_ms,
 priority, retries, lost_retries, retry_delay_ms, flags, njoblets, state, created_at, ended_at)
SELECT i, 'bench', 'true', 'g' || (i % 10), '', 'true', '/tmp', 1, 0, 0, 0, 0, 0, 3, 0, 1, 1,
 CASE WHEN i % 10 = 0 THEN 4 ELSE 3 END, 1795413600000 + i, 1795413600100 + i FROM n;
INSERT INTO joblets(seq, idx, state, errors, lost, ready_at, reason)
SELECT seq, 0, state, state = 4, 0, 0, CASE WHEN state = 4 THEN 'exit code 1' END FROM jobs;
INSERT INTO attempts(id, seq, idx, n, node, worker, state, exit_code, fail_reason, started_at,
 ended_at, peak_ram_mb, cpu_ms, cores, ram_mb, gpus, wall_ms, output_bytes, output_dropped)
SELECT seq, seq, 0, 1, 'bench', 'w0', CASE WHEN state = 4 THEN 2 ELSE 1 END, state = 4,
 CASE WHEN state = 4 THEN 1 ELSE 0 END, created_at, ended_at, 1, 1, 1, 0, 0, 90, 0, 0 FROM jobs;
COMMIT;
SQL
}

_history_server() {	# NAME ARGS…: restart time, RSS and list latency of a server on $W/hist
	local name=$1 port i t0
	shift
	port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
	t0=$(date +%s%N)
	"$J" server --listen "127.0.0.1:$port" --data "$W/hist" "$@" >>"$W/server.log" 2>&1 &
	SERVER_PID=$!
	"$B/loadgen" health "http://127.0.0.1:$port" 300 >/dev/null
	echo "$t0 $(date +%s%N)" | awk '{printf "%.2f\n", ($2 - $1) / 1e9}' >"$W/history_restart_s_$name"
	awk '/^VmHWM/ {print int($2 / 1024)}' "/proc/$SERVER_PID/status" >"$W/history_rss_peak_mb_$name"
	URL=http://127.0.0.1:$port
	until [[ $(curl -s "$URL/v1/stats" | jq '.jobs_in_memory // 0') == 0 || $name == old ]]; do
		sleep 0.2
	done
	sleep 1	# the sweep's pass after the last eviction hands the freed pages back
	echo $(($(rss_kb "$SERVER_PID") / 1024)) >"$W/history_rss_mb_$name"
	for ((i = 0; i < RUNS; i++)); do
		t0=$(date +%s%N)
		JOBGRID_URL=$URL "$J" list --state failed >/dev/null 2>&1
		echo "$t0 $(date +%s%N)" | awk '{printf "%.1f\n", ($2 - $1) / 1e6}'
	done | median >"$W/history_list_failed_ms_$name"
	stop_server
}

bench_history() {
	local n=1000000
	rm -rf "$W/hist"
	mkdir -p "$W/hist"
	start_server "$W/hist"	# makes the store at the current schema
	stop_server
	_history_rows "$W/hist" "$n"
	_history_server old --history-memory never	# every job stays in memory, as before history left it
	_history_server new --history-memory 0
}
