#!/usr/bin/env bash
# Retries with exponential back-off, then `failed` with a reason.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w --cores 2
id=$(jg add --retries 2 --retry-delay 1s --name flaky -- "echo try \$JOBGRID_RETRY; exit 3")
rc=0
jg wait "$id" --timeout 60s >/dev/null || rc=$?
expect_eq "$rc" 1 "wait exits 1 for a failed job"
show=$(jg show "$id" --json)
expect_eq "$(jq -r .state <<<"$show")" failed "the job failed"
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 3 "1 run + 2 retries"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 2 "both retries used"
expect_eq "$(jq -r '.joblets[0].reason' <<<"$show")" "exit code 3" "the reason names the exit code"
expect_eq "$(jq -r '[.joblets[0].attempts[].fail_reason] | unique | join(",")' <<<"$show")" exit "every attempt failed with reason exit"
# Back-off: 1 s ±25 % before the first retry, 2 s ±25 % before the second (plus dispatch).
ms='def ms: (.[0:19] + "Z" | fromdate) * 1000 + (.[20:23] | tonumber);'
g1=$(jq -r "$ms"' .joblets[0].attempts | (.[1].started_at | ms) - (.[0].ended_at | ms)' <<<"$show")
g2=$(jq -r "$ms"' .joblets[0].attempts | (.[2].started_at | ms) - (.[1].ended_at | ms)' <<<"$show")
((g1 >= 750 && g1 <= 2500)) || fail "first back-off ${g1} ms, expected 750..1250 ms plus dispatch"
((g2 >= 1500 && g2 <= 3500)) || fail "second back-off ${g2} ms, expected 1500..2500 ms plus dispatch"
log "back-off gaps ${g1} ms then ${g2} ms"
jg log "$id" | grep -c '^\[w\] try ' | grep -qx 3 || fail "log should hold three tries: $(jg log "$id")"
expect_eq "$(jg log "$id" | sed -n 3p)" "[w] try 2" "the third run saw JOBGRID_RETRY=2"

# ---- A failure that looks permanent (issue 10 item 21): a command that is not there, not
# executable, or a working directory that cannot be entered fails at once, whatever
# --retries says (wr buries such a job), and the reason says so. --retry-permanent (API
# retry_permanent, definition fact joblet.retry_permanent) is for a file that appears later.
printf '#!/bin/sh\necho hi\n' >"$T/noexec.sh"
chmod 644 "$T/noexec.sh"
mkdir -p "$T/gone" && rm -rf "$T/gone"
permanent() {	# REASON WHAT ID: one attempt, failed with REASON, retries left unused
	local show
	jg wait "$3" --timeout 30s >/dev/null && fail "$2 should fail"
	show=$(jg show "$3" --json)
	expect_eq "$(jq -r '"\(.state) \(.joblets[0].attempts | length) \(.joblets[0].attempts[0].fail_reason) \(.joblets[0].errors)"' <<<"$show")" \
		"failed 1 $1 0" "$2: one attempt ($1), not retried"
	jq -r '.joblets[0].reason' <<<"$show" | grep -q "; not retried (3 of --retries 3 left): the failure looks permanent (--retry-permanent retries it)$" ||
		fail "$2: the reason should say why it was not retried: $(jq -r '.joblets[0].reason' <<<"$show")"
}
permanent notfound "a missing command" "$(jg add --retries 3 -- nosuchcmd --foo)"
permanent notfound "a missing command in a pipeline (the shell's 127)" "$(jg add --retries 3 -- 'nosuchcmd --foo | cat')"
permanent permission "a file without execute permission" "$(jg add --retries 3 -- "$T/noexec.sh")"
api POST /v1/jobs "{\"cmd\":\"true\",\"cwd\":\"$T/gone\",\"retries\":3}" >"$T/cwd.json"
permanent cwd "a working directory that does not exist" "$(jq -r '.ids[0]' "$T/cwd.json")"
expect_eq "$(jg show "$(jq -r '.ids[0]' "$T/cwd.json")" --json | jq -r '.joblets[0].reason')" \
	"cannot enter working directory: chdir: No such file or directory; not retried (3 of --retries 3 left): the failure looks permanent (--retry-permanent retries it)" \
	"the cwd reason in full"
# Other failures keep their retries (the first part of this file), and without retries the
# reason is only the failure.
id=$(jg add -- nosuchcmd)
jg wait "$id" --timeout 30s >/dev/null && fail "nosuchcmd should fail"
expect_eq "$(jg show "$id" --json | jq -r '.joblets[0].reason')" "command not found" "no retries: nothing to say about them"

# --retry-permanent: the script appears after the first attempt; a later one runs it.
id=$(jg add --retries 5 --retry-delay 1s --retry-permanent -- "$T/later.sh")
expect_eq "$(jg show "$id" --json | jq -r .retry_permanent)" true "show gives retry_permanent"
jg show "$id" | grep -q "also after notfound, permission, cwd" || fail "show should say it: $(jg show "$id")"
_first_failed() { [[ $(jg show "$1" --json | jq -r '.joblets[0].attempts[0].state') == failed ]]; }
wait_until 30 _first_failed "$id"
printf '#!/bin/sh\necho appeared\n' >"$T/later.sh"
chmod +x "$T/later.sh"
jg wait "$id" --timeout 60s >/dev/null || fail "with --retry-permanent the job should end done once the file is there"
show=$(jg show "$id" --json)
expect_eq "$(jq -r '.joblets[0].attempts[0].fail_reason' <<<"$show")" notfound "its first attempt: notfound"
expect_eq "$(jq -r '.joblets[0].attempts[-1].state' <<<"$show")" done "a retry ran the script"

# Changed later (PATCH, `mod`), and checked.
id=$(jg add --retries 1 --not-before 1h -- nosuchcmd)
jg mod "$id" --retry-permanent >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .retry_permanent)" true "mod --retry-permanent"
api PATCH "/v1/jobs/$id" '{"retry_permanent":false}' >/dev/null
expect_eq "$(jg show "$id" --json | jq -r .retry_permanent)" false "PATCH retry_permanent false"
api PATCH "/v1/jobs/$id" '{"retry_permanent":"yes"}' >"$T/bad.json"	# not in a subshell: $API_STATUS
expect_eq "$API_STATUS $(jq -r .error.field "$T/bad.json")" "422 retry_permanent" "a retry_permanent that is no boolean is refused (422, as every option field)"
api POST /v1/jobs '{"cmd":"true","retry_permanent":1}' >"$T/bad.json"
expect_eq "$API_STATUS $(jq -r .error.field "$T/bad.json")" "422 retry_permanent" "also when adding"
jg cancel "$id" >/dev/null

# From a definition: the fact joblet.retry_permanent, given in the file or at run time.
mkdir -p "$T/defs"
printf 'name: perm\nfacts:\n  joblet.maxretry: 1\n  joblet.retry_permanent: true\ncommand: nosuchcmd\n' >"$T/defs/perm.yaml"
printf 'name: noperm\nfacts:\n  joblet.maxretry: 1\ncommand: nosuchcmd\n' >"$T/defs/noperm.yaml"
jg deploy "$T/defs" >/dev/null || fail "deploy of perm and noperm failed"
attempts() { jg wait "$1" --timeout 30s >/dev/null; jg show "$1" --json | jq -r '.joblets[0].attempts | length'; }
expect_eq "$(attempts "$(jg run perm)")" 2 "joblet.retry_permanent: true in the file: retried"
expect_eq "$(attempts "$(jg run noperm)")" 1 "without it: not retried"
expect_eq "$(attempts "$(jg run noperm joblet.retry_permanent=true)")" 2 "joblet.retry_permanent=true at run time: retried"
rc=0
out=$(jg run noperm joblet.retry_permanent=maybe 2>&1) || rc=$?
expect_eq "$rc" 2 "a run fact that is no boolean is refused"
grep -q "facts.joblet.retry_permanent: must be true or false" <<<"$out" || fail "the error should name the fact: $out"
printf 'name: badperm\nfacts:\n  joblet.retry_permanent: 3\ncommand: "true"\n' >"$T/badperm.yaml"
rc=0
out=$(jg deploy "$T/badperm.yaml" 2>&1) || rc=$?
expect_eq "$rc" 2 "a definition whose joblet.retry_permanent is no boolean is refused"
grep -q "facts.joblet.retry_permanent: must be true or false" <<<"$out" || fail "the problem should name the fact: $out"
