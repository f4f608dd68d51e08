#!/usr/bin/env bash
# A private PostgreSQL 15 cluster for tests and the bench, on 127.0.0.1 only, in a folder of
# its own, stopped by the PID in its postmaster.pid. PostgreSQL refuses to run as root, so as root the server runs as the `postgres` user,
# created here when missing.
#
#   pg.sh start STATE     make and start a cluster; STATE (a file) records where it is
#   pg.sh stop STATE      stop it (fast shutdown, by PID) and remove its folder
#   pg.sh createdb STATE NAME   a new empty database; prints its postgres:// URL
#   pg.sh dropdb STATE NAME     drop database NAME
#   pg.sh url STATE NAME  the URL of database NAME
#
# Sourced, it defines the same as functions pg_start, pg_stop, pg_createdb, pg_dropdb, pg_url.
set -euo pipefail

PG_BIN=${PG_BIN:-$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)}

_pg_as() {	# run a server-side command as the cluster's owner
	if [[ $(id -u) == 0 ]]; then
		runuser -u postgres -- "$@"
	else
		"$@"
	fi
}

pg_start() {	# STATE
	local state=$1 dir port try
	pg_stop "$state"	# a cluster left by an interrupted run
	[[ -x $PG_BIN/initdb ]] || { echo "pg.sh: no PostgreSQL server binaries (install postgresql)" >&2; return 77; }
	if [[ $(id -u) == 0 ]] && ! id postgres >/dev/null 2>&1; then
		useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
	fi
	# Under /tmp: the owner of the cluster must reach it, whatever the build tree's modes.
	dir=$(mktemp -d /tmp/jg-pg.XXXXXX)
	mkdir -p "$dir/data" "$dir/sock"
	chmod 700 "$dir/data"
	[[ $(id -u) == 0 ]] && chown -R postgres: "$dir"
	_pg_as "$PG_BIN/initdb" -D "$dir/data" -U postgres --auth=trust --no-locale -E UTF8 \
		>"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; rm -rf "$dir"; return 1; }
	# A port below the ephemeral range (no client's own port can hold it); another test run
	# may hold the one drawn, so a few are tried.
	for ((try = 0; try < 20; try++)); do
		port=$((20000 + RANDOM % 12000))
		if _pg_as "$PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/pg.log" -w -t 60 -o \
			"-c listen_addresses=127.0.0.1 -p $port -k $dir/sock -c fsync=on -c synchronous_commit=on -c max_connections=200" \
			start >/dev/null 2>&1; then
			printf 'PG_DIR=%q\nPG_PORT=%q\n' "$dir" "$port" >"$state"
			return 0
		fi
	done
	cat "$dir/pg.log" >&2
	rm -rf "$dir"
	echo "pg.sh: PostgreSQL did not start on any port tried" >&2
	return 1
}

pg_stop() {	# STATE
	local state=$1 PG_DIR="" PG_PORT="" pid i
	[[ -f $state ]] || return 0
	# shellcheck source=/dev/null
	source "$state"
	# An empty state (a file made ready for pg_start, as mkstemp does) names no cluster.
	[[ -n $PG_DIR ]] || { rm -f "$state"; return 0; }
	if [[ -f $PG_DIR/data/postmaster.pid ]]; then
		pid=$(head -1 "$PG_DIR/data/postmaster.pid")
		kill -TERM "$pid" 2>/dev/null || true	# TERM: PostgreSQL's fast shutdown
		for ((i = 0; i < 300; i++)); do
			kill -0 "$pid" 2>/dev/null || break
			sleep 0.1
		done
		kill -KILL "$pid" 2>/dev/null || true
	fi
	rm -rf "$PG_DIR" "$state"
}

pg_url() {	# STATE NAME
	local PG_DIR PG_PORT
	# shellcheck source=/dev/null
	source "$1"
	printf 'postgres://postgres@127.0.0.1:%s/%s\n' "$PG_PORT" "$2"
}

pg_createdb() {	# STATE NAME
	local PG_DIR PG_PORT
	# shellcheck source=/dev/null
	source "$1"
	"$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$2"
	pg_url "$1" "$2"
}

pg_dropdb() {	# STATE NAME
	local PG_DIR PG_PORT
	# shellcheck source=/dev/null
	source "$1"
	"$PG_BIN/dropdb" --if-exists -h 127.0.0.1 -p "$PG_PORT" -U postgres "$2"
}

if [[ ${BASH_SOURCE[0]} == "$0" ]]; then
	cmd=${1:-}
	shift || true
	case $cmd in
	start | stop | createdb | dropdb | url) "pg_$cmd" "$@" ;;
	*) echo "usage: pg.sh start|stop|createdb|url STATE [NAME]" >&2; exit 2 ;;
	esac
fi
