#!/bin/bash
# `redocly lint` over docs/openapi.json with the repository's redocly.yaml, at the version
# tools/package-lock.json pins. Run from anywhere; `make test` installs the tools.
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
redocly=$root/tools/node_modules/.bin/redocly
[[ -x $redocly ]] || { echo "redocly is not installed: run npm ci --prefix $root/tools (make deps does)"; exit 1; }
cd "$root"
# No usage reports and no update checks: a test talks to nobody.
export REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true
"$redocly" lint --config redocly.yaml
