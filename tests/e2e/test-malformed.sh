#!/usr/bin/env bash
# Guarantee 7: every malformed request gets a 4xx with an error naming the field and the
# rule, and changes nothing; the server survives all of them.
source "$(dirname "$0")/lib.sh"
# The hand-registered worker never heartbeats: its lease must outlast the test on a loaded
# machine, or its id turns unknown (404) before the checks that use it.
start_server --lease 10m

# Known-good state to compare against: one job, one worker.
api POST /v1/jobs '{"cmd":"true"}' >/dev/null
expect_eq "$API_STATUS" 201 "a valid job is accepted"
WID=$(jq_get "$(api POST /v1/workers '{"name":"w1","cores":1}')" .id)
before=$(api GET /v1/stats | jq -c '{joblets, jobs, workers}')

n=0
reject() {	# STATUS FIELD METHOD PATH [BODY] [CURL ARGS…]: expect that status and error field
	local want=$1 field=$2 method=$3 path=$4 body=${5-} out status
	shift 5 || shift $#
	out=$(curl -sS -X "$method" -H 'Content-Type: application/json' -w '\n%{http_code}' \
		"$@" ${body:+--data-binary "$body"} "$JOBGRID_URL$path")
	status=${out##*$'\n'}
	out=${out%$'\n'*}
	[[ $status == "$want" ]] || fail "$method $path $body: status $status, want $want: $out"
	[[ $(jq -r .error.field <<<"$out") == "$field" ]] ||
		fail "$method $path $body: field '$(jq -r .error.field <<<"$out")', want '$field': $out"
	[[ -n $(jq -r '.error.message // empty' <<<"$out") ]] || fail "no message: $out"
	n=$((n + 1))
	log "rejected ($status $field): $(jq -r .error.message <<<"$out")"
}

reject 400 ""               POST /v1/jobs '{"cmd": "true"'
reject 400 ""               POST /v1/jobs '"just a string"'
reject 400 ""               POST /v1/jobs ''
reject 400 cmd              POST /v1/jobs '{"name":"x"}'
reject 400 cmd              POST /v1/jobs '{"cmd": 42}'
reject 400 bogus            POST /v1/jobs '{"cmd":"true","bogus":1}'
reject 422 cores            POST /v1/jobs '{"cmd":"true","cores":-1}'
reject 422 cores            POST /v1/jobs '{"cmd":"true","cores":100000}'
reject 422 priority         POST /v1/jobs '{"cmd":"true","priority":256}'
reject 422 cwd              POST /v1/jobs '{"cmd":"true","cwd":"relative/dir"}'
reject 422 name             POST /v1/jobs '{"cmd":"true","name":"bad name!"}'
reject 400 env              POST /v1/jobs '{"cmd":"true","env":["A=1"]}'
reject 422 env.1BAD         POST /v1/jobs '{"cmd":"true","env":{"1BAD":"x"}}'
reject 422 env.A            POST /v1/jobs '{"cmd":"true","env":{"A":1}}'
reject 422 joblets          POST /v1/jobs '{"cmd":"true","joblets":0}'
reject 422 ""               POST /v1/jobs '[]'
reject 422 '[1].cores'      POST /v1/jobs '[{"cmd":"true"},{"cmd":"true","cores":-5}]'
reject 400 ""               POST /v1/jobs '{"cmd":"true","cmd":"false"}'
reject 422 retries          POST /v1/jobs '{"cmd":"true","retries":100000}'
reject 400 time_ms          POST /v1/jobs '{"cmd":"true","time_ms":"1h"}'
reject 400 no_restart       POST /v1/jobs '{"cmd":"true","no_restart":"yes"}'
reject 400 ""               POST /v1/jobs '{"cmd":"a\u0000b"}'
reject 422 cmd              POST /v1/jobs '{"cmd":""}'
reject 400 ""               POST /v1/jobs $'{"cmd":"\xff\xfe"}'
reject 400 Idempotency-Key  POST /v1/jobs '{"cmd":"true"}' -H "Idempotency-Key: $(printf 'k%.0s' {1..200})"
reject 400 X-Jobgrid-User   POST /v1/jobs '{"cmd":"true"}' -H 'X-Jobgrid-User: no/slashes'
reject 404 ""               GET /v1/nowhere ''
reject 405 ""               PUT /v1/jobs '{"cmd":"true"}'
reject 400 state            GET '/v1/jobs?state=sleeping' ''
reject 400 limit            GET '/v1/jobs?limit=0' ''
reject 404 id               GET /v1/jobs/nosuchjob ''
reject 404 id               GET /v1/jobs/999 ''
reject 404 id               GET /v1/jobs/someone.else.1 ''
reject 400 nice             PATCH /v1/jobs/1 '{"nice":1}'
reject 422 ""               PATCH /v1/jobs/1 '{}'
reject 422 priority         PATCH /v1/jobs/1 '{"priority":-3}'
reject 404 id               POST /v1/workers/nobody/reserve '{"max":1}'
reject 400 name             POST /v1/workers '{"name":"bad name","cores":1}'
reject 400 free.disks       POST "/v1/workers/$WID/reserve" '{"max":1,"free":{"disks":2}}'
reject 400 free             POST "/v1/workers/$WID/reserve" '{"max":1,"free":5}'
reject 422 max              POST "/v1/workers/$WID/reserve" '{"max":5000}'
reject 422 'finished[0].fail_reason' POST "/v1/workers/$WID/reserve" '{"max":0,"finished":[{"attempt":1,"fail_reason":"bored"}]}'
reject 400 'finished[0].attempt' POST "/v1/workers/$WID/reserve" '{"max":0,"finished":[{"fail_reason":""}]}'
reject 404 id               POST /v1/attempts/abc/finish '{}'
reject 422 path             POST /v1/backup '{"path":"relative.sqlite"}'

after=$(api GET /v1/stats | jq -c '{joblets, jobs, workers}')
expect_eq "$after" "$before" "nothing changed after $n rejected requests"
expect_eq "$(api GET /healthz)" ok "the server is still healthy"
((n >= 20)) || fail "only $n malformed kinds"
