/* Fuzz target for the Lua sandbox: the input is first read as a script request (JSON), then
 * run as the text of a script with small budgets and a call of every handler. Nothing may
 * crash or leak, every reply must be an object with "results", and nothing outside the
 * sandbox may be reached (a script that got at io or os would write the marker file). */
#include "script/script.h"
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *reply)
{
	if (!json_is_object(reply) || !json_is_array(json_object_get(reply, "results")))
		abort();
	json_decref(reply);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_t *req = json_loadb((const char *)data, size, 0, NULL);
	if (req) {
		/* Small budgets whatever the input asks: the fuzzer must keep going. Server mode
		 * only: worker mode has joblet:run, which would run what the fuzzer writes. */
		json_object_set_new(req, "limits", json_pack("{s:i, s:i}", "instructions", 200000,
							      "memory_mb", 16));
		json_object_set_new(req, "mode", json_string("server"));
		check(script_run(req));
		json_decref(req);
	}
	json_t *text = json_stringn((const char *)data, size);
	if (text) {
		json_t *r = json_pack("{s:s, s:s, s:O, s:{s:i, s:i}, s:[{s:s}, {s:s}, {s:s}, {s:s}]}",
				      "mode", "server", "chunkname", "fuzz", "script", text, "limits",
				      "instructions", 200000, "memory_mb", 16, "calls", "handler",
				      "job_started", "handler", "joblet_completed", "handler",
				      "joblet_failed", "handler", "job_completed");
		check(script_run(r));
		json_decref(r);
		json_decref(text);
	}
	if (access("/tmp/jobgrid-fuzz-escaped", F_OK) == 0)
		abort();
	return 0;
}
