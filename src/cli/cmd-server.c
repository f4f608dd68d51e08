/* `jobgrid server`: its options, read into a struct server_config for server_run
 * (src/server/server.c), and its exit status. */
#include "api/api.h"
#include "base/clock.h"
#include "cli/cli.h"
#include "server/local-registry.h"
#include "server/options.h"
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int server_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_server = {
	"server",
	"[--listen ADDR:PORT] [--tls | --tls-cert F --tls-key F] [--auth] [--data DIR] [--store URL]"
	" [--local-workers N] [--lease D] [--heartbeat D] [--max-connections N]",
	"run the server: the queue, the store, the API",
	server_exec,
};

static void usage(FILE *f)
{
	fprintf(f, "usage: jobgrid server [--listen ADDR:PORT] [--tls | --tls-cert FILE --tls-key FILE]\n"
		   "                      [--auth] [--insecure-no-tls] [--data DIR] [--store URL]\n"
		   "                      [--local-workers N] [--local-worker-cores N] [--local-worker-ram MB]\n"
		   "                      [--local-worker-gpus N] [--lease DURATION] [--heartbeat DURATION]\n"
		   "                      [--starve-after DURATION] [--config FILE] [--test-clock START]\n"
		   "                      [--max-connections N] [--header-timeout D] [--idle-timeout D]\n"
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
		   "  --data           data directory holding the SQLite store (default ./jobgrid-data);\n"
		   "                   one server per directory: a second one is refused, naming the first\n"
		   "  --store          sqlite (the default: the store in --data DIR) or a PostgreSQL\n"
		   "                   database: postgres://USER@HOST:PORT/DB or 'host=H dbname=D'\n"
		   "  --local-workers  start and supervise N workers on this machine (default 0); they\n"
		   "                   split its cores and RAM (at least 1 core each) and outlive a\n"
		   "                   crash of the server, whose next start on --data adopts them\n"
		   "  --local-worker-cores, --local-worker-ram, --local-worker-gpus\n"
		   "                   what each local worker has instead of its share (GPUs: 0)\n"
		   "  --lease          how long a silent worker keeps its joblets (default 30s)\n"
		   "  --heartbeat      how often workers check in (default 5s)\n"
		   "  --starve-after   a joblet overtaken by smaller ones this long gets a worker\n"
		   "                   held for it (default 60s)\n"
		   "  --config         a YAML file of server settings (job-network dependencies:)\n"
		   "  --test-clock     run on a virtual clock from START (RFC 3339, or now) that moves\n"
		   "                   only with `jobgrid clock advance|set` (for tests)\n"
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

/* argv into o. 0, -1 on bad usage (said), or 1 after printing help. */
static int parse_opts(int argc, char **argv, struct server_config *o)
{
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
		{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
	};
	int ch;
	const char *why;
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
		case 'h': usage(stdout); return 1;
		default: usage(stderr); return -1;
		}
	}
	if (optind < argc) {
		fprintf(stderr, "jobgrid server: unexpected argument '%s'\n", argv[optind]);
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

static int server_exec(int argc, char **argv)
{
	struct server_config cfg;
	server_config_defaults(&cfg, &api_face);
	int rc = parse_opts(argc, argv, &cfg);
	if (rc)
		return rc < 0 ? EXIT_USAGE : EXIT_OK;
	switch (server_run(&cfg)) {
	case SERVER_STOPPED: return EXIT_OK;
	case SERVER_BAD_CONFIG: return EXIT_USAGE;
	default: return EXIT_SERVER_FAILED;
	}
}
