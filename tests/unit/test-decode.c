/* Strict request decoding: defaults, every rule with the field it names, batches. */
#include "api/decode.h"
#include <criterion/criterion.h>
#include <string.h>

static json_t *parse(const char *text)
{
	json_error_t err;
	json_t *j = json_loads(text, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY, &err);
	cr_assert_not_null(j, "test input is JSON: %s", err.text);
	return j;
}

static void reject(const char *text, int status, const char *field)
{
	json_t *j = parse(text);
	struct derr e;
	struct job_req *reqs = NULL;
	size_t n = 0;
	cr_assert_eq(decode_job_batch(j, "alice", 0, &reqs, &n, &e), -1, "%s should be refused", text);
	cr_assert_eq(api_error_status(e.err), status, "%s: status %d, want %d (%s)", text, api_error_status(e.err), status, e.message);
	cr_assert_str_eq(e.field, field, "%s: field '%s', want '%s'", text, e.field, field);
	cr_assert(strlen(e.message) > strlen(field) + 5, "the message says the rule: %s", e.message);
	cr_assert_null(reqs);
	json_decref(j);
}

Test(decode, defaults)
{
	json_t *j = parse("{\"cmd\":\"/usr/bin/python3 run.py --fast\"}");
	struct derr e;
	struct job_req *r;
	size_t n;
	cr_assert_eq(decode_job_batch(j, "alice", 0, &r, &n, &e), 0);
	cr_assert_eq(n, 1);
	cr_assert_str_eq(r->spec.name, "python3", "named after the command's first word");
	cr_assert_str_eq(r->spec.owner, "alice");
	cr_assert_str_eq(r->spec.cwd, "/tmp");
	cr_assert(r->spec.cwd_default, "no cwd: the default, and it says so");
	cr_assert_str_eq(r->spec.group, "");
	cr_assert_eq(r->spec.cores, 1);
	cr_assert_eq(r->spec.lost_retries, 3);
	cr_assert_eq(r->spec.retries, 0);
	cr_assert_eq(r->spec.njoblets, 1);
	cr_assert_eq(r->spec.priority, 0);
	cr_assert_null(r->spec.env);
	cr_assert(!r->spec.no_restart && !r->spec.unique);
	job_req_free(r);
	free(r);
	json_decref(j);
}

Test(decode, every_field)
{
	json_t *j = parse("[{\"cmd\":\"a\"},{\"cmd\":\"b\",\"name\":\"nm\",\"group\":\"g\",\"req_group\":\"r\","
			  "\"cwd\":\"/srv\",\"env\":{\"B\":\"2\",\"A\":\"1\"},\"cores\":0,\"ram_mb\":5,"
			  "\"time_ms\":6,\"gpus\":7,\"priority\":255,\"retries\":8,\"lost_retries\":0,"
			  "\"retry_delay_ms\":9,\"no_restart\":true,\"joblets\":10,\"unique\":true}]");
	struct derr e;
	struct job_req *r;
	size_t n;
	cr_assert_eq(decode_job_batch(j, "bob", 0, &r, &n, &e), 0, "%s", e.message);
	cr_assert_eq(n, 2);
	struct job_spec *s = &r[1].spec;
	cr_assert_str_eq(s->name, "nm");
	cr_assert_str_eq(s->group, "g");
	cr_assert_str_eq(s->req_group, "r");
	cr_assert_str_eq(s->cwd, "/srv");
	cr_assert(!s->cwd_default, "a cwd given is not the default");
	cr_assert_str_eq(s->env, "{\"A\":\"1\",\"B\":\"2\"}", "env is stored sorted and compact");
	cr_assert_eq(s->cores, 0);
	cr_assert_eq(s->ram_mb, 5);
	cr_assert_eq(s->time_ms, 6);
	cr_assert_eq(s->gpus, 7);
	cr_assert_eq(s->priority, 255);
	cr_assert_eq(s->retries, 8);
	cr_assert_eq(s->lost_retries, 0);
	cr_assert_eq(s->retry_delay_ms, 9);
	cr_assert(s->no_restart && s->unique);
	cr_assert_eq(s->njoblets, 10);
	for (size_t i = 0; i < n; i++)
		job_req_free(&r[i]);
	free(r);
	json_decref(j);
}

Test(decode, rejections)
{
	reject("{\"name\":\"x\"}", 400, "cmd");
	reject("{\"cmd\":7}", 400, "cmd");
	reject("{\"cmd\":\"\"}", 422, "cmd");
	reject("{\"cmd\":\"x\",\"what\":1}", 400, "what");
	reject("{\"cmd\":\"x\",\"cores\":-1}", 422, "cores");
	reject("{\"cmd\":\"x\",\"cores\":4097}", 422, "cores");
	reject("{\"cmd\":\"x\",\"cores\":1.5}", 400, "cores");
	reject("{\"cmd\":\"x\",\"cores\":\"2\"}", 400, "cores");
	reject("{\"cmd\":\"x\",\"ram_mb\":-5}", 422, "ram_mb");
	reject("{\"cmd\":\"x\",\"time_ms\":true}", 400, "time_ms");
	reject("{\"cmd\":\"x\",\"gpus\":257}", 422, "gpus");
	reject("{\"cmd\":\"x\",\"priority\":256}", 422, "priority");
	reject("{\"cmd\":\"x\",\"retries\":1001}", 422, "retries");
	reject("{\"cmd\":\"x\",\"lost_retries\":-1}", 422, "lost_retries");
	reject("{\"cmd\":\"x\",\"retry_delay_ms\":86400001}", 422, "retry_delay_ms");
	reject("{\"cmd\":\"x\",\"joblets\":0}", 422, "joblets");
	reject("{\"cmd\":\"x\",\"joblets\":100001}", 422, "joblets");
	reject("{\"cmd\":\"x\",\"no_restart\":1}", 400, "no_restart");
	reject("{\"cmd\":\"x\",\"unique\":\"yes\"}", 400, "unique");
	reject("{\"cmd\":\"x\",\"cwd\":\"rel/dir\"}", 422, "cwd");
	reject("{\"cmd\":\"x\",\"name\":\"has space\"}", 422, "name");
	reject("{\"cmd\":\"x\",\"name\":\"\"}", 422, "name");
	reject("{\"cmd\":\"x\",\"env\":\"A=1\"}", 400, "env");
	reject("{\"cmd\":\"x\",\"env\":{\"9A\":\"v\"}}", 422, "env.9A");
	reject("{\"cmd\":\"x\",\"env\":{\"A\":null}}", 422, "env.A");
	reject("{\"cmd\":\"x\",\"group\":7}", 400, "group");
	reject("[]", 422, "");
	reject("\"text\"", 400, "");
	reject("[{\"cmd\":\"a\"},{\"cmd\":\"b\"},{\"cores\":1}]", 400, "[2].cmd");
	reject("[{\"cmd\":\"a\"},5]", 400, "[1].");
}

Test(decode, patch)
{
	struct derr e;
	struct job_spec m;
	unsigned mask;
	json_t *j = parse("{\"priority\":3,\"time_ms\":100}");
	cr_assert_eq(decode_job_patch(j, 0, &m, &mask, &e), 0);
	cr_assert_eq(m.priority, 3);
	cr_assert_eq(m.time_ms, 100);
	cr_assert_eq(m.cores, -1, "fields not given stay -1");
	json_decref(j);
	j = parse("{}");
	cr_assert_eq(decode_job_patch(j, 0, &m, &mask, &e), -1);
	json_decref(j);
	j = parse("{\"cmd\":\"x\"}");
	cr_assert_eq(decode_job_patch(j, 0, &m, &mask, &e), -1, "cmd cannot change");
	cr_assert_str_eq(e.field, "cmd");
	json_decref(j);
}

Test(decode, finish)
{
	struct derr e;
	struct finish f;
	json_t *j = parse("{\"attempt\":5,\"exit_code\":2,\"fail_reason\":\"exit\",\"cpu_ms\":9,"
			  "\"message\":\"m\",\"worker_stop\":false,\"wall_ms\":4012,"
			  "\"output_bytes\":104857640,\"output_dropped\":895142400,"
			  "\"run_as\":\"alice\"}");
	cr_assert_eq(decode_finish(j, "", true, &f, &e), 0, "%s", e.message);
	cr_assert_eq(f.attempt, 5);
	cr_assert_eq(f.wall_ms, 4012, "the worker's measure of the run");
	cr_assert_eq(f.output_bytes, 104857640);
	cr_assert_eq(f.output_dropped, 895142400);
	cr_assert(f.has_exit);
	cr_assert_eq(f.exit_code, 2);
	cr_assert_eq(f.fail_reason, FR_EXIT);
	cr_assert_str_eq(f.message, "m");
	cr_assert_str_eq(f.run_as, "alice", "the account it ran as");
	json_decref(j);
	j = parse("{\"attempt\":6}");
	cr_assert_eq(decode_finish(j, "", true, &f, &e), 0, "%s", e.message);
	cr_assert_eq(f.wall_ms, -1, "no wall_ms: not measured");
	cr_assert_null(f.run_as, "no run_as: never started");
	json_decref(j);
	const char *bad[][2] = {
		{"{\"attempt\":5,\"fail_reason\":\"lost\"}", "fail_reason"},
		{"{\"attempt\":5,\"fail_reason\":\"sleepy\"}", "fail_reason"},
		{"{\"fail_reason\":\"\"}", "attempt"},
		{"{\"attempt\":5,\"exit_code\":300}", "exit_code"},
		{"{\"attempt\":5,\"output\":[]}", "output"},	/* output never rides in it */
		{"{\"attempt\":5,\"wall_ms\":-1}", "wall_ms"},
		{"{\"attempt\":5,\"output_dropped\":\"9\"}", "output_dropped"},
		{"{\"attempt\":5,\"output_bytes\":-5}", "output_bytes"},
		{"{\"attempt\":5,\"extra\":1}", "extra"},
		{"{\"attempt\":5,\"run_as\":7}", "run_as"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = parse(bad[i][0]);
		cr_assert_eq(decode_finish(j, "", true, &f, &e), -1, "%s", bad[i][0]);
		cr_assert_str_eq(e.field, bad[i][1], "%s: field %s", bad[i][0], e.field);
		json_decref(j);
	}
}

Test(decode, names)
{
	char *n = name_from_cmd("  ./bin/my tool.sh arg");
	cr_assert_str_eq(n, "my");
	free(n);
	n = name_from_cmd("echo|wc");
	cr_assert_str_eq(n, "echo");
	free(n);
	n = name_from_cmd("\xc3\xa9t\xc3\xa9 x");
	cr_assert_str_eq(n, "__t__", "odd bytes become _");
	free(n);
	n = name_from_cmd("   ");
	cr_assert_str_eq(n, "job");
	free(n);
	cr_assert(name_valid("a.b-c_9", 128));
	cr_assert(!name_valid("a/b", 128));
	cr_assert(!name_valid("", 128));
}

/* The submitter's environment: kept as sorted JSON; bad names refused naming the variable;
 * an error never repeats a value (it may be a secret); larger than a job carries refused. */
Test(decode, submit_env)
{
	json_t *j = parse("{\"cmd\":\"x\",\"submit_env\":{\"V\":\"1\",\"HOME\":\"/h\"},"
			  "\"env\":{\"V\":\"2\"}}");
	struct derr e;
	struct job_req *reqs = NULL;
	size_t n = 0;
	cr_assert_eq(decode_job_batch(j, "alice", 0, &reqs, &n, &e), 0, "%s", e.message);
	cr_assert_str_eq(reqs[0].spec.submit_env, "{\"HOME\":\"/h\",\"V\":\"1\"}");
	cr_assert_str_eq(reqs[0].spec.env, "{\"V\":\"2\"}");
	job_req_free(&reqs[0]);
	free(reqs);
	json_decref(j);
	reject("{\"cmd\":\"x\",\"submit_env\":[\"A=1\"]}", 400, "submit_env");
	reject("{\"cmd\":\"x\",\"submit_env\":{\"BASH_FUNC_f%%\":\"() {}\"}}", 422,
	       "submit_env.BASH_FUNC_f%%");
	reject("{\"cmd\":\"x\",\"submit_env\":{\"TOKEN\":7}}", 422, "submit_env.TOKEN");

	/* One variable of 1 MiB: more than a job carries. */
	size_t big = SUBMIT_ENV_MAX_BYTES;
	char *text = malloc(big + 64);
	int at = snprintf(text, 64, "{\"cmd\":\"x\",\"submit_env\":{\"BIG\":\"");
	memset(text + at, 'x', big);
	strcpy(text + at + big, "\"}}");
	j = parse(text);
	free(text);
	cr_assert_eq(decode_job_batch(j, "alice", 0, &reqs, &n, &e), -1);
	cr_assert_str_eq(e.field, "submit_env", "the whole is too large: %s", e.message);
	cr_assert_null(strstr(e.message, "xxx"), "no value in the error: %s", e.message);
	json_decref(j);
}

Test(decode, remove)
{
	json_t *ids, *j = parse("{\"ids\":[\"12\",\"root.jn/a.2\"],\"force\":true}");
	bool force = false;
	struct derr e;
	cr_assert_eq(decode_remove(j, &ids, &force, &e), 0, "%s", e.message);
	cr_assert_eq(json_array_size(ids), 2);
	cr_assert(force);
	json_decref(j);
	const char *bad[][2] = {{"[]", ""}, {"{\"ids\":[]}", "ids"}, {"{\"ids\":\"12\"}", "ids"},
				{"{\"ids\":[12]}", "ids[0]"}, {"{\"ids\":[\"\"]}", "ids[0]"},
				{"{\"ids\":[\"1\"],\"force\":1}", "force"},
				{"{\"ids\":[\"1\"],\"all\":true}", "all"}};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		j = parse(bad[i][0]);
		cr_assert_eq(decode_remove(j, &ids, &force, &e), -1, "%s refused", bad[i][0]);
		cr_assert_str_eq(e.field, bad[i][1], "%s names %s, not %s", bad[i][0], bad[i][1],
				 e.field);
		json_decref(j);
	}
}

Test(decode, output_limit)
{
	json_t *j = parse("[{\"cmd\":\"a\"},{\"cmd\":\"b\",\"output_limit\":1024},"
			  "{\"cmd\":\"c\",\"output_limit\":0},{\"cmd\":\"d\",\"output_limit\":null}]");
	struct derr e;
	struct job_req *r;
	size_t n;
	cr_assert_eq(decode_job_batch(j, "alice", 0, &r, &n, &e), 0, "%s", e.message);
	cr_assert_null(r[0].spec.x, "no option, no extension");
	cr_assert(r[1].spec.x && r[1].spec.x->has_output_limit && r[1].spec.x->output_limit == 1024);
	cr_assert(r[2].spec.x && r[2].spec.x->has_output_limit && r[2].spec.x->output_limit == 0,
		  "0 keeps nothing but the marker");
	cr_assert(r[3].spec.x == NULL || !r[3].spec.x->has_output_limit, "null: the default");
	for (size_t i = 0; i < n; i++)
		job_req_free(&r[i]);
	free(r);
	json_decref(j);
	reject("{\"cmd\":\"a\",\"output_limit\":-1}", 422, "output_limit");
	reject("{\"cmd\":\"a\",\"output_limit\":1099511627777}", 422, "output_limit");
	reject("{\"cmd\":\"a\",\"output_limit\":\"100M\"}", 422, "output_limit");
	reject("[{\"cmd\":\"a\"},{\"cmd\":\"b\",\"output_limit\":1.5}]", 422, "[1].output_limit");
}

Test(decode, chunk_params)
{
	struct derr e;
	int64_t off = -1, at = -1;
	cr_assert_eq(decode_chunk_params("1048576", "1700000000000", &off, &at, &e), 0);
	cr_assert_eq(off, 1048576);
	cr_assert_eq(at, 1700000000000);
	cr_assert_eq(decode_chunk_params("0", NULL, &off, &at, &e), 0);
	cr_assert_eq(at, 0, "no at_ms: 0, the server's clock");
	const char *bad[][3] = {
		{NULL, "1", "offset"},	{"", NULL, "offset"},	  {"-1", NULL, "offset"},
		{"1e3", NULL, "offset"},	{" 1", NULL, "offset"},	  {"0x10", NULL, "offset"},
		{"99999999999999999999", NULL, "offset"}, {"1", "soon", "at_ms"}, {"1", "-5", "at_ms"},
	};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		cr_assert_eq(decode_chunk_params(bad[i][0], bad[i][1], &off, &at, &e), -1,
			     "offset=%s at_ms=%s should be refused", bad[i][0] ? bad[i][0] : "(none)",
			     bad[i][1] ? bad[i][1] : "(none)");
		cr_assert_str_eq(e.field, bad[i][2]);
		cr_assert_eq(api_error_status(e.err), 400);
	}
}
