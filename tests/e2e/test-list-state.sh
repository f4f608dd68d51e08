#!/usr/bin/env bash
# A list filtered by state with every job in memory (--history-memory never) skips the
# blocks of 1024 slots that hold no job in that state and counts "more" from the blocks'
# counts by state (issue 14). Its pages must be those of a look at every job: a few
# thousand jobs of every state, loaded from the store and then changed (added, cancelled,
# retried, removed), spread so that some blocks lack a state and removals leave holes;
# every page of each state filter, oldest and newest first, from the start and from a
# cursor inside the blocks, for the admin (counted) and for a user (walked), compared with
# the pages made by jq from the whole list in one page (the first dozen pages of each).
source "$(dirname "$0")/lib.sh"
start_server --auth
export JOBGRID_TOKEN
JOBGRID_TOKEN=$(cat "$T/data/admin.token")
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
printf 'bob-pw\n' | jg user add bob --password-stdin >/dev/null
kill_server

SQLTOOL=$JG_BUILD/sqltool
[[ -x $SQLTOOL ]] || fail "missing test helper $SQLTOOL"
# 4500 seqs of finished jobs, each with its joblet (and an attempt when it ran), written
# as a server writes them (bench/history.sh does the same for 10^6). Per block of 1024:
# block 0 done and every 5th failed; block 1 done and every 3rd cancelled; block 2 a
# stretch of holes, then failed and every 4th skipped; block 3 done, failed, cancelled;
# block 4 done. Every 7th seq is a hole; every 4th job is bob's.
"$SQLTOOL" "$T/data/jobgrid.sqlite" exec "
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 4500)
INSERT INTO jobs(seq, owner, name, grp, req_group, cmd, cwd, cores, ram_mb, gpus, time_ms,
 priority, retries, lost_retries, retry_delay_ms, flags, njoblets, state, created_at, ended_at)
SELECT i, CASE WHEN i % 4 = 0 THEN 'bob' ELSE 'alice' END, 'j', 'g' || (i % 3), '', 'true',
 '/tmp', 1, 0, 0, 0, 0, 0, 3, 0, 1, 1,
 CASE WHEN i < 1024 THEN (CASE WHEN i % 5 = 0 THEN 4 ELSE 3 END)
      WHEN i < 2048 THEN (CASE WHEN i % 3 = 0 THEN 5 ELSE 3 END)
      WHEN i < 3072 THEN (CASE WHEN i % 4 = 0 THEN 6 ELSE 4 END)
      WHEN i < 4096 THEN (CASE i % 30 WHEN 0 THEN 4 WHEN 1 THEN 5 ELSE 3 END)
      ELSE 3 END,
 1795413600000 + i, 1795413600100 + i FROM n
 WHERE i % 7 != 3 AND NOT (i BETWEEN 2048 AND 2600);
INSERT INTO joblets(seq, idx, state, errors, lost, ready_at, reason)
SELECT seq, 0, state, state = 4, 0, 0,
 CASE state WHEN 4 THEN 'exit code 1' WHEN 5 THEN 'cancelled' WHEN 6 THEN 'skipped' END
 FROM jobs;
INSERT INTO attempts(id, seq, idx, n, node, worker, state, exit_code, fail_reason, started_at,
 ended_at, peak_ram_mb, cpu_ms, cores, ram_mb, gpus, wall_ms, output_bytes, output_dropped)
SELECT seq, seq, 0, 1, 'n', 'w0', CASE WHEN state = 4 THEN 2 ELSE 1 END, state = 4,
 CASE WHEN state = 4 THEN 1 ELSE 0 END, created_at, ended_at, 1, 1, 1, 0, 0, 90, 0, 0
 FROM jobs WHERE state IN (3, 4);" || fail "cannot write the jobs into the store"
restart_server --auth --history-memory never
login() { curl -sS -d "{\"user\":\"$1\",\"password\":\"$2\"}" "$JOBGRID_URL/v1/login" | jq -r .token; }
ADMIN=$JOBGRID_TOKEN ALICE=$(login alice alice-pw) BOB=$(login bob bob-pw)
get() { curl -sS -H "Authorization: Bearer $1" "$JOBGRID_URL$2"; }
# seqs FROM TO STEP MOD: the seqs of loaded jobs from FROM to TO by STEP that are i % MOD == 0
seqs() { for ((i = $1; i <= $2; i += $3)); do ((i % 7 == 3 || i % $4)) || echo "$i"; done; }

log "changes after the load: adds (ready, waiting), cancels, retries, removals"
seq 1 200 | sed 's/^/echo a-/' | JOBGRID_TOKEN=$ALICE jg add >"$T/alice.ids"
seq 1 100 | sed 's/^/echo b-/' | JOBGRID_TOKEN=$BOB jg add >"$T/bob.ids"
dep=$(head -1 "$T/alice.ids")
for _ in 1 2 3; do JOBGRID_TOKEN=$ALICE jg add --after-ok "$dep" -- true >>"$T/waiting.ids"; done
# shellcheck disable=SC2046 # one id a word
jg cancel $(awk 'NR % 8 == 2' "$T/alice.ids" "$T/bob.ids") >/dev/null
# shellcheck disable=SC2046
jg retry $(seqs 100 1000 100 5) >/dev/null	# failed in block 0
# shellcheck disable=SC2046
jg remove $(seqs 3090 4095 30 30) >/dev/null	# every failed job of block 3
# shellcheck disable=SC2046
jg remove $(seqs 1026 1100 3 3) >/dev/null	# cancelled in block 1
get "$ADMIN" '/v1/jobs?limit=10000' >"$T/all.json"
expect_eq "$(jq '.more' "$T/all.json")" 0 "the whole list in one page"
expect_eq "$(jq '.jobs | length' "$T/all.json")" "$(get "$ADMIN" /v1/stats | jq .jobs_in_memory)" \
	"every job in memory is in it"
jq -c '{jobs: [.jobs[] | {seq, state, owner}]}' "$T/all.json" >"$T/slim.json"
log "jobs by state: $(jq -c '[.jobs[].state] | group_by(.) | map({(.[0]): length}) | add' "$T/all.json")"
expect_eq "$(jq '[.jobs[] | select(.state == "failed" and .seq >= 3072 and .seq < 4096)] | length' \
	"$T/all.json")" 0 "block 3 holds no failed job"
expect_eq "$(jq '[.jobs[] | select(.state == "cancelled" and .seq >= 4096)] | length > 0' \
	"$T/all.json")" true "block 4 holds cancelled jobs, cancelled after the load"

# pages TOKEN QUERY CURSOR MAX: each page of the list from CURSOR on, MAX at most, a line
# each: its jobs' seqs and states, more, next_cursor.
pages() {
	local cur=$3 page line k
	for ((k = 0; k < $4; k++)); do
		page=$(get "$1" "/v1/jobs?$2&cursor=$cur")
		line=$(jq -c '[[.jobs[] | [.seq, .state]], .more, .next_cursor]' <<<"$page") ||
			fail "not a page of $2: $page"
		echo "$line"
		cur=${line##*,}
		cur=${cur//[]\"]/}
		if [[ $cur == null ]]; then break; fi
	done
}
# expected OWNER STATE ORDER LIMIT CURSOR MAX: the same pages, made from the whole list.
expected() {
	jq -c --arg owner "$1" --arg state "$2" --arg order "$3" --argjson limit "$4" \
		--argjson cur "$5" --argjson max "$6" 'limit($max;

		[.jobs[] | select(($owner == "" or .owner == $owner) and
				  ($state == "" or .state == $state))] |
		(if $order == "desc" then reverse | map(select($cur == 0 or .seq < $cur))
		 else map(select(.seq > $cur)) end) as $m |
		range(0; [($m | length), 1] | max; $limit) as $i |
		$m[$i:$i + $limit] as $p | (($m | length) - $i - ($p | length)) as $more |
		[[$p[] | [.seq, .state]], $more,
		 (if $more > 0 then ($p[-1].seq | tostring) else null end)])' "$T/slim.json"
}
n=0
check() {	# WHO OWNER STATE ORDER LIMIT CURSOR MAX [EXTRA QUERY]: the first MAX pages
	local who=$1 owner=$2 st=$3 order=$4 limit=$5 cur=$6 max=$7 q
	q="limit=$limit&order=$order${st:+&state=$st}${8:+&$8}"
	local got want
	got=$(pages "$who" "$q" "$cur" "$max")
	want=$(expected "$owner" "$st" "$order" "$limit" "$cur" "$max")
	[[ $got == "$want" ]] || fail "pages of $q from cursor $cur as $owner differ:
$(diff <(echo "$want") <(echo "$got") | head -20)"
	n=$((n + $(wc -l <<<"$got")))
}
log "every page of the smaller states, both orders, the admin and a user"
for st in waiting ready failed cancelled skipped; do
	for order in asc desc; do
		check "$ADMIN" "" "$st" "$order" 100 0 20
	done
	check "$ALICE" alice "$st" asc 100 0 20
done
log "two pages of each state, from cursors inside and between blocks"
for cur in 1 1100 2601 3500 4600; do
	for st in waiting ready done failed cancelled skipped ""; do
		check "$ADMIN" "" "$st" asc 3 "$cur" 2
		check "$ADMIN" "" "$st" desc 3 "$cur" 2
	done
	for st in failed cancelled ""; do check "$BOB" bob "$st" desc 2 "$cur" 2; done
done
log "a state filter with an owner or a group: blocks skipped, the rest walked"
check "$ADMIN" bob failed asc 50 0 20 owner=bob
check "$ADMIN" bob cancelled desc 50 0 20 owner=bob
all_g1=$(get "$ADMIN" '/v1/jobs?state=skipped&group=g1&limit=10000' | jq -c '[.jobs[].seq]')
expect_eq "$all_g1" "$(jq -c '[.jobs[] | select(.state == "skipped" and .group == "g1") | .seq]' \
	"$T/all.json")" "state and group together"
page=$(get "$ADMIN" '/v1/jobs?state=skipped&group=g1&limit=10')
expect_eq "$(jq .more <<<"$page")" "$(($(jq length <<<"$all_g1") - 10))" "and its more"
log "ok: $n pages alike"
