/* `jobgrid worker`: its options, read into a struct worker_config for worker_run
 * (src/worker/worker.c), and its exit status. */
#include "base/host.h"
#include "base/log.h"
#include "base/srvurl.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "core/job.h"
#include "auth/token.h"
#include "worker/config.h"
#include "worker/spool.h"
#include <errno.h>
#include <getopt.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int worker_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"server", required_argument, NULL, 's'}, {"name", required_argument, NULL, 'n'},
	{"cores", required_argument, NULL, 'c'}, {"ram", required_argument, NULL, 'r'},
	{"gpus", required_argument, NULL, 'g'}, {"tag", required_argument, NULL, 't'},
	{"idle-exit", required_argument, NULL, 'i'}, {"grace", required_argument, NULL, 'G'},
	{"ram-method", required_argument, NULL, 'M'}, {"spool", required_argument, NULL, 'S'},
	{"run-as-owner", no_argument, NULL, 'O'},
	{"ca", required_argument, NULL, 'C'},
	{"token-file", required_argument, NULL, 'T'},
	{"log-format", required_argument, NULL, 'F'},
	{"config", required_argument, NULL, 'K'},
	{"help", no_argument, NULL, 'h'}, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_worker = {
	"worker",
	"[--server URL[,URL…]] [--name NODE] [--cores N] [--ram MB] [--gpus N] [--tag K=V]…\n"
	"            [--idle-exit SECS] [--grace D] [--ram-method auto|cgroup|sampling]\n"
	"            [--spool DIR] [--run-as-owner] [--ca FILE] [--token-file F]\n"
	"            [--log-format text|json] [--config FILE]\n"
	"            --ca: an https:// server's certificate must verify against this CA file\n"
	"            (also $JOBGRID_CA); without it, the fingerprint `jobgrid login` pinned\n"
	"            for that URL\n"
	"            --token-file: a file holding the worker token (mode 0600); else\n"
	"            $JOBGRID_TOKEN, which the worker removes from its environment so its\n"
	"            joblets do not see it\n"
	"            --spool: where joblets' output waits until the server has it (default\n"
	"            /var/tmp; files there are unlinked at once and vanish with the worker)\n"
	"            --name: the node name (default the host name), one live worker's at a\n"
	"            time: while another worker holds it, registration waits and retries\n"
	"            --ram-method: how joblets' RAM is limited and its peak measured: cgroup\n"
	"            (the memory controller of cgroup v2, in a cgroup of the worker's own, or\n"
	"            of cgroup v1), sampling (the RSS of each joblet's processes), auto (cgroup\n"
	"            when usable)\n"
	"            --run-as-owner: run each joblet as the local account named like its\n"
	"            job's owner (the worker must run as root; never as uid 0: an owner\n"
	"            with no account here, or root, fails the attempt with reason permission)\n"
	"            --log-format: text (default) or json, one object per line with time,\n"
	"            level, component, pid and msg\n"
	"            --config: a file of KEY = VALUE lines, KEY one of these options without\n"
	"            its dashes (cores = 16, run-as-owner = yes); flags and $JOBGRID_URL and\n"
	"            $JOBGRID_CA win over it",
	"run a worker agent that reserves and runs joblets",
	worker_exec,
	.options = longopts,
};

/* The configuration and the storage its borrowed pointers point into (all owned here). */
struct worker_opts {
	struct worker_config cfg;
	char host[256];		/* the default node name */
	char *name, *spool_dir, *tags;
	char token[TOKEN_TEXT_LEN + 1];	/* the worker token, or "" */
	char ram_method[16];
};

static int add_tag(json_t *tags, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv) {
		fprintf(stderr, "jobgrid worker: --tag: expected KEY=VALUE, got '%s'\n", kv);
		return -1;
	}
	char *k = xstrndup(kv, (size_t)(eq - kv));
	json_object_set_new(tags, k, json_string(eq + 1));
	free(k);
	return 0;
}

static int split_urls(struct worker_config *cfg, const char *list)
{
	char *copy = xstrdup(list), *save = NULL;
	for (char *u = strtok_r(copy, ",", &save); u; u = strtok_r(NULL, ",", &save)) {
		size_t n = strlen(u);
		while (n > 0 && u[n - 1] == '/')
			u[--n] = '\0';
		const char *rule = srvurl_check(u);
		if (rule) {
			fprintf(stderr, "jobgrid worker: --server: '%s': %s\n", u, rule);
			free(copy);
			return -1;
		}
		cfg->urls = xrealloc(cfg->urls, (size_t)cfg->nurls + 1, sizeof *cfg->urls);
		cfg->urls[cfg->nurls++] = xstrdup(u);
	}
	free(copy);
	return cfg->nurls ? 0 : -1;
}

/* Output waits in --spool while the server is slow or away: say now, not at the first
 * joblet, when files cannot be made there. */
static int check_spool(const char *dir)
{
	struct spool sp;
	if (dir[0] == '\0' || spool_open(&sp, dir, 0, 0) != 0) {
		fprintf(stderr, "jobgrid worker: --spool: cannot create files in '%s': %s\n", dir,
			dir[0] ? strerror(errno) : "empty path");
		return -1;
	}
	spool_free(&sp);
	return 0;
}

/* The worker token: --token-file, else $JOBGRID_TOKEN, which is then removed from the
 * environment: joblets inherit the worker's, and must not hold its credentials. */
static int read_token(struct worker_opts *o, const char *token_file)
{
	const char *env = getenv("JOBGRID_TOKEN");
	char *err = NULL;
	const char *why;
	unsigned char raw[TOKEN_BYTES];
	int rc = 0;
	if (token_file) {
		if (token_file_read(token_file, o->token, &err) != 0) {
			fprintf(stderr, "jobgrid worker: --token-file: %s\n", err);
			free(err);
			rc = -1;
		}
	} else if (env && *env) {
		if (token_text_parse(env, strlen(env), raw, &why) != 0) {
			fprintf(stderr, "jobgrid worker: JOBGRID_TOKEN: %s\n", why);
			rc = -1;
		} else {
			snprintf(o->token, sizeof o->token, "%s", env);
		}
	}
	unsetenv("JOBGRID_TOKEN");
	o->cfg.token = o->token[0] ? o->token : NULL;
	return rc;
}

static void opts_free(struct worker_opts *o)
{
	for (int i = 0; i < o->cfg.nurls; i++)
		free(o->cfg.urls[i]);
	free(o->cfg.urls);
	free(o->name);
	free(o->spool_dir);
	free(o->tags);
}

/* The checks after the options were read, in the order their messages come. */
static int check_opts(struct worker_opts *o, int argc, char **argv, const char *server)
{
	if (check_spool(o->cfg.spool_dir))
		return -1;
	if (optind < argc) {
		fprintf(stderr, "jobgrid worker: unexpected argument '%s'\n", argv[optind]);
		return -1;
	}
	if (!name_valid(o->cfg.name, 128)) {
		fprintf(stderr, "jobgrid worker: --name: a node name is 1..128 of [A-Za-z0-9_.-],"
				" got '%s'\n", o->cfg.name);
		return -1;
	}
	return split_urls(&o->cfg, server && *server ? server : "http://127.0.0.1:7370");
}

/* argv into o. Returns 0, -1 on bad usage (said), or 1 after printing help. */
static int parse_opts(struct worker_opts *o, int argc, char **argv)
{
	const struct cli_cmd *cmd = &cli_cmd_worker;
	struct worker_config *c = &o->cfg;
	const char *server = getenv("JOBGRID_URL"), *token_file = NULL;
	json_t *tags = json_object();
	long long v = 0;
	int ch, bad = 0;
	snprintf(o->host, sizeof o->host, "worker");
	gethostname(o->host, sizeof o->host - 1);
	c->name = o->host;
	c->cores = host_cores();
	c->ram_mb = host_ram_mb();
	c->grace_ms = 5000;
	c->ram_method = o->ram_method;
	optind = 1;
	while (!bad && (ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': server = optarg; break;
		case 'C': c->ca_file = optarg; c->ca_from = "--ca"; break;
		case 'n': free(o->name); c->name = o->name = xstrdup(optarg); break;
		/* A value is taken only once it parsed: v is not set on failure. */
		case 'c': if (!(bad = cli_int(cmd, "cores", optarg, 0, 1 << 20, &v))) c->cores = (int32_t)v; break;
		case 'r': if (!(bad = cli_int(cmd, "ram", optarg, 0, INT32_MAX / 2, &v))) c->ram_mb = (int32_t)v; break;
		case 'g': if (!(bad = cli_int(cmd, "gpus", optarg, 0, 4096, &v))) c->gpus = (int32_t)v; break;
		case 't': bad = add_tag(tags, optarg); break;
		case 'i': if (!(bad = cli_int(cmd, "idle-exit", optarg, 1, 86400LL * 365, &v))) c->idle_exit_ms = v * 1000; break;
		case 'G': if (!(bad = cli_duration(cmd, "grace", optarg, &v))) c->grace_ms = v; break;
		case 'M':
			if (strcmp(optarg, "auto") == 0 || strcmp(optarg, "cgroup") == 0 ||
			    strcmp(optarg, "sampling") == 0) {
				snprintf(o->ram_method, sizeof o->ram_method, "%s", optarg);
			} else {
				fprintf(stderr, "jobgrid worker: --ram-method: must be auto, cgroup or"
						" sampling, got '%s'\n", optarg);
				bad = 1;
			}
			break;
		case 'S': free(o->spool_dir); o->spool_dir = xstrdup(optarg); break;
		case 'O': c->run_as_owner = true; break;
		case 'T': token_file = optarg; break;
		case 'F': bad = cli_log_format(cmd, optarg); break;
		case 'K': break;	/* read before: its lines are words ahead of argv */
		case 'h': json_decref(tags); cli_help(cmd); return 1;
		default: bad = 1;
		}
	}
	c->spool_dir = o->spool_dir ? o->spool_dir : SPOOL_DIR_DEFAULT;
	const char *ca_env = getenv("JOBGRID_CA");
	if (c->ca_file == NULL && ca_env && *ca_env) {
		c->ca_file = ca_env;
		c->ca_from = "JOBGRID_CA";
	}
	if (!bad)
		bad = check_opts(o, argc, argv, server) || read_token(o, token_file);
	if (json_object_size(tags))
		c->tags = o->tags = json_dumps(tags, JSON_COMPACT | JSON_SORT_KEYS);
	json_decref(tags);
	return bad ? -1 : 0;
}

static int worker_exec(int argc, char **argv)
{
	struct worker_opts o;
	memset(&o, 0, sizeof o);
	log_route_libevent();
	/* The --config file's words go first, so flags win; o borrows from words. */
	int nwords;
	char **words;
	if (cli_config_argv(&cli_cmd_worker, argc, argv, cli_conf_lines, NULL, &nwords,
			    &words) != 0)
		return EXIT_USAGE;
	int rc = parse_opts(&o, nwords, words);
	if (rc == 0) {
		/* A refused registration and a configuration that cannot work here are about
		 * what the worker was told: usage errors. */
		rc = worker_run(&o.cfg) == WORKER_DONE ? EXIT_OK : EXIT_USAGE;
	} else if (rc < 0) {
		cli_usage(&cli_cmd_worker);
		rc = EXIT_USAGE;
	} else {
		rc = EXIT_OK;
	}
	opts_free(&o);
	cli_config_argv_free(nwords, words);
	return rc;
}
