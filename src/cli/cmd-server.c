/* `jobgrid server`: its options, read into a struct server_config for server_run
 * (src/server/server.c), and its exit status. */
#include "api/api.h"
#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "server/local-registry.h"
#include "server/options.h"
#include "server/spawn.h"
#include "base/words.h"
#include "base/xalloc.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int server_exec(int argc, char **argv);

#define SERVER_CONF_DEFAULT "/etc/jobgrid/server.conf"

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"listen", required_argument, NULL, 'l'}, {"data", required_argument, NULL, 'd'},
	{"store", required_argument, NULL, 's'},
	{"local-workers", required_argument, NULL, 'w'},
	{"local-worker-cores", required_argument, NULL, 'C'},
	{"local-worker-ram", required_argument, NULL, 'R'},
	{"local-worker-gpus", required_argument, NULL, 'G'},
	{"lease", required_argument, NULL, 'L'}, {"heartbeat", required_argument, NULL, 'H'},
	{"starve-after", required_argument, NULL, 'S'},
	{"config", required_argument, NULL, 'c'},
	{"test-clock", required_argument, NULL, 'T'},
	{"tls", no_argument, NULL, 't'}, {"tls-cert", required_argument, NULL, 'c' + 256},
	{"tls-key", required_argument, NULL, 'k' + 256},
	{"insecure-no-tls", no_argument, NULL, 'I'},
	{"auth", no_argument, NULL, 'A'},
	{"max-connections", required_argument, NULL, 'M'},
	{"header-timeout", required_argument, NULL, 'h' + 256},
	{"idle-timeout", required_argument, NULL, 'i' + 256},
	{"log-format", required_argument, NULL, 'f' + 256},
	{"backup-on-stop", required_argument, NULL, 'b' + 256},
	{"backup-keep", required_argument, NULL, 'K'},
	{"retain", required_argument, NULL, 'r' + 256},
	{"history-memory", required_argument, NULL, 'y' + 256},
	{"events-window", required_argument, NULL, 'E' + 256},
	{"spawn", required_argument, NULL, 's' + 256},
	{"spawn-max", required_argument, NULL, 'm' + 256},
	{"spawn-idle", required_argument, NULL, 'e' + 256},
	{"spawn-opt", required_argument, NULL, 'o' + 256},
	{"advertise", required_argument, NULL, 'a' + 256},
	{"leader-lease", required_argument, NULL, 'l' + 256},
	{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_server = {
	"server",
	"[--listen ADDR:PORT] [--tls | --tls-cert F --tls-key F] [--auth] [--data DIR] [--store URL]"
	" [--local-workers N] [--lease D] [--heartbeat D] [--max-connections N]"
	" [--log-format text|json] [--backup-on-stop DIR] [--retain D] [--history-memory D]"
	" [--events-window D]"
	" [--spawn slurm|local]"
	" [--advertise URL] [--leader-lease D]",
	"run the server: the queue, the store, the API",
	server_exec,
	.options = longopts,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: jobgrid server [--listen ADDR:PORT] [--tls | --tls-cert FILE --tls-key FILE]\n"
		   "                      [--auth] [--insecure-no-tls] [--data DIR] [--store URL]\n"
		   "                      [--local-workers N] [--local-worker-cores N] [--local-worker-ram MB]\n"
		   "                      [--local-worker-gpus N] [--lease DURATION] [--heartbeat DURATION]\n"
		   "                      [--starve-after DURATION] [--config FILE] [--test-clock START]\n"
		   "                      [--max-connections N] [--header-timeout D] [--idle-timeout D]\n"
		   "                      [--backup-on-stop DIR [--backup-keep N]] [--retain D]\n"
		   "                      [--history-memory D] [--events-window D]\n"
		   "                      [--spawn slurm|local [--spawn-max N] [--spawn-idle D]\n"
		   "                       [--spawn-opt ARGS]…]\n"
		   "                      [--advertise URL] [--leader-lease DURATION]\n"
		   "                      [--log-format text|json]\n"
		   "  --listen         address to serve the API on (default 127.0.0.1:7370; [::1]:PORT\n"
		   "                   for IPv6; port 0 picks one). Beyond loopback it needs --tls\n"
		   "                   (or --tls-cert/--tls-key) and --auth\n"
		   "  --tls            serve HTTPS with a CA and certificate of the server's own, made\n"
		   "                   in DATA/tls on first start; its fingerprint is printed at start\n"
		   "  --tls-cert, --tls-key\n"
		   "                   serve HTTPS with this PEM certificate (then its chain) and key\n"
		   "  --insecure-no-tls  serve plain HTTP beyond loopback (warned at every start)\n"
		   "  --max-connections  clients connected at once (default 1024); more are closed\n"
		   "  --header-timeout a new connection's first request must arrive in time (10s)\n"
		   "  --idle-timeout   a connection silent this long is closed (default 120s)\n"
		   "  --backup-on-stop at every clean stop (shutdown, drain, SIGTERM) write a copy of\n"
		   "                   the store, after its last commit, to DIR/jobgrid-TIME.sqlite\n"
		   "                   (mode 0600); `jobgrid restore FILE` puts one back\n"
		   "  --backup-keep    keep the newest N of those copies (default 7)\n"
		   "  --retain         remove finished jobs (and their logs) once they ended this\n"
		   "                   long ago, checked every minute (default: keep everything)\n"
		   "  --history-memory finished jobs leave memory this long after they ended (0: at\n"
		   "                   once; never: they stay) and are read back from the store\n"
		   "                   when asked for (default 1h)\n"
		   "  --events-window  lifecycle events are built and kept in the store this long\n"
		   "                   after the last event stream closed, and after a start or a\n"
		   "                   takeover, so a reader that reconnects misses none (default\n"
		   "                   5m; 0: only while a stream is open)\n"
		   "  --data           data directory holding the SQLite store (default ./jobgrid-data);\n"
		   "                   one server per directory: a second one is refused, naming the first\n"
		   "  --store          sqlite (the default: the store in --data DIR) or a PostgreSQL\n"
		   "                   database: postgres://USER@HOST:PORT/DB or 'host=H dbname=D'.\n"
		   "                   Servers sharing one database elect a leader; the others are\n"
		   "                   standbys that answer 503 not_leader (naming the leader) and\n"
		   "                   take over when its lease runs out (docs/SCALE.md)\n"
		   "  --advertise      with a PostgreSQL store: the URL standbys name as this server's\n"
		   "                   when it leads (default: its --listen URL); give the address\n"
		   "                   clients and workers reach it at\n"
		   "  --leader-lease   with a PostgreSQL store: how long the leader's lease runs\n"
		   "                   without a renewal (default 3s, at least 300ms); renewed every\n"
		   "                   third of it, so a standby takes over about a lease after the\n"
		   "                   leader dies\n"
		   "  --local-workers  start and supervise N workers on this machine (default 0); they\n"
		   "                   split its cores and RAM (at least 1 core each) and outlive a\n"
		   "                   crash of the server, whose next start on --data adopts them\n"
		   "  --local-worker-cores, --local-worker-ram, --local-worker-gpus\n"
		   "                   what each local worker has instead of its share (GPUs: 0)\n"
		   "  --spawn          start workers on demand when ready joblets have no worker that\n"
		   "                   fits them: slurm (sbatch, sized from the joblets: -c, --mem,\n"
		   "                   -t, --gres=gpu:N) or local (processes on this machine)\n"
		   "  --spawn-max      spawned workers pending or running at once (default 10)\n"
		   "  --spawn-idle     a spawned worker exits after this long without work (60s)\n"
		   "  --spawn-opt      more sbatch arguments, repeatable; each value is split into\n"
		   "                   words as a shell would ('…', \"…\", \\), without a shell:\n"
		   "                   --spawn-opt \"-p debug --qos=low\"\n"
		   "  --lease          how long a silent worker keeps its joblets (default 30s)\n"
		   "  --heartbeat      how often workers check in (default 5s)\n"
		   "  --starve-after   a joblet overtaken by smaller ones this long gets a worker\n"
		   "                   held for it (default 60s)\n"
		   "  --config         a YAML file of server settings (default " SERVER_CONF_DEFAULT "\n"
		   "                   when it exists): job networks' dependencies: and options:,\n"
		   "                   these flags by name without dashes (listen: 0.0.0.0:7370,\n"
		   "                   local-workers: 2, auth: yes); flags given win over it\n"
		   "  --test-clock     run on a virtual clock from START (RFC 3339, or now) that moves\n"
		   "                   only with `jobgrid clock advance|set` (for tests)\n"
		   "  --log-format     text (default: `TIME LEVEL server[PID]: message`) or json (one\n"
		   "                   object per line: time, level, component, pid, msg); local\n"
		   "                   workers log the same way\n"
		   "  --auth           every call needs credentials (a token or a login; on loopback\n"
		   "                   off unless given); the first start writes an admin token to\n"
		   "                   DATA/admin.token (mode 0600)\n");
}

/* An integer option value in lo..hi into *out; -1 after saying what is wrong. */
static int int_opt(const char *opt, const char *arg, long lo, long hi, int32_t *out)
{
	char *end;
	errno = 0;
	long v = strtol(arg, &end, 10);
	if (errno || *end || end == arg || v < lo || v > hi) {
		fprintf(stderr, "jobgrid server: --%s: must be %ld..%ld, got '%s'\n", opt, lo, hi, arg);
		return -1;
	}
	*out = (int32_t)v;
	return 0;
}

/* The words of one --spawn-opt value appended to *opts (owned by the caller: words_free),
 * which o->spawn_opts then borrows. -1 after saying what is wrong. */
static int add_spawn_opt(struct server_config *o, char ***opts, const char *arg)
{
	char **w = NULL;
	size_t n = 0;
	const char *why = NULL;
	if (words_split(arg, &w, &n, &why)) {
		fprintf(stderr, "jobgrid server: --spawn-opt: %s, got '%s'\n", why, arg);
		return -1;
	}
	if (n == 0) {
		fprintf(stderr, "jobgrid server: --spawn-opt: an sbatch argument, got '%s'\n", arg);
		words_free(w);
		return -1;
	}
	size_t have = (size_t)o->nspawn_opts;
	*opts = xrealloc(*opts, have + n + 1, sizeof **opts);
	memcpy(*opts + have, w, (n + 1) * sizeof *w);
	free(w);	/* the words themselves moved to *opts */
	o->nspawn_opts = (int32_t)(have + n);
	o->spawn_opts = *opts;
	return 0;
}

/* argv into o; the --spawn-opt words into *opts (owned by the caller: words_free). 0, -1 on
 * bad usage (said), or 1 after printing help. */
static int parse_opts(int argc, char **argv, struct server_config *o, char ***opts)
{
	int ch;
	const char *why, *spawn_tuned = NULL;
	int32_t n;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'l': o->listen = optarg; break;
		case 'd': o->data = optarg; break;
		case 's': o->store = optarg; break;
		case 'w':
			if (int_opt("local-workers", optarg, 0, LOCAL_MAX, &n))
				return -1;
			o->local_workers = n;
			break;
		case 'C':
			if (int_opt("local-worker-cores", optarg, 0, 1 << 20, &o->local_cores))
				return -1;
			break;
		case 'R':
			if (int_opt("local-worker-ram", optarg, 0, INT32_MAX / 2, &o->local_ram_mb))
				return -1;
			break;
		case 'G':
			if (int_opt("local-worker-gpus", optarg, 0, 4096, &o->local_gpus))
				return -1;
			break;
		case 'L':
		case 'H':
		case 'S':
			if (clock_parse_duration(optarg, ch == 'L' ? &o->lease_ms
						 : ch == 'H' ? &o->heartbeat_ms : &o->starve_ms, &why)) {
				fprintf(stderr, "jobgrid server: --%s: %s, got '%s'\n",
					ch == 'L' ? "lease" : ch == 'H' ? "heartbeat" : "starve-after",
					why, optarg);
				return -1;
			}
			break;
		case 'c': o->config = optarg; break;
		case 'T':
			if (strcmp(optarg, "now") == 0) {
				o->test_clock = clock_wall_ms();
			} else if (clock_parse_rfc3339(optarg, &o->test_clock) || o->test_clock <= 0) {
				fprintf(stderr, "jobgrid server: --test-clock: a time (RFC 3339, e.g."
					" 2026-11-23T06:00:00Z) or now, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 't': o->tls = true; break;
		case 'c' + 256: o->tls_cert = optarg; break;
		case 'k' + 256: o->tls_key = optarg; break;
		case 'I': o->insecure_no_tls = true; break;
		case 'A': o->auth = true; break;
		case 'M':
			if (int_opt("max-connections", optarg, 1, 1 << 20, &o->max_connections))
				return -1;
			break;
		case 'h' + 256:
		case 'i' + 256:
			if (clock_parse_duration(optarg, ch == 'h' + 256 ? &o->header_timeout_ms
								: &o->idle_timeout_ms, &why) ||
			    (ch == 'h' + 256 ? o->header_timeout_ms : o->idle_timeout_ms) < 100) {
				fprintf(stderr, "jobgrid server: --%s: a duration of at least 100ms,"
					" got '%s'\n", ch == 'h' + 256 ? "header-timeout" : "idle-timeout",
					optarg);
				return -1;
			}
			break;
		case 'b' + 256: o->backup_dir = optarg; break;
		case 'r' + 256:
			if (clock_parse_duration(optarg, &o->retain_ms, &why) || o->retain_ms <= 0) {
				fprintf(stderr, "jobgrid server: --retain: a duration of more than 0"
					" (e.g. 90d), got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'y' + 256:
			if (strcmp(optarg, "never") == 0) {
				o->history_ms = -1;
			} else if (strcmp(optarg, "0") == 0) {
				o->history_ms = 0;
			} else if (clock_parse_duration(optarg, &o->history_ms, &why) ||
				   o->history_ms < 0) {
				fprintf(stderr, "jobgrid server: --history-memory: a duration (e.g. 1m,"
					" 0 for at once) or never, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'E' + 256:
			if (strcmp(optarg, "0") == 0) {
				o->events_window_ms = 0;
			} else if (clock_parse_duration(optarg, &o->events_window_ms, &why) ||
				   o->events_window_ms < 0) {
				fprintf(stderr, "jobgrid server: --events-window: a duration (e.g. 5m, 0"
					" for none), got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'K':
			if (int_opt("backup-keep", optarg, 1, 100000, &o->backup_keep))
				return -1;
			break;
		case 's' + 256:
			if (spawn_backend_known(optarg) < 0) {
				fprintf(stderr, "jobgrid server: --spawn: slurm or local, got '%s'\n",
					optarg);
				return -1;
			}
			o->spawn = optarg;
			break;
		case 'm' + 256:
			if (int_opt("spawn-max", optarg, 1, 10000, &o->spawn_max))
				return -1;
			spawn_tuned = "--spawn-max";
			break;
		case 'e' + 256:
			if (clock_parse_duration(optarg, &o->spawn_idle_ms, &why) ||
			    o->spawn_idle_ms < 1000) {
				fprintf(stderr, "jobgrid server: --spawn-idle: a duration of at least 1s,"
					" got '%s'\n", optarg);
				return -1;
			}
			spawn_tuned = "--spawn-idle";
			break;
		case 'o' + 256:
			if (add_spawn_opt(o, opts, optarg))
				return -1;
			break;
		case 'a' + 256: o->advertise = optarg; break;
		case 'l' + 256:
			if (clock_parse_duration(optarg, &o->leader_lease_ms, &why) ||
			    o->leader_lease_ms < 300 || o->leader_lease_ms > 3600000) {
				fprintf(stderr, "jobgrid server: --leader-lease: a duration of 300ms to"
					" 1h, got '%s'\n", optarg);
				return -1;
			}
			break;
		case 'f' + 256:
			if (cli_log_format(&cli_cmd_server, optarg))
				return -1;
			break;
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobgrid server: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (spawn_tuned && o->spawn == NULL) {
		fprintf(stderr, "jobgrid server: %s sets how --spawn starts workers: give --spawn"
				" slurm or --spawn local too\n", spawn_tuned);
		return -1;
	}
	if (!o->tls_cert != !o->tls_key) {
		fprintf(stderr, "jobgrid server: --tls-cert and --tls-key go together: give both\n");
		return -1;
	}
	if (o->insecure_no_tls && (o->tls || o->tls_cert)) {
		fprintf(stderr, "jobgrid server: --insecure-no-tls contradicts --tls/--tls-cert:"
				" give one or the other\n");
		return -1;
	}
	return 0;
}

/* A deposed leader starts again as a standby: this program with the command line it was
 * started with (the kernel's copy in /proc/self/cmdline, which getopt did not reorder),
 * with nothing left of its time as the leader. Returns only when it cannot (said). */
static void restart_as_standby(void)
{
	static char line[1 << 16];
	char *av[1024];
	int ac = 0;
	FILE *f = fopen("/proc/self/cmdline", "r");
	size_t n = f ? fread(line, 1, sizeof line - 1, f) : 0;
	if (f)
		fclose(f);
	line[n] = '\0';
	for (size_t i = 0; i < n && ac < (int)(sizeof av / sizeof av[0]) - 1; i += strlen(line + i) + 1)
		av[ac++] = line + i;
	av[ac] = NULL;
	if (ac == 0 || n == sizeof line - 1) {
		log_error("cannot start again as a standby: cannot read the command line");
		return;
	}
	log_info("starting again as a standby");
	fflush(NULL);
	execv("/proc/self/exe", av);
	log_error("cannot start again as a standby: %s", strerror(errno));
}

static int server_exec(int argc, char **argv)
{
	struct server_config cfg;
	server_config_defaults(&cfg, &api_face);
	log_route_libevent();
	/* The settings file's options go ahead of the flags, so flags win; cfg borrows
	 * from words (and the --spawn-opt words from opts) until the server stops. */
	int nwords;
	char **words, **opts = NULL;
	if (cli_config_argv(&cli_cmd_server, argc, argv, server_config_options,
			    SERVER_CONF_DEFAULT, &nwords, &words) != 0)
		return EXIT_USAGE;
	int rc = parse_opts(nwords, words, &cfg, &opts);
	if (rc == 0 && cfg.config == NULL && access(SERVER_CONF_DEFAULT, F_OK) == 0)
		cfg.config = SERVER_CONF_DEFAULT;	/* its dependencies: too */
	if (rc == 0) {
		switch (server_run(&cfg)) {
		case SERVER_STOPPED: rc = EXIT_OK; break;
		case SERVER_BAD_CONFIG: rc = EXIT_USAGE; break;
		case SERVER_DEPOSED: restart_as_standby(); rc = EXIT_SERVER_FAILED; break;
		default: rc = EXIT_SERVER_FAILED;
		}
	} else {
		rc = rc < 0 ? EXIT_USAGE : EXIT_OK;
	}
	words_free(opts);
	cli_config_argv_free(nwords, words);
	return rc;
}
