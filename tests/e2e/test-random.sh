#!/usr/bin/env bash
# The issue 3 checker: 1,000 jobs with random priorities, cores, limit groups and
# dependencies run on 3 workers of different sizes; afterwards `show --json` of every job
# must show that
#   (a) no worker ever ran more cores than it has,
#   (b) no limit group ever ran more than its limit,
#   (c) no dependant started before its dependencies ended, and the dependants of a failed
#       --after-ok dependency were skipped without running,
#   (d) within a priority, joblets of the same class (cores, limit group) that were ready from
#       the start were dispatched in submission order.
# SEED=N reproduces a run.
source "$(dirname "$0")/lib.sh"
SEED=${SEED:-$RANDOM}
N=1000
log "seed $SEED"
start_server
start_worker w2 --cores 2
start_worker w3 --cores 3
start_worker w4 --cores 4
wait_workers 3

# Jobs as JSON lines. On a fresh server job i gets seq i, so dependencies name earlier seqs.
awk -v n=$N -v seed="$SEED" 'BEGIN {
	srand(seed)
	for (i = 1; i <= n; i++) {
		pr = int(rand() * 4); cores = 1 + int(rand() * 3); r = rand()
		lim = r < 0.2 ? ",\"limits\":[\"lg1:2\"]" : r < 0.35 ? ",\"limits\":[\"lg2:3\"]" : ""
		cmd = rand() < 0.05 ? "exit 1" : rand() < 0.5 ? "true" : "sleep 0.0" int(rand() * 5)
		deps = ""
		if (i > 1 && rand() < 0.3) {
			k = 1 + int(rand() * 2); ok = ""; any = ""
			for (d = 0; d < k; d++) {
				t = 1 + int(rand() * (i - 1))
				if (rand() < 0.7) ok = ok (ok == "" ? "" : ",") t
				else any = any (any == "" ? "" : ",") t
			}
			if (ok != "") deps = deps ",\"after_ok\":[" ok "]"
			if (any != "") deps = deps ",\"after_any\":[" any "]"
		}
		printf "{\"name\":\"r%d\",\"cmd\":\"%s\",\"priority\":%d,\"cores\":%d%s%s}\n", i, cmd, pr, cores, lim, deps
	}
}' >"$T/jobs.jsonl"
jg add --jsonl <"$T/jobs.jsonl" >"$T/ids"
expect_eq "$(wc -l <"$T/ids")" "$N" "$N jobs added"
expect_eq "$(jg show "$N" --json | jq -r .name)" "r$N" "seq $N is the last line"

_all_ended() { jg status --json | jq -e '.joblets | (.waiting + .ready + .running) == 0' >/dev/null; }
wait_until 240 _all_ended
log "ok: every job ended: $(jg status --json | jq -c .joblets)"

# One document for the checks: every job with its options and attempts, fetched by one
# curl over one kept-alive connection (a process per job made this the slowest step).
seq 1 "$N" | sed "s|.*|url = \"$JOBGRID_URL/v1/jobs/&\"|" | curl -sS --fail -K - | jq -s "$JQ_MS"' map({
	seq, state, cmd, priority, cores, limits, after_ok, after_any, ended: (.ended_at | ms),
	atts: [.joblets[].attempts[] | {id, node, cores, start: (.started_at | ms),
					end: (if .ended_at then (.ended_at | ms) else null end)}]})' >"$T/all.json"
expect_eq "$(jq '[.[].seq] == [range(1; $n + 1)]' --argjson n "$N" "$T/all.json")" true "every job fetched, in order"

# (a) cores per node: a sweep per worker, weighting each attempt by its cores.
for w in w2:2 w3:3 w4:4; do
	node=${w%:*} cap=${w#*:}
	peak=$(jq -r --arg n "$node" '.[].atts[] | select(.node == $n) | "\(.start) 1 \(.cores)\n\(.end) 0 \(.cores)"' "$T/all.json" |
		sort -k1,1n -k2,2n | awk '{c += ($2 == 1 ? $3 : -$3); if (c > m) m = c} END {print m + 0}')
	((peak <= cap)) || fail "worker $node ran $peak cores at once, it has $cap"
	log "ok: $node peaked at $peak of $cap cores"
done

# (b) limit groups.
for g in lg1:2 lg2:3; do
	name=${g%:*} cap=${g#*:}
	peak=$(jq -r --arg g "$name" '.[] | select(.limits | index($g)) | .atts[] | "\(.start) \(.end)"' "$T/all.json" | peak_overlap)
	((peak <= cap)) || fail "limit group $name ran $peak at once, its limit is $cap"
	log "ok: limit group $name peaked at $peak of $cap"
done

# (c) dependencies.
bad=$(jq -r 'INDEX(.seq | tostring) as $by | .[] | select(.atts | length > 0) | . as $j |
	(.after_ok + .after_any)[] | $by[tostring] as $d |
	select($d.ended == null or ($j.atts[0].start < $d.ended)) | "\($j.seq) after \($d.seq)"' "$T/all.json")
[[ -z $bad ]] || fail "dependants started before their dependencies ended: $bad"
ndeps=$(jq '[.[] | select((.after_ok + .after_any) | length > 0)] | length' "$T/all.json")
log "ok: none of the $ndeps dependants started before its dependencies ended"
bad=$(jq -r 'INDEX(.seq | tostring) as $by | .[] | . as $j |
	select(any(.after_ok[]; $by[tostring].state != "done")) |
	select(.state != "skipped" or (.atts | length) > 0) | .seq' "$T/all.json")
[[ -z $bad ]] || fail "jobs whose --after-ok dependency did not succeed ran or were not skipped: $bad"
nskip=$(jq '[.[] | select(.state == "skipped")] | length' "$T/all.json")
nfail=$(jq '[.[] | select(.state == "failed")] | length' "$T/all.json")
log "ok: $nfail failed, and the $nskip skipped dependants never ran"
((nskip > 0 && nfail > 0)) || fail "the random mix should have produced failures and skips"
# Every final state follows from the command and the dependencies: skipped exactly when an
# --after-ok dependency did not end done (an --after-any one never skips), else failed exactly
# when the command was `exit 1`, else done; each job that ran has one attempt.
bad=$(jq -r 'INDEX(.seq | tostring) as $by | .[] |
	(if any(.after_ok[]; $by[tostring].state != "done") then "skipped"
	 elif .cmd == "exit 1" then "failed" else "done" end) as $want |
	select(.state != $want or (.state != "skipped" and (.atts | length) != 1)) |
	"\(.seq): \(.state) with \(.atts | length) attempt(s), expected \($want)"' "$T/all.json")
[[ -z $bad ]] || fail "final states that do not follow from command and dependencies: $bad"
nany=$(jq 'INDEX(.seq | tostring) as $by | [.[] | select(any(.after_any[]; $by[tostring].state != "done"))
	| select(all(.after_ok[]; $by[tostring].state == "done"))] | length' "$T/all.json")
log "ok: every job ended as its command and dependencies say ($nany ran after a failed or skipped --after-any dependency)"

# (d) FIFO within a priority for one class, among jobs ready from the start.
bad=$(jq -r '[.[] | select((.after_ok + .after_any) | length == 0) | select(.atts | length > 0)] |
	group_by([.priority, .cores, .limits]) | .[] | sort_by(.seq) |
	[range(1; length) as $i | select(.[$i].atts[0].id < .[$i - 1].atts[0].id) | .[$i].seq] | .[]' "$T/all.json")
[[ -z $bad ]] || fail "dispatched out of submission order within their class: $bad"
nfree=$(jq '[.[] | select((.after_ok + .after_any) | length == 0)] | length' "$T/all.json")
log "ok: the $nfree jobs ready from the start ran in submission order within each priority and class"
# The batch is one request (at most 1000 lines a batch), so these jobs were all ready at the
# same instant: within one class a higher priority is dispatched first, then submission order.
bad=$(jq -r '[.[] | select((.after_ok + .after_any) | length == 0) | select(.atts | length > 0)] |
	group_by([.cores, .limits]) | .[] | sort_by(-.priority, .seq) |
	[range(1; length) as $i | select(.[$i].atts[0].id < .[$i - 1].atts[0].id) |
	 "\(.[$i].seq)(p\(.[$i].priority)) before \(.[$i - 1].seq)(p\(.[$i - 1].priority))"] | .[]' "$T/all.json")
[[ -z $bad ]] || fail "dispatched against priority within their class: $bad"
nclass=$(jq '[.[] | select((.after_ok + .after_any) | length == 0)] | group_by([.cores, .limits]) | length' "$T/all.json")
log "ok: in each of the $nclass classes, higher priority was dispatched first"
