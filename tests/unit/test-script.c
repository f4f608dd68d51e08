/* The Lua sandbox in process (script_run, script_check): handlers, facts, schedule, print,
 * errors with mapped lines and tracebacks, budgets, and every way out of the sandbox we
 * know of. The CPU limit of the script process is tested end to end (test-scripts.sh). */
#include "script/script.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

/* Run text with one call per handler named in calls ("job_started,joblet_completed"). */
static json_t *run(const char *text, const char *calls, json_t *job_facts /* taken */)
{
	json_t *arr = json_array();
	char buf[200];
	snprintf(buf, sizeof buf, "%s", calls);
	for (char *save = NULL, *h = strtok_r(buf, ",", &save); h; h = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_pack("{s:s, s:{s:i}}", "handler", h, "joblet_facts",
						     "joblet.number", 3));
	json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:{s:i, s:i}, s:o, s:o}", "mode", "server",
				"chunkname", "t", "script", text, "first_line", 1, "limits",
				"instructions", 5000000, "memory_mb", 16, "job_facts",
				job_facts ? job_facts : json_object(), "calls", arr);
	json_t *reply = script_run(req);
	json_decref(req);
	return reply;
}

static json_t *result(json_t *reply, size_t i)
{
	return json_array_get(json_object_get(reply, "results"), i);
}

static const char *str(json_t *o, const char *key)
{
	const char *s = json_string_value(json_object_get(o, key));
	return s ? s : "";
}

/* The first call's error for a job_started body. */
static char *error_of(const char *body)
{
	char text[2000];
	snprintf(text, sizeof text, "function job_started(job)\n%s\nend\n", body);
	json_t *reply = run(text, "job_started", NULL);
	const char *e = json_string_value(json_object_get(reply, "error"));
	if (e == NULL)
		e = json_string_value(json_object_get(result(reply, 0), "error"));
	char *out = strdup(e ? e : "(none)");
	json_decref(reply);
	return out;
}

Test(script, handlers_facts_and_schedule)
{
	json_t *reply = run("function job_started(job)\n"
			    "  job:schedule(2, {x = 1, name = 'a'})\n"
			    "  job:schedule(1)\n"
			    "  job:setFact('my.count', 0)\n"
			    "  print('start', job:getFact('jobargs.n'))\n"
			    "end\n"
			    "function joblet_completed(job, joblet)\n"
			    "  job:setFact('my.count', job:getFact('my.count') + joblet:getFact('joblet.number'))\n"
			    "  joblet:setFact('seen', true)\n"
			    "end\n"
			    "function job_completed(job) print('total', job:getFact('my.count')) end\n",
			    "job_started,joblet_completed,joblet_completed,job_completed,joblet_failed",
			    json_pack("{s:i}", "jobargs.n", 7));
	cr_assert_null(json_object_get(reply, "error") ? json_string_value(json_object_get(reply, "error")) : NULL);
	json_t *r0 = result(reply, 0);
	cr_assert(json_is_true(json_object_get(r0, "ok")));
	cr_assert_str_eq(str(r0, "output"), "start\t7\n");
	json_t *sched = json_object_get(r0, "schedule");
	cr_assert_eq(json_array_size(sched), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(sched, 0), "n")), 2);
	cr_assert_str_eq(str(json_object_get(json_array_get(sched, 0), "args"), "name"), "a");
	cr_assert_eq(json_object_size(json_object_get(json_array_get(sched, 1), "args")), 0);
	cr_assert(json_is_true(json_object_get(json_object_get(result(reply, 1), "joblet_facts"), "seen")));
	cr_assert_str_eq(str(result(reply, 3), "output"), "total\t6\n", "facts carry from call to call");
	cr_assert(json_is_false(json_object_get(result(reply, 4), "called")), "no joblet_failed");
	cr_assert(json_is_true(json_object_get(result(reply, 4), "ok")));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(reply, "job_facts"), "my.count")), 6);
	cr_assert_eq(json_array_size(json_object_get(reply, "handlers")), 3);
	json_decref(reply);
}

Test(script, fact_rules)
{
	char *e = error_of("job:setFact('job.id', 'x')");
	cr_assert(strstr(e, "setFact: job.id is read-only"), "%s", e);
	free(e);
	e = error_of("job:setFact('jobargs.n', 1)");
	cr_assert(strstr(e, "read-only"), "%s", e);
	free(e);
	e = error_of("job:setFact('bad name', 1)");
	cr_assert(strstr(e, "not a fact name"), "%s", e);
	free(e);
	e = error_of("job:setFact('a', {})");
	cr_assert(strstr(e, "text, a number or a boolean"), "%s", e);
	free(e);
	e = error_of("job:setFact('a', 0/0)");
	cr_assert(strstr(e, "finite"), "%s", e);
	free(e);
	e = error_of("for i = 1, 1001 do job:setFact('f' .. i, i) end");
	cr_assert(strstr(e, "more than 1000 facts"), "%s", e);
	free(e);
	e = error_of("job.getFact('x')");
	cr_assert(strstr(e, "call it with ':'"), "%s", e);
	free(e);
	json_t *reply = run("function job_started(job) job:setFact('a', 1); job:setFact('a', nil) end",
			    "job_started", NULL);
	cr_assert_null(json_object_get(json_object_get(reply, "job_facts"), "a"), "nil deletes");
	json_decref(reply);
}

Test(script, schedule_rules)
{
	json_t *reply = run("function joblet_completed(job, joblet) job:schedule(1) end",
			    "joblet_completed", NULL);
	cr_assert(strstr(str(result(reply, 0), "error"), "only job_started may schedule"));
	json_decref(reply);
	char *e = error_of("job:schedule(0)");
	cr_assert(strstr(e, "n must be 1.."), "%s", e);
	free(e);
	e = error_of("job:schedule(99999) job:schedule(2)");
	cr_assert(strstr(e, "at most 100000 joblets"), "%s", e);
	free(e);
	e = error_of("job:schedule(1, {[1] = 'x'})");
	cr_assert(strstr(e, "args must map"), "%s", e);
	free(e);
}

Test(script, errors_map_lines_and_carry_tracebacks)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:[{s:s}, {s:s}]}", "mode", "server",
				"chunkname", "net/x", "script",
				"local function inner()\n  error('deep trouble')\nend\n"
				"function job_started(job) inner() end\n"
				"function job_completed(job) print('still runs') end\n",
				"first_line", 20, "calls", "handler", "job_started", "handler",
				"job_completed");
	json_t *reply = script_run(req);
	json_t *r0 = result(reply, 0);
	cr_assert(json_is_false(json_object_get(r0, "ok")));
	cr_assert_str_eq(str(r0, "error"), "net/x:21: deep trouble", "script line 2 is file line 21");
	cr_assert(strstr(str(r0, "traceback"), "net/x:21: in"), "%s", str(r0, "traceback"));
	cr_assert(strstr(str(r0, "traceback"), "net/x:23: in function 'job_started'"), "%s",
		  str(r0, "traceback"));
	cr_assert_str_eq(str(result(reply, 1), "output"), "still runs\n", "an error ends one call only");
	json_decref(reply);
	json_decref(req);
}

Test(script, print_is_capped)
{
	json_t *reply = run("function job_started(job) for i = 1, 10000 do print(string.rep('x', 99)) end end",
			    "job_started", NULL);
	const char *out = str(result(reply, 0), "output");
	cr_assert(strlen(out) <= 64 * 1024 + 40);
	cr_assert(strstr(out, "[output truncated]\n"));
	json_decref(reply);
}

Test(script, escapes_are_not_there)
{
	const char *tries[] = {
		"os.execute('touch /tmp/jobgrid-escaped')", "io.open('/etc/passwd')",
		"require('os')", "load('return 1')()", "dofile('/etc/passwd')",
		"loadfile('/etc/passwd')", "string.dump(print)", "getmetatable('').__index.x = 1",
		"setmetatable({}, {__gc = print})", "collectgarbage('stop')", "debug.getinfo(1)",
		"package.loadlib('libc.so.6', 'system')", "rawset(_G, 'x', 1)",
		"coroutine.wrap(print)", "return _ENV.os.exit()",
	};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++) {
		char *e = error_of(tries[i]);
		cr_assert(strstr(e, "nil value"), "%s: %s", tries[i], e);
		free(e);
	}
}

Test(script, binary_chunks_are_refused)
{
	json_t *reply = run("\x1bLua\x54\x00 binary", "job_started", NULL);
	cr_assert(strstr(str(reply, "error"), "attempt to load a binary chunk"), "%s",
		  str(reply, "error"));
	json_decref(reply);
}

Test(script, budgets_stop_and_cannot_be_caught)
{
	char *e = error_of("while true do end");
	cr_assert(strstr(e, "stopped: ran more than 5000000 instructions"), "%s", e);
	free(e);
	e = error_of("while true do pcall(function() while true do end end) end");
	cr_assert(strstr(e, "stopped: ran more than"), "%s", e);
	free(e);
	e = error_of("while true do xpcall(function() while true do end end, print) end");
	cr_assert(strstr(e, "stopped: ran more than"), "%s", e);
	free(e);
	e = error_of("local s = string.rep('x', 1e10)");
	cr_assert(strstr(e, "stopped: used more than 16 MB") || strstr(e, "too large"), "%s", e);
	free(e);
	e = error_of("local t = {} for i = 1, 1e9 do t[i] = i end");
	cr_assert(strstr(e, "stopped: used more than 16 MB"), "%s", e);
	free(e);
	e = error_of("local t = {} while true do pcall(function() t[#t + 1] = string.rep('y', 4096) .. #t end) end");
	cr_assert(strstr(e, "stopped: used more than 16 MB"), "%s", e);
	free(e);
	json_t *reply = run("function job_started(job) while true do end end\n"
			    "function job_completed(job) print('no') end",
			    "job_started,job_completed", NULL);
	cr_assert_str_eq(str(reply, "stopped"), "instructions");
	cr_assert(json_is_false(json_object_get(result(reply, 1), "ok")), "a stop ends the request");
	cr_assert_str_eq(str(result(reply, 1), "stopped"), "instructions");
	json_decref(reply);
}

Test(script, bad_requests_say_why)
{
	json_t *req = json_pack("{s:s, s:s, s:[{s:s}]}", "mode", "server", "script", "x = 1", "calls",
				"handler", "rm_rf");
	json_t *reply = script_run(req);
	cr_assert(strstr(str(reply, "error"), "known handler"));
	json_decref(reply);
	json_decref(req);
	req = json_pack("{s:s, s:[]}", "script", "x = 1", "calls");
	reply = script_run(req);
	cr_assert(strstr(str(reply, "error"), "mode"));
	json_decref(reply);
	json_decref(req);
}

Test(script, deploy_check)
{
	struct def_errors e = {0};
	const char *bad = "function job_started(job)\n  if then\nend\n";
	script_check("a.yaml", 7, "a", bad, strlen(bad), &e);
	cr_assert_eq(e.n, 1);
	cr_assert(strstr(e.msgs[0], "a.yaml:8:1: script: "), "%s", e.msgs[0]);
	def_errors_free(&e);
	const char *notfn = "job_started = 5\njob_completed = 'x'\nfunction joblet_failed() end\n";
	script_check("b.yaml", 3, "b", notfn, strlen(notfn), &e);
	cr_assert_eq(e.n, 2);
	cr_assert(strstr(e.msgs[0], "b.yaml:3:1: script: job_started must be a function, not a number"),
		  "%s", e.msgs[0]);
	cr_assert(strstr(e.msgs[1], "job_completed must be a function, not a string"), "%s", e.msgs[1]);
	def_errors_free(&e);
	const char *top = "local x = nil\nx.y = 1\n";
	script_check("c.yaml", 1, "c", top, strlen(top), &e);
	cr_assert(e.n == 1 && strstr(e.msgs[0], "c.yaml:2:1: script: attempt to index"), "%s",
		  e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	const char *spin = "while true do end\n";
	script_check("d.yaml", 1, "d", spin, strlen(spin), &e);
	cr_assert(e.n == 1 && strstr(e.msgs[0], "stopped: ran more than"), "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	const char *good = "function job_started(job) job:schedule(1) end\n";
	script_check("e.yaml", 1, "e", good, strlen(good), &e);
	cr_assert_eq(e.n, 0);
}
