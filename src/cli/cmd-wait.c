/* `jobgrid wait ID…`: block until the jobs are final; exit 0 if all are done, 1 if any
 * failed, was skipped or cancelled. Polls with a growing pause (20 ms to 500 ms). */
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

const struct cli_cmd cli_cmd_wait = {
	"wait", "[--timeout D] [--json] ID…",
	"wait until jobs end: exit 0 if all done, 1 if any failed, skipped or cancelled",
	wait_exec,
};

static bool final(const char *state)
{
	return state && (strcmp(state, "done") == 0 || strcmp(state, "failed") == 0 ||
			 strcmp(state, "cancelled") == 0 || strcmp(state, "skipped") == 0);
}

int wait_for_ids(json_t *ids, long long timeout_ms, bool json)
{
	size_t n = json_array_size(ids), nfinal = 0;
	char **states = xcalloc(n + 1, sizeof *states);	/* owned strings once final */
	int64_t deadline = timeout_ms ? clock_mono_ms() + timeout_ms : 0;
	long pause = 20;
	int rc = 0;
	bool bar = !json && out_tty(stderr);
	while (rc == 0 && nfinal < n) {
		for (size_t i = 0; i < n && rc == 0; i++) {
			if (states[i])
				continue;
			char *id = client_escape(json_string_value(json_array_get(ids, i)));
			char path[600];
			snprintf(path, sizeof path, "/v1/jobs/%s", id);
			free(id);
			json_t *job = NULL;
			rc = client_call("GET", path, NULL, false, &job);
			const char *st = json_string_value(json_object_get(job, "state"));
			if (rc == 0 && final(st)) {
				states[i] = xstrdup(st);
				nfinal++;
			}
			json_decref(job);
		}
		if (bar) {
			fprintf(stderr, "\r");
			out_bar(stderr, (long long)nfinal, (long long)n, 30);
		}
		if (rc || nfinal == n)
			break;
		if (deadline && clock_mono_ms() > deadline) {
			fprintf(stderr, "%sjobgrid wait: timed out with %zu of %zu jobs ended\n",
				bar ? "\n" : "", nfinal, n);
			rc = EXIT_UNREACHABLE;
			break;
		}
		struct timespec ts = {0, pause * 1000000L};
		nanosleep(&ts, NULL);
		pause = pause * 2 > 500 ? 500 : pause * 2;
	}
	if (bar)
		fprintf(stderr, "\n");
	json_t *out = json_object();
	for (size_t i = 0; i < n; i++) {
		if (rc == 0 && strcmp(states[i], "done") != 0)
			rc = EXIT_JOB_FAILED;
		if (states[i])
			json_object_set_new(out, json_string_value(json_array_get(ids, i)),
					    json_string(states[i]));
		free(states[i]);
	}
	if (json)
		out_json(out);
	json_decref(out);
	free(states);
	return rc;
}

static int wait_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"timeout", required_argument, NULL, 't'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
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
		case OPT_SERVER: client_set_server(optarg); break;
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
