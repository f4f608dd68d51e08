/* `jobgrid clock [advance DURATION | set TIME]`: show the server's time, or move a test
 * clock (a server started with --test-clock) forward; everything due on the way runs. */
#include "base/clock.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int clock_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_clock = {
	"clock", "[advance DURATION | set TIME] [--json]",
	"show the server's time, or move its test clock forward", clock_exec,
};

static int clock_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_clock, argc, argv, &json);
	int nargs = argc - optind;
	json_t *body = NULL, *reply = NULL;
	if (nargs == 2 && strcmp(argv[optind], "advance") == 0) {
		int64_t ms;
		const char *why;
		if (clock_parse_duration(argv[optind + 1], &ms, &why))	/* a word here, not --advance */
			return cli_usage_error(&cli_cmd_clock, "advance: %s, got '%s'", why,
					       argv[optind + 1]);
		body = json_pack("{s:s}", "advance", argv[optind + 1]);
	} else if (nargs == 2 && strcmp(argv[optind], "set") == 0) {
		body = json_pack("{s:s}", "set", argv[optind + 1]);
	} else if (nargs != 0) {
		return cli_usage_error(&cli_cmd_clock, "give advance DURATION or set TIME%s", "");
	}
	int rc = client_call(body ? "POST" : "GET", "/v1/clock", body, body != NULL, &reply);
	if (rc == 0 && json)
		out_json(reply);
	else if (rc == 0)
		printf("%s%s\n", json_string_value(json_object_get(reply, "now")),
		       json_is_true(json_object_get(reply, "test_clock")) ? " (test clock)" : "");
	json_decref(body);
	json_decref(reply);
	return rc;
}
