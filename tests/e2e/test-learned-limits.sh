#!/usr/bin/env bash
# Learned RAM and time place joblets; they never end one (issue 10 item 9, as in wr). Only a
# limit the user set kills — also when learning replaced it as the booking (--override 0)
# — or a RAM excess that would harm the node: the joblets on a worker together over its RAM.
# (Learning itself, the overrides and RAM growth: test-learned.)
source "$(dirname "$0")/lib.sh"
start_server
start_worker big --cores 2 --ram 4000
wait_workers 1

jf() { jg show "$1" --json | jq -r "$2"; }
_first_ended() { [[ $(jf "$1" '.joblets[0].attempts[0].state') =~ ^(failed|done)$ ]]; }

# ---- Group g learns from three short jobs: 100 MB and one minute.
ids=()
for i in 1 2 3; do ids+=("$(jg add --name "g$i" --req-group g -- true)"); done
jg wait "${ids[@]}" --timeout 30s >/dev/null || fail "the learning jobs failed"

# ---- A job of g without --ram/--time books the learned values and has no limit.
wid=$(jq_get "$(api POST /v1/workers '{"name":"probe","cores":1,"ram_mb":4000}')" .id)
id=$(jg add --name learned-only --req-group g --constraint node=probe -- true)
expect_eq "$(jf "$id" '"\(.ram_mb) \(.time_ms) \(.ram_learned) \(.time_learned) \(.ram_limit_mb) \(.time_limit_ms)"')" \
	"100 60000 true true 0 0" "booked 100 MB and a minute, learned; no limit"
# What a worker is given for it: the booking to place it, no limit to end it.
reply=$(api POST "/v1/workers/$wid/reserve" '{"max":1,"wait_ms":0}')
expect_eq "$(jq -c '.joblets[0] | {ram_mb, ram_limit_mb, time_ms}' <<<"$reply")" \
	'{"ram_mb":100,"ram_limit_mb":0,"time_ms":0}' "the assignment books 100 MB and sets no RAM or time limit"
att=$(jq -r '.joblets[0].attempt' <<<"$reply")
api POST "/v1/attempts/$att/finish" '{"exit_code":0,"fail_reason":""}' >/dev/null

# ---- The user's --time stays the limit where learning replaced it as the booking.
id=$(jg add --name own-time --req-group g --time 2s -- "while [ ! -e $T/never ]; do sleep 0.05; done")
own_time=$id
expect_eq "$(jf "$id" '"\(.time_ms) \(.time_learned) \(.time_limit_ms)"')" "60000 true 2000" \
	"--override 0: a minute learned to place it, the given 2 s kept as its limit"
wait_until 60 _first_ended "$id"
expect_eq "$(jf "$id" '.joblets[0].attempts[0] | "\(.fail_reason): \(.message)"')" \
	"time: time limit of 2000 ms reached" "the user's 2 s ended it, not the learned minute"
jg cancel "$id" >/dev/null

# ---- A RAM excess that would harm the node ends the joblet furthest over its booking
# among those without a limit of their own: sampled, and by the kernel in a cgroup (there a
# joblet without a limit is capped at the worker's RAM). dd holds 400 MB (its buffer, filled
# from /dev/zero, waiting to be written into a pipe nobody reads) on workers of 300 MB.
hog="dd if=/dev/zero bs=400M count=1 | { while [ ! -e $T/never ]; do sleep 0.05; done; }"
start_worker smallS --cores 1 --ram 300 --ram-method sampling
start_worker smallC --cores 1 --ram 300
_up() { [[ $(jg workers --json | jq --arg n "$1" '[.workers[] | select(.name == $n)] | length') == 1 ]]; }
wait_until 20 _up smallS
wait_until 20 _up smallC
id=$(jg add --name press-sampled --req-group g --constraint node=smallS -- "$hog")
wait_until 60 _first_ended "$id"
expect_eq "$(jf "$id" '.joblets[0].attempts[0].fail_reason')" ram "sampled: the node was short, reason ram"
msg=$(jf "$id" '.joblets[0].attempts[0].message')
[[ $msg =~ ^RAM\ [0-9]+\ MB,\ [0-9]+\ MB\ over\ the\ 100\ MB\ it\ booked,\ while\ the\ joblets\ on\ this\ worker\ held\ [0-9]+\ MB\ of\ its\ 300\ MB$ ]] ||
	fail "the message should say the node was short: $msg"
log "ok: $msg"
jg cancel "$id" >/dev/null
if [[ $(jg workers --json | jq -r '.workers[] | select(.name == "smallC") | .ram_method') == cgroup ]]; then
	id=$(jg add --name press-cgroup --req-group g --constraint node=smallC -- "$hog")
	wait_until 60 _first_ended "$id"
	expect_eq "$(jf "$id" '.joblets[0].attempts[0].fail_reason')" ram "cgroup: over the worker's RAM, reason ram"
	msg=$(jf "$id" '.joblets[0].attempts[0].message')
	[[ $msg == "killed by the kernel: over the worker's 300 MB, the most a joblet without a RAM limit of its own may take (peak "*" MB)" ]] ||
		fail "the message should name the worker's RAM: $msg"
	log "ok: $msg"
	jg cancel "$id" >/dev/null
else
	log "note: smallC samples here (no memory cgroup may be used): the cgroup cap is not run"
fi
stop_worker smallS
stop_worker smallC

# ---- The user's --ram stays the limit beside a learned booking, and grows with it after
# a RAM kill (no retry spent).
id=$(jg add --name own-ram --req-group g --ram 50 --retries 0 -- dd if=/dev/zero of=/dev/null bs=100M count=1)
jg wait "$id" --timeout 60s >/dev/null || fail "own-ram should end done once grown: $(jf "$id" .joblets)"
expect_eq "$(jf "$id" '.joblets[0].attempts[0] | "\(.ram_mb) \(.fail_reason)"')" "100 ram" \
	"--override 0: 100 MB learned to place it, and the user's 50 MB ended it"
msg=$(jf "$id" '.joblets[0].attempts[0].message')
[[ $msg == "killed by the kernel: over the cgroup limit of 50 MB (peak "* || $msg == "RSS "*" MB over the limit of 50 MB" ]] ||
	fail "the given 50 MB should be the limit that ended it: $msg"
expect_eq "$(jf "$id" '"\(.ram_mb) \(.ram_limit_mb) \(.joblets[0].errors)"')" "1100 1050 0" \
	"then booking and limit grew, no retry spent"

# ---- A joblet of g that needs more than it booked, on a worker with room, just runs.
id=$(jg add --name grows --req-group g -- dd if=/dev/zero of=/dev/null bs=200M count=1)
jg wait "$id" --timeout 60s >/dev/null || fail "a learned booking must not end the joblet"
expect_eq "$(jf "$id" '"\(.joblets[0].attempts | length) \(.joblets[0].attempts[0].state) \(.ram_limit_mb)"')" \
	"1 done 0" "200 MB past its learned booking, one attempt, done"

# ---- The limits are kept across a restart.
kill_server KILL
restart_server
expect_eq "$(jf "$own_time" '"\(.time_ms) \(.time_limit_ms)"')" "60000 2000" \
	"the given time limit beside the learned booking survived kill -9"
