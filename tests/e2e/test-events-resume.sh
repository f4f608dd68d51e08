#!/usr/bin/env bash
# GET /v1/events resumes (issue 15): every event has an id; a reader that dropped sends the
# last one back (Last-Event-ID, as browsers do, or ?after=) and gets every event it may see
# that it missed, in order, none twice, then the live ones. For every caller: a user's
# resumed stream holds their own jobs only; `jobgrid events` resumes after a cut network. An
# id of another server run is answered with a `reset` event (read the state again); a
# malformed one is 400 naming the field.
source "$(dirname "$0")/lib.sh"
start_server --auth
ADMIN=$(cat "$T/data/admin.token")
export JOBGRID_TOKEN=$ADMIN
printf 'alice-pw\n' | jg user add alice --password-stdin >/dev/null
ALICE=$(curl -sS -d '{"user":"alice","password":"alice-pw"}' "$JOBGRID_URL/v1/login" | jq -r .token)
[[ $ALICE =~ ^jg_ ]] || fail "alice could not log in"

# stream NAME TOKEN [CURL ARGS…]: read the event stream into $T/NAME in the background
stream() {
	local name=$1 token=$2
	shift 2
	curl -sSN -H "Authorization: Bearer $token" "$@" "$JOBGRID_URL/v1/events${QUERY-}" >"$T/$name" 2>&1 &
	track $!
	STREAM_PID=$!
}
# The id line just before the data line of JOB's EVENT in FILE.
id_of() { grep -B2 "\"event\":\"$3\".*\"job\":\"$2\"" "$T/$1" | sed -n 's/^id: //p' | head -1; }
# The jobs of FILE's job.submitted events, in order, one a line.
subs() { sed -n 's/^data: //p' "$T/$1" | jq -r 'select(.event == "job.submitted") | .job'; }
add_as() { curl -sS -H "Authorization: Bearer $1" -d "{\"cmd\":\"true\",\"name\":\"$2\"}" "$JOBGRID_URL/v1/jobs" | jq -r '.ids[0]'; }

log "a stream gives its position at once, and an id with each event"
stream a "$ADMIN"
wait_until 20 grep -q '^id: ' "$T/a"
ID0=$(sed -n 's/^id: //p' "$T/a" | head -1)
[[ $ID0 =~ ^[1-9][0-9]*-[0-9]+$ ]] || fail "the first id is not EPOCH-N: $ID0"
J1=$(add_as "$ADMIN" one)
wait_until 20 grep -q "\"job\":\"$J1\"" "$T/a"
ID1=$(id_of a "$J1" job.submitted)
[[ -n $ID1 && ${ID1%-*} == "${ID0%-*}" && ${ID1#*-} -gt ${ID0#*-} ]] || fail "J1's event has no later id: '$ID1' after '$ID0'"

log "the reader drops; jobs are added meanwhile, by the admin and by alice"
kill "$STREAM_PID"
wait "$STREAM_PID" 2>/dev/null || true
J2=$(add_as "$ADMIN" two)
JA=$(add_as "$ALICE" alices)
J3=$(add_as "$ADMIN" three)

log "Last-Event-ID: every missed event, in order, once, then live events"
stream b "$ADMIN" -H "Last-Event-ID: $ID1"
wait_until 20 grep -q "\"job\":\"$J3\"" "$T/b"
expect_eq "$(subs b | tr '\n' ' ')" "$J2 $JA $J3 " "the admin's resumed stream: the missed submissions in order"
J4=$(add_as "$ADMIN" four)
wait_until 20 grep -q "\"job\":\"$J4\"" "$T/b"
expect_eq "$(subs b | tr '\n' ' ')" "$J2 $JA $J3 $J4 " "then the live ones, none twice"
ids=$(sed -n 's/^id: //p' "$T/b" | grep -v "^$ID1\$" | awk -F- '{print $2}')
[[ $(sort -n <<<"$ids") == "$ids" ]] || fail "ids are not in order: $ids"

log "?after= does the same; a user's resumed stream holds only their jobs"
QUERY="?after=$ID1" stream c "$ADMIN"
wait_until 20 grep -q "\"job\":\"$J4\"" "$T/c"
expect_eq "$(subs c | tr '\n' ' ')" "$J2 $JA $J3 $J4 " "?after= resumes"
stream u "$ALICE" -H "Last-Event-ID: $ID0"
wait_until 20 grep -q "\"job\":\"$JA\"" "$T/u"
J5=$(add_as "$ALICE" alices-two)
wait_until 20 grep -q "\"job\":\"$J5\"" "$T/u"
expect_eq "$(subs u | tr '\n' ' ')" "$JA $J5 " "alice's resumed stream: her jobs only"
! grep -q "\"job\":\"$J1\"\|\"job\":\"$J2\"\|\"job\":\"$J3\"" "$T/u" || fail "alice saw another's events"

log "an id of another run: a reset event, then the stream goes on"
stream r "$ADMIN" -H "Last-Event-ID: 1-1"
wait_until 20 grep -q '^event: reset' "$T/r"
wait_until 20 grep -q '^id: ' "$T/r"
! grep -q '"event":"job.submitted"' "$T/r" || fail "a reset stream replayed events"
J6=$(add_as "$ADMIN" six)
wait_until 20 grep -q "\"job\":\"$J6\"" "$T/r"

log "jobgrid events resumes after a cut network with the events it missed, each once"
"$JG_BUILD/holdproxy" "$T/proxy.port" "${JOBGRID_URL#http://}" "$T/no-hold" "$T/cut" >"$T/proxy.log" 2>&1 &
track $!
wait_until 20 test -s "$T/proxy.port"
PROXY=http://127.0.0.1:$(cat "$T/proxy.port")
sse_clients() { curl -sS -H "Authorization: Bearer $ADMIN" "$JOBGRID_URL/metrics" | awk '$1 == "jobgrid_sse_clients" {print $2}'; }
open_streams=$(sse_clients)
JOBGRID_URL=$PROXY "$JOBGRID_BIN" events >"$T/cli.out" 2>"$T/cli.err" &
track $!
more_streams() { [[ $(sse_clients) -gt $open_streams ]]; }
wait_until 20 more_streams	# its stream is open: it sees what comes
J7=$(add_as "$ADMIN" seven)
wait_until 20 grep -q "\"job\":\"$J7\"" "$T/cli.out"
touch "$T/cut"
wait_until 20 grep -q "lost the connection" "$T/cli.err"
J8=$(add_as "$ADMIN" eight)
J9=$(add_as "$ALICE" nine)
rm "$T/cut"
wait_until 30 grep -q "\"job\":\"$J9\"" "$T/cli.out"
J10=$(add_as "$ADMIN" ten)
wait_until 20 grep -q "\"job\":\"$J10\"" "$T/cli.out"
expect_eq "$(jq -r 'select(.event == "job.submitted") | .job' "$T/cli.out" | tr '\n' ' ')" "$J7 $J8 $J9 $J10 " \
	"the CLI shows every submission once, in order, across the cut"
grep -q "the stream resumes after the last event shown" "$T/cli.err" || fail "the CLI does not say it resumes: $(cat "$T/cli.err")"
grep -q "GET /v1/events?after=${ID0%-*}-[0-9]* HTTP" "$T/proxy.log" || fail "no resumed request: $(cat "$T/proxy.log")"

log "a malformed id is 400 naming the field, and nothing is streamed"
out=$(curl -sS -w ' %{http_code}' -H "Authorization: Bearer $ADMIN" -H 'Last-Event-ID: abc' "$JOBGRID_URL/v1/events")
[[ $out == *'"field":"Last-Event-ID"'*' 400' ]] || fail "a bad Last-Event-ID: $out"
out=$(curl -sS -w ' %{http_code}' -H "Authorization: Bearer $ADMIN" "$JOBGRID_URL/v1/events?after=1-x")
[[ $out == *'"field":"after"'*' 400' ]] || fail "a bad ?after=: $out"
log "PASS"
