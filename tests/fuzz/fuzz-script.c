/* Fuzz target for the Lua sandbox. The input is run twice: as the text of a script (small
 * budgets, a job_started call then a joblet_completed call), and, when it parses, as a
 * whole request (JSON) under the same small budgets. Nothing may crash or leak, every
 * reply must be an object with "results" whose texts jansson accepts, and nothing outside
 * the sandbox may be reached (a script that got at io or os would write the marker file
 * the seeds aim at). */
#include "script/script.h"
#include <stdint.h>
#include <stdlib.h>
#include <unistd.h>

#define MARKER "/tmp/jobgrid-fuzz-escaped"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(json_t *reply /* taken */)
{
	if (!json_is_object(reply) || !json_is_array(json_object_get(reply, "results")))
		abort();
	char *text = json_dumps(reply, JSON_COMPACT);	/* the reply must be writable */
	if (text == NULL)
		abort();
	free(text);
	json_decref(reply);
}

static json_t *small_limits(void)
{
	return json_pack("{s:i, s:i}", "instructions", 200000, "memory_mb", 16);
}

static void run_as_text(const uint8_t *data, size_t size)
{
	json_t *text = json_stringn((const char *)data, size);	/* requests carry UTF-8 only */
	if (text == NULL)
		return;
	json_t *req = json_pack("{s:s, s:s, s:o, s:o, s:{s:s}, s:[{s:s}, {s:s, s:{s:i}}]}", "mode",
				"server", "chunkname", "fuzz", "script", text, "limits",
				small_limits(), "job_facts", "job.id", "fuzz.def.1", "calls",
				"handler", "job_started", "handler", "joblet_completed",
				"joblet_facts", "joblet.number", 0);
	check(script_run(req));
	json_decref(req);
}

static void run_as_request(const uint8_t *data, size_t size)
{
	json_t *req = json_loadb((const char *)data, size, 0, NULL);
	if (json_is_object(req)) {
		/* Small budgets whatever the input asks, so the fuzzer keeps going; server mode
		 * only, since worker mode has joblet:run, which would run what the fuzzer wrote. */
		json_object_set_new(req, "limits", small_limits());
		if (json_object_get(req, "mode"))
			json_object_set_new(req, "mode", json_string("server"));
	}
	if (req)
		check(script_run(req));
	json_decref(req);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	run_as_text(data, size);
	run_as_request(data, size);
	if (access(MARKER, F_OK) == 0)
		abort();
	return 0;
}
