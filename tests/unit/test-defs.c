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
