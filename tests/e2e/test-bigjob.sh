#!/usr/bin/env bash
# A job array of 10^4 joblets: `show` summarises its joblets by state as ranges and lists
# those of --joblets RANGE; GET /v1/jobs/{id} pages its joblets (joblets=RANGE, a cursor)
# and every joblet is seen once paging to the end; bad ranges are 400s naming the
# parameter and the rule; other clients are answered while its pages are read.
# The scenarios share the setup; ctest runs them as parts (E2E_PART=K/N), so that each
# stays within the timeout on a loaded machine.
# e2e-parts: 4
source "$(dirname "$0")/lib.sh"
start_server
N=10000
# Joblets 0-19 end (7 and 17 fail), then the worker's two slots hold joblets 20 and 21 on
# a file; the rest wait ready behind them (joblets are handed out in index order).
id=$(jg add --name big --joblets $N --retries 0 -- \
	"if [ \$JOBGRID_JOBLET -lt 20 ]; then test \$((JOBGRID_JOBLET % 10)) -ne 7; else $(hold go); fi")
start_worker w1 --cores 2 --spool "$T"
wait_workers 1
_settled() {
	[[ $(jg show "$id" --json --joblets 0 | jq -c '.counts') == '{"ready":9978,"running":2,"done":18,"failed":2}' ]]
}
wait_until 120 _settled

get() { api GET "$1" >"$T/page"; page=$(<"$T/page"); }

part_show() {
	# ---- show: the joblets by state as ranges, no line per joblet for a job this big.
	out=$(jg show "$id")
	expect_eq "$(grep -c '^  joblet ' <<<"$out")" 0 "no joblet lines without --joblets"
	grep -qxF "  joblets    $N: ready 22-9999, running 20-21, done 0-6,8-16,18-19, failed 7,17" <<<"$out" ||
		fail "show's summary: $(grep joblets <<<"$out")"
	out=$(jg show "$id" --joblets 17,5,20-21)
	expect_eq "$(grep -c '^  joblet ' <<<"$out")" 4 "--joblets 17,5,20-21 lists four joblets"
	expect_eq "$(grep '^  joblet ' <<<"$out" | tr '\n' '|')" \
		"  joblet 5: done|  joblet 17: failed (exit code 1)|  joblet 20: running|  joblet 21: running|" "in index order"
	grep -q "attempt 1 (#[0-9]*) on w1 .*: failed, exit 1" <<<"$out" || fail "joblet 17's attempt: $out"
	grep -q "attempt 1 (#[0-9]*) on w1 .*: running" <<<"$out" || fail "joblet 20's attempt: $out"
	expect_eq "$(jg show "$id" --json --joblets 9990-9999 | jq -c '[.joblets[].index], .joblets_next')" \
		"$(printf '[9990,9991,9992,9993,9994,9995,9996,9997,9998,9999]\nnull')" "show --json --joblets"
	rc=0; jg show "$id" --joblets 5-1 >/dev/null 2>"$T/err" || rc=$?
	expect_eq "$rc" 2 "a bad --joblets is a usage error"
	grep -q "end must not be below its start" "$T/err" || fail "the CLI says the rule: $(cat "$T/err")"
	rc=0; jg show "$id" --joblets 10000 >/dev/null 2>"$T/err" || rc=$?
	expect_eq "$rc" 2 "an index past the job's last is refused by the server"
	grep -q "joblets: '10000': past the last index (indexes 0..9999" "$T/err" || fail "$(cat "$T/err")"
}

part_json() {
	# ---- The JSON: a summary and a page; the cursor leads through every joblet once.
	get "/v1/jobs/$id"
	expect_eq "$API_STATUS" 200 "GET the job"
	expect_eq "$(jq -c '.joblet_ranges' <<<"$page")" \
		'{"ready":"22-9999","running":"20-21","done":"0-6,8-16,18-19","failed":"7,17"}' "joblet_ranges"
	expect_eq "$(jq '.joblets | length' <<<"$page")" 250 "a page of 250 joblets by default"
	expect_eq "$(jq -r '.joblets_next' <<<"$page")" 250 "the next page starts at 250"
	: >"$T/seen"
	next=0 pages=0
	while [[ $next != null ]]; do
		get "/v1/jobs/$id?joblets_limit=230&joblets_cursor=$next"
		expect_eq "$API_STATUS" 200 "page at $next"
		jq '.joblets[].index' <<<"$page" >>"$T/seen"
		next=$(jq -r '.joblets_next' <<<"$page")
		pages=$((pages + 1))
	done
	expect_eq "$pages" 44 "10000 joblets in pages of 230"
	expect_eq "$(sort -n "$T/seen" | uniq | wc -l)" $N "every joblet seen"
	expect_eq "$(wc -l <"$T/seen")" $N "each once"
	expect_eq "$(sort -n "$T/seen" | tr '\n' ' ')" "$(seq 0 $((N - 1)) | tr '\n' ' ')" "in index order"
	# A range with several pieces, paged by 4.
	: >"$T/seen"
	next=0
	while [[ $next != null ]]; do
		get "/v1/jobs/$id?joblets=9998-9999,1,10-15,5&joblets_limit=4&joblets_cursor=$next"
		jq -r '.joblets[] | "\(.index) \(.state)"' <<<"$page" >>"$T/seen"
		next=$(jq -r '.joblets_next' <<<"$page")
	done
	expect_eq "$(tr '\n' ',' <"$T/seen")" \
		"1 done,5 done,10 done,11 done,12 done,13 done,14 done,15 done,9998 ready,9999 ready," "a range in pages"
	# joblets=none: the list's summary, no joblets.
	expect_eq "$(api GET "/v1/jobs/$id?joblets=none" | jq -c '[has("joblets"), .joblet_count]')" '[false,10000]' "joblets=none"

	# ---- Bad parameters: 400 naming the parameter and the rule; nothing changes.
	for bad in "joblets=20-10|end must not be below its start" "joblets=abc|an index must be" \
		"joblets=1,,2|an index must be" "joblets=10000|past the last index" "joblets=|must not be empty" \
		"joblets=1%202|only digits" "joblets_limit=0|joblets_limit: must be an integer 1..250" \
		"joblets_limit=251|1..250" "joblets_cursor=-1|joblets_cursor: must be an integer 0..10000" \
		"joblets_cursor=x|joblets_cursor"; do
		q=${bad%%|*} says=${bad#*|}
		get "/v1/jobs/$id?$q"
		r=$page
		expect_eq "$API_STATUS" 400 "$q is refused"
		expect_eq "$(jq -r .error.field <<<"$r")" "${q%%=*}" "$q: the field is named"
		grep -qF "$says" <<<"$(jq -r .error.message <<<"$r")" || fail "$q: '$(jq -r .error.message <<<"$r")' should say '$says'"
	done
}

part_load() {
	# ---- Other clients are answered while this job's pages are read over and over: `status`
	# completes each time while the readers are still at it (they stop only when told).
	reader() {
		while [ ! -e "$T/stop" ]; do
			"$JOBGRID_BIN" show "$id" --json --joblets 0-9999 >"$T/read.$1" || exit 1
			[[ $(jq '.joblets | length' "$T/read.$1") == "$N" ]] || exit 1
			touch "$T/read.$1.ok"
		done
	}
	reader 1 & R1=$!; track $R1
	reader 2 & R2=$!; track $R2
	wait_until 120 test -e "$T/read.1.ok" -a -e "$T/read.2.ok"

	for k in 1 2 3 4 5; do
		jg status >/dev/null || fail "status $k was not answered"
		kill -0 $R1 && kill -0 $R2 || fail "a reader stopped before status $k was answered"
	done
	touch "$T/stop"
	wait $R1 || fail "reader 1 saw a wrong page"
	wait $R2 || fail "reader 2 saw a wrong page"

	# ---- The end: cancelled while joblets 20 and 21 hold (they are killed); the summary says so.
	jg cancel "$id" >/dev/null
	wait_until 60 _state_is "$id" failed
	touch "$T/go"
	grep -qxF "  joblets    $N: done 0-6,8-16,18-19, failed 7,17, cancelled 20-9999" <<<"$(jg show "$id")" ||
		fail "after cancel: $(jg show "$id" | grep joblets)"
}

part_list() {
	# ---- A list longer than one slice of the walk (250 jobs rendered a loop turn): pages, the
	# count beyond them and both orders come out whole.
	seq 1200 | sed 's/^/echo /' | jg add --group many >/dev/null
	get "/v1/jobs?group=many&limit=1000"
	expect_eq "$(jq -c '[(.jobs | length), .more, .next_cursor, .jobs[0].seq, .jobs[999].seq]' <<<"$page")" \
		'[1000,200,"1001",2,1001]' "the first 1000 of 1200"
	expect_eq "$(jq '[.jobs[].seq] | . == (sort | unique)' <<<"$page")" true "ascending, each once"
	get "/v1/jobs?group=many&limit=1000&cursor=1001"
	expect_eq "$(jq -c '[(.jobs | length), .more, .next_cursor, .jobs[0].seq, .jobs[199].seq]' <<<"$page")" \
		'[200,0,null,1002,1201]' "the other 200"
	get "/v1/jobs?order=desc&limit=10000"
	expect_eq "$(jq -c '[(.jobs | length), .more, .jobs[0].seq, .jobs[1200].seq, .jobs[1200].joblet_count]' <<<"$page")" \
		'[1201,0,1201,1,10000]' "every job, newest first"
	expect_eq "$(jq '[.jobs[].seq] | . == (sort | reverse | unique | reverse)' <<<"$page")" true "descending, each once"
}

PARTS=(part_show part_json part_load part_list)
for i in "${!PARTS[@]}"; do
	if [[ -n ${E2E_PART-} ]] && ((i % ${E2E_PART#*/} != ${E2E_PART%/*} - 1)); then continue; fi
	log "scenario ${PARTS[$i]}"
	"${PARTS[$i]}"
done
log "PASS"
