#!/usr/bin/env bash
# Learned requirements (issue 3, wr's req groups and --override) and RAM-kill growth: a joblet
# killed for RAM runs again with more RAM without spending a retry.
source "$(dirname "$0")/lib.sh"
start_server
start_worker w --cores 4 --ram 4000
wait_workers 1

jf() { jg show "$1" --json | jq -r "$2"; }

# ---- Three jobs of req group rg (enough to learn from), each holding ~40 MB until the
# worker is seen to have measured them: once all three hold their memory (each leaves a
# marker), a sentinel job over its --ram 30 starts on the fourth core, and the RAM check
# that kills it (one sampling scan covers every joblet, or the kernel's cgroup, which
# measures exactly) has seen the three too. The echo after the hold keeps bash (and its
# string) alive.
# shellcheck disable=SC2016 # expanded by the joblet's shell, not here
hold40='s=$(head -c 40000000 /dev/zero | tr "\0" a); touch "'"$T"'/held.$JOBGRID_JOB"; '"$(hold rg-go)"'; echo ${#s}'
ids=()
for i in 1 2 3; do ids+=("$(jg add --name "rg-$i" --req-group rg --ram 500 --time 1m -- "$hold40")"); done
_all_hold() { [[ $(find "$T" -maxdepth 1 -name 'held.*' | wc -l) == 3 ]]; }
wait_until 30 _all_hold
# shellcheck disable=SC2016 # expanded by the joblet's shell
sentinel=$(jg add --name sentinel --ram 30 -- 's=$(head -c 80000000 /dev/zero | tr "\0" a); '"$(hold rg-go)"'; echo ${#s}')
_killed_for_ram() { [[ $(jf "$1" '.joblets[0].attempts[0].fail_reason') == ram ]]; }
wait_until 30 _killed_for_ram "$sentinel"
touch "$T/rg-go"
jg wait "${ids[@]}" "$sentinel" --timeout 40s >/dev/null || fail "the req group's jobs did not all end done"
peaks=$(for id in "${ids[@]}"; do jf "$id" '.joblets[0].attempts[0].peak_ram_mb'; done | tr '\n' ' ')
maxpeak=$(tr ' ' '\n' <<<"$peaks" | sort -n | tail -1)
((maxpeak >= 30)) || fail "the samples should have seen ~40 MB, peaks: $peaks"
log "ok: observed peaks (MB): $peaks"
expect_eq "$(jf "${ids[0]}" '"\(.ram_mb) \(.time_ms) \(.ram_learned) \(.time_learned)"')" "500 60000 false false" \
	"given --ram/--time are kept and not marked learned"

_learned() { jg show "$1" --json | jq -e '.ram_learned == true'; }

# ---- A new job of rg without --ram/--time gets the learned recommendation.
l0=$(jg add --name rg-learn --req-group rg -- true)
wait_until 10 _learned "$l0"
show=$(jg show "$l0" --json)
ram=$(jq -r .ram_mb <<<"$show")
[[ $ram =~ ^[0-9]+$ ]] || fail "ram_mb is not a number: $ram"
((ram > 0 && ram >= maxpeak)) || fail "learned ram_mb $ram should be > 0 and ≥ the observed peak $maxpeak"
((ram % 100 == 0)) || fail "learned ram_mb $ram should be rounded up to a multiple of 100"
log "ok: learned ram_mb $ram (peak $maxpeak), ram_learned true"
expect_eq "$(jq -r .time_learned <<<"$show")" true "time_learned is true"
tm=$(jq -r .time_ms <<<"$show")
if ! [[ $tm =~ ^[0-9]+$ ]] || ((tm <= 0)); then fail "learned time_ms should be > 0, got $tm"; fi
log "ok: learned time_ms $tm"

# --override 2: the given RAM always wins. --override 1: the learned value wins when higher.
# --override 0 (wr's default): experience wins over given values too.
o2=$(jg add --name rg-o2 --req-group rg --override 2 --ram 300 -- true)
o1=$(jg add --name rg-o1 --req-group rg --override 1 --ram 10 -- true)
o0=$(jg add --name rg-o0 --req-group rg --override 0 --ram 10 --time 1m -- true)
wait_until 10 _learned "$o1"
jg wait "$l0" "$o2" "$o1" "$o0" --timeout 30s >/dev/null || fail "the learned/override jobs did not end done"
expect_eq "$(jf "$o2" '"\(.override) \(.ram_mb) \(.ram_learned)"')" "2 300 false" "--override 2 --ram 300 keeps 300"
expect_eq "$(jf "$o2" '.joblets[0].attempts[0].ram_mb')" 300 "its attempt was given 300 MB"
r1=$(jf "$o1" .ram_mb)
if ! [[ $r1 =~ ^[0-9]+$ ]] || ! ((r1 >= maxpeak && r1 > 10 && r1 % 100 == 0)); then
	fail "--override 1 --ram 10: learned (higher) ram_mb should win, got $r1 (peak $maxpeak)"
fi
log "ok: --override 1 --ram 10 gets the learned $r1 MB"
expect_eq "$(jf "$o1" '"\(.override) \(.ram_learned)"')" "1 true" "--override 1 marks the RAM learned"
expect_eq "$(jf "$o1" '.joblets[0].attempts[0].ram_mb')" "$r1" "its attempt was given the learned RAM"
expect_eq "$(jf "$o0" '"\(.override) \(.ram_mb) \(.ram_learned) \(.time_learned)"')" "0 $r1 true true" \
	"--override 0: the learned values replace the given ones"
expect_eq "$(jf "$l0" '.joblets[0].attempts[0].ram_mb')" "$(jf "$l0" .ram_mb)" "the learned job's attempt was given its learned RAM"

# ---- RAM-kill growth: --ram 30 over an 80 MB joblet is killed for ram, then re-run with
# 30 + 1000 MB (×2 is less than +1000) without spending a retry, and ends done.
# It holds its 80 MB until the kill was seen, however slow the sampling.
# shellcheck disable=SC2016 # expanded by the joblet's shell
hog=$(jg add --name hog --ram 30 --retries 0 -- 's=$(head -c 80000000 /dev/zero | tr "\0" a); '"$(hold hog-go)"'; echo ${#s}')
wait_until 30 _killed_for_ram "$hog"
touch "$T/hog-go"
jg wait "$hog" --timeout 40s >/dev/null || fail "the RAM-grown job did not end done: $(jg show "$hog" --json | jq -c .joblets)"
show=$(jg show "$hog" --json)
expect_eq "$(jq -r .state <<<"$show")" "done" "the job ends done"
expect_eq "$(jq -r '.joblets[0].attempts | length' <<<"$show")" 2 "two attempts"
expect_eq "$(jq -r '.joblets[0].attempts[0] | "\(.state) \(.fail_reason) \(.ram_mb)"' <<<"$show")" "failed ram 30" \
	"attempt 1 failed for ram with 30 MB"
p1=$(jq -r '.joblets[0].attempts[0].peak_ram_mb' <<<"$show")
((p1 >= 30)) || fail "attempt 1's peak $p1 MB should reach its 30 MB (the kernel kills at the limit, sampling sees it over)"
expect_eq "$(jq -r '.joblets[0].attempts[1] | "\(.state) \(.ram_mb)"' <<<"$show")" "done 1030" \
	"attempt 2 ran with 1030 MB and succeeded"
expect_eq "$(jq -r '.joblets[0].errors' <<<"$show")" 0 "the RAM kill spent no retry (errors 0)"
expect_eq "$(jg log "$hog" | tail -1)" "[w] 80000000" "the second attempt held its 80 MB to the end"
