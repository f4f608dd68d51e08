#!/usr/bin/env bash
# Settings files: the client's ~/.config/jobgrid/config (server, ca, token-file, group)
# and `worker --config FILE`. Flags win over the environment, which wins over a file; a
# bad line is refused naming the file, the line and the rule, and changes nothing.
source "$(dirname "$0")/lib.sh"
start_server
url=$JOBGRID_URL
unset XDG_CONFIG_HOME JOBGRID_CONFIG
mkdir -p "$T/home/.config/jobgrid"
cfg="$T/home/.config/jobgrid/config"
cli() { env -u JOBGRID_URL HOME="$T/home" "$JOBGRID_BIN" "$@"; }	# no URL in the environment
run() { RC=0; OUT=$("$@" 2>&1) || RC=$?; }
jobs_now() { jg list --all --json | jq '.jobs | length'; }

# ---- The file gives the server and the default group.
printf '# my grid\nserver = %s\n\ngroup = nightly\n' "$url" >"$cfg"
id=$(cli add -- true) || fail "add with the server from the file"
expect_eq "$(jg show "$id" --json | jq -r .group)" nightly "the file's group is the default"
id=$(cli add --group adhoc -- true)
expect_eq "$(jg show "$id" --json | jq -r .group)" adhoc "--group wins over the file"

# ---- The environment wins over the file, the flag over both.
printf 'server = http://127.0.0.1:1\n' >"$cfg"
run cli status
expect_eq "$RC" 3 "the file's unreachable server is used when nothing else names one"
run env HOME="$T/home" JOBGRID_URL="$url" "$JOBGRID_BIN" status
expect_eq "$RC" 0 "JOBGRID_URL wins over the file"
run env HOME="$T/home" JOBGRID_URL=http://127.0.0.1:1 "$JOBGRID_BIN" --server "$url" status
expect_eq "$RC" 0 "--server wins over JOBGRID_URL and the file"

# ---- Bad files: exit 2, the file, the line and the rule; nothing is sent.
before=$(jobs_now)
printf 'server = %s\nspeed = 3\n' "$url" >"$cfg"
run cli add -- true
expect_eq "$RC" 2 "an unknown key exits 2"
[[ $OUT == *"$cfg:2: unknown key 'speed' (known: server, ca, token-file, group)"* ]] || fail "named: $OUT"
printf 'server %s\n' "$url" >"$cfg"
run cli status
expect_eq "$RC" 2 "a line without '=' exits 2"
[[ $OUT == *"$cfg:1: a line is KEY = VALUE: '=' expected after 'server'"* ]] || fail "named: $OUT"
printf 'server = %s\nca = certs/ca.pem\n' "$url" >"$cfg"
run cli status
expect_eq "$RC" 2 "a relative ca path exits 2"
[[ $OUT == *"$cfg:2: ca: must be an absolute path or ~/…, got 'certs/ca.pem'"* ]] || fail "named: $OUT"
printf 'group = a\ngroup = b\n' >"$cfg"
run cli status
[[ $RC == 2 && $OUT == *"$cfg:2: 'group' is given twice (first on line 1)"* ]] || fail "a key twice: $OUT"
expect_eq "$(jobs_now)" "$before" "no job was added by a command with a bad file"
run env HOME="$T/home" JOBGRID_CONFIG="$T/none" "$JOBGRID_BIN" status
[[ $RC == 2 && $OUT == *"$T/none: No such file"* ]] || fail "a named file must exist: $OUT"
run env HOME="$T/home" JOBGRID_CONFIG= "$JOBGRID_BIN" status
expect_eq "$RC" 0 "JOBGRID_CONFIG empty: no file is read"
printf 'server = %s\n' "$url" >"$T/other"
run env -u JOBGRID_URL HOME="$T/home" JOBGRID_CONFIG="$T/other" "$JOBGRID_BIN" status
expect_eq "$RC" 0 "JOBGRID_CONFIG names another file"
run env HOME="$T/home" "$JOBGRID_BIN" help
expect_eq "$RC" 0 "help does not read the settings"
run env HOME="$T/home" "$JOBGRID_BIN" completion bash
expect_eq "$RC" 0 "nor does completion (a broken file must not break a shell's start-up)"
run env HOME="$T/home" "$JOBGRID_BIN" defcheck </dev/null
[[ $OUT != *"$cfg"* ]] || fail "nor does a helper the server runs: $OUT"
rm "$cfg"

# ---- worker --config FILE: the worker's options by name; flags win.
printf '# a worker\ncores = 3\nram = 2000\ntag = rack=r1\nlog-format = json\n' >"$T/worker.conf"
start_worker wfile --config "$T/worker.conf"
start_worker wflag --config "$T/worker.conf" --cores 1
wait_workers 2
w() { jg workers --json | jq -r --arg n "$1" ".workers[] | select(.name == \$n) | $2"; }
expect_eq "$(w wfile .cores) $(w wfile .ram_mb)" "3 2000" "cores and ram from the file"
expect_eq "$(w wflag .cores)" 1 "--cores wins over the file"
expect_eq "$(w wfile '.tags.rack')" r1 "a tag from the file"
head -1 "${LOGS[-1]}" | jq -e .msg >/dev/null || fail "log-format from the file: $(head -1 "${LOGS[-1]}")"
printf 'cores = 2\nspeed = 3\n' >"$T/bad.conf"
run "$JOBGRID_BIN" worker --config "$T/bad.conf"
expect_eq "$RC" 2 "a worker with a bad file exits 2"
[[ $OUT == *"--config: $T/bad.conf:2: unknown key 'speed' (known: server, name, cores"* ]] || fail "named: $OUT"
printf 'run-as-owner = maybe\n' >"$T/bad.conf"
run "$JOBGRID_BIN" worker --config "$T/bad.conf"
[[ $RC == 2 && $OUT == *"$T/bad.conf:1: run-as-owner: must be yes or no, got 'maybe'"* ]] || fail "a flag's value: $OUT"
printf 'cores = lots\n' >"$T/bad.conf"
run "$JOBGRID_BIN" worker --config "$T/bad.conf"
[[ $RC == 2 && $OUT == *"--cores: must be an integer"* ]] || fail "a value is checked as the flag's: $OUT"
run "$JOBGRID_BIN" worker --config "$T/nonexistent.conf"
[[ $RC == 2 && $OUT == *"$T/nonexistent.conf: No such file"* ]] || fail "a missing file: $OUT"
# ---- server --config FILE: its YAML gains options:, the server's flags by name.
stop_worker wfile
stop_worker wflag
kill_server
cat >"$T/server.yaml" <<YAML
options:
  local-workers: 1
  local-worker-cores: 1
  log-format: json
  auth: no
dependencies:
  mode: shallow
YAML
start_server --config "$T/server.yaml"
wait_workers 1
expect_eq "$(jg workers --json | jq '.workers[0].cores')" 1 "local-workers and their cores from the file"
head -1 "${LOGS[-1]}" | jq -e .msg >/dev/null || fail "log-format json from the file"
kill_server
start_server --config "$T/server.yaml" --local-worker-cores 2
wait_until 20 bash -c "[[ \$('$JOBGRID_BIN' workers --json | jq '.workers[0].cores') == 2 ]]"
log "ok: --local-worker-cores 2 wins over the file's 1"
kill_server
printf 'options:
  listen: 127.0.0.1:0
  speed: 3
' >"$T/bad.yaml"
run "$JOBGRID_BIN" server --data "$T/bad-data" --config "$T/bad.yaml"
[[ $RC == 2 && $OUT == *"--config: $T/bad.yaml:3: options: unknown flag 'speed'"* ]] || fail "server: unknown flag: $OUT"
printf 'options:
  local-workers: many
' >"$T/bad.yaml"
run "$JOBGRID_BIN" server --data "$T/bad-data" --config "$T/bad.yaml"
[[ $RC == 2 && $OUT == *"--local-workers: must be"* ]] || fail "server: a value checked as the flag's: $OUT"
printf 'options: [1, 2]
' >"$T/bad.yaml"
run "$JOBGRID_BIN" server --data "$T/bad-data" --config "$T/bad.yaml"
[[ $RC == 2 && $OUT == *"$T/bad.yaml:1: options must be a mapping"* ]] || fail "server: options not a mapping: $OUT"
[[ ! -e $T/bad-data ]] || fail "a refused server creates nothing"
log "PASS"
