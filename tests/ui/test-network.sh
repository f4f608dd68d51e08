#!/usr/bin/env bash
# The Job network page in Debian's chromium, headless (network.cjs): examples/jobnet and a
# held member on a server with a test clock (Monday 2026-11-23 00:00 UTC) and one local
# worker. Screenshots go to $JG_BUILD/ui-screenshots/.
source "$(dirname "$0")/../e2e/lib.sh"
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
# The vendored layout is the file of the package tools/package-lock.json pins.
# The vendored layout and its source map (which the browser's developer tools ask for) are
# the files of the package tools/package-lock.json pins.
for f in dagre.esm.js dagre.esm.js.map; do
	cmp "$ROOT/web/vendor/$f" "$ROOT/tools/node_modules/@dagrejs/dagre/dist/$f" ||
		fail "web/vendor/$f differs from the pinned @dagrejs/dagre's dist/$f"
done
export TZ=UTC	# the server's days and the browser's clock read alike
start_server --test-clock 2026-11-23T00:00:00Z --local-workers 1
mkdir -p "$T/defs"
cp "$ROOT"/examples/jobnet/*.yaml "$T/defs/"
map=$(curl -sS -w '\n%{http_code} %{content_type}' "$JOBGRID_URL/ui/dagre.esm.js.map")
expect_eq "$(tail -1 <<<"$map")" "200 application/json" "the source map the layout names is served"
expect_eq "$(sed '$d' <<<"$map" | jq -r .version)" 3 "it is a source map"
# A member whose 07:45 run holds until the test lets it go: a run seen running.
cat >"$T/defs/probe.yaml" <<Y
name: probe
description: waits for the test
command: "$(hold go-probe)"
schedule:
  start_times: ["07:45"]
Y
# A paused member: its 08:30 run is skipped with no job (the timeline learns it by a
# net.run event alone).
cat >"$T/defs/idle.yaml" <<'Y'
name: idle
command: "true"
schedule:
  start_times: ["08:30"]
Y
# No member: not drawn.
cat >"$T/defs/loner.yaml" <<'Y'
name: loner
command: "true"
Y
jg deploy "$T/defs" >/dev/null
jg pause idle >/dev/null
wait_workers 1
export T JOBGRID_BIN JG_BUILD
node "$(dirname "$0")/network.cjs" || fail "the browser test failed"
log "PASS"
