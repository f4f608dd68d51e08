#!/usr/bin/env bash
# The systemd units pass `systemd-analyze verify` (no systemd as PID 1 needed), carry the
# hardening and stop behaviour they promise, and `cmake --install` (what `make install`
# runs, with DESTDIR and a prefix) puts the binary, man pages, completion scripts, units
# and docs where a distribution would.
source "$(dirname "$0")/lib.sh"
src=$(cd "$(dirname "$0")/../.." && pwd)
command -v systemd-analyze >/dev/null || fail "systemd-analyze missing (package systemd, in make deps)"

# ---- verify: the built units (this install's path to the binary), with ExecStart pointed
# at the binary under test, since verify checks that the program exists.
mkdir -p "$T/units"
for u in jobgrid-server.service jobgrid-worker@.service; do
	grep -q "^ExecStart=/usr/local/bin/jobgrid " "$src/contrib/systemd/$u" || fail "$u starts /usr/local/bin/jobgrid"
	sed "s#^ExecStart=[^ ]*jobgrid #ExecStart=$JOBGRID_BIN #" "$JG_BUILD/share/systemd/$u" >"$T/units/$u"
done
cp "$T/units/jobgrid-worker@.service" "$T/units/jobgrid-worker@node1.service"
verify() {	# UNIT… (in $T/units): exit 0 and not a word of complaint
	local out rc=0
	out=$(cd "$T/units" && systemd-analyze verify --man=no "$@" 2>&1) || rc=$?
	[[ $rc == 0 && -z $out ]] || fail "systemd-analyze verify $* (rc $rc): $out"
	log "ok: systemd-analyze verify $*"
}
verify jobgrid-server.service jobgrid-worker@node1.service
# The run-as-owner drop-in on an instance.
mkdir -p "$T/units/jobgrid-worker@node1.service.d"
sed "s#^ExecStart=/usr/local/bin/jobgrid #ExecStart=$JOBGRID_BIN #" \
	"$src/contrib/systemd/run-as-owner.conf" >"$T/units/jobgrid-worker@node1.service.d/run-as-owner.conf"
verify jobgrid-worker@node1.service
# verify does read and judge what it is given: a wrong key is reported.
echo "ProtectSytem=strict" >>"$T/units/jobgrid-worker@node1.service.d/run-as-owner.conf"
out=$(cd "$T/units" && systemd-analyze verify --man=no jobgrid-worker@node1.service 2>&1) || true
[[ $out == *"Unknown key 'ProtectSytem'"* ]] || fail "verify should report a misspelt key: $out"

# What the units promise, setting by setting.
has() {	# FILE SETTING…
	local f=$1 s
	shift
	for s in "$@"; do grep -qx -- "$s" "$f" || fail "$(basename "$f") lacks $s"; done
}
has "$src/contrib/systemd/jobgrid-server.service" ProtectSystem=strict StateDirectory=jobgrid \
	ReadWritePaths=/var/lib/jobgrid ProtectHome=yes PrivateTmp=yes NoNewPrivileges=yes \
	Restart=on-failure KillMode=mixed TimeoutStopSec=40s
grep -q -- "--data /var/lib/jobgrid" "$src/contrib/systemd/jobgrid-server.service" || fail "the store is in the state directory"
has "$src/contrib/systemd/jobgrid-worker@.service" NoNewPrivileges=yes KillMode=mixed \
	Restart=on-failure Delegate=yes TimeoutStopSec=30s
grep -q -- "--name %i" "$src/contrib/systemd/jobgrid-worker@.service" || fail "the instance is the node name"
has "$src/contrib/systemd/run-as-owner.conf" User=root NoNewPrivileges=no
grep -q -- "--run-as-owner" "$src/contrib/systemd/run-as-owner.conf" || fail "the drop-in runs as owner"
log "ok: the units' hardening and stop settings"

# ---- install into a staging root, as packagers do.
out=$(DESTDIR="$T/root" cmake --install "$JG_BUILD" --prefix /usr 2>&1) || fail "cmake --install failed: $out"
(cd "$T/root" && find . -type f | sort) >"$T/installed"
log "installed: $(tr '\n' ' ' <"$T/installed")"
for f in ./usr/bin/jobgrid ./usr/share/man/man1/jobgrid.1 ./usr/share/man/man1/jobgrid-add.1 \
	./usr/share/man/man1/jobgrid-server.1 ./usr/share/bash-completion/completions/jobgrid \
	./usr/share/zsh/site-functions/_jobgrid ./usr/lib/systemd/system/jobgrid-server.service \
	'./usr/lib/systemd/system/jobgrid-worker@.service' ./usr/share/doc/jobgrid/README.md \
	./usr/share/doc/jobgrid/API.md; do
	grep -qxF "$f" "$T/installed" || fail "not installed: $f"
done
[[ -x $T/root/usr/bin/jobgrid ]] || fail "the installed binary is executable"
expect_eq "$("$T/root/usr/bin/jobgrid" --version | cut -d' ' -f1)" jobgrid "the installed binary runs"
if grep -qE 'e2e-tmp|CMakeFiles|\.o$' "$T/installed"; then fail "build or test files were installed"; fi
log "PASS"
