#!/usr/bin/env bash
# `make bench`: jobgrid's figures beside this machine's own rates, measured in the same run.
# Usage: bench/bench.sh BUILD_DIR. Prints a table, then one `bench: NAME=VALUE` line per
# figure. Each figure is the median of RUNS runs (the machine is noisy). Only processes
# started here are ended, by PID.
set -euo pipefail
B=$(cd "${1:-build-bench}" && pwd)
J=$B/jobgrid
RUNS=${RUNS:-3}
W=$B/bench-tmp
rm -rf "$W"
mkdir -p "$W"
cc -O2 -Wall -Wextra -Werror -o "$B/raw-spawn" bench/raw-spawn.c -lpthread
cc -O2 -Wall -Wextra -Werror -o "$B/stamp" bench/stamp.c
cc -O2 -Wall -Wextra -Werror -o "$B/loadgen" bench/loadgen.c $(pkg-config --cflags --libs libcurl) -lpthread
SERVER_PID=""
PORT=""

stop_server() {
	[[ -n $SERVER_PID ]] || return 0
	kill -TERM "$SERVER_PID" 2>/dev/null || true
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=""
}
# shellcheck source=../tests/helpers/pg.sh
source "$(dirname "$0")/../tests/helpers/pg.sh"
trap 'stop_server; pg_stop "$W/pg.state"' EXIT

# start_server DATA [ARGS…]: a server on 127.0.0.1:0; sets URL and SERVER_PID.
start_server() {
	local data=$1 i
	shift
	rm -f "$data/server.url"
	"$J" server --listen "127.0.0.1:${PORT:-0}" --data "$data" "$@" >>"$W/server.log" 2>&1 &
	SERVER_PID=$!
	for ((i = 0; i < 600; i++)); do
		[[ -s $data/server.url ]] && break
		sleep 0.01
	done
	URL=$(cat "$data/server.url")
}

median() { sort -g | awk '{a[NR] = $1} END {print a[int((NR + 1) / 2)]}'; }
rss_kb() { awk '/^VmRSS/ {print $2}' "/proc/$1/status"; }

measure() {	# NAME CMD…: run CMD RUNS times, keep the median of what it prints
	local name=$1 i
	shift
	for ((i = 0; i < RUNS; i++)); do "$@"; done | median >"$W/$name"
}

interleaved() {	# NAME FUNCTION …: RUNS rounds of each function in turn, the median of each
	local i k args=("$@")
	for ((k = 0; k < ${#args[@]}; k += 2)); do rm -f "$W/${args[k]}.all"; done
	for ((i = 0; i < RUNS; i++)); do
		for ((k = 0; k < ${#args[@]}; k += 2)); do "${args[k + 1]}" >>"$W/${args[k]}.all"; done
	done
	for ((k = 0; k < ${#args[@]}; k += 2)); do median <"$W/${args[k]}.all" >"$W/${args[k]}"; done
}

raw() { "$B/raw-spawn" spawn 2 3; }
fsync_rate() { "$B/raw-spawn" fsync "$W" 2; }
xargs_rate() {
	local n=3000 t0 t1
	t0=$(date +%s%N)
	seq "$n" | xargs -P2 -I{} /bin/sh -c true
	t1=$(date +%s%N)
	echo "$n $t0 $t1" | awk '{printf "%.0f\n", $1 / (($3 - $2) / 1e9)}'
}
# STORE=postgres: each fresh server gets a new database on the bench's own cluster (named
# by the subshell too: measure runs its function in a pipeline's subshell, which starts
# again from the parent's count). PG_DB_URL: the last one made.
STORE=sqlite
PG_DBS=0
PG_DB_URL=""
fresh() {
	local store=()
	rm -rf "$W/data"
	if [[ $STORE == postgres ]]; then
		PG_DBS=$((PG_DBS + 1))
		PG_DB_URL=$(pg_createdb "$W/pg.state" "bench_${BASHPID}_$PG_DBS")
		store=(--store "$PG_DB_URL")
	fi
	start_server "$W/data" "${store[@]}" "$@"
}
deps_rate() {	# chain|fan: 10^4 joblets through dependencies, 2 local workers
	fresh --local-workers 2 --local-worker-cores "$(nproc)"
	sleep 1
	"$B/loadgen" deps "$URL" "$1" 10000
	stop_server
}
deps_chain() { deps_rate chain; }
deps_fan() { deps_rate fan; }
add_batch() { fresh; "$B/loadgen" add-batch "$URL" 200 1000; stop_server; }
# Seconds from kill -9 of the leader until the standby serves (/healthz 200): two servers
# on one database with the default --leader-lease, 10^4 jobs in the store to load.
takeover() {
	local db standby t0 t1 i
	fresh	# STORE=postgres
	db=$PG_DB_URL
	"$B/loadgen" add-batch "$URL" 10 1000 >/dev/null
	rm -rf "$W/data-b"
	: >"$W/standby.log"
	"$J" server --listen 127.0.0.1:0 --data "$W/data-b" --store "$db" >"$W/standby.log" 2>&1 &
	standby=$!
	for ((i = 0; i < 3000; i++)); do
		grep -q "standby at" "$W/standby.log" && break
		sleep 0.01
	done
	URL_B=$(sed -n 's/.*standby at \(http[^ ]*\).*/\1/p' "$W/standby.log" | head -1)
	t0=$(date +%s%N)
	kill -KILL "$SERVER_PID"
	wait "$SERVER_PID" 2>/dev/null || true
	SERVER_PID=$standby
	"$B/loadgen" health "$URL_B" 60 >/dev/null
	t1=$(date +%s%N)
	stop_server
	echo "$t0 $t1" | awk '{printf "%.2f\n", ($2 - $1) / 1e9}'
}
add_single() { fresh; "$B/loadgen" add-single "$URL" 1 3000; stop_server; }
add_16() { fresh; "$B/loadgen" add-single "$URL" 16 500; stop_server; }
e2e() {
	fresh --local-workers 2 --local-worker-cores "$(nproc)"
	sleep 1	# the workers register
	"$B/loadgen" e2e "$URL" 8000
	stop_server
}
# The same figures with TLS and/or authentication on (SPEC §9): the client sends the admin
# token and checks the server's own CA, as a real client would.
secure() {	# tls|auth|both MODE ARGS…: loadgen MODE against a fresh server so configured
	local flags=()
	case $1 in
	tls) flags=(--tls) ;;
	auth) flags=(--auth) ;;
	both) flags=(--tls --auth) ;;
	esac
	shift
	local workers=()
	[[ $1 == e2e ]] && workers=(--local-workers 2 --local-worker-cores "$(nproc)")
	fresh "${flags[@]}" "${workers[@]}"
	[[ $1 == e2e ]] && sleep 1	# the workers register
	LOADGEN_TOKEN=$(cat "$W/data/admin.token" 2>/dev/null || true) LOADGEN_CA=$W/data/tls/ca.pem \
		"$B/loadgen" "$1" "$URL" "${@:2}"
	stop_server
}
add_single_tls() { secure tls add-single 1 3000; }
add_single_auth() { secure auth add-single 1 3000; }
add_single_both() { secure both add-single 1 3000; }
add_16_both() { secure both add-single 16 500; }
add_batch_both() { secure both add-batch 200 1000; }
e2e_both() { secure both e2e 8000; }
latency() {
	fresh
	"$J" worker --server "$URL" --name bench --cores 1 >>"$W/worker.log" 2>&1 &
	local wpid=$!
	sleep 1
	mkdir -p "$W/stamps"
	rm -f "$W"/stamps/*
	"$B/loadgen" latency "$URL" 300 "$W/stamps" "$B/stamp" >"$W/latency.$RANDOM"
	kill -TERM "$wpid"
	wait "$wpid" || true
	stop_server
}

# BENCH_ONLY="core pg …": only those parts (the machine's own rates always run, for the
# ratios): core (adds, e2e, TLS and auth, dependencies, latency), pg, slurm, bigjob,
# history, reserve, log (adds while a 1 GB log is read), queued (10^6 queued joblets).
# The table prints what was measured; the rest stays empty.
want() { [[ -z ${BENCH_ONLY:-} || " $BENCH_ONLY " == *" $1 "* ]]; }

echo "jobgrid benchmark on $(nproc) cores, $(date -u +%FT%TZ); medians of $RUNS runs${BENCH_ONLY:+; only: $BENCH_ONLY}" >&2
measure raw_spawn_per_s raw
measure fsync_per_s fsync_rate
measure xargs_per_s xargs_rate
if want core; then
measure add_batch_per_s add_batch
measure add_single_per_s add_single
measure add_concurrent16_per_s add_16
measure e2e_per_s e2e
# With TLS and auth, each run beside a plain one, so that the ratios compare the same
# minutes of a noisy machine.
interleaved add_single_plain_per_s add_single add_single_tls_per_s add_single_tls \
	add_single_auth_per_s add_single_auth add_single_both_per_s add_single_both
interleaved add_16_plain_per_s add_16 add_16_both_per_s add_16_both
interleaved add_batch_plain_per_s add_batch add_batch_both_per_s add_batch_both
interleaved e2e_plain_per_s e2e e2e_both_per_s e2e_both
measure deps_chain_per_s deps_chain
measure deps_fan_per_s deps_fan
for ((i = 0; i < RUNS; i++)); do latency; done
cat "$W"/latency.* | awk '{print $1}' | median >"$W/latency_p50_ms"
cat "$W"/latency.* | awk '{print $2}' | median >"$W/latency_p99_ms"
fi
# The same adds and joblets with the PostgreSQL store (a private cluster on loopback).
if want pg; then
pg_start "$W/pg.state"
STORE=postgres
measure pg_add_batch_per_s add_batch
measure pg_add_single_per_s add_single
measure pg_add_concurrent16_per_s add_16
measure pg_e2e_per_s e2e
measure pg_takeover_s takeover
STORE=sqlite
pg_stop "$W/pg.state"
fi
if want slurm; then
	source "$(dirname "$0")/spawn-slurm.sh"
	bench_spawn_slurm	# once: it starts a Slurm cluster of its own
fi
if want bigjob; then
	source "$(dirname "$0")/bigjob.sh"
	bench_bigjob	# once: a job of 10^5 joblets runs for minutes
fi
if want history; then
	source "$(dirname "$0")/history.sh"
	bench_history	# once: 10^6 finished jobs, a server on them as before and with history out
fi
# The scheduler alone: µs per reserve with 10^3, 10^5, 10^6 queued (bench/reserve.c).
if want reserve; then
	for ((i = 0; i < RUNS; i++)); do "$B/bench-reserve"; done >"$W/reserve.all"
	for n in 1000 100000 1000000; do
		awk -v n=$n '$1 == n {print $2}' "$W/reserve.all" | median >"$W/reserve_us_$n"
	done
fi

# Adds while a client reads a 1 GB log: a job of 4 joblets writes 4 × 256 MiB through the
# worker's spool (output limit 2G), the worker stops, then single adds are timed alone and
# while a client reads the whole log again and again; the pairs alternate, RUNS times.
log_read_loop() {	# URL JOB: until $W/stop-reading exists; prints bytes and seconds of each read
	local t0 t1 n
	while [[ ! -e $W/stop-reading ]]; do
		t0=$(date +%s%N)
		n=$(curl -s "$1/v1/jobs/$2/log" | wc -c)
		t1=$(date +%s%N)
		echo "$n $t0 $t1" | awk '{printf "%.1f\n", $1 / 1e6 / (($3 - $2) / 1e9)}'
	done
}
log_calls() { curl -s "$URL/metrics" | awk -F'} ' '/requests_total\{route="job_log"\}/ {print $2}'; }
if want log; then
rm -rf "$W/data"
start_server "$W/data"
"$J" worker --server "$URL" --name logbench --cores 4 --spool "$W" >>"$W/worker.log" 2>&1 &
wpid=$!
t0=$(date +%s%N)
JOBGRID_URL=$URL "$J" add --name biglog --output-limit 2G --joblets 4 -- \
	'head -c 268435456 < <(yes 0123456789abcdefghijklmnopqrstuvwxyz0123456789abcdefghijklmnopqrstuvwxyz)' >"$W/biglog.id"
JOBGRID_URL=$URL "$J" wait "$(cat "$W/biglog.id")" --timeout 900s >/dev/null
t1=$(date +%s%N)
echo "$t0 $t1" | awk '{printf "%.1f\n", 1073741824 / 1e6 / (($2 - $1) / 1e9)}' >"$W/output_ingest_mb_per_s"
kill -TERM "$wpid"
wait "$wpid" || true
rm -f "$W/stop-reading" "$W"/add_latency.* "$W/log_read_mb_per_s.all"
for ((i = 0; i < RUNS; i++)); do
	"$B/loadgen" add-latency "$URL" 2000 >"$W/add_latency.idle.$i"
	reads=$(log_calls)
	log_read_loop "$URL" "$(cat "$W/biglog.id")" >>"$W/log_read_mb_per_s.all" &
	rpid=$!
	until (($(log_calls) > reads)); do sleep 0.01; done	# the reader is into the log
	"$B/loadgen" add-latency "$URL" 2000 >"$W/add_latency.reading.$i"
	touch "$W/stop-reading"
	wait "$rpid"
	rm -f "$W/stop-reading"
done
stop_server
for k in idle reading; do
	cat "$W"/add_latency.$k.* | awk '{print $1}' | median >"$W/add_p50_ms_$k"
	cat "$W"/add_latency.$k.* | awk '{print $2}' | median >"$W/add_p99_ms_$k"
done
median <"$W/log_read_mb_per_s.all" >"$W/log_read_mb_per_s"
fi

# A million queued joblets: memory per joblet, then the time to restart with them.
queued=""
if want queued; then
rm -rf "$W/data"
start_server "$W/data"
before=$(rss_kb "$SERVER_PID")
"$B/loadgen" add-batch "$URL" 1000 1000 >/dev/null
after=$(rss_kb "$SERVER_PID")
echo $(((after - before) * 1024 / 1000000)) >"$W/rss_bytes_per_queued"
PORT=${URL##*:}
stop_server
t0=$(date +%s%N)
"$J" server --listen "127.0.0.1:$PORT" --data "$W/data" >>"$W/server.log" 2>&1 &
SERVER_PID=$!
"$B/loadgen" health "http://127.0.0.1:$PORT" 60 >/dev/null
t1=$(date +%s%N)
echo "$t0 $t1" | awk '{printf "%.2f\n", ($2 - $1) / 1e9}' >"$W/restart_1m_s"
queued=$(curl -s "http://127.0.0.1:$PORT/v1/stats" | sed 's/.*"ready":\([0-9]*\).*/\1/')
stop_server
PORT=""
fi

v() { cat "$W/$1" 2>/dev/null || true; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN {printf "%.2f", (b > 0 ? a / b : 0)}'; }
row() { printf '%-44s %12s  %s\n' "$1" "$2" "$3"; }	# FIGURE VALUE COMPARED-WITH
e2e_ratio=$(ratio "$(v e2e_per_s)" "$(v raw_spawn_per_s)")
echo
row "figure" "value" "compared with"
row "raw posix_spawn+wait of sh -c true, 2 lanes /s" "$(v raw_spawn_per_s)" "the machine"
row "xargs -P2 sh -c true /s" "$(v xargs_per_s)" "$(ratio "$(v xargs_per_s)" "$(v raw_spawn_per_s)") x raw"
row "end-to-end true joblets, 2 local workers /s" "$(v e2e_per_s)" "$e2e_ratio x raw (target 0.8), $(ratio "$(v e2e_per_s)" "$(v xargs_per_s)") x xargs"
row "  the same with TLS and auth on /s" "$(v e2e_both_per_s)" "$(ratio "$(v e2e_both_per_s)" "$(v e2e_plain_per_s)") x plain (target > 0.9)"
row "joblets/s through a 10^4 --after-ok chain" "$(v deps_chain_per_s)" "$(ratio "$(v deps_chain_per_s)" "$(v e2e_per_s)") x without dependencies"
row "joblets/s through a 10^4 fan-out and fan-in" "$(v deps_fan_per_s)" "$(ratio "$(v deps_fan_per_s)" "$(v e2e_per_s)") x without dependencies"
reserve_ratio=$(ratio "$(v reserve_us_1000000)" "$(v reserve_us_1000)")
row "µs per reserve, 10^3 queued (100 classes)" "$(v reserve_us_1000)" "scheduler only"
row "µs per reserve, 10^5 queued" "$(v reserve_us_100000)" "$(ratio "$(v reserve_us_100000)" "$(v reserve_us_1000)") x 10^3"
row "µs per reserve, 10^6 queued" "$(v reserve_us_1000000)" "$reserve_ratio x 10^3 (flat: O(log n) heaps)"
row "50 joblets via --spawn slurm, no worker at start, s" "$(v spawn_slurm_s)" "$(v spawn_slurm_per_s) joblets/s; sbatch --wrap=true alone: $(v slurm_sbatch_per_s) jobs/s"
row "fdatasync'd 100-byte appends /s" "$(v fsync_per_s)" "the disk"
row "durable adds, batches of 1000, joblets/s" "$(v add_batch_per_s)" "target 200000"
row "durable single adds, 1 connection /s" "$(v add_single_per_s)" "$(ratio "$(v add_single_per_s)" "$(v fsync_per_s)") x fsync (target 0.7)"
row "durable single adds, 16 clients /s" "$(v add_concurrent16_per_s)" "$(ratio "$(v add_concurrent16_per_s)" "$(v add_single_per_s)") x 1 client (target 3)"
row "  single adds with TLS /s" "$(v add_single_tls_per_s)" "$(ratio "$(v add_single_tls_per_s)" "$(v add_single_plain_per_s)") x plain (target > 0.9)"
row "  single adds with auth /s" "$(v add_single_auth_per_s)" "$(ratio "$(v add_single_auth_per_s)" "$(v add_single_plain_per_s)") x plain (target > 0.9)"
row "  single adds with TLS and auth /s" "$(v add_single_both_per_s)" "$(ratio "$(v add_single_both_per_s)" "$(v add_single_plain_per_s)") x plain (target > 0.9)"
row "  16 clients with TLS and auth /s" "$(v add_16_both_per_s)" "$(ratio "$(v add_16_both_per_s)" "$(v add_16_plain_per_s)") x plain (target > 0.9)"
row "  batches with TLS and auth, joblets/s" "$(v add_batch_both_per_s)" "$(ratio "$(v add_batch_both_per_s)" "$(v add_batch_plain_per_s)") x plain (target > 0.9)"
row "submit-to-start latency p50 ms" "$(v latency_p50_ms)" "target 2"
row "submit-to-start latency p99 ms" "$(v latency_p99_ms)" "target 10"
row "durable single add p50 ms" "$(v add_p50_ms_idle)" "1 connection, nothing else"
row "durable single add p99 ms" "$(v add_p99_ms_idle)" "1 connection, nothing else"
row "  the same while a 1 GB log is read, p50 ms" "$(v add_p50_ms_reading)" "$(ratio "$(v add_p50_ms_reading)" "$(v add_p50_ms_idle)") x alone"
row "  the same while a 1 GB log is read, p99 ms" "$(v add_p99_ms_reading)" "$(ratio "$(v add_p99_ms_reading)" "$(v add_p99_ms_idle)") x alone"
row "1 GB log read by that client, MB/s" "$(v log_read_mb_per_s)" "while the adds run"
row "1 GB of output stored, MB/s" "$(v output_ingest_mb_per_s)" "4 joblets, 1 worker, 1 MiB chunks"
row "server RSS per queued joblet, bytes" "$(v rss_bytes_per_queued)" "target 1024 (1M queued)"
row "restart with ${queued} queued, s" "$(v restart_1m_s)" "target 3"
row "one job of 10^5 true joblets, 2 local workers, s" "$(v bigjob_run_s)" "its joblets/s beside e2e above"
row "  server RSS before it, MB" "$(v bigjob_rss_mb_before)" ""
row "  server RSS once it ran, MB" "$(v bigjob_rss_mb_after)" "$(v bigjob_rss_bytes_per_joblet) bytes a joblet (was 3.7 KB; 47 MB before attempts left memory)"
row "  server RSS once all its pages were read, MB" "$(v bigjob_rss_mb_after_show)" "paged: no 20-55 MB answer"
row "  show --json (the job, 250 joblets), ms" "$(v bigjob_show_json_ms)" "was 2.5-8 s for all of them"
row "  show --json --joblets 0-99999, ms" "$(v bigjob_show_all_ms)" "400 pages, each a request"
row "  GET of one page of 250 joblets, ms" "$(v bigjob_page_ms)" "the most one request of it holds the loop"
row "  status (GET /v1/stats) alone, ms" "$(v bigjob_status_ms_idle)" ""
row "  status while its pages are read, ms" "$(v bigjob_status_ms_reading)" "$(ratio "$(v bigjob_status_ms_reading)" "$(v bigjob_status_ms_idle)") x alone (was 0.9 s)"
row "  status with its throughput (dashboard), ms" "$(v bigjob_throughput_ms)" "over the attempts of the last hour"
row "  longest status over 1 s of nothing, ms" "$(v bigjob_stall_ms_quiet)" "the machine's own delays, beside the three below"
row "  cancel of 10^5 ready joblets, ms" "$(v bigjob_cancel_ms)" "longest status meanwhile: $(v bigjob_stall_ms_cancel) ms (was 912 in one turn)"
row "  retry of 10^5 cancelled joblets, ms" "$(v bigjob_retry_ms)" "longest status meanwhile: $(v bigjob_stall_ms_retry) ms (was 510 in one turn)"
row "  remove (POST /v1/jobs/remove) of it, ms" "$(v bigjob_remove_ms)" "longest status meanwhile: $(v bigjob_stall_ms_remove) ms (was ~120 in one commit)"
row "10^6 finished jobs: restart, s" "$(v history_restart_s_new)" "old: $(v history_restart_s_old) (all kept in memory); was 4.5 s loading all"
row "  server RSS peak by then, MB" "$(v history_rss_peak_mb_new)" "old: $(v history_rss_peak_mb_old); loaded as history, not in full"
row "  server RSS, MB" "$(v history_rss_mb_new)" "old: $(v history_rss_mb_old); --history-memory 0"
row "  list --state failed (10^5 failed), ms" "$(v history_list_failed_ms_new)" "old: $(v history_list_failed_ms_old)"
echo
printf '%-44s %12s %12s\n' "store" "SQLite" "PostgreSQL"
pgrow() { printf '%-44s %12s %12s\n' "$1" "$(v "$2")" "$(v "pg_$2")"; }
pgrow "durable adds, batches of 1000, joblets/s" add_batch_per_s
pgrow "durable single adds, 1 connection /s" add_single_per_s
pgrow "durable single adds, 16 clients /s" add_concurrent16_per_s
pgrow "end-to-end true joblets, 2 local workers /s" e2e_per_s
printf '%-44s %12s %12s  %s\n' "takeover after kill -9 of the leader, s" "-" "$(v pg_takeover_s)" \
	"one server alone on SQLite; target 5 (--leader-lease 3s)"
echo
for f in raw_spawn_per_s xargs_per_s e2e_per_s deps_chain_per_s deps_fan_per_s reserve_us_1000 \
	reserve_us_100000 reserve_us_1000000; do echo "bench: $f=$(v $f)"; done
echo "bench: reserve_ratio_1e6_1e3=$reserve_ratio"
echo "bench: e2e_ratio=$e2e_ratio"
for f in add_batch_per_s add_single_per_s fsync_per_s add_concurrent16_per_s latency_p50_ms \
	latency_p99_ms add_p50_ms_idle add_p99_ms_idle add_p50_ms_reading add_p99_ms_reading \
	log_read_mb_per_s output_ingest_mb_per_s rss_bytes_per_queued restart_1m_s \
	add_single_plain_per_s add_single_tls_per_s add_single_auth_per_s add_single_both_per_s \
	add_16_plain_per_s add_16_both_per_s add_batch_plain_per_s add_batch_both_per_s \
	e2e_plain_per_s e2e_both_per_s spawn_slurm_s spawn_slurm_per_s slurm_sbatch_per_s \
	pg_add_batch_per_s pg_add_single_per_s pg_add_concurrent16_per_s pg_e2e_per_s \
	bigjob_run_s bigjob_rss_mb_before bigjob_rss_mb_after bigjob_rss_mb_after_show \
	bigjob_rss_bytes_per_joblet \
	bigjob_show_json_ms bigjob_show_all_ms bigjob_page_ms bigjob_status_ms_idle \
	bigjob_status_ms_reading bigjob_throughput_ms bigjob_stall_ms_quiet bigjob_cancel_ms \
	bigjob_stall_ms_cancel bigjob_retry_ms bigjob_stall_ms_retry bigjob_remove_ms bigjob_stall_ms_remove pg_takeover_s \
	history_restart_s_old history_restart_s_new history_rss_peak_mb_old history_rss_peak_mb_new \
	history_rss_mb_old history_rss_mb_new history_list_failed_ms_old \
	history_list_failed_ms_new; do
	echo "bench: $f=$(v $f)"
done
