#!/bin/sh
# Build step: the manual pages and shell completion scripts, made by the binary from its
# command table. Usage: gen-share.sh JOBGRID OUTDIR
set -eu
bin=$1 out=$2
mkdir -p "$out/man/man1" "$out/completion"
"$bin" help --man "$out/man/man1"
"$bin" completion bash >"$out/completion/jobgrid.tmp"
mv "$out/completion/jobgrid.tmp" "$out/completion/jobgrid"
"$bin" completion zsh >"$out/completion/_jobgrid.tmp"
mv "$out/completion/_jobgrid.tmp" "$out/completion/_jobgrid"
