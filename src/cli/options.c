/* Checked option values for the CLI commands. */
#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"
#include <stdio.h>
#include <stdlib.h>

int cli_int(const struct cli_cmd *cmd, const char *opt, const char *val, long long min,
	    long long max, long long *out)
{
	char *end;
	long long v = strtoll(val, &end, 10);
	if (*val == '\0' || *end != '\0' || v < min || v > max) {
		fprintf(stderr, "jobgrid %s: --%s: must be an integer %lld..%lld, got '%s'\n",
			cmd->name, opt, min, max, val);
		return -1;
	}
	*out = v;
	return 0;
}

int cli_duration(const struct cli_cmd *cmd, const char *opt, const char *val, long long *out_ms)
{
	const char *why;
	int64_t ms;
	if (clock_parse_duration(val, &ms, &why) != 0) {
		fprintf(stderr, "jobgrid %s: --%s: %s, got '%s'\n", cmd->name, opt, why, val);
		return -1;
	}
	*out_ms = ms;
	return 0;
}

int cli_log_format(const struct cli_cmd *cmd, const char *val)
{
	enum log_format f;
	if (log_format_parse(val, &f) != 0) {
		fprintf(stderr, "jobgrid %s: --log-format: must be text or json, got '%s'\n",
			cmd->name, val);
		return -1;
	}
	log_set_format(f);
	return 0;
}
