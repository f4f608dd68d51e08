#!/usr/bin/env bash
# e2e-store: postgres
# Two servers on one PostgreSQL database, two workers and two clients given both URLs.
#  1. kill -9 of the leader while clients add 1,000 jobs and workers run them: the standby
#     takes over (the time is printed), clients and workers move to it by themselves, every
#     acknowledged job ends done, and no joblet has two attempts whose runs overlap.
#  2. SIGSTOP of the new leader past its lease: the other takes over; after SIGCONT the
#     stopped one commits nothing (an audit trigger in the database records which server's
#     connection wrote what, and when) and steps down to a standby answering 503 not_leader.
export JOBGRID_TEST_STORE=postgres
source "$(dirname "$0")/lib.sh"
command -v psql >/dev/null || { log "no psql here: skipped"; exit 77; }

# Generous: a takeover is seconds; a loaded machine with sanitizers makes them longer.
export JOBGRID_RETRY_SECS=60
JOBS_PER_CLIENT=500
BATCH=50
LEASE=2s

_pg_test_db
sql() { psql -X -q -t -A -v ON_ERROR_STOP=1 "$PG_TEST_URL" -c "$1"; }

HA_ARGS=(--leader-lease "$LEASE" --heartbeat 1s --lease 20s)

start_ha a "${HA_ARGS[@]}"
wait_until 30 leading a
start_ha b "${HA_ARGS[@]}"
wait_until 30 standby b
expect_eq "$(health b)" "standby, leader at $(url_of a)" "b is a standby naming a"
API_URL=$(url_of b)
code=$(curl -s -o "$T/body" -w '%{http_code}' -D "$T/headers" "$API_URL/v1/jobs")
expect_eq "$code" 503 "a standby answers 503"
expect_eq "$(jq -r .error.code "$T/body")" not_leader "with not_leader"
expect_eq "$(jq -r .error.leader "$T/body")" "$(url_of a)" "naming the leader"
grep -qi "^JobGrid-Leader: $(url_of a)" "$T/headers" || fail "JobGrid-Leader header: $(cat "$T/headers")"
log "ok: b is a standby: 503 not_leader naming $(url_of a)"

# Every write of the store's tables, by which server's connection (its application_name
# is "jobgrid HOLDER") and when, kept only when its transaction commits.
sql "CREATE TABLE jg_audit(app text, tbl text, at timestamptz);
CREATE FUNCTION jg_audit() RETURNS trigger LANGUAGE plpgsql AS \$\$
BEGIN
	INSERT INTO jg_audit VALUES(current_setting('application_name'), TG_TABLE_NAME, clock_timestamp());
	RETURN NULL;
END \$\$;"
for tbl in $(sql "SELECT tablename FROM pg_tables WHERE schemaname = 'public'
		AND tablename NOT IN ('jg_leader', 'jg_servers', 'jg_audit', 'schema_version')"); do
	sql "CREATE TRIGGER jg_audit AFTER INSERT OR UPDATE OR DELETE ON $tbl
		FOR EACH STATEMENT EXECUTE FUNCTION jg_audit()"
done

export JOBGRID_URL="$(url_of a),$(url_of b)"
# Each run records its joblet, attempt and times: "JOB IDX ATTEMPT START END".
cat >"$T/rec.sh" <<EOF
s=\$(date +%s.%N)
sleep 0.02
echo "\$JOBGRID_JOB \$JOBGRID_JOBLET \$JOBGRID_ATTEMPT \$s \$(date +%s.%N)" >>"$T/runs"
EOF
: >"$T/runs"
for w in w1 w2; do
	start_worker "$w" --cores 4
done
wait_workers 2

client() {	# K: adds JOBS_PER_CLIENT jobs in batches; acknowledged ids into acked.K
	local k=$1 b i
	for ((b = 0; b < JOBS_PER_CLIENT / BATCH; b++)); do
		for ((i = 0; i < BATCH; i++)); do echo "sh $T/rec.sh"; done |
			"$JOBGRID_BIN" add --name "c$k" >>"$T/acked.$k" 2>>"$T/client.$k.err" || echo "batch $b failed" >>"$T/client.$k.fail"
	done
}
client 1 &
C1=$!
track $C1
client 2 &
C2=$!
track $C2

# Mid-run: jobs acknowledged, some done, more still to add.
wait_until 120 bash -c "[[ \$(cat $T/acked.* 2>/dev/null | wc -l) -ge 300 && \$(wc -l <$T/runs) -ge 50 ]]"
kill -9 "${SPID[a]}"
killed=$(date +%s.%N)
wait_until 30 leading b
took=$(date +%s.%N)
log "takeover after kill -9: $(awk -v a="$killed" -v b="$took" 'BEGIN {printf "%.2f", b - a}') s (lease $LEASE)"
wait $C1 || fail "client 1"
wait $C2 || fail "client 2"
[[ ! -e $T/client.1.fail && ! -e $T/client.2.fail ]] || fail "a client gave up: $(cat "$T"/client.*.fail "$T"/client.*.err)"
grep -q "trying $(url_of b)" "$T"/client.*.err || fail "no client said it moved to b: $(cat "$T"/client.*.err)"
acked=$(cat "$T"/acked.* | wc -l)
expect_eq "$acked" $((2 * JOBS_PER_CLIENT)) "every job was acknowledged once"

# Every acknowledged job ends done, on b, with workers that moved there by themselves.
done_count() { "$JOBGRID_BIN" status --json | jq -e ".joblets.done >= $1"; }
wait_until 150 done_count $((2 * JOBS_PER_CLIENT))
all_done() {
	"$JOBGRID_BIN" list --all --json >"$T/list" 2>/dev/null || return 1
	jq -r '.jobs[] | select(.state == "done") | .id' "$T/list" | sort >"$T/done"
	sort -u "$T"/acked.* >"$T/acked"
	[[ -z $(comm -23 "$T/acked" "$T/done") ]]
}
all_done || fail "acknowledged jobs not done: $(comm -23 "$T/acked" "$T/done" | head -5)"
for w in w1 w2; do
	kill -0 "${WORKER_PID[$w]}" || fail "worker $w ended"
done
log "ok: $acked jobs acknowledged, all done after the takeover"

# No joblet has two attempts whose runs overlap.
check_runs() {
	sort -k1,1 -k2,2n -k4,4n "$T/runs" | awk '
		{ key = $1 " " $2
		  if (key == last && $4 < end) { print "overlap: " key " attempts " att " and " $3; bad = 1 }
		  if (key != last || $5 > end) { end = $5; att = $3 }
		  last = key }
		END { exit bad }'
}
check_runs || fail "two attempts of one joblet ran at once"
log "ok: $(wc -l <"$T/runs") runs, no two attempts of one joblet overlap ($(awk '{print $1, $2}' "$T/runs" | sort | uniq -d | wc -l) joblets ran twice, one after the other)"

# 2. a, started again, is a standby; b is frozen past its lease.
start_ha a "${HA_ARGS[@]}"
wait_until 30 standby a
b_holder=$(sql "SELECT holder FROM jg_leader")
b_epoch=$(sql "SELECT epoch FROM jg_leader")
[[ $(sql "SELECT count(*) FROM jg_audit WHERE app = 'jobgrid $b_holder'") -gt 0 ]] ||
	fail "the audit sees b's writes (application_name 'jobgrid $b_holder')"
# Work in flight while b is frozen: four jobs (printf repeats its format for each
# argument), held until the checks are made.
printf 'sh -c "while [ ! -e %s/go ]; do sleep 0.05; done"\n' "$T" "$T" "$T" "$T" |
	"$JOBGRID_BIN" add --name held >"$T/held" || fail "adding the held jobs"
wait_until 30 bash -c "$JOBGRID_BIN list --state running --json | jq -e '.jobs | length == 4' >/dev/null"
kill -STOP "${SPID[b]}"
stopped=$(date +%s.%N)
wait_until 30 leading a
took=$(date +%s.%N)
t_take=$(sql "SELECT clock_timestamp()")
a_epoch=$(sql "SELECT epoch FROM jg_leader")
log "takeover after SIGSTOP: $(awk -v a="$stopped" -v b="$took" 'BEGIN {printf "%.2f", b - a}') s; epoch $b_epoch -> $a_epoch"
[[ $a_epoch -gt $b_epoch ]] || fail "a new epoch"
# Requests reach the stopped b meanwhile (they wait in its socket): it may try to commit them.
curl -s --max-time 1 -X POST -H 'Content-Type: application/json' -d '{"cmd": "true"}' \
	"$(url_of b)/v1/jobs" >/dev/null 2>&1 &
track $!
kill -CONT "${SPID[b]}"
wait_until 60 standby b
grep -q "deposed:" "$T"/server.b.*.log || fail "b says it was deposed"
late=$(sql "SELECT count(*) FROM jg_audit WHERE app = 'jobgrid $b_holder' AND at > '$t_take'")
expect_eq "$late" 0 "rows written by b after a took over"
expect_eq "$(health b)" "standby, leader at $(url_of a)" "b stepped down to a standby naming a"
code=$(curl -s -o "$T/body" -w '%{http_code}' "$(url_of b)/v1/stats")
expect_eq "$code/$(jq -r .error.code "$T/body")" "503/not_leader" "b answers 503 not_leader"
log "ok: b committed nothing after the takeover and came back as a standby"

# The held jobs finish on a: the workers moved again, their attempts re-attached.
touch "$T/go"
wait_until 60 done_count $((2 * JOBS_PER_CLIENT + 4))
for id in $(cat "$T/held"); do
	"$JOBGRID_BIN" show "$id" --json >"$T/show" || fail "show $id"
	expect_eq "$(jq -c '[.joblets[].attempts | length]' "$T/show")" "[1]" "$id ran once: re-attached, not re-run"
done
log "PASS"
