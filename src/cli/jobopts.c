/* Shared scheduling options of `add` and `mod`; the server checks them again strictly. */
#include "cli/jobopts.h"
#include "base/size.h"
#include "core/job.h"
#include <stdio.h>
#include <string.h>

static void append(json_t *job, const char *field, json_t *v)
{
	json_t *arr = json_object_get(job, field);
	if (arr == NULL) {
		arr = json_array();
		json_object_set_new(job, field, arr);
	}
	json_array_append_new(arr, v);
}

static int constraint(const struct cli_cmd *cmd, const char *arg, json_t *job)
{
	const char *eq = strchr(arg, '=');
	if (eq == NULL || eq == arg || eq[1] == '\0') {
		fprintf(stderr, "jobgrid %s: --constraint: expected KEY=VALUE, got '%s'\n", cmd->name, arg);
		return -1;
	}
	json_t *c = json_object_get(job, "constraints");
	if (c == NULL) {
		c = json_object();
		json_object_set_new(job, "constraints", c);
	}
	char key[256];
	snprintf(key, sizeof key, "%.*s", (int)(eq - arg), arg);
	json_object_set_new(c, key, json_string(eq + 1));
	return 0;
}

int jobopts_parse(const struct cli_cmd *cmd, int ch, const char *arg, json_t *job)
{
	long long v;
	switch (ch) {
	case JO_CONSTRAINT: return constraint(cmd, arg, job);
	case JO_AVOID: append(job, "avoid", json_string(arg)); return 0;
	case JO_LIMIT: append(job, "limits", json_string(arg)); return 0;
	case JO_AFTER_OK: append(job, "after_ok", json_string(arg)); return 0;
	case JO_AFTER_FAIL: append(job, "after_fail", json_string(arg)); return 0;
	case JO_AFTER_ANY: append(job, "after_any", json_string(arg)); return 0;
	case JO_DEP_GROUP: append(job, "dep_groups", json_string(arg)); return 0;
	case JO_AFTER_GROUP: append(job, "after_groups", json_string(arg)); return 0;
	case JO_NOT_BEFORE: json_object_set_new(job, "not_before", json_string(arg)); return 0;
	case JO_TIMESLOT: json_object_set_new(job, "timeslot", json_string(arg)); return 0;
	case JO_KILL_AT_SLOT_END: json_object_set_new(job, "kill_at_slot_end", json_true()); return 0;
	case JO_RETRY_PERMANENT: json_object_set_new(job, "retry_permanent", json_true()); return 0;
	case JO_MAX_RUNNING:
		if (cli_int(cmd, "max-running", arg, 0, 1000000, &v))
			return -1;
		json_object_set_new(job, "max_running", json_integer(v));
		return 0;
	case JO_OVERRIDE:
		if (cli_int(cmd, "override", arg, 0, 2, &v))
			return -1;
		json_object_set_new(job, "override", json_integer(v));
		return 0;
	case JO_OUTPUT_LIMIT: {
		int64_t bytes;
		const char *why;
		if (size_parse(arg, OUTPUT_LIMIT_MAX, &bytes, &why) != 0) {
			fprintf(stderr, "jobgrid %s: --output-limit: %s (at most 1T), got '%s'\n",
				cmd->name, why, arg);
			return -1;
		}
		json_object_set_new(job, "output_limit", json_integer(bytes));
		return 0;
	}
	default:
		return 1;
	}
}
