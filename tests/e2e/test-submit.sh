#!/usr/bin/env bash
# wr habits of add: --unique on a stdin batch adds the new lines and reports the repeated
# ones with the ids they repeat; the submitter's environment goes with the job (kept across
# a server restart, under --env, never over JOBGRID_*), --env-none and --env-keep send less,
# its values are never shown or logged, and one larger than a job carries is refused.
source "$(dirname "$0")/lib.sh"
start_server

# ---- --unique on a batch
first=$(jg add --unique -- sleep 301)
printf '%s\n' "sleep 301" "sleep 302" "sleep 302" "sleep 303" |
	jg add --unique >"$T/ids" 2>"$T/err" || fail "a batch with repeats exits 0: $(cat "$T/err")"
expect_eq "$(wc -l <"$T/ids")" 2 "the two new commands are added"
grep -q "line 1 repeats the incomplete job $first (--unique); not added" "$T/err" ||
	fail "line 1 is reported with the job it repeats: $(cat "$T/err")"
grep -q "line 3 repeats the incomplete job $(head -1 "$T/ids") (--unique); not added" "$T/err" ||
	fail "a repeat within the batch names the job made from the earlier line: $(cat "$T/err")"
expect_eq "$(jg list --all --json | jq '[.jobs[] | select(.cmd | startswith("sleep 30"))] | length')" 3 \
	"three jobs in all, none twice"
printf '%s\n' "sleep 301" "sleep 304" | jg add --unique --json >"$T/out" 2>/dev/null
expect_eq "$(jq -c '[(.ids | length), .duplicates[0].line, .duplicates[0].id]' "$T/out")" \
	"[1,1,\"$first\"]" "--json lists the new ids and the repeats"
rc=0
jg add --unique -- sleep 301 >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "a single repeated command is still refused (exit 2)"
grep -q "$first" "$T/err" || fail "naming $first: $(cat "$T/err")"
jg cancel $(jg list --all --json | jq -r '.jobs[] | select(.cmd | startswith("sleep 30")) | .id') >/dev/null

# ---- the environment
export V=captured SECRET_TOKEN=s3cr3t-value-77 JOBGRID_JOB=not-the-job
unset OTHER || true
held=$(jg add -- 'echo "V=$V S=$SECRET_TOKEN J=$JOBGRID_JOB"')
over=$(jg add --env V=given -- 'echo "V=$V"')
none=$(jg add --env-none -- 'echo "V=${V-unset} S=${SECRET_TOKEN-unset}"')
keep=$(jg add --env-keep V,OTHER -- 'echo "V=${V-unset} S=${SECRET_TOKEN-unset}"')
rc=0
jg add --env-none --env-keep V -- true 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "--env-none with --env-keep is a usage error"
# No worker yet: the jobs wait through a restart, so what runs comes from the store; the
# worker starts without these variables, so what the joblets see was captured.
kill_server
restart_server
unset V SECRET_TOKEN
start_worker w1
wait_workers 1
jg wait "$held" "$over" "$none" "$keep" >/dev/null || fail "the jobs ran"
expect_eq "$(jg log "$held")" "[w1] V=captured S=s3cr3t-value-77 J=$held" \
	"the submitter's variables reach the joblet after a restart; JOBGRID_JOB is the worker's"
expect_eq "$(jg log "$over")" "[w1] V=given" "--env wins over the captured value"
expect_eq "$(jg log "$none")" "[w1] V=unset S=unset" "--env-none sends nothing"
expect_eq "$(jg log "$keep")" "[w1] V=captured S=unset" "--env-keep sends the names listed"

jg show --json "$held" >"$T/show"
expect_eq "$(jq '[.submit_env_names[] | select(. == "V" or . == "SECRET_TOKEN")] | length' "$T/show")" 2 \
	"show lists the captured names"
expect_eq "$(jq '[.submit_env_names[] | select(startswith("JOBGRID_") or . == "PWD")] | length' "$T/show")" 0 \
	"JOBGRID_* and PWD are not captured"
grep -q "s3cr3t-value-77" "$T/show" && fail "show must not reveal a captured value"
jg show "$held" | grep -q "s3cr3t-value-77" && fail "nor may its text form"
grep -l "s3cr3t-value-77" "$T"/*.log && fail "no log may hold a captured value"
log "ok: captured values are neither shown nor logged"

# ---- larger than a job carries: refused before anything is sent, with the way out
for i in 0 1 2 3 4 5 6 7 8; do export "BIG$i=$(head -c 120000 /dev/zero | tr '\0' x)"; done
rc=0
jg add -- true >/dev/null 2>"$T/err" || rc=$?
expect_eq "$rc" 2 "an environment over 1 MiB is refused"
grep -q "more than a job carries.*--env-keep NAME,… or send none with --env-none" "$T/err" ||
	fail "it says why and what to do: $(cat "$T/err")"
jg add --env-keep V -- true >/dev/null || fail "--env-keep gets past it"
log "all submit checks passed"
