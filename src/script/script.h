/* Lua 5.4 job scripts in a sandbox (SPEC §6, DECISIONS pitfall 6).
 *
 * A request runs one script: its top level once, then a list of handler calls in order,
 * sharing the job's facts. It is meant to run in a `jobgrid script` process of its own
 * (src/cli/cmd-script.c) with a CPU limit, because Lua's instruction hook cannot stop a
 * C function that runs away (a backtracking string.find); the budgets here stop the rest.
 *
 * Request (a JSON object):
 *   "mode"        "server" | "worker" (worker: print goes to stdout, joblet:run exists)
 *   "chunkname"   the definition's name, used in messages (optional, "script")
 *   "script"      Lua text; binary chunks are refused
 *   "first_line"  the file line of script line 1 (optional, 1): messages and tracebacks
 *                 count lines in the file
 *   "limits"      {"instructions": N, "memory_mb": N} (optional; 200000000 and 64)
 *   "job_facts"   {...} (optional)
 *   "calls"       [{"handler", "joblet_facts": {...}}...], at most 10000
 * Reply:
 *   "handlers"    the handler names the top level defined as functions
 *   "error", "traceback"  set when the request is bad, the script does not compile or its
 *                 top level fails or is stopped; then "results" is empty
 *   "stopped"     null | "instructions" | "memory": a budget stopped the request
 *   "job_facts"   the job's facts after the last call (the request's when none ran)
 *   "results"     one per call: {"handler", "called" (false: no such handler, then ok),
 *                 "ok", "error", "traceback", "stopped", "output" (server mode: print()ed
 *                 text, at most 64 KiB, then "[output truncated]"), "joblet_facts",
 *                 "schedule": [{"n", "args"}...]}
 * An error ends one call only; a budget stop ends the request: the calls after it are not
 * run (ok false, stopped set). Every text in a reply is valid UTF-8 (bad bytes become
 * U+FFFD) and errors and tracebacks are cut at 16 KiB.
 *
 * Handlers see `job` and `joblet` tables with getFact/setFact, job:schedule (job_started
 * only) and, in worker mode, joblet:run(cmd). Only base, string, table, math and utf8 are
 * open, without load, loadfile, dofile, require, raw*, metatables, collectgarbage and
 * string.dump; pcall and xpcall cannot catch a budget stop. The memory budget counts what
 * the script makes the sandbox hold outside Lua too: facts, schedules and output. */
#ifndef JG_SCRIPT_H
#define JG_SCRIPT_H
#include "defs/def.h"
#include <jansson.h>
#include <stddef.h>

/* The handler names, in the order they are reported; NULL-terminated. */
extern const char *const script_handlers[];

/* Run one request in this process (the child entry point and the unit tests call it).
 * Never crashes, whatever the request; returns a new reply object (the caller owns it). */
json_t *script_run(json_t *request);

/* The memory budget, in MiB, that request runs under (its default when it names none or
 * a bad one), so the script process can size its address-space limit. */
long long script_memory_mb(json_t *request);

/* Deploy-time check of a definition's script: compile it as text, run its top level under
 * the default budgets, and check that every handler name it binds is a function. Each
 * problem is appended to errs as "FILE:LINE:1: script: ...", LINE counted in the file
 * (first_line: the file line of the script's first line). */
void script_check(const char *file, int first_line, const char *text, size_t len,
		  struct def_errors *errs);
#endif
