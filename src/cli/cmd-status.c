/* `jobgrid status`: joblet counts by state, and per group a line with a progress bar. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int status_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"group", required_argument, NULL, 'g'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_status = {
	"status", "[--group G] [--json]",
	"counts by state; per group a progress bar and why joblets wait",
	status_exec,
	.options = longopts,
};

static const char *const states[] = {"waiting", "ready", "running", "done", "failed",
				     "cancelled", "skipped"};

static void print_counts(json_t *counts, const char *label)
{
	long long total = 0, ended = 0;
	for (size_t i = 0; i < 7; i++) {
		long long n = json_integer_value(json_object_get(counts, states[i]));
		total += n;
		if (i >= 3)
			ended += n;
	}
	printf("%-16s", label);
	for (size_t i = 0; i < 7; i++) {
		long long n = json_integer_value(json_object_get(counts, states[i]));
		if (n)
			printf(" %s %lld", states[i], n);
	}
	if (total == 0)
		printf(" (none)");
	if (out_tty(stdout) && total) {
		printf("  ");
		out_bar(stdout, ended, total, 20);
	}
	printf("\n");
}

/* Why a group's joblets wait: "  12 waiting: no worker has 64 cores". */
static void print_reasons(json_t *list)
{
	size_t i;
	json_t *r;
	json_array_foreach(list, i, r)
		printf("    %6lld not running: %s\n",
		       (long long)json_integer_value(json_object_get(r, "joblets")),
		       json_string_value(json_object_get(r, "reason")));
}

/* "spawned workers (slurm): 2 running, 1 pending (at most 4)", and what holds them up. */
static void print_spawn(json_t *sp)
{
	if (!json_is_object(sp))
		return;
	printf("spawned workers (%s): %lld running, %lld pending (at most %lld)\n",
	       json_string_value(json_object_get(sp, "backend")),
	       (long long)json_integer_value(json_object_get(sp, "running")),
	       (long long)json_integer_value(json_object_get(sp, "pending")),
	       (long long)json_integer_value(json_object_get(sp, "max")));
	const char *note = json_string_value(json_object_get(sp, "note"));
	if (note && *note)
		printf("    %s\n", note);
}

static int status_exec(int argc, char **argv)
{
	const char *group = NULL;
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'g': group = optarg; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_status);
		default: return cli_usage(&cli_cmd_status);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_status, "unexpected argument '%s'", argv[optind]);
	json_t *st = NULL;
	int rc = client_call("GET", "/v1/stats?reasons=1", NULL, false, &st);
	if (rc)
		return rc;
	json_t *groups = json_object_get(st, "groups");
	if (group) {
		json_t *g = json_object_get(groups, group);
		json_t *only = json_object();
		if (g)
			json_object_set(only, group, g);
		json_object_set_new(st, "groups", only);
		groups = only;
	}
	if (json) {
		out_json(st);
	} else {
		if (!group)
			print_counts(json_object_get(st, "joblets"), "all joblets");
		const char *name;
		json_t *counts;
		json_t *waiting = json_object_get(st, "waiting");
		json_object_foreach(groups, name, counts) {
			char label[80];
			snprintf(label, sizeof label, "group %s", *name ? name : "(none)");
			print_counts(counts, label);
			print_reasons(json_object_get(waiting, name));
		}
		printf("workers: %lld%s\n", json_integer_value(json_object_get(st, "workers")),
		       json_is_true(json_object_get(st, "draining")) ? " (draining)" : "");
		print_spawn(json_object_get(st, "spawn"));
	}
	json_decref(st);
	return EXIT_OK;
}
