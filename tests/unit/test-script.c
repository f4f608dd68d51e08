/* The Lua sandbox in process (script_run, script_check): every handler kind, facts and
 * their rules, schedule, print, errors with file lines and tracebacks, the request's own
 * checks, budgets that no pcall can catch, and every way out of the sandbox we know of.
 * The CPU limit of the script process is tested end to end (test-script-sandbox.sh). */
#include "script/script.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A request: one call per handler named in calls ("job_started,joblet_completed"), each
 * with joblet facts {"joblet.number": 3}; small budgets. job_facts is taken. */
static json_t *request(const char *mode, const char *text, const char *calls, json_t *job_facts)
{
	json_t *arr = json_array();
	char buf[300];
	snprintf(buf, sizeof buf, "%s", calls);
	for (char *save = NULL, *h = strtok_r(buf, ",", &save); h; h = strtok_r(NULL, ",", &save))
		json_array_append_new(arr, json_pack("{s:s, s:{s:i}}", "handler", h, "joblet_facts",
						     "joblet.number", 3));
	return json_pack("{s:s, s:s, s:s, s:i, s:{s:i, s:i}, s:o, s:o}", "mode", mode, "chunkname",
			 "t", "script", text, "first_line", 1, "limits", "instructions", 5000000,
			 "memory_mb", 16, "job_facts", job_facts ? job_facts : json_object(), "calls",
			 arr);
}

static json_t *run_req(json_t *req /* taken */)
{
	json_t *reply = script_run(req);
	json_decref(req);
	cr_assert(json_is_object(reply) && json_is_array(json_object_get(reply, "results")));
	return reply;
}

static json_t *run(const char *text, const char *calls, json_t *job_facts)
{
	return run_req(request("server", text, calls, job_facts));
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

static bool is_true(json_t *o, const char *key)
{
	return json_is_true(json_object_get(o, key));
}

/* The error of a job_started with this body (or of the top level), as a new string. */
static char *error_of(const char *body)
{
	char *text = malloc(strlen(body) + 64);
	sprintf(text, "function job_started(job)\n%s\nend\n", body);
	json_t *reply = run(text, "job_started", NULL);
	free(text);
	const char *e = json_string_value(json_object_get(reply, "error"));
	if (e == NULL)
		e = json_string_value(json_object_get(result(reply, 0), "error"));
	char *out = strdup(e ? e : "(none)");
	json_decref(reply);
	return out;
}

static void expect_error(const char *body, const char *part)
{
	char *e = error_of(body);
	cr_expect(strstr(e, part), "%s: wanted '%s', got '%s'", body, part, e);
	free(e);
}

/* ---- handlers, facts, schedule, print ------------------------------------------------ */

Test(script, handlers_facts_and_schedule)
{
	json_t *reply = run("function job_started(job)\n"
			    "  job:schedule(2, {x = 1, name = 'a', f = 1.5, b = true})\n"
			    "  job:schedule(1)\n"
			    "  job:setFact('my.count', 0)\n"
			    "  print('start', job:getFact('jobargs.n'), nil, true)\n"
			    "end\n"
			    "function joblet_completed(job, joblet)\n"
			    "  job:setFact('my.count', job:getFact('my.count') + joblet:getFact('joblet.number'))\n"
			    "  joblet:setFact('seen', true)\n"
			    "end\n"
			    "function job_completed(job) print('total', job:getFact('my.count')) end\n",
			    "job_started,joblet_completed,joblet_completed,job_completed,joblet_failed",
			    json_pack("{s:i}", "jobargs.n", 7));
	cr_assert(json_is_null(json_object_get(reply, "error")), "%s", str(reply, "error"));
	json_t *r0 = result(reply, 0);
	cr_assert(is_true(r0, "ok") && is_true(r0, "called"));
	cr_assert_str_eq(str(r0, "output"), "start\t7\tnil\ttrue\n");
	json_t *sched = json_object_get(r0, "schedule"), *args;
	cr_assert_eq(json_array_size(sched), 2);
	cr_assert_eq(json_integer_value(json_object_get(json_array_get(sched, 0), "n")), 2);
	args = json_object_get(json_array_get(sched, 0), "args");
	cr_assert_str_eq(str(args, "name"), "a");
	cr_assert_eq(json_integer_value(json_object_get(args, "x")), 1);
	cr_assert(json_real_value(json_object_get(args, "f")) == 1.5);
	cr_assert(is_true(args, "b"));
	cr_assert_eq(json_object_size(json_object_get(json_array_get(sched, 1), "args")), 0);
	cr_assert(is_true(json_object_get(result(reply, 1), "joblet_facts"), "seen"));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(result(reply, 1), "joblet_facts"),
							"joblet.number")), 3, "the request's joblet facts come back");
	cr_assert_str_eq(str(result(reply, 3), "output"), "total\t6\n", "facts carry from call to call");
	cr_assert(!is_true(result(reply, 4), "called"), "no joblet_failed");
	cr_assert(is_true(result(reply, 4), "ok"));
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(reply, "job_facts"), "my.count")), 6);
	json_t *h = json_object_get(reply, "handlers");
	cr_assert_eq(json_array_size(h), 3);
	cr_assert_str_eq(json_string_value(json_array_get(h, 0)), "job_started");
	cr_assert_str_eq(json_string_value(json_array_get(h, 2)), "job_completed");
	json_decref(reply);
}

/* Each handler gets job, and the joblet_* ones a joblet too; the job has schedule, a
 * server joblet has no run. */
Test(script, every_handler_kind_and_its_arguments)
{
	static const char *const names[] = {"job_started", "joblet_started", "joblet_completed",
					    "joblet_failed", "job_completed"};
	char text[3000] = "";
	size_t at = 0;
	for (size_t i = 0; i < 5; i++)
		at += (size_t)snprintf(text + at, sizeof text - at,
				       "function %s(job, joblet)\n"
				       "  print(type(job.schedule), type(joblet),"
				       " joblet and joblet:getFact('joblet.number'),"
				       " joblet and type(joblet.run))\n"
				       "end\n", names[i]);
	json_t *reply = run(text, "job_started,joblet_started,joblet_completed,joblet_failed,job_completed",
			    NULL);
	cr_assert_eq(json_array_size(json_object_get(reply, "handlers")), 5);
	for (size_t i = 0; i < 5; i++) {
		json_t *r = result(reply, i);
		cr_assert_str_eq(str(r, "handler"), names[i]);
		cr_assert(is_true(r, "called") && is_true(r, "ok"), "%s: %s", names[i], str(r, "error"));
		const char *want = strncmp(names[i], "joblet_", 7) == 0 ? "function\ttable\t3\tnil\n"
									: "function\tnil\tnil\tnil\n";
		cr_assert_str_eq(str(r, "output"), want, "%s", names[i]);
	}
	json_decref(reply);
}

Test(script, worker_mode_runs_commands)
{
	char path[] = "/tmp/jobgrid-test-script-XXXXXX";
	int fd = mkstemp(path);
	cr_assert(fd >= 0);
	close(fd);
	char text[1000];
	snprintf(text, sizeof text,
		 "function joblet_started(job, joblet)\n"
		 "  local a = joblet:run('echo ran $JOBGRID_NOTHING > %s')\n"
		 "  local b = joblet:run('exit 3')\n"
		 "  local c, why = joblet:run('kill -9 $$')\n"
		 "  joblet:setFact('codes', a .. ' ' .. b .. ' ' .. tostring(c) .. ' ' .. why)\n"
		 "end\n", path);
	json_t *reply = run_req(request("worker", text, "joblet_started", NULL));
	json_t *r = result(reply, 0);
	cr_assert(is_true(r, "ok"), "%s", str(r, "error"));
	cr_assert_str_eq(str(json_object_get(r, "joblet_facts"), "codes"), "0 3 nil signal 9");
	FILE *f = fopen(path, "r");
	char line[100] = "";
	cr_assert(f && fgets(line, sizeof line, f));
	fclose(f);
	unlink(path);
	cr_assert_str_eq(line, "ran\n");
	json_decref(reply);
	reply = run("function joblet_started(job, joblet) joblet:run('true') end", "joblet_started", NULL);
	cr_assert(strstr(str(result(reply, 0), "error"), "attempt to call a nil value (method 'run')"),
		  "server mode has no run: %s", str(result(reply, 0), "error"));
	json_decref(reply);
}

Test(script, facts_get_set_delete_and_fall_back)
{
	json_t *reply = run("function joblet_completed(job, joblet)\n"
			    "  print(joblet:getFact('job.name'), joblet:getFact('missing'))\n"
			    "  joblet:setFact('job.name.mine', 'j')\n"
			    "  job:setFact('i', 1); job:setFact('r', 2.5); job:setFact('s', 'x');"
			    "  job:setFact('b', false); job:setFact('gone', nil); job:setFact('old', nil)\n"
			    "end\n"
			    "function job_completed(job) print(math.type(job:getFact('i')), job:getFact('r'),"
			    " job:getFact('b'), job:getFact('job.name.mine')) end\n",
			    "joblet_completed,job_completed",
			    json_pack("{s:s, s:s}", "job.name", "sweep", "old", "bye"));
	cr_assert_str_eq(str(result(reply, 0), "output"), "sweep\tnil\n", "a joblet sees the job's facts");
	cr_assert_str_eq(str(result(reply, 1), "output"), "integer\t2.5\tfalse\tnil\n",
			 "types kept; the joblet's own facts stay its own");
	json_t *jf = json_object_get(reply, "job_facts");
	cr_assert_null(json_object_get(jf, "old"), "nil deletes");
	cr_assert_str_eq(str(jf, "job.name"), "sweep");
	cr_assert(json_is_false(json_object_get(jf, "b")));
	cr_assert_str_eq(str(json_object_get(result(reply, 0), "joblet_facts"), "job.name.mine"), "j");
	json_decref(reply);
}

Test(script, read_only_facts)
{
	static const char *const fixed[] = {
		"job.id", "job.name", "job.owner", "job.definition", "job.version", "job.state",
		"jobargs.n", "jobargs.any.thing", "resource.id", "resource.cores", "joblet.number",
		"joblet.retrynumber", "joblet.state", "joblet.exitcode", "joblet.failreason",
		"joblet.node",
	};
	for (size_t i = 0; i < sizeof fixed / sizeof fixed[0]; i++) {
		char body[200], want[100];
		snprintf(body, sizeof body, "job:setFact('%s', 'x')", fixed[i]);
		snprintf(want, sizeof want, "setFact: %s is read-only", fixed[i]);
		expect_error(body, want);
		snprintf(body, sizeof body, "job:setFact('%s', nil)", fixed[i]);
		expect_error(body, want);
	}
	json_t *reply = run("function joblet_failed(job, joblet) joblet:setFact('joblet.node', 'x') end",
			    "joblet_failed", NULL);
	cr_assert(strstr(str(result(reply, 0), "error"), "setFact: joblet.node is read-only"));
	json_decref(reply);
	expect_error("job:setFact('job.joblet.maxretry', 5) job:setFact('joblet.message', 'm')", "(none)");
}

Test(script, fact_rules)
{
	expect_error("job:setFact('bad name', 1)", "'bad name' is not a fact name");
	expect_error("job:setFact('1x', 1)", "not a fact name");
	expect_error("job:setFact('a..b', 1)", "not a fact name");
	expect_error("job:setFact('a.', 1)", "not a fact name");
	expect_error("job:getFact('.a')", "getFact: '.a' is not a fact name");
	expect_error("job:setFact(string.rep('a', 129), 1)", "at most 128 bytes");
	expect_error("job:setFact(string.rep('a', 128), 1)", "(none)");
	expect_error("job:setFact('a.b_c.D9', 1)", "(none)");
	expect_error("job:setFact('a', {})", "setFact: a: a value must be text, a number or a boolean");
	expect_error("job:setFact('a', print)", "text, a number or a boolean");
	expect_error("job:setFact('a', 0/0)", "setFact: a: a number must be finite");
	expect_error("job:setFact('a', 1/0)", "finite");
	expect_error("job:setFact('a', '\\xff')", "setFact: a: text must be UTF-8");
	expect_error("job:setFact('a', string.rep('x', 65537))", "at most 64 KiB");
	expect_error("job:setFact('a', string.rep('x', 65536))", "(none)");
	expect_error("job:setFact('a')", "bad argument #2 to 'setFact'");
	expect_error("for i = 1, 1001 do job:setFact('f' .. i, i) end", "setFact: f1001: an object has at most 1000 facts");
	expect_error("for i = 1, 1000 do job:setFact('f' .. i, i) end job:setFact('f1', 0)", "(none)");
	expect_error("job.getFact('x')", "getFact: call it with ':'");
	expect_error("job.setFact('x', 1)", "setFact: call it with ':'");
}

Test(script, schedule_rules)
{
	const char *others[] = {"joblet_started", "joblet_completed", "joblet_failed", "job_completed"};
	for (size_t i = 0; i < 4; i++) {
		char text[200];
		snprintf(text, sizeof text, "function %s(job) job:schedule(1) end", others[i]);
		json_t *reply = run(text, others[i], NULL);
		cr_assert(strstr(str(result(reply, 0), "error"),
				 "schedule: only job_started may schedule joblets"), "%s", others[i]);
		json_decref(reply);
	}
	json_t *reply = run("local saved\n"
			    "function job_started(job) saved = job end\n"
			    "function job_completed(job) saved:schedule(1) end\n",
			    "job_started,job_completed", NULL);
	cr_assert(strstr(str(result(reply, 1), "error"), "only job_started"), "a kept job object");
	json_decref(reply);
	expect_error("job:schedule(0)", "schedule: n must be 1..100000 here");
	expect_error("job:schedule(1.5)", "number has no integer representation");
	expect_error("job:schedule(100000)", "(none)");
	expect_error("job:schedule(99999) job:schedule(2)", "n must be 1..1 here (at most 100000 joblets a job), got 2");
	expect_error("job:schedule(99999) job:schedule(1)", "(none)");
	expect_error("job:schedule(1, {[1] = 'x'})", "schedule: args keys must be names");
	expect_error("job:schedule(1, {['a.b'] = 'x'})", "args keys must be names");
	expect_error("job:schedule(1, {a = {}})", "schedule: args.a: a value must be text");
	expect_error("job:schedule(1, 'x')", "bad argument #2 to 'schedule' (table expected, got string)");
	expect_error("local a = {} for i = 1, 101 do a['k' .. i] = i end job:schedule(1, a)",
		     "schedule: args has more than 100 keys");
	expect_error("local a = {} for i = 1, 100 do a['k' .. i] = i end job:schedule(1, a)", "(none)");
	/* The total counts over the request, not per call. */
	reply = run("function job_started(job) job:schedule(60000) end", "job_started,job_started", NULL);
	cr_assert(is_true(result(reply, 0), "ok"));
	cr_assert(strstr(str(result(reply, 1), "error"), "n must be 1..40000"), "%s",
		  str(result(reply, 1), "error"));
	json_decref(reply);
}

Test(script, print_is_captured_and_capped)
{
	json_t *reply = run("print('top level goes nowhere')\n"
			    "function job_started(job)\n"
			    "  for i = 1, 10000 do print(string.rep('x', 99)) end\n"
			    "  print('after the cap')\n"
			    "end\n"
			    "function job_completed(job) print(1, 2.5, {} ~= nil) end\n",
			    "job_started,job_completed", NULL);
	const char *out = str(result(reply, 0), "output");
	size_t len = strlen(out);
	cr_assert(len <= 64 * 1024 + 20, "%zu", len);
	cr_assert(len > 64 * 1024 - 100, "%zu", len);
	cr_assert(strcmp(out + len - 19, "[output truncated]\n") == 0, "ends: %s", out + len - 30);
	cr_assert_null(strstr(out, "after the cap"));
	cr_assert_null(strstr(out, "top level"));
	cr_assert_str_eq(str(result(reply, 1), "output"), "1\t2.5\ttrue\n", "each call its own output");
	json_decref(reply);
}

/* ---- errors ------------------------------------------------------------------------- */

Test(script, errors_map_lines_and_carry_tracebacks)
{
	json_t *req = json_pack("{s:s, s:s, s:s, s:i, s:[{s:s}, {s:s}]}", "mode", "server",
				"chunkname", "net/x", "script",
				"local function inner()\n  error('deep trouble')\nend\n"
				"function job_started(job) inner() end\n"
				"function job_completed(job) print('still runs') end\n",
				"first_line", 20, "calls", "handler", "job_started", "handler",
				"job_completed");
	json_t *reply = run_req(req);
	json_t *r0 = result(reply, 0);
	cr_assert(json_is_false(json_object_get(r0, "ok")));
	cr_assert(json_is_null(json_object_get(r0, "stopped")));
	cr_assert_str_eq(str(r0, "error"), "net/x:21: deep trouble", "script line 2 is file line 21");
	const char *tb = str(r0, "traceback");
	cr_assert(strncmp(tb, "stack traceback:\n\t[C]: in function 'error'\n", 43) == 0, "%s", tb);
	cr_assert(strstr(tb, "\n\tnet/x:21: in "), "%s", tb);
	cr_assert(strstr(tb, "\n\tnet/x:23: in function 'job_started'"), "%s", tb);
	cr_assert_null(strstr(tb, "[C]: in ?"), "our own entry is not shown: %s", tb);
	cr_assert_str_eq(str(result(reply, 1), "output"), "still runs\n", "an error ends one call only");
	json_decref(reply);
	/* A function described by where it is defined, and a name longer than Lua keeps. */
	const char *name = "a/very/long/definition/name/that/goes/on/and/on/for/more/than/sixty/bytes";
	req = json_pack("{s:s, s:s, s:s, s:i, s:[{s:s}]}", "mode", "server", "chunkname", name,
			"script", "local function sorter()\n  table.sort({1, 2}, function() error('x') end)\nend\n"
			"function job_started(job) sorter() end\n",
			"first_line", 100, "calls", "handler", "job_started");
	reply = run_req(req);
	char want[200];
	snprintf(want, sizeof want, "%s:101: x", name);
	cr_assert_str_eq(str(result(reply, 0), "error"), want);
	snprintf(want, sizeof want, "in function <%s:101>", name);
	cr_assert(strstr(str(result(reply, 0), "traceback"), want), "%s",
		  str(result(reply, 0), "traceback"));
	json_decref(reply);
}

Test(script, odd_error_values_still_make_a_reply)
{
	expect_error("error({})", "(error object is a table value)");
	expect_error("error(42)", "42");
	expect_error("error('\\xff\\xfe bad')", "t:2: \xEF\xBF\xBD\xEF\xBF\xBD bad");
	expect_error("error(string.rep('e', 100000))", "[cut at 16384 bytes]");
	expect_error("error(nil)", "nil");
	json_t *reply = run("function job_started(job) print('\\xff') error('\\xc0\\x80') end", "job_started",
			    NULL);
	cr_assert_str_eq(str(result(reply, 0), "output"), "\xEF\xBF\xBD\n", "bad bytes in output");
	json_decref(reply);
	/* A top level that fails with bad bytes: a reply all the same. */
	reply = run("error('\\xff')", "job_started", NULL);
	cr_assert_str_eq(str(reply, "error"), "t:1: \xEF\xBF\xBD");
	cr_assert(strstr(str(reply, "traceback"), "t:1: in main chunk"));
	cr_assert_eq(json_array_size(json_object_get(reply, "results")), 0);
	json_decref(reply);
}

Test(script, top_level_and_handler_shapes)
{
	json_t *reply = run("local x = nil\nx.y = 1\n", "job_started", json_pack("{s:i}", "k", 1));
	cr_assert(strstr(str(reply, "error"), "t:2: attempt to index a nil value (local 'x')"), "%s",
		  str(reply, "error"));
	cr_assert_eq(json_array_size(json_object_get(reply, "handlers")), 0);
	cr_assert_eq(json_integer_value(json_object_get(json_object_get(reply, "job_facts"), "k")), 1,
		     "the job's facts come back untouched");
	json_decref(reply);
	reply = run("function job_started(job)\n  if then\nend\n", "job_started", NULL);
	cr_assert_str_eq(str(reply, "error"), "t:2: unexpected symbol near 'then'");
	json_decref(reply);
	reply = run("job_started = 5", "job_started", NULL);
	json_t *r = result(reply, 0);
	cr_assert(!is_true(r, "ok") && !is_true(r, "called"));
	cr_assert_str_eq(str(r, "error"), "job_started is not a function");
	cr_assert_eq(json_array_size(json_object_get(reply, "handlers")), 0);
	json_decref(reply);
	/* "handlers" is what the top level defined, whatever a call did later. */
	reply = run("function job_started(job) job_completed = nil end\nfunction job_completed() end",
		    "job_started,job_completed", NULL);
	cr_assert_eq(json_array_size(json_object_get(reply, "handlers")), 2);
	cr_assert(!is_true(result(reply, 1), "called"));
	json_decref(reply);
}

Test(script, binary_chunks_are_refused)
{
	json_t *reply = run("\x1bLua\x54\x00 binary", "job_started", NULL);
	cr_assert(strstr(str(reply, "error"), "binary chunks are refused"), "%s", str(reply, "error"));
	json_decref(reply);
	/* Even made in the script: there is no string.dump, and load is gone. */
	expect_error("local f = string.dump", "(none)");
	expect_error("return load('\\27Lua')", "attempt to call a nil value (global 'load')");
}

Test(script, bad_requests_say_why)
{
	static const char *const cases[][2] = {
		{"[]", "not a JSON object"},
		{"{\"script\": \"x = 1\", \"calls\": []}", "mode must be"},
		{"{\"mode\": \"shell\", \"script\": \"x = 1\", \"calls\": []}", "mode must be"},
		{"{\"mode\": \"server\", \"script\": 5, \"calls\": []}", "script must be text"},
		{"{\"mode\": \"server\", \"script\": \"\"}", "calls must be an array"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [{\"handler\": \"rm_rf\"}]}", "known handler"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [5]}", "known handler"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [{\"handler\": \"job_started\","
		 " \"joblet_facts\": []}]}", "joblet_facts must be an object"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"job_facts\": 1}", "job_facts must be an object"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"first_line\": 0}", "first_line must be"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"chunkname\": 1}", "chunkname must be"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"limits\": 1}", "limits must be an object"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"limits\": {\"memory_mb\": 0}}", "memory_mb"},
		{"{\"mode\": \"server\", \"script\": \"\", \"calls\": [], \"limits\": {\"instructions\": \"x\"}}", "instructions"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		json_t *req = json_loads(cases[i][0], 0, NULL);
		cr_assert_not_null(req, "%s", cases[i][0]);
		json_t *reply = run_req(req);
		cr_assert(strstr(str(reply, "error"), cases[i][1]), "%s: %s", cases[i][0], str(reply, "error"));
		cr_assert(json_is_array(json_object_get(reply, "handlers")));
		cr_assert(json_is_object(json_object_get(reply, "job_facts")));
		json_decref(reply);
	}
	json_t *many = json_array();
	for (int i = 0; i < 10001; i++)
		json_array_append_new(many, json_pack("{s:s}", "handler", "job_completed"));
	json_t *reply = run_req(json_pack("{s:s, s:s, s:o}", "mode", "server", "script", "", "calls", many));
	cr_assert(strstr(str(reply, "error"), "at most 10000"));
	json_decref(reply);
	/* Defaults: no chunkname, no first_line, no limits, no job_facts. */
	reply = run_req(json_pack("{s:s, s:s, s:[{s:s}]}", "mode", "server", "script",
				  "function job_completed(job) error('x') end", "calls", "handler",
				  "job_completed"));
	cr_assert_str_eq(str(result(reply, 0), "error"), "script:1: x");
	json_decref(reply);
}

/* ---- the sandbox -------------------------------------------------------------------- */

Test(script, escapes_are_not_there)
{
	const char *tries[] = {
		"os.execute('touch /tmp/jobgrid-escaped')", "io.open('/etc/passwd')",
		"io.write('x')", "require('os')", "load('return 1')()", "dofile('/etc/passwd')",
		"loadfile('/etc/passwd')", "string.dump(print)", "('x').dump(print)",
		"getmetatable('').__index.x = 1", "setmetatable({}, {__gc = print})",
		"collectgarbage('stop')", "debug.getinfo(1)", "debug.sethook()",
		"package.loadlib('libc.so.6', 'system')", "rawset(_G, 'x', 1)", "rawget(_G, 'x')",
		"rawequal(1, 1)", "rawlen({})", "coroutine.wrap(print)", "return _ENV.os.exit()",
		"return _G.io.popen('id')", "require 'debug'",
	};
	for (size_t i = 0; i < sizeof tries / sizeof tries[0]; i++)
		expect_error(tries[i], "nil value");
	cr_assert(access("/tmp/jobgrid-escaped", F_OK) != 0);
	/* What is there works. */
	expect_error("assert(string.format('%d', 3) == '3' and table.concat({1, 2}) == '12' and"
		     " math.max(1, 2) == 2 and utf8.char(72) == 'H' and select('#', 1, 2) == 2)", "(none)");
}

Test(script, pcall_and_xpcall_still_catch_errors)
{
	expect_error("local ok, e = pcall(error, 'x', 0) assert(not ok and e == 'x')\n"
		     "local a, b, c = pcall(function(p) return p, 2 end, 1) assert(a and b == 1 and c == 2)\n"
		     "ok, e = xpcall(function() error('y', 0) end, function(m) return 'handled ' .. m end)\n"
		     "assert(not ok and e == 'handled y')\n"
		     "a, b = xpcall(function(p) return p end, print, 5) assert(a and b == 5)", "(none)");
	expect_error("pcall()", "bad argument #1 to 'pcall' (value expected)");
	expect_error("xpcall(print)", "bad argument #2 to 'xpcall' (function expected");
}

Test(script, instruction_budget_stops_and_cannot_be_caught)
{
	expect_error("while true do end", "stopped: ran more than 5000000 instructions");
	expect_error("while true do pcall(function() while true do end end) end", "stopped: ran more than");
	expect_error("while true do xpcall(function() while true do end end, print) end", "stopped: ran more than");
	expect_error("xpcall(function() while true do end end, function(e) while true do end end)",
		     "stopped: ran more than");
	expect_error("local function f() return pcall(f) end while true do f() end", "stopped: ran more than");
	json_t *reply = run("function job_started(job) while true do end end\n"
			    "function job_completed(job) print('no') end",
			    "job_started,job_completed", NULL);
	cr_assert_str_eq(str(reply, "stopped"), "instructions");
	cr_assert(json_is_null(json_object_get(reply, "error")), "the top level was fine");
	json_t *r0 = result(reply, 0), *r1 = result(reply, 1);
	cr_assert_str_eq(str(r0, "stopped"), "instructions");
	cr_assert(strstr(str(r0, "traceback"), "t:1: in function 'job_started'"), "where it was stopped");
	cr_assert(!is_true(r1, "ok") && !is_true(r1, "called"), "a stop ends the request");
	cr_assert_str_eq(str(r1, "stopped"), "instructions");
	cr_assert_str_eq(str(r1, "error"), "not run: the script was stopped");
	json_decref(reply);
	reply = run("while true do end", "job_started", NULL);
	cr_assert_str_eq(str(reply, "stopped"), "instructions");
	cr_assert_str_eq(str(reply, "error"), "stopped: ran more than 5000000 instructions");
	json_decref(reply);
}

Test(script, memory_budget_stops_and_cannot_be_caught)
{
	expect_error("local s = string.rep('x', 1e10)", "resulting string too large");
	expect_error("local s = string.rep('x', 2^30)", "stopped: used more than 16 MB");
	expect_error("local s = ('x'):rep(1e7) .. ('y'):rep(1e7)", "stopped: used more than 16 MB");
	expect_error("local t = {} for i = 1, 1e9 do t[i] = i end", "stopped: used more than 16 MB");
	expect_error("local t = {} for i = 1, 1e9 do t[#t + 1] = {} end", "stopped: used more than 16 MB");
	expect_error("while true do pcall(string.rep, 'x', 2^30) end", "stopped: used more than 16 MB");
	expect_error("local t = {} while true do pcall(function() t[#t + 1] = string.rep('y', 4096) .. #t end) end",
		     "stopped: used more than 16 MB");
	expect_error("local t = {} while true do xpcall(function() t[#t + 1] = {} end, print) end",
		     "stopped: used more than 16 MB");
	json_t *reply = run("function job_started(job) local t = {} for i = 1, 1e9 do t[i] = i end end\n"
			    "function job_completed(job) end",
			    "job_started,job_completed", NULL);
	cr_assert_str_eq(str(reply, "stopped"), "memory");
	cr_assert_str_eq(str(result(reply, 0), "stopped"), "memory");
	cr_assert_str_eq(str(result(reply, 1), "stopped"), "memory");
	json_decref(reply);
	reply = run("local t = {} for i = 1, 1e9 do t[i] = i end", "job_started", NULL);
	cr_assert_str_eq(str(reply, "stopped"), "memory");
	json_decref(reply);
}

/* What the script makes the sandbox keep outside Lua counts too. */
Test(script, facts_and_schedules_count_against_memory)
{
	expect_error("local s = string.rep('x', 60000) for i = 1, 1000 do job:setFact('f' .. i, s .. i) end",
		     "stopped: used more than 16 MB");
	expect_error("local s = string.rep('x', 65536) local a = {}\n"
		     "for i = 1, 100 do a['k' .. i] = s end\n"
		     "for i = 1, 1000 do job:schedule(1, a) end", "stopped: used more than 16 MB");
	/* Replacing and deleting give the bytes back. */
	expect_error("local s = string.rep('x', 65536)\n"
		     "for i = 1, 2000 do job:setFact('f' .. (i % 10), s) job:setFact('g', s) job:setFact('g', nil) end",
		     "(none)");
}

/* Garbage near the budget is collected, not counted as a stop. */
Test(script, garbage_is_no_stop)
{
	expect_error("local keep = {} for i = 1, 100 do keep[i] = string.rep('k', 100000) .. i end\n"
		     "for i = 1, 3000 do local s = string.rep('g', 20000) .. i end", "(none)");
	expect_error("local keep = {} for i = 1, 100 do keep[i] = string.rep('k', 100000) .. i end\n"
		     "for i = 1, 3000 do local t = {} for j = 1, 100 do t[j] = j end end", "(none)");
}

/* ---- deploy-time check -------------------------------------------------------------- */

static struct def_errors check(const char *file, int first_line, const char *text)
{
	struct def_errors e = {0};
	script_check(file, first_line, text, strlen(text), &e);
	return e;
}

Test(script, deploy_check)
{
	struct def_errors e = check("a.yaml", 7, "function job_started(job)\n  if then\nend\n");
	cr_assert_eq(e.n, 1);
	cr_assert_str_eq(e.msgs[0], "a.yaml:8:1: script: unexpected symbol near 'then'");
	def_errors_free(&e);
	e = check("b.yaml", 3, "job_started = 5\njob_completed = 'x'\nfunction joblet_failed() end\n"
		  "function job_startd() end\n");
	cr_assert_eq(e.n, 2, "a misspelt handler is no problem");
	cr_assert_str_eq(e.msgs[0], "b.yaml:3:1: script: job_started must be a function, not a number");
	cr_assert_str_eq(e.msgs[1], "b.yaml:3:1: script: job_completed must be a function, not a string");
	def_errors_free(&e);
	e = check("c.yaml", 1, "local x = nil\nx.y = 1\n");
	cr_assert(e.n == 1 && strcmp(e.msgs[0], "c.yaml:2:1: script: attempt to index a nil value (local 'x')") == 0,
		  "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	e = check("d.yaml", 10, "local n = 0\nwhile true do\n  n = n + 1\nend\n");
	cr_assert(e.n == 1 && strstr(e.msgs[0], "d.yaml:1") &&
		  strstr(e.msgs[0], ":1: script: stopped: ran more than 200000000 instructions"),
		  "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	e = check("e.yaml", 4, "local t = {} for i = 1, 1e9 do t[i] = i end");
	cr_assert(e.n == 1 && strcmp(e.msgs[0], "e.yaml:4:1: script: stopped: used more than 64 MB") == 0,
		  "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	e = check("f.yaml", 2, "\x1bLua");
	cr_assert(e.n == 1 && strstr(e.msgs[0], "f.yaml:2:1: script: binary chunks are refused"));
	def_errors_free(&e);
	e = check("g.yaml", 1, "function job_started(job) job:schedule(1) end\nprint('hello')\n"
		  "os.exit(1)\n");
	cr_assert(e.n == 1 && strcmp(e.msgs[0], "g.yaml:3:1: script: attempt to index a nil value (global 'os')") == 0,
		  "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	e = check("h.yaml", 1, "function job_started(job) job:schedule(1) end\n");
	cr_assert_eq(e.n, 0);
}

/* The file line of a script in a definition: the line after `script: |`. */
Test(script, deploy_check_counts_lines_in_the_file)
{
	const char *yaml = "description: x\n"		/* 1 */
			   "script: |\n"		/* 2 */
			   "\n"				/* 3: script line 1 */
			   "  function job_started(job)\n"	/* 4 */
			   "    local x = = 1\n"		/* 5 */
			   "  end\n";
	struct def_errors e = {0};
	struct definition *d = def_read("x.yaml", yaml, strlen(yaml), "x", &e);
	cr_assert_not_null(d, "%s", e.n ? e.msgs[0] : "");
	cr_assert_eq(d->script_line, 3);
	script_check(d->file, d->script_line, d->script, strlen(d->script), &e);
	cr_assert(e.n == 1 && strcmp(e.msgs[0], "x.yaml:5:1: script: unexpected symbol near '='") == 0,
		  "%s", e.n ? e.msgs[0] : "");
	def_free(d);
	def_errors_free(&e);
	yaml = "description: x\nscript: 'x = = 1'\n";
	d = def_read("y.yaml", yaml, strlen(yaml), "y", &e);
	cr_assert_not_null(d);
	cr_assert_eq(d->script_line, 2, "a one-line scalar: its own line");
	def_free(d);
	def_errors_free(&e);
}
