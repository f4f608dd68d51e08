/* `jobgrid mod ID --priority N …`: change the waiting joblets of a job. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/jobopts.h"
#include <getopt.h>
#include <stdio.h>

static int mod_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"priority", required_argument, NULL, 'p'}, {"cores", required_argument, NULL, 'c'},
	{"ram", required_argument, NULL, 'r'}, {"time", required_argument, NULL, 't'},
	{"gpus", required_argument, NULL, 'g'}, {"retries", required_argument, NULL, 'R'},
	{"lost-retries", required_argument, NULL, 'L'},
	{"retry-delay", required_argument, NULL, 'D'}, JOBOPTS_LONGOPTS, CLI_COMMON_OPTS,
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_mod = {
	"mod",
	"ID [--priority N] [--cores N] [--ram MB] [--time D] [--gpus N] [--retries N]\n"
	"            [--lost-retries N] [--retry-delay D]\n" JOBOPTS_USAGE
	"\n            (a list option replaces the job's list)",
	"change priority, limits and requirements of waiting joblets",
	mod_exec,
	.options = longopts,
};

static void print_changed(json_t *reply, void *id)
{
	printf("%s changed\n", (const char *)id);
}

static int mod_exec(int argc, char **argv)
{
	json_t *body = json_object();
	long long v;
	int ch, bad = 0;
	bool json = false;
	optind = 1;
	/* The id may come first: permute so options after it are read too. */
	while (!bad && (ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'p': bad = cli_int(&cli_cmd_mod, "priority", optarg, 0, 255, &v); if (!bad) json_object_set_new(body, "priority", json_integer(v)); break;
		case 'c': bad = cli_int(&cli_cmd_mod, "cores", optarg, 0, 4096, &v); if (!bad) json_object_set_new(body, "cores", json_integer(v)); break;
		case 'r': bad = cli_int(&cli_cmd_mod, "ram", optarg, 0, 16777216, &v); if (!bad) json_object_set_new(body, "ram_mb", json_integer(v)); break;
		case 'g': bad = cli_int(&cli_cmd_mod, "gpus", optarg, 0, 256, &v); if (!bad) json_object_set_new(body, "gpus", json_integer(v)); break;
		case 'R': bad = cli_int(&cli_cmd_mod, "retries", optarg, 0, 1000, &v); if (!bad) json_object_set_new(body, "retries", json_integer(v)); break;
		case 'L': bad = cli_int(&cli_cmd_mod, "lost-retries", optarg, 0, 1000, &v); if (!bad) json_object_set_new(body, "lost_retries", json_integer(v)); break;
		case 't': bad = cli_duration(&cli_cmd_mod, "time", optarg, &v); if (!bad) json_object_set_new(body, "time_ms", json_integer(v)); break;
		case 'D': bad = cli_duration(&cli_cmd_mod, "retry-delay", optarg, &v); if (!bad) json_object_set_new(body, "retry_delay_ms", json_integer(v)); break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': json_decref(body); return cli_help(&cli_cmd_mod);
		default: bad = jobopts_parse(&cli_cmd_mod, ch, optarg, body) != 0;
		}
	}
	int rc = EXIT_USAGE;
	if (bad)
		cli_usage(&cli_cmd_mod);
	else if (optind != argc - 1)
		cli_usage_error(&cli_cmd_mod, "give exactly one job id%s", "");
	else if (json_object_size(body) == 0)
		cli_usage_error(&cli_cmd_mod, "nothing to change: give at least one option%s", "");
	else {
		char *id = client_escape(argv[optind]), path[600];
		snprintf(path, sizeof path, "/v1/jobs/%s", id);
		free(id);
		struct cli_show show = {json, true, print_changed, argv[optind]};
		rc = cli_request_show("PATCH", path, body, &show);
	}
	json_decref(body);
	return rc;
}
