/* Lua 5.4 job scripts in a sandbox (SPEC §6, DECISIONS pitfall 6).
 *
 * A request runs one script: its top level once, then a list of handler calls in order,
 * sharing the job's facts. It is meant to run in a `jobgrid script` process of its own
 * (src/cli/cmd-script.c) with a CPU limit, because Lua's instruction hook cannot stop a
 * C function that runs away (a backtracking string.find); the budgets here stop the rest.
 *
 * Request:
 *   {"mode": "server"|"worker", "chunkname", "script", "first_line" (file line of script
 *    line 1, default 1), "limits": {"instructions", "memory_mb"} (default 200000000, 64),
 *    "job_facts": {...}, "calls": [{"handler", "joblet_facts": {...}}...] (≤ 10000)}
 * Reply:
 *   {"handlers": [names defined as functions], "error", "traceback", "stopped":
 *    null|"instructions"|"memory", "job_facts": {... after the last call},
 *    "results": [{"handler", "called", "ok", "error", "traceback", "stopped", "output",
 *                 "joblet_facts", "schedule": [{"n", "args"}...]}...]}
 * "error" at the top is set when the request is bad, the script does not compile, or its
 * top level fails; then "results" is empty. A budget stop ends the request: the calls
 * after it are not run (ok false, stopped set).
 *
 * Handlers see `job` and `joblet` tables with getFact/setFact, job:schedule (job_started
 * only) and, in worker mode, joblet:run(cmd). Only base, string, table, math and utf8 are
 * open, without load, loadfile, dofile, require, raw*, metatables, collectgarbage and
 * string.dump; pcall and xpcall cannot catch a budget stop. */
#ifndef JG_SCRIPT_H
#define JG_SCRIPT_H
#include "defs/def.h"
#include <jansson.h>
#include <stddef.h>

/* The handler names, in the order they are reported. */
extern const char *const script_handlers[];

/* Run a request in this process. Never fails: returns a new reply (the caller owns it). */
json_t *script_run(json_t *request);

/* Deploy-time check: compile text (text chunks only), run its top level under the default
 * budgets, and check that every handler name it binds is a function. Each problem is added
 * to errs as "FILE:LINE:1: script: ...", LINE counted in the file (first_line: the file
 * line of the script's first line). */
void script_check(const char *file, int first_line, const char *chunkname, const char *text,
		  size_t len, struct def_errors *errs);
#endif
