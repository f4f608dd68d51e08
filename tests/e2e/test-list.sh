#!/usr/bin/env bash
# list with more jobs than a page: the newest first, a note on stderr saying how many more
# and how to see them (--limit, --all, --cursor), --oldest, the API's order, "more" and name=,
# a header on a terminal whose columns line up with the rows.
source "$(dirname "$0")/lib.sh"
start_server
seq 1 112 | sed 's/^/echo job-/' | jg add >"$T/ids"
expect_eq "$(wc -l <"$T/ids")" 112 "112 jobs added"
newest=$(tail -1 "$T/ids")
oldest=$(head -1 "$T/ids")

jg list >"$T/out" 2>"$T/err"
expect_eq "$(wc -l <"$T/out")" 200 "100 jobs shown (each with its why line)"
expect_eq "$(head -1 "$T/out" | awk '{print $1}')" "$newest" "the newest job comes first"
grep -q "^$oldest " "$T/out" && fail "the oldest job should be past the first page"
grep -q "(12 more older; --limit N or --all shows more, --cursor [0-9]* the next page)" "$T/err" ||
	fail "list says how many more and how to see them: $(cat "$T/err")"
log "ok: the first page holds the newest 100, and says 12 more"

expect_eq "$(jg list --all 2>"$T/err" | grep -c '^root\.')" 112 "--all shows every job"
[[ -s $T/err ]] && fail "--all has nothing more to say: $(cat "$T/err")"
expect_eq "$(jg list --limit 3 --oldest | grep '^root\.' | awk '{print $1}' | head -1)" "$oldest" \
	"--oldest starts from the first job"

# Paging by cursor: the pages join without gap or overlap.
page1=$(jg list --limit 60 --json)
expect_eq "$(jq .more <<<"$page1")" 52 "--json says how many more"
cursor=$(jq -r .next_cursor <<<"$page1")
page2=$(jg list --limit 60 --cursor "$cursor" --json)
expect_eq "$(jq .next_cursor <<<"$page2")" null "the second page is the last"
expect_eq "$( (jq -r '.jobs[].id' <<<"$page1"; jq -r '.jobs[].id' <<<"$page2") | sort -u | wc -l)" 112 \
	"two pages by cursor cover every job once"
expect_eq "$(jq -r '.jobs[-1].id' <<<"$page2")" "$oldest" "and end with the oldest"

# The API: ascending by default (as before), order=desc on request, bad order refused.
expect_eq "$(api GET '/v1/jobs?limit=1' | jq -r '.jobs[0].id, .more' | tr '\n' ' ')" "$oldest 111 " \
	"GET /v1/jobs is oldest first and counts the rest"
expect_eq "$(api GET '/v1/jobs?limit=1&order=desc' | jq -r '.jobs[0].id')" "$newest" "order=desc"
expect_eq "$(api GET '/v1/jobs?cursor=9223372036854775807' | jq -c '[.jobs, .more]')" "[[],0]" \
	"a cursor past the end gives an empty page"
expect_eq "$(api GET '/v1/jobs?cursor=9223372036854775807&order=desc&limit=1' | jq -r '.jobs[0].id')" \
	"$newest" "desc from a cursor past the end starts at the newest"
api GET '/v1/jobs?order=up' >"$T/out"
expect_eq "$API_STATUS" 400 "a bad order is refused"
expect_eq "$(jq -r .error.field "$T/out")" order "naming the field"

# name=: the jobs whose name holds the text, with "more" and the other filters.
jg add --name nightly-report -- true >/dev/null
jg add --name report-weekly -- true >/dev/null
jg add --name Report-caps -- true >/dev/null
expect_eq "$(api GET '/v1/jobs?name=report&order=desc' | jq -r '[.jobs[].name] | join(",")')" \
	"report-weekly,nightly-report" "name= keeps the names holding the text, case-sensitive"
expect_eq "$(api GET '/v1/jobs?name=report&limit=1' | jq -c '[.jobs[0].name, .more]')" '["nightly-report",1]' \
	"name= pages and counts the rest"
expect_eq "$(api GET '/v1/jobs?name=report&state=running' | jq '.jobs | length')" 0 "name= with state="
for bad in '' "$(printf 'x%.0s' {1..201})"; do
	api GET "/v1/jobs?name=$bad" >"$T/out"
	expect_eq "$API_STATUS" 400 "a name filter of ${#bad} characters is refused"
	expect_eq "$(jq -r .error.field "$T/out")" name "naming the field"
done

# On a terminal a header heads the columns, which line up whatever the ids' lengths.
jg add --name a-much-longer-job-name-than-the-others -- true >/dev/null
script -qec "$JOBGRID_BIN list --limit 3" /dev/null | tr -d '\r' >"$T/tty"
head -1 "$T/tty" | grep -q '^ID  *STATE  *PRI  *DONE/ALL  *CREATED  *COMMAND$' ||
	fail "a header on a terminal: $(head -1 "$T/tty")"
col=$(head -1 "$T/tty" | awk '{print index($0, "STATE")}')
for row in 2 4 6; do
	line=$(sed -n "${row}p" "$T/tty")
	expect_eq "$(awk '{print index($0, $2)}' <<<"$line")" "$col" "row $row's state under STATE"
done
[[ $(jg list --limit 1 | head -1) == ID* ]] && fail "no header when stdout is a pipe"
log "all list checks passed"
