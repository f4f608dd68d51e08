/* Definition files: what a good file gives, every kind of problem reported at once with
 * file, line and column, names, templates with safe quoting, and the joblets expression. */
#include "defs/def.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static struct definition *read_text(const char *text, struct def_errors *e)
{
	return def_read("t.yaml", text, strlen(text), "from/path", e);
}

static bool has(const struct def_errors *e, const char *part)
{
	for (size_t i = 0; i < e->n; i++)
		if (strstr(e->msgs[i], part))
			return true;
	return false;
}

Test(defs, the_failover_example)
{
	FILE *f = fopen(SOURCE_DIR "/examples/failover/failover.yaml", "r");
	cr_assert_not_null(f);
	char text[4096];
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	struct def_errors e = {0};
	struct definition *d = def_read("failover.yaml", text, n, "failover", &e);
	cr_assert_not_null(d, "%s", e.n ? e.msgs[0] : "");
	cr_assert_str_eq(d->name, "failover", "named by its path");
	cr_assert_eq(d->nargs, 2);
	cr_assert_str_eq(d->args[0].name, "sleeptime");
	cr_assert_eq(d->args[0].type, ARG_INTEGER);
	cr_assert_eq(json_integer_value(d->args[0].def), 7);
	cr_assert_eq(d->nfacts, 1);
	cr_assert_str_eq(d->facts[0].name, "joblet.maxretry");
	cr_assert_str_eq(d->groups[0], "examples");
	json_t *args = json_pack("{s:i, s:i}", "sleeptime", 1, "numJoblets", 2);
	long long count;
	const char *why;
	cr_assert_eq(def_eval_joblets(d->joblets, args, &count, &why), 0);
	cr_assert_eq(count, 2);
	char bad[64];
	char *cmd = def_expand(d->command, args, &why, bad, sizeof bad);
	cr_assert_not_null(cmd, "%s %s", why, bad);
	cr_assert(strstr(cmd, "try $JOBGRID_RETRY of $JOBGRID_MAXRETRY"), "%s", cmd);
	cr_assert(strstr(cmd, "sleep 1; exit 1"), "%s", cmd);
	free(cmd);
	json_decref(args);
	def_free(d);
	def_errors_free(&e);
}

Test(defs, every_problem_at_once_with_line_and_column)
{
	const char *text = "name: a/b\n"		/* 1 */
			   "colour: red\n"		/* 2: unknown key */
			   "args:\n"			/* 3 */
			   "  n:\n"			/* 4 */
			   "    type: integer\n"	/* 5 */
			   "    default: lots\n"	/* 6: wrong type */
			   "  r:\n"			/* 7 */
			   "    type: complex\n"	/* 8: unknown type */
			   "  c:\n"			/* 9 */
			   "    type: string\n"	/* 10 */
			   "    choices: [x, y]\n"	/* 11 */
			   "    default: z\n"		/* 12: not a choice */
			   "    min: 3\n"		/* 13: min on a string */
			   "joblets: \"{{c}} + 1\"\n"	/* 14: not an integer argument */
			   "command: echo {{n}} {{nosuch}}\n"; /* 15: unknown reference */
	struct def_errors e = {0};
	cr_assert_null(read_text(text, &e));
	for (size_t i = 0; i < e.n; i++)
		cr_log_info("%s", e.msgs[i]);
	cr_assert(has(&e, "t.yaml:2:1: unknown key colour"));
	cr_assert(has(&e, "t.yaml:6:14: args.n.default: must be an integer"));
	cr_assert(has(&e, "t.yaml:8:11: args.r.type: must be integer, real"));
	cr_assert(has(&e, "args.c.default: not one of its choices"));
	cr_assert(has(&e, "t.yaml:13:"));
	cr_assert(has(&e, "only integer and real arguments have a min"));
	cr_assert(has(&e, "joblets: only integer arguments may appear"));
	cr_assert(has(&e, "t.yaml:15:10: command: {{nosuch}} is neither an argument nor a fact"));
	cr_assert_eq(e.n, 7, "each problem once");
	def_errors_free(&e);
}

Test(defs, yaml_errors_and_shape)
{
	struct def_errors e = {0};
	cr_assert_null(read_text("name: x\nargs: {a: 1\n", &e));
	cr_assert_eq(e.n, 1);
	cr_assert(strstr(e.msgs[0], "t.yaml:") && strstr(e.msgs[0], "YAML:"), "%s", e.msgs[0]);
	def_errors_free(&e);
	cr_assert_null(read_text("- a\n- b\n", &e));
	cr_assert(has(&e, "must be a mapping"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\nscript: y\n", &e));
	cr_assert(has(&e, "exactly one of command and script"));
	def_errors_free(&e);
	cr_assert_null(read_text("name: ../etc\ncommand: x\n", &e));
	cr_assert(has(&e, "is not a definition name"));
	def_errors_free(&e);
	cr_assert_null(read_text("facts:\n  joblet.maxretry: -1\ncommand: x\n", &e));
	cr_assert(has(&e, "facts.joblet.maxretry: must be a whole number"));
	def_errors_free(&e);
	struct definition *d = read_text("command: true\n", &e);
	cr_assert_not_null(d);
	cr_assert_str_eq(d->name, "from/path");
	cr_assert_str_eq(d->joblets, "1");
	def_free(d);
	def_errors_free(&e);
}

Test(defs, names)
{
	cr_assert(def_name_valid("jobnet/examples/b"));
	cr_assert(def_name_valid("a.b-c_d"));
	cr_assert(!def_name_valid(""));
	cr_assert(!def_name_valid("/a"));
	cr_assert(!def_name_valid("a/"));
	cr_assert(!def_name_valid("a//b"));
	cr_assert(!def_name_valid("a/../b"));
	cr_assert(!def_name_valid("a b"));
}

Test(defs, expand_quotes_every_value)
{
	json_t *args = json_pack("{s:s, s:i, s:b, s:[s,s]}", "s", "it's; rm -rf /", "n", 3, "b", 1,
				 "l", "a b", "c");
	const char *why;
	char bad[64];
	char *out = def_expand("x {{s}} {{ n }} {{b}} {{jobargs.l}} #{{joblet.number}}", args, &why,
			       bad, sizeof bad);
	cr_assert_str_eq(out, "x 'it'\\''s; rm -rf /' 3 'true' 'a b' 'c' #$JOBGRID_JOBLET");
	free(out);
	cr_assert_null(def_expand("{{missing}}", args, &why, bad, sizeof bad));
	cr_assert_str_eq(bad, "missing");
	cr_assert_null(def_expand("{{open", args, &why, bad, sizeof bad));
	json_decref(args);
}

Test(defs, joblets_expressions)
{
	json_t *args = json_pack("{s:i, s:s}", "n", 4, "s", "x");
	long long v;
	const char *why;
	cr_assert_eq(def_eval_joblets("(1 + {{n}}) * 2 - 3 / 3", args, &v, &why), 0, "%s", why);
	cr_assert_eq(v, 9);
	cr_assert_eq(def_eval_joblets("{{s}}", args, &v, &why), -1);
	cr_assert_eq(def_eval_joblets("2 / 0", args, &v, &why), -1);
	cr_assert_str_eq(why, "division by zero");
	cr_assert_eq(def_eval_joblets("0", args, &v, &why), -1, "at least one joblet");
	cr_assert_eq(def_eval_joblets("99999999999 * 99999999999", args, &v, &why), -1, "no overflow");
	cr_assert_eq(def_eval_joblets("(1", args, &v, &why), -1);
	cr_assert_eq(def_eval_joblets("1 2", args, &v, &why), -1);
	json_decref(args);
}

Test(defs, not_utf8_is_refused_before_yaml, .timeout = 10)
{
	/* libfyaml 0.7.12 never returns on this input: it must not reach it. */
	struct def_errors e = {0};
	cr_assert_null(def_read("h.yaml", "%\xf2", 2, "h", &e));
	cr_assert(has(&e, "h.yaml:1:1: not UTF-8 text"));
	def_errors_free(&e);
	/* … and crashes on a NUL byte in a mapping key. */
	cr_assert_null(def_read("n.yaml", "? c:\t\0m", 7, "n", &e));
	cr_assert(has(&e, "a NUL byte is not text"));
	def_errors_free(&e);
}

Test(defs, an_unclosed_paren_reads_nothing_past_the_end)
{
	json_t *args = json_object();
	long long v;
	const char *why;
	/* The fuzzer's input: "(1 +- 1" once read one byte past the end. */
	cr_assert_eq(def_eval_joblets("(1 +- 1", args, &v, &why), -1);
	cr_assert_eq(def_eval_joblets("((", args, &v, &why), -1);
	json_decref(args);
}

/* ---- job-network keys (SPEC §7) ---- */

Test(defs, network_keys)
{
	const char *text = "name: jobnet/b\n"
			   "command: x\n"
			   "schedule:\n"
			   "  start_times: [\"06:00\", \"7:30:15\", {cron: \"30 8-17 * * 1-5\"}]\n"
			   "  timeslot: [\"Mon-Fri 08:00-18:00\", \"Sat 10:00-12:00\"]\n"
			   "  period: 12h\n"
			   "  period_start: \"06:00\"\n"
			   "  calendar:\n"
			   "    weekdays: [Mon-Wed, friday]\n"
			   "    include: [2026-03-07]\n"
			   "    exclude: [2026-12-25, 2026-12-24]\n"
			   "predecessors: [jobnet/a]\n"
			   "successors: jobnet/c\n"
			   "successors_on_failure: [alert]\n"
			   "dependencies:\n"
			   "  mode: deep\n"
			   "  repeat: run\n"
			   "  predecessor: {force_start_in_period: true}\n"
			   "  successor: {force_start_in_period: false}\n";
	struct def_errors e = {0};
	struct definition *d = read_text(text, &e);
	cr_assert_not_null(d, "%s", e.n ? e.msgs[0] : "");
	const struct net_spec *s = &d->net;
	cr_assert_eq(s->sched.nstarts, 3);
	cr_assert_eq(s->sched.starts[0].tod_s, 6 * 3600);
	cr_assert_eq(s->sched.starts[1].tod_s, 7 * 3600 + 30 * 60 + 15);
	cr_assert_eq(s->sched.starts[2].tod_s, -1);
	cr_assert_str_eq(s->sched.starts[2].cron, "30 8-17 * * 1-5");
	cr_assert(s->sched.has_timeslot);
	cr_assert_eq(s->sched.slot.n, 2);
	cr_assert_eq(s->sched.period_ms, 12 * 3600000LL);
	cr_assert_eq(s->sched.period_start_s, 6 * 3600);
	cr_assert_eq(s->sched.cal.weekdays, 0x17, "Mon, Tue, Wed, Fri");
	cr_assert_eq(s->sched.cal.ninclude, 1);
	cr_assert_eq(s->sched.cal.nexclude, 2);
	cr_assert_lt(s->sched.cal.exclude[0], s->sched.cal.exclude[1], "kept sorted");
	cr_assert(s->npreds == 1 && strcmp(s->preds[0], "jobnet/a") == 0);
	cr_assert(s->nsuccs == 1 && strcmp(s->succs[0], "jobnet/c") == 0, "one name for a list");
	cr_assert(s->nfail_succs == 1 && strcmp(s->fail_succs[0], "alert") == 0);
	cr_assert_eq(s->settings.mode, NET_DEEP);
	cr_assert_eq(s->settings.repeat, NET_REPEAT_RUN);
	cr_assert_eq(s->settings.pred_force, NET_TRI_TRUE);
	cr_assert_eq(s->settings.succ_force, NET_TRI_FALSE);
	def_free(d);
	d = read_text("command: x\n", &e);
	cr_assert_eq(d->net.sched.period_ms, 86400000LL, "1d by default");
	cr_assert_eq(d->net.sched.cal.weekdays, 0x7f, "every day by default");
	cr_assert(!net_spec_has_role(&d->net));
	def_free(d);
	def_errors_free(&e);
}

Test(defs, network_key_problems_each_at_its_place)
{
	const char *text = "name: b\n"					/* 1 */
			   "command: x\n"				/* 2 */
			   "schedule:\n"				/* 3 */
			   "  start_times: [\"25:00\", \"06:00\", \"06:00\", {cron: \"* *\"}, {at: 1}]\n" /* 4 */
			   "  timeslot: \"Mon-Fri 08:00\"\n"		/* 5 */
			   "  period: 5h\n"				/* 6 */
			   "  period_start: noon\n"			/* 7 */
			   "  calendar:\n"				/* 8 */
			   "    weekdays: [Funday]\n"			/* 9 */
			   "    include: [2026-02-30, 2026-03-01]\n"	/* 10 */
			   "    exclude: [2026-03-01, 2026-03-01]\n"	/* 11 */
			   "    holidays: []\n"				/* 12 */
			   "  when: now\n"				/* 13 */
			   "predecessors: [a, \"x y\", a, b]\n"		/* 14 */
			   "successors: [a]\n"				/* 15 */
			   "successors_on_failure: {x: 1}\n"		/* 16 */
			   "dependencies:\n"				/* 17 */
			   "  mode: wide\n"				/* 18 */
			   "  repeat: twice\n"				/* 19 */
			   "  predecessor: {force_start_in_period: maybe}\n" /* 20 */
			   "  successor: {force: true}\n"		/* 21 */
			   "  depth: 3\n";				/* 22 */
	struct def_errors e = {0};
	cr_assert_null(read_text(text, &e));
	for (size_t i = 0; i < e.n; i++)
		cr_log_info("%s", e.msgs[i]);
	cr_assert(has(&e, "t.yaml:4:18: schedule.start_times: \"25:00\" is not a time of day"));
	cr_assert(has(&e, "t.yaml:4:36: schedule.start_times: 06:00 is listed twice"));
	cr_assert(has(&e, "t.yaml:4:52: schedule.start_times: cron \"* *\": "));
	cr_assert(has(&e, "t.yaml:4:3: schedule.start_times: a mapping entry must be {cron: EXPR}"));
	cr_assert(has(&e, "t.yaml:5:14: schedule.timeslot: window 1:"));
	cr_assert(has(&e, "t.yaml:6:11: schedule.period: \"5h\": a period is at least 1m"));
	cr_assert(has(&e, "t.yaml:7:17: schedule.period_start: \"noon\" is not a time of day"));
	cr_assert(has(&e, "t.yaml:9:16: schedule.calendar.weekdays: \"Funday\" is not a day"));
	cr_assert(has(&e, "t.yaml:10:15: schedule.calendar.include: \"2026-02-30\" is not a date"));
	cr_assert(has(&e, "t.yaml:11:27: schedule.calendar.exclude: 2026-03-01 is listed twice"));
	cr_assert(has(&e, "t.yaml:8:3: schedule.calendar: a date is both included and excluded"));
	cr_assert(has(&e, "t.yaml:12:5: schedule.calendar: unknown key holidays"));
	cr_assert(has(&e, "t.yaml:13:3: schedule: unknown key when"));
	cr_assert(has(&e, "t.yaml:14:20: predecessors: \"x y\" is not a definition name"));
	cr_assert(has(&e, "t.yaml:14:26: predecessors: a is listed twice"));
	cr_assert(has(&e, "t.yaml:14:29: predecessors: b names itself"));
	cr_assert(has(&e, "t.yaml:15:14: successors: a is also a predecessor (a cycle)"));
	cr_assert(has(&e, "t.yaml:16:1: successors_on_failure: must be a list"));
	cr_assert(has(&e, "t.yaml:18:9: dependencies.mode: must be shallow or deep"));
	cr_assert(has(&e, "t.yaml:19:11: dependencies.repeat: must be network, run or none"));
	cr_assert(has(&e, "t.yaml:20:40: dependencies.predecessor.force_start_in_period: must be"
		      " true or false"));
	cr_assert(has(&e, "t.yaml:21:15: dependencies.successor: unknown key force"));
	cr_assert(has(&e, "t.yaml:22:3: dependencies: unknown key depth"));
	cr_assert_eq(e.n, 23, "each problem once");
	def_errors_free(&e);
}

Test(defs, network_shapes)
{
	struct def_errors e = {0};
	cr_assert_null(read_text("command: x\nschedule: daily\n", &e));
	cr_assert(has(&e, "t.yaml:2:1: schedule: must be a mapping"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\ndependencies: [deep]\n", &e));
	cr_assert(has(&e, "t.yaml:2:1: dependencies: must be a mapping"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\nschedule: {calendar: [Mon]}\n", &e));
	cr_assert(has(&e, "schedule.calendar: must be a mapping"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\nschedule: {calendar: {weekdays: []}}\n", &e));
	cr_assert(has(&e, "schedule.calendar.weekdays: no day given"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\nschedule: {start_times: [[1]]}\n", &e));
	cr_assert(has(&e, "schedule.start_times: each entry must be HH:MM[:SS] or {cron: EXPR}"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\ndependencies: {successor: true}\n", &e));
	cr_assert(has(&e, "dependencies.successor: must be a mapping"));
	def_errors_free(&e);
	cr_assert_null(read_text("command: x\nschedule: {timeslot: [\"Mon-Fri 08:00-18:00; Sat"
				 " 1:00-2:00; Sun 1:00-2:00; 3:00-4:00; 5:00-6:00; 7:00-8:00;"
				 " 9:00-10:00; 11:00-12:00\", \"1:00-2:00; 3:00-4:00; 5:00-6:00;"
				 " 7:00-8:00; 9:00-10:00; 11:00-12:00; 13:00-14:00; 15:00-16:00;"
				 " 17:00-18:00\"]}\n", &e));
	cr_assert(has(&e, "schedule.timeslot: more than 16 windows in all"));
	def_errors_free(&e);
	char many[2048] = "command: x\nschedule:\n  start_times:\n";
	for (int i = 0; i < 65; i++)
		snprintf(many + strlen(many), sizeof many - strlen(many), "    - \"%02d:%02d\"\n",
			 i / 60, i % 60);
	cr_assert_null(read_text(many, &e));
	cr_assert(has(&e, "schedule.start_times: at most 64"));
	cr_assert_eq(e.n, 1, "said once");
	def_errors_free(&e);
}

Test(defs, network_value_texts)
{
	int32_t tod;
	int64_t day;
	uint8_t mask = 0;
	cr_assert(net_parse_tod("0:00", &tod) == 0 && tod == 0);
	cr_assert(net_parse_tod("23:59:59", &tod) == 0 && tod == 86399);
	cr_assert_eq(net_parse_tod("24:00", &tod), -1);
	cr_assert_eq(net_parse_tod("12:60", &tod), -1);
	cr_assert_eq(net_parse_tod("12:00:", &tod), -1);
	cr_assert_eq(net_parse_tod("1200", &tod), -1);
	cr_assert(net_parse_date("1970-01-02", &day) == 0 && day == 1);
	cr_assert(net_parse_date("2024-02-29", &day) == 0);
	cr_assert_eq(net_parse_date("2026-02-29", &day), -1);
	cr_assert_eq(net_parse_date("2026-3-01", &day), -1);
	cr_assert_eq(net_parse_date("1969-12-31", &day), -1);
	cr_assert(net_parse_weekdays("Sat-Mon", &mask) == 0 && mask == 0x61, "wraps past Sunday");
	cr_assert_eq(net_parse_weekdays("Mon-", &mask), -1);
	cr_assert_eq(net_parse_weekdays("Mo", &mask), -1);
	cr_assert(net_parse_weekdays("WEDNESDAY", &mask) == 0 && (mask & 0x04));
}

Test(defs, a_time_limit_is_whole_seconds)
{
	struct def_errors e = {0};
	cr_assert_null(read_text("command: true\nfacts:\n  joblet.timeout: 1.5\n", &e));
	cr_assert(has(&e, "t.yaml:3:19: facts.joblet.timeout: must be a whole number ≥ 0 (seconds)"),
		  "%s", e.n ? e.msgs[0] : "");
	def_errors_free(&e);
	struct definition *d = read_text("command: true\nfacts:\n  joblet.timeout: 600\n", &e);
	cr_assert_not_null(d);
	def_free(d);
}

/* ---- script files (issue 10 item 17) ---- */

static struct definition *read_with(const char *file, const char *text, json_t *scripts,
				    struct def_errors *e)
{
	struct def_input in = {file, text, strlen(text), "from/path", scripts};
	return def_read_input(&in, e);
}

Test(defs, a_script_can_name_a_lua_file_beside_the_yaml)
{
	struct def_errors e = {0};
	json_t *scripts = json_pack("{s:s}", "lib/spin.lua", "function job_started(job) end\n");
	struct definition *d = read_with("defs/spin.yaml", "description: d\nscript: lib/spin.lua\n",
					 scripts, &e);
	cr_assert_not_null(d, "%s", e.n ? e.msgs[0] : "");
	cr_assert_str_eq(d->script, "function job_started(job) end\n", "the file's text is the script");
	cr_assert_eq(d->script_line, 1, "lines count in the Lua file");
	cr_assert_str_eq(d->script_ref, "lib/spin.lua");
	cr_assert_str_eq(d->script_file, "defs/lib/spin.lua", "named beside the YAML");
	cr_assert_str_eq(def_script_chunk(d), "lib/spin.lua", "run-time messages name the file");
	def_free(d);
	/* "./" is the same file; a quoted name too. */
	json_decref(scripts);
	scripts = json_pack("{s:s}", "spin.lua", "x = 1\n");
	d = read_with("spin.yaml", "script: './spin.lua'\n", scripts, &e);
	cr_assert_not_null(d, "%s", e.n ? e.msgs[0] : "");
	cr_assert_str_eq(d->script_ref, "spin.lua");
	cr_assert_str_eq(d->script_file, "spin.lua", "a YAML named without a folder");
	def_free(d);
	json_decref(scripts);
	/* A block scalar stays Lua text, even when it looks like a file name. */
	d = read_with("b.yaml", "script: |\n  spin.lua\n", NULL, &e);
	cr_assert_not_null(d);
	cr_assert_str_eq(d->script, "spin.lua\n");
	cr_assert_null(d->script_ref);
	cr_assert_str_eq(def_script_chunk(d), "from/path");
	def_free(d);
	cr_assert_eq(e.n, 0);
	def_errors_free(&e);
}

Test(defs, a_script_file_that_is_missing_or_escapes_is_a_problem_at_its_line)
{
	struct def_errors e = {0};
	json_t *scripts = json_pack("{s:s}", "other.lua", "x = 1\n");
	cr_assert_null(read_with("d/t.yaml", "description: d\nscript: spin.lua\n", NULL, &e));
	cr_assert(has(&e, "d/t.yaml:2:9: script: spin.lua: no such file d/spin.lua"), "%s", e.msgs[0]);
	cr_assert_eq(e.n, 1, "said once, no 'give exactly one of command and script'");
	def_errors_free(&e);
	cr_assert_null(read_with("t.yaml", "script: /etc/x.lua\n", NULL, &e));
	cr_assert(has(&e, "t.yaml:1:9: script: /etc/x.lua: must be a file next to the definition or"
		      " below it: a relative path without '..'"));
	def_errors_free(&e);
	cr_assert_null(read_with("t.yaml", "script: ../x.lua\n", NULL, &e));
	cr_assert(has(&e, "script: ../x.lua: must be a file next to the definition"));
	def_errors_free(&e);
	cr_assert_null(read_with("t.yaml", "script: lib/../../x.lua\n", NULL, &e));
	cr_assert(has(&e, "script: lib/../../x.lua: must be a file next to the definition"));
	def_errors_free(&e);
	cr_assert_null(read_with("t.yaml", "script: spin.py\n", NULL, &e));
	cr_assert(has(&e, "t.yaml:1:9: script: spin.py: a script file must be a .lua file"));
	def_errors_free(&e);
	/* A file sent that script: does not name; and one sent for a command definition. */
	cr_assert_null(read_with("t.yaml", "script: spin.lua\n", scripts, &e));
	cr_assert(has(&e, "t.yaml:1:1: scripts: other.lua was sent with the definition, but"
		      " script: does not name it"));
	cr_assert(has(&e, "script: spin.lua: no such file"));
	def_errors_free(&e);
	cr_assert_null(read_with("t.yaml", "command: x\n", scripts, &e));
	cr_assert(has(&e, "scripts: other.lua was sent"));
	def_errors_free(&e);
	json_decref(scripts);
	scripts = json_loads("{\"spin.lua\": \"x = 1\\u0000\"}", JSON_ALLOW_NUL, NULL);
	cr_assert_null(read_with("t.yaml", "script: spin.lua\n", scripts, &e));
	cr_assert(has(&e, "t.yaml:1:9: script: spin.lua: a NUL byte is not text"));
	def_errors_free(&e);
	json_decref(scripts);
}

/* Issue 10 item 18: what a file with problems still says, for the checks across files. */
Test(defs, a_partial_read_keeps_the_name_and_the_edges_with_their_positions)
{
	const char *text = "name: a\n"					/* 1 */
			   "command: echo {{nope}}\n"			/* 2: a problem */
			   "predecessors: [p, a]\n"			/* 3: a names itself */
			   "successors:\n"				/* 4 */
			   "  - s\n"					/* 5 */
			   "  - p\n";					/* 6: also a predecessor */
	struct def_errors e = {0};
	struct def_input in = {"t.yaml", text, strlen(text), NULL, NULL};
	struct definition *d = def_read_partial(&in, &e);
	cr_assert_not_null(d);
	cr_assert_eq(e.n, 3, "three problems");
	cr_assert(has(&e, "t.yaml:3:19: predecessors: a names itself"));
	cr_assert(has(&e, "t.yaml:6:5: successors: p is also a predecessor (a cycle)"));
	cr_assert_str_eq(d->name, "a");
	cr_assert(d->net.npreds == 1 && strcmp(d->net.preds[0], "p") == 0,
		  "the entry reported is dropped, so no check across files says it again");
	cr_assert(d->net.nsuccs == 1 && strcmp(d->net.succs[0], "s") == 0);
	struct def_pos pos = def_edge_pos(d, NET_EDGE_PRED, "p");
	cr_assert(pos.line == 3 && pos.col == 16, "%d:%d", pos.line, pos.col);
	pos = def_edge_pos(d, NET_EDGE_SUCC, "s");
	cr_assert(pos.line == 5 && pos.col == 5, "%d:%d", pos.line, pos.col);
	pos = def_edge_pos(d, NET_EDGE_FAIL, "s");
	cr_assert(pos.line == 1 && pos.col == 1, "not listed there");
	def_free(d);
	def_errors_free(&e);
	cr_assert_null(def_read_input(&in, &e), "the strict read refuses it");
	def_errors_free(&e);
	in.text = "a: [";
	in.len = 4;
	cr_assert_null(def_read_partial(&in, &e), "no YAML, nothing to keep");
	cr_assert(has(&e, "YAML:"));
	def_errors_free(&e);
}
