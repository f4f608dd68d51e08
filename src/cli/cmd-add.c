/* `jobgrid add`: one job from the command words, or one per stdin line (or JSON line with
 * --jsonl), sent in batches of at most 1000; prints each new id on its own line. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/jobopts.h"
#include "cli/output.h"
#include "core/job.h"
#include <ctype.h>
#include <getopt.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define ADD_BATCH 1000

static int add_exec(int argc, char **argv);

enum { O_NAME = 1, O_GROUP, O_REQ_GROUP, O_CWD, O_ENV, O_CORES, O_RAM, O_TIME, O_GPUS, O_PRIO,
       O_RETRIES, O_LOST, O_DELAY, O_NORESTART, O_JOBLETS, O_UNIQUE, O_WAIT, O_JSONL,
       O_ENV_NONE, O_ENV_KEEP };
/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"name", required_argument, NULL, O_NAME}, {"group", required_argument, NULL, O_GROUP},
	{"req-group", required_argument, NULL, O_REQ_GROUP},
	{"cwd", required_argument, NULL, O_CWD}, {"env", required_argument, NULL, O_ENV},
	{"cores", required_argument, NULL, O_CORES}, {"ram", required_argument, NULL, O_RAM},
	{"time", required_argument, NULL, O_TIME}, {"gpus", required_argument, NULL, O_GPUS},
	{"priority", required_argument, NULL, O_PRIO},
	{"retries", required_argument, NULL, O_RETRIES},
	{"lost-retries", required_argument, NULL, O_LOST},
	{"retry-delay", required_argument, NULL, O_DELAY},
	{"no-restart", no_argument, NULL, O_NORESTART},
	{"joblets", required_argument, NULL, O_JOBLETS},
	{"unique", no_argument, NULL, O_UNIQUE}, {"wait", no_argument, NULL, O_WAIT},
	{"jsonl", no_argument, NULL, O_JSONL}, {"env-none", no_argument, NULL, O_ENV_NONE},
	{"env-keep", required_argument, NULL, O_ENV_KEEP}, JOBOPTS_LONGOPTS, CLI_COMMON_OPTS,
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_add = {
	"add",
	"[--name N] [--group G] [--req-group G] [--cwd DIR] [--env K=V]… [--cores N] [--ram MB]\n"
	"            [--time D] [--gpus N] [--priority 0-255] [--retries N] [--lost-retries N]\n"
	"            [--retry-delay D] [--no-restart] [--joblets N] [--unique] [--wait] [--jsonl]\n"
	"            [--env-none | --env-keep NAME,…]   (default: your environment goes with the job)\n"
	JOBOPTS_USAGE "\n"
	"            [--json] [-- CMD…]   (no CMD: one job per line of stdin)",
	"add jobs",
	add_exec,
	.options = longopts,
};

/* Quote a word for /bin/sh unless it is plainly safe. Returns a new string. */
static char *sh_quote(const char *w)
{
	bool safe = *w != '\0';
	for (const char *p = w; *p && safe; p++)
		safe = isalnum((unsigned char)*p) || strchr("_-./=:,+@%", *p);
	if (safe)
		return xstrdup(w);
	size_t n = 3;
	for (const char *p = w; *p; p++)
		n += *p == '\'' ? 4 : 1;
	char *q = xmalloc(n), *o = q;
	*o++ = '\'';
	for (const char *p = w; *p; p++) {
		if (*p == '\'') {
			memcpy(o, "'\\''", 4);
			o += 4;
		} else {
			*o++ = *p;
		}
	}
	*o++ = '\'';
	*o = '\0';
	return q;
}

/* One word is the command as written (`add -- 'a | b'`); several are quoted and joined. */
static char *add_join_words(int n, char **words)
{
	if (n == 1)
		return xstrdup(words[0]);
	size_t len = 1;
	char **q = xcalloc((size_t)n, sizeof *q);
	for (int i = 0; i < n; i++) {
		q[i] = sh_quote(words[i]);
		len += strlen(q[i]) + 1;
	}
	char *cmd = xmalloc(len);
	cmd[0] = '\0';
	for (int i = 0; i < n; i++) {
		if (i)
			strcat(cmd, " ");
		strcat(cmd, q[i]);
		free(q[i]);
	}
	free(q);
	return cmd;
}

struct add_opts {
	json_t *tmpl;		/* owned: fields every job gets */
	bool wait, jsonl, json;
	bool env_none;		/* --env-none: capture nothing */
	const char *env_keep;	/* --env-keep LIST (borrowed from argv), or NULL: all */
};

/* Variables that describe this shell, not what a command needs: PWD is the job's cwd on
 * the worker, JOBGRID_* are the worker's to set. */
static bool env_skipped(const char *name, size_t n)
{
	static const char *const shell[] = {"PWD", "OLDPWD", "SHLVL", "_", NULL};
	for (size_t i = 0; shell[i]; i++)
		if (strlen(shell[i]) == n && strncmp(shell[i], name, n) == 0)
			return true;
	if (n >= 8 && strncmp(name, "JOBGRID_", 8) == 0)
		return true;
	if (!isalpha((unsigned char)name[0]) && name[0] != '_')
		return true;	/* not a name the shell could use (bash's exported functions) */
	for (size_t i = 1; i < n; i++)
		if (!isalnum((unsigned char)name[i]) && name[i] != '_')
			return true;
	return false;
}

/* Is NAME (n bytes) in the comma-separated list? */
static bool listed(const char *list, const char *name, size_t n)
{
	for (const char *p = list; *p;) {
		size_t len = strcspn(p, ",");
		if (len == n && strncmp(p, name, n) == 0)
			return true;
		p += len + (p[len] == ',');
	}
	return false;
}

/* The submitter's environment, as wr captures it, into the template's submit_env. -1
 * after saying so when it is larger than a job may carry. */
static int capture_env(struct add_opts *o)
{
	extern char **environ;
	json_t *env = json_object();
	size_t total = 0;
	for (char **e = environ; e && *e; e++) {
		const char *eq = strchr(*e, '=');
		size_t n = eq ? (size_t)(eq - *e) : 0;
		if (n == 0 || env_skipped(*e, n) || (o->env_keep && !listed(o->env_keep, *e, n)))
			continue;
		char *name = xstrndup(*e, n);
		json_object_set_new(env, name, json_string(eq + 1));
		total += n + strlen(eq + 1) + 2;
		free(name);
	}
	if (json_object_size(env) > SUBMIT_ENV_MAX_VARS || total > SUBMIT_ENV_MAX_BYTES) {
		fprintf(stderr, "jobgrid add: your environment (%zu variables, %zu bytes) is more"
				" than a job carries (%d, %d bytes): choose with --env-keep NAME,… or"
				" send none with --env-none\n", json_object_size(env), total,
			SUBMIT_ENV_MAX_VARS, SUBMIT_ENV_MAX_BYTES);
		json_decref(env);
		return -1;
	}
	json_object_set_new(o->tmpl, "submit_env", env);
	return 0;
}

static int set_int(struct add_opts *o, const char *opt, const char *field, const char *val,
		   long long min, long long max)
{
	long long v;
	if (cli_int(&cli_cmd_add, opt, val, min, max, &v))
		return -1;
	json_object_set_new(o->tmpl, field, json_integer(v));
	return 0;
}

static int set_dur(struct add_opts *o, const char *opt, const char *field, const char *val)
{
	long long ms;
	if (cli_duration(&cli_cmd_add, opt, val, &ms))
		return -1;
	json_object_set_new(o->tmpl, field, json_integer(ms));
	return 0;
}

static int set_env(struct add_opts *o, const char *kv)
{
	const char *eq = strchr(kv, '=');
	if (eq == NULL || eq == kv) {
		fprintf(stderr, "jobgrid add: --env: expected NAME=VALUE, got '%s'\n", kv);
		return -1;
	}
	json_t *env = json_object_get(o->tmpl, "env");
	if (env == NULL) {
		env = json_object();
		json_object_set_new(o->tmpl, "env", env);
	}
	char *name = xstrndup(kv, (size_t)(eq - kv));
	json_object_set_new(env, name, json_string(eq + 1));
	free(name);
	return 0;
}


static int parse(int argc, char **argv, struct add_opts *o)
{
	int ch, rc = 0;
	char cwd[PATH_MAX];
	if (getcwd(cwd, sizeof cwd))
		json_object_set_new(o->tmpl, "cwd", json_string(cwd));
	optind = 1;
	while (rc == 0 && (ch = getopt_long(argc, argv, "+h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_NAME: json_object_set_new(o->tmpl, "name", json_string(optarg)); break;
		case O_GROUP: json_object_set_new(o->tmpl, "group", json_string(optarg)); break;
		case O_REQ_GROUP: json_object_set_new(o->tmpl, "req_group", json_string(optarg)); break;
		case O_CWD:
			if (realpath(optarg, cwd) == NULL) {
				fprintf(stderr, "jobgrid add: --cwd: no such directory '%s'\n", optarg);
				rc = -1;
			} else {
				json_object_set_new(o->tmpl, "cwd", json_string(cwd));
			}
			break;
		case O_ENV: rc = set_env(o, optarg); break;
		case O_CORES: rc = set_int(o, "cores", "cores", optarg, 0, 4096); break;
		case O_RAM: rc = set_int(o, "ram", "ram_mb", optarg, 0, 16777216); break;
		case O_TIME: rc = set_dur(o, "time", "time_ms", optarg); break;
		case O_GPUS: rc = set_int(o, "gpus", "gpus", optarg, 0, 256); break;
		case O_PRIO: rc = set_int(o, "priority", "priority", optarg, 0, 255); break;
		case O_RETRIES: rc = set_int(o, "retries", "retries", optarg, 0, 1000); break;
		case O_LOST: rc = set_int(o, "lost-retries", "lost_retries", optarg, 0, 1000); break;
		case O_DELAY: rc = set_dur(o, "retry-delay", "retry_delay_ms", optarg); break;
		case O_NORESTART: json_object_set_new(o->tmpl, "no_restart", json_true()); break;
		case O_JOBLETS: rc = set_int(o, "joblets", "joblets", optarg, 1, 100000); break;
		case O_UNIQUE: json_object_set_new(o->tmpl, "unique", json_true()); break;
		case O_WAIT: o->wait = true; break;
		case O_JSONL: o->jsonl = true; break;
		case O_ENV_NONE: o->env_none = true; break;
		case O_ENV_KEEP: o->env_keep = optarg; break;
		case OPT_JSON: o->json = true; break;
		CLI_COMMON_CASES;
		case 'h': return 1;
		default:
			rc = jobopts_parse(&cli_cmd_add, ch, optarg, o->tmpl);
			if (rc > 0)
				return -1;
		}
	}
	if (rc == 0 && o->env_none && o->env_keep) {
		fprintf(stderr, "jobgrid add: give --env-none or --env-keep, not both\n");
		rc = -1;
	}
	/* The client settings' default group, when --group does not name one. */
	const char *group = cli_config_get("group");
	if (rc == 0 && group && json_object_get(o->tmpl, "group") == NULL)
		json_object_set_new(o->tmpl, "group", json_string(group));
	if (rc == 0 && !o->env_none)
		rc = capture_env(o);
	return rc;
}

struct adder {
	struct add_opts *o;
	bool one;		/* the job from the command words: sent as an object */
	json_t *batch;		/* owned: the jobs not yet sent */
	json_t *lines;		/* owned: the stdin line of each job in batch */
	json_t *ids;		/* owned: every id added */
	json_t *dups;		/* owned: [{"line", "id"}] left out by --unique */
};

/* Items of a batch that --unique left out: said on stderr with the job they repeat. */
static void report_duplicates(struct adder *a, json_t *reply)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(reply, "duplicates"), i, d) {
		json_t *line = json_array_get(a->lines, (size_t)json_integer_value(
								json_object_get(d, "index")));
		json_t *id = json_object_get(d, "id");
		fprintf(stderr, "jobgrid add: line %lld repeats the incomplete job %s (--unique);"
				" not added\n", (long long)json_integer_value(line),
			json_string_value(id));
		json_array_append_new(a->dups, json_pack("{s:O, s:O}", "line", line, "id", id));
	}
}

static int flush_batch(struct adder *a)
{
	json_t *reply = NULL;
	if (json_array_size(a->batch) == 0)
		return 0;
	json_t *body = a->one ? json_array_get(a->batch, 0) : a->batch;
	int rc = client_call("POST", "/v1/jobs", body, true, &reply);
	if (rc == 0) {
		size_t i;
		json_t *id;
		json_array_foreach(json_object_get(reply, "ids"), i, id) {
			if (!a->o->json)
				printf("%s\n", json_string_value(id));
			json_array_append(a->ids, id);
		}
		fflush(stdout);
		report_duplicates(a, reply);
	}
	json_decref(reply);
	json_array_clear(a->batch);
	json_array_clear(a->lines);
	return rc;
}

static int push(struct adder *a, json_t *job /* stolen */, long lineno)
{
	json_array_append_new(a->batch, job);
	json_array_append_new(a->lines, json_integer(lineno));
	return json_array_size(a->batch) >= ADD_BATCH ? flush_batch(a) : 0;
}

static json_t *job_from_cmd(const struct add_opts *o, const char *cmd)
{
	json_t *job = json_deep_copy(o->tmpl);
	json_object_set_new(job, "cmd", json_string(cmd));
	return job;
}

/* One job per non-empty line, or per JSON object line with --jsonl (template as defaults). */
static int add_stdin(struct adder *a)
{
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = 0;
	long lineno = 0;
	while (rc == 0 && (n = getline(&line, &cap, stdin)) != -1) {
		lineno++;
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		if (n == 0)
			continue;
		if (!a->o->jsonl) {
			rc = push(a, job_from_cmd(a->o, line), lineno);
			continue;
		}
		json_error_t err;
		json_t *obj = json_loads(line, JSON_REJECT_DUPLICATES, &err);
		if (!json_is_object(obj)) {
			fprintf(stderr, "jobgrid add: stdin line %ld: %s\n", lineno,
				obj ? "expected a JSON object" : err.text);
			json_decref(obj);
			rc = EXIT_USAGE;
			break;
		}
		json_t *job = json_deep_copy(a->o->tmpl);
		json_object_update(job, obj);
		json_decref(obj);
		rc = push(a, job, lineno);
	}
	free(line);
	return rc ? rc : flush_batch(a);
}


static int add_exec(int argc, char **argv)
{
	struct add_opts o = {json_object(), false, false, false, false, NULL};
	struct adder a = {&o, false, json_array(), json_array(), json_array(), json_array()};
	int rc = parse(argc, argv, &o);
	if (rc == 1) {
		rc = cli_help(&cli_cmd_add);
	} else if (rc < 0) {
		rc = cli_usage(&cli_cmd_add);
	} else if (optind < argc) {
		if (o.jsonl) {
			rc = cli_usage_error(&cli_cmd_add, "--jsonl reads stdin; give no command%s", "");
		} else {
			char *cmd = add_join_words(argc - optind, argv + optind);
			a.one = true;
			rc = push(&a, job_from_cmd(&o, cmd), 0);
			free(cmd);
			rc = rc ? rc : flush_batch(&a);
		}
	} else {
		if (isatty(STDIN_FILENO))
			fprintf(stderr, "jobgrid add: reading one command per line from the terminal"
					" (Ctrl-D ends)\n");
		rc = add_stdin(&a);
	}
	if (rc == 0 && o.json) {
		json_t *r = json_pack("{s:O, s:O}", "ids", a.ids, "duplicates", a.dups);
		out_json(r);
		json_decref(r);
	}
	if (rc == 0 && o.wait) {	/* the jobs --unique found count as this add's too */
		size_t i;
		json_t *d;
		json_array_foreach(a.dups, i, d)
			json_array_append(a.ids, json_object_get(d, "id"));
		rc = wait_for_ids(a.ids, 0, false);
	}
	json_decref(o.tmpl);
	json_decref(a.batch);
	json_decref(a.lines);
	json_decref(a.ids);
	json_decref(a.dups);
	return rc;
}
