/* What a server is told when it starts: filled by `jobgrid server` (src/cli/cmd-server.c
 * reads argv into it) or by a test that runs a server in its own process, and read by
 * server_run. Every pointer is borrowed until server_run returns. */
#ifndef JG_SERVER_OPTIONS_H
#define JG_SERVER_OPTIONS_H
#include <stdbool.h>
#include <stdint.h>

struct server_face;

struct server_config {
	const char *listen;	/* ADDR:PORT; port 0 picks one. Beyond loopback only with
				 * TLS (or insecure_no_tls) and auth (server/listen.h) */
	const char *data;	/* the data directory (the SQLite store, server.url) */
	const char *store;	/* "sqlite" or NULL: the store in data; else a
				 * PostgreSQL URL or libpq keyword string */
	const char *config;	/* a YAML file of server settings, or NULL */
	int64_t test_clock;	/* the virtual clock's start (wall ms), or 0: the real clock */
	int local_workers;	/* workers to start and supervise on this machine */
	int32_t local_cores, local_ram_mb, local_gpus;	/* each local worker's; -1: a share */
	const char *spawn;	/* --spawn slurm|local, or NULL (server/spawn.h) */
	int32_t spawn_max;	/* --spawn-max: spawned workers pending or running at once */
	int64_t spawn_idle_ms;	/* --spawn-idle: a spawned worker exits this long idle */
	char *const *spawn_opts;	/* --spawn-opt words (sbatch arguments) */
	int32_t nspawn_opts;
	int64_t lease_ms, heartbeat_ms, starve_ms;
	bool tls;		/* --tls: HTTPS with the own CA and certificate in DATA/tls */
	const char *tls_cert;	/* --tls-cert FILE: HTTPS with this certificate (chain)… */
	const char *tls_key;	/* --tls-key FILE: …and this key; NULL: DATA/tls's */
	bool insecure_no_tls;	/* --insecure-no-tls: plain HTTP beyond loopback (warned) */
	bool auth;		/* --auth: every caller authenticates */
	int32_t max_connections;	/* --max-connections: clients served at once */
	int64_t header_timeout_ms;	/* a new connection's first request must arrive by then */
	int64_t idle_timeout_ms;	/* a connection silent this long is closed */
	const char *backup_dir;	/* --backup-on-stop DIR: a copy of the store at clean stops */
	int32_t backup_keep;	/* --backup-keep N: the newest N copies stay */
	int64_t retain_ms;	/* --retain D: finished jobs older than D go; 0 keeps all */
	int64_t history_ms;	/* --history-memory D: finished jobs leave memory D after they
				 * ended, read back from the store on demand (default
				 * 1h: the hour the throughput figures look at); < 0 never */
	int64_t events_window_ms;	/* --events-window D: events are built this long after
				 * the last stream closed, and after a start or a takeover,
				 * so a reader that reconnects misses nothing (docs/API.md) */
	const char *advertise;	/* --advertise URL: what standbys name as the leader's
				 * address (PostgreSQL store only); NULL: the listen URL */
	int64_t leader_lease_ms;	/* --leader-lease: how long the leader's lease runs
				 * without a renewal (PostgreSQL store only) */
	const struct server_face *face;	/* what serves clients (api/api.h: &api_face) */
};

enum { LEADER_LEASE_DEFAULT_MS = 3000 };
#define EVENTS_WINDOW_DEFAULT_MS ((int64_t)5 * 60 * 1000)	/* --events-window: 5 min */	/* --leader-lease: takeover within ~3.5 s */

/* The defaults of `jobgrid server` without options, serving through face. */
void server_config_defaults(struct server_config *cfg, const struct server_face *face);

/* How server_run ended; the CLI turns it into an exit status. */
enum server_result {
	SERVER_STOPPED = 0,	/* shut down, drained or stopped by a signal */
	SERVER_BAD_CONFIG,	/* the configuration cannot work (said on stderr or logged) */
	SERVER_FAILED,		/* could not start: a port in use, a store it cannot open (logged) */
	SERVER_DEPOSED,		/* led, lost the lease and stepped down: start it again, as a
				 * standby (docs/SCALE.md) */
};

/* The `options:` mapping of the YAML settings file path (`server --config`): its flags
 * by name, each one of keys (NULL-ended), into out (base/conf.h; free with conf_free).
 * 0, or -1 with *err a new string naming the file and the line. */
struct conf;
int server_config_options(const char *path, const char *const *keys, struct conf *out,
			  char **err);

/* Check cfg, then serve until stopped (one libevent loop of its own, on this thread). */
enum server_result server_run(const struct server_config *cfg);
#endif
