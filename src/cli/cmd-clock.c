/* `jobgrid clock [advance DURATION | set TIME]`: show the server's time, or move a test
 * clock (a server started with --test-clock) forward; everything due on the way runs. */
#include "base/clock.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int clock_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_clock = {
	"clock", "[advance DURATION | set TIME] [--json]",
	"show the server's time, or move its test clock forward", clock_exec,
	.options = NULL,	/* the common options */
};

/* Options may stand anywhere, but the word after `advance` or `set` is its value even when
 * it starts with '-' (`clock advance -5m` is a move backwards, refused as such, not an
 * unknown option). */
static int clock_args(int argc, char **argv, bool *json, const char **verb, const char **value)
{
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "-h", cli_common_options, NULL)) != -1) {
		switch (ch) {
		case 1:	/* a word, in order */
			if (*verb) {
				cli_usage_error(&cli_cmd_clock, "unexpected argument '%s'", optarg);
				return EXIT_USAGE;
			}
			if (strcmp(optarg, "advance") != 0 && strcmp(optarg, "set") != 0) {
				cli_usage_error(&cli_cmd_clock, "give advance DURATION or set TIME, not"
						" '%s'", optarg);
				return EXIT_USAGE;
			}
			if (optind >= argc) {
				cli_usage_error(&cli_cmd_clock, "%s: give a value", optarg);
				return EXIT_USAGE;
			}
			*verb = optarg;
			*value = argv[optind++];
			break;
		case OPT_JSON: *json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_clock) + 1000;
		default: return cli_usage(&cli_cmd_clock);
		}
	}
	return 0;
}

static void print_now(json_t *reply, void *arg)
{
	printf("%s%s\n", json_string_value(json_object_get(reply, "now")),
	       json_is_true(json_object_get(reply, "test_clock")) ? " (test clock)" : "");
}

static int clock_exec(int argc, char **argv)
{
	bool json = false;
	const char *verb = NULL, *value = NULL;
	int rc = clock_args(argc, argv, &json, &verb, &value);
	if (rc)
		return rc == 1000 ? EXIT_OK : rc;
	json_t *body = NULL;
	if (verb && strcmp(verb, "advance") == 0) {
		int64_t ms;
		const char *why;
		if (value[0] == '-')
			return cli_usage_error(&cli_cmd_clock, "advance: the clock only moves forward,"
					       " got '%s'", value);
		if (clock_parse_duration(value, &ms, &why))
			return cli_usage_error(&cli_cmd_clock, "advance: %s, got '%s'", why, value);
		body = json_pack("{s:s}", "advance", value);
	} else if (verb) {
		body = json_pack("{s:s}", "set", value);
	}
	struct cli_show show = {json, false, print_now, NULL};
	rc = cli_request_show(body ? "POST" : "GET", "/v1/clock", body, &show);
	json_decref(body);
	return rc;
}
