/* `jobgrid wait ID…`: block until the jobs are final; exit 0 if all are done, 1 if any
 * failed, was skipped or cancelled, 6 when --timeout runs out. Polls with a growing pause
 * (20 ms to 500 ms); the progress bar counts joblets. */
#include "base/clock.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static int wait_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"timeout", required_argument, NULL, 't'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_wait = {
	"wait", "[--timeout D] [--json] ID…",
	"wait until jobs end: exit 0 if all done, 1 if any failed, skipped or cancelled, 6 if"
	" --timeout ran out; --json: {ID: STATE}",
	wait_exec,
	.options = longopts,
};

static bool final(const char *state)
{
	return state && (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 ||
			 strcmp(state, "cancelled") == 0 || strcmp(state, "skipped") == 0);
}

/* What wait knows of one job: its state and its joblets, ended and all. */
struct waited {
	char *state;		/* owned; NULL until first seen */
	long long ended, total;
};

/* One look at job i; 0, or the exit status of the failed request. */
static int poll_job(json_t *ids, size_t i, struct waited *w)
{
	static const char *const ends[] = {"done", "failed", "cancelled", "skipped"};
	char *id = client_escape(json_string_value(json_array_get(ids, i)));
	char path[600];
	snprintf(path, sizeof path, "/v1/jobs/%s?joblets=none", id);
	free(id);
	json_t *job = NULL;
	int rc = client_call("GET", path, NULL, false, &job);
	if (rc == 0) {
		json_t *counts = json_object_get(job, "counts");
		free(w->state);
		w->state = xstrdup(json_string_value(json_object_get(job, "state")));
		w->total = json_integer_value(json_object_get(job, "joblet_count"));
		w->ended = 0;
		for (size_t k = 0; k < sizeof ends / sizeof ends[0]; k++)
			w->ended += json_integer_value(json_object_get(counts, ends[k]));
	}
	json_decref(job);
	return rc;
}

/* The bar counts joblets: a job of 6 shows its progress before it ends. */
static void draw_bar(const struct waited *w, size_t n)
{
	long long ended = 0, total = 0;
	for (size_t i = 0; i < n; i++) {
		ended += w[i].ended;
		total += w[i].total;
	}
	fprintf(stderr, "\r");
	out_bar(stderr, ended, total, 30);
	fprintf(stderr, " joblets");
}

int wait_for_ids(json_t *ids, long long timeout_ms, bool json)
{
	size_t n = json_array_size(ids), nfinal = 0;
	struct waited *w = xcalloc(n + 1, sizeof *w);
	int64_t deadline = timeout_ms ? clock_mono_ms() + timeout_ms : 0;
	long pause = 20;
	int rc = 0;
	bool bar = !json && out_tty(stderr);
	client_set_patient(deadline);	/* a server restart is waited out, and said */
	while (rc == 0 && nfinal < n) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (final(w[i].state))
				continue;
			rc = poll_job(ids, i, &w[i]);
			nfinal += rc == 0 && final(w[i].state);
		}
		if (bar)
			draw_bar(w, n);
		if (rc || nfinal == n)
			break;
		if (deadline && clock_mono_ms() >= deadline) {
			rc = EXIT_TIMEOUT;
			break;
		}
		int64_t left = deadline ? deadline - clock_mono_ms() : pause;
		struct timespec ts = {0, (left < pause ? left : pause) * 1000000L};
		nanosleep(&ts, NULL);
		pause = pause * 2 > 500 ? 500 : pause * 2;
	}
	if (bar)
		fprintf(stderr, "\n");
	if (rc == EXIT_TIMEOUT)
		fprintf(stderr, "jobgrid wait: timed out with %zu of %zu jobs ended\n", nfinal, n);
	json_t *out = json_object();
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && strcmp(w[i].state, "done") != 0)
			rc = EXIT_JOB_FAILED;
		if (w[i].state)	/* every job seen, ended or not: the states at the end */
			json_object_set_new(out, json_string_value(json_array_get(ids, i)),
					    json_string(w[i].state));
		free(w[i].state);
	}
	if (json && (rc == 0 || rc == EXIT_JOB_FAILED || rc == EXIT_TIMEOUT))
		out_json(out);
	json_decref(out);
	free(w);
	return rc;
}

static int wait_exec(int argc, char **argv)
{
	long long timeout = 0;
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 't':
			if (cli_duration(&cli_cmd_wait, "timeout", optarg, &timeout))
				return EXIT_USAGE;
			break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_wait);
		default: return cli_usage(&cli_cmd_wait);
		}
	}
	if (optind >= argc)
		return cli_usage_error(&cli_cmd_wait, "give at least one job id%s", "");
	json_t *ids = json_array();
	for (int i = optind; i < argc; i++)
		json_array_append_new(ids, json_string(argv[i]));
	int rc = wait_for_ids(ids, timeout, json);
	json_decref(ids);
	return rc;
}
