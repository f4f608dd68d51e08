/* `jobgrid plan [--date YYYY-MM-DD] [--simulate DAYS] [--json]`: the job networks' runs of
 * a day (planned, waiting, running, done, failed, skipped, and why), or what the next DAYS
 * would bring if every run succeeded after a minute, without running anything. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int plan_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"date", required_argument, NULL, 'd'}, {"simulate", required_argument, NULL, 's'},
	CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_plan = {
	"plan", "[--date YYYY-MM-DD] [--simulate DAYS] [--json]",
	"show the job networks' runs of a day, or simulate the next days", plan_exec,
	.options = longopts,
};

static const char *s(json_t *o, const char *k)
{
	const char *v = json_string_value(json_object_get(o, k));
	return v ? v : "";
}

static void print_runs(json_t *reply, void *arg)
{
	static const char *const head[] = {"PLANNED", "DEFINITION", "STATE", "JOB", "WHY"};
	json_t *rows = json_array(), *r;
	size_t i;
	json_array_foreach(json_object_get(reply, "runs"), i, r) {
		char job[32] = "-";
		if (json_is_integer(json_object_get(r, "job")))
			snprintf(job, sizeof job, "%lld",
				 (long long)json_integer_value(json_object_get(r, "job")));
		json_array_append_new(rows, json_pack("[s, s, s, s, s]", s(r, "planned_at"),
						      s(r, "definition"), s(r, "state"), job,
						      s(r, "reason")));
	}
	out_table(head, 5, rows);
	json_decref(rows);
}

static void print_events(json_t *reply, void *arg)
{
	json_t *rows = json_array(), *e;
	size_t i;
	json_array_foreach(json_object_get(reply, "events"), i, e)
		json_array_append_new(rows, json_pack("[s, s, s, s]", s(e, "at"), s(e, "event"),
						      s(e, "definition"), s(e, "reason")));
	out_table(NULL, 4, rows);
	json_decref(rows);
	if (json_is_true(json_object_get(reply, "truncated")))
		printf("(more events than shown)\n");
}

static int plan_exec(int argc, char **argv)
{
	const char *date = NULL;
	long long days = 0;
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': date = optarg; break;
		case 's':
			if (cli_int(&cli_cmd_plan, "simulate", optarg, 1, 366, &days))
				return EXIT_USAGE;
			break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_plan);
		default: return cli_usage(&cli_cmd_plan);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_plan, "unexpected argument '%s'", argv[optind]);
	char path[200];
	if (days)
		snprintf(path, sizeof path, "/v1/plan?simulate=%lld", days);
	else if (date) {
		char *d = client_escape(date);
		snprintf(path, sizeof path, "/v1/plan?date=%s", d);
		free(d);
	} else
		snprintf(path, sizeof path, "/v1/plan");
	struct cli_show show = {json, false, days ? print_events : print_runs, NULL};
	return cli_request_show("GET", path, NULL, &show);
}
