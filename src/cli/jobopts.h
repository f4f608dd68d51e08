/* The scheduling options `add` and `mod` share (--constraint, --after-ok, --limit, …):
 * parsed into the job object sent to the API, whose field names they mirror. */
#ifndef JG_CLI_JOBOPTS_H
#define JG_CLI_JOBOPTS_H
#include "cli/cli.h"
#include <jansson.h>

enum {
	JO_CONSTRAINT = 2000, JO_AVOID, JO_LIMIT, JO_AFTER_OK, JO_AFTER_FAIL, JO_AFTER_ANY,
	JO_DEP_GROUP, JO_AFTER_GROUP, JO_NOT_BEFORE, JO_TIMESLOT, JO_KILL_AT_SLOT_END,
	JO_MAX_RUNNING, JO_OVERRIDE, JO_RETRY_PERMANENT, JO_OUTPUT_LIMIT,
};

#define JOBOPTS_LONGOPTS                                                                     \
	{"constraint", required_argument, NULL, JO_CONSTRAINT},                              \
	{"avoid", required_argument, NULL, JO_AVOID},                                        \
	{"limit", required_argument, NULL, JO_LIMIT},                                        \
	{"after-ok", required_argument, NULL, JO_AFTER_OK},                                  \
	{"after-fail", required_argument, NULL, JO_AFTER_FAIL},                              \
	{"after-any", required_argument, NULL, JO_AFTER_ANY},                                \
	{"dep-group", required_argument, NULL, JO_DEP_GROUP},                                \
	{"after-group", required_argument, NULL, JO_AFTER_GROUP},                            \
	{"not-before", required_argument, NULL, JO_NOT_BEFORE},                              \
	{"timeslot", required_argument, NULL, JO_TIMESLOT},                                  \
	{"kill-at-slot-end", no_argument, NULL, JO_KILL_AT_SLOT_END},                        \
	{"max-running", required_argument, NULL, JO_MAX_RUNNING},                            \
	{"override", required_argument, NULL, JO_OVERRIDE},                                  \
	{"retry-permanent", no_argument, NULL, JO_RETRY_PERMANENT},                      \
	{"output-limit", required_argument, NULL, JO_OUTPUT_LIMIT}

#define JOBOPTS_USAGE                                                                        \
	"            [--constraint K=V]… [--avoid NODE]… [--limit NAME[:N]]…\n"               \
	"            [--after-ok ID]… [--after-fail ID]… [--after-any ID]… [--dep-group G]…\n"  \
	"            [--after-group G]… [--not-before TIME] [--timeslot SPEC]\n"               \
	"            [--kill-at-slot-end] [--max-running N] [--override 0|1|2]\n"              \
	"            [--retry-permanent]  (retry also notfound/permission/cwd failures)\n"        \
	"            [--output-limit SIZE]  output kept per attempt, like 100M (the default) or\n"\
	"                                   1G; what is over it is dropped and counted"

/* Handle option ch (a JO_* value) with its argument into job. Returns 0, 1 if ch is not a
 * job option, or -1 after printing the error. Repeatable options append to a list. */
int jobopts_parse(const struct cli_cmd *cmd, int ch, const char *arg, json_t *job);
#endif
