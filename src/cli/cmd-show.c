/* `jobgrid show ID [--joblets RANGE]`: a job, its joblets by state as ranges, and every
 * joblet with its attempts for a small job or those of RANGE. */
#include "base/ranges.h"
#include "base/size.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include <getopt.h>
#include "cli/client.h"
#include "cli/output.h"
#include <stdio.h>

static int show_exec(int argc, char **argv);

enum { O_JOBLETS = 2000 };	/* after the common options' values */
/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"joblets", required_argument, NULL, O_JOBLETS}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_show = {
	"show", "[--json] [--joblets RANGE] ID",
	"a job and its joblets by state as ranges (done 0-99998, ready 99999); every joblet with"
	" its attempts for a job of at most 20, else those of --joblets RANGE (5, 0-99,"
	" 1,5,10-20). --json: the server's reply, with every joblet of RANGE when given",
	show_exec,
	.options = longopts,
};

/* A job of at most this many joblets is shown with each of them. */
#define SHOW_ALL_UP_TO 20

static const char *str(json_t *o, const char *k)
{
	const char *s = json_string_value(json_object_get(o, k));
	return s ? s : "";
}

static long long num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_attempt(json_t *a)
{
	char t1[32];
	json_t *ec = json_object_get(a, "exit_code");
	printf("    attempt %lld (#%lld) on %s", num(a, "n"), num(a, "id"), str(a, "node"));
	if (*str(a, "run_as"))
		printf(" as %s", str(a, "run_as"));
	printf(" with %lld cores, %lld MB: %s", num(a, "cores"), num(a, "ram_mb"), str(a, "state"));
	if (json_is_integer(ec))
		printf(", exit %lld", json_integer_value(ec));
	if (*str(a, "fail_reason"))
		printf(", reason %s", str(a, "fail_reason"));
	printf(", started %s, wall %.3fs, cpu %.3fs, peak %lld MB",
	       out_time(json_object_get(a, "started_at"), t1, sizeof t1),
	       (double)num(a, "wall_ms") / 1000.0, (double)num(a, "cpu_ms") / 1000.0,
	       num(a, "peak_ram_mb"));
	if (num(a, "output_dropped"))
		printf(", output %lld bytes kept, %lld dropped over the limit",
		       num(a, "output_bytes"), num(a, "output_dropped"));
	if (*str(a, "message"))
		printf(" (%s)", str(a, "message"));
	printf("\n");
	json_t *late = json_object_get(a, "late_result");
	if (json_is_object(late))
		printf("      a late report was refused and kept: exit %lld, reason '%s'\n",
		       num(late, "exit_code"), str(late, "fail_reason"));
}

/* A list field as "a, b" (strings or numbers), or NULL when empty. */
static const char *list(json_t *o, const char *k, char *buf, size_t len)
{
	json_t *arr = json_object_get(o, k), *v;
	size_t i, at = 0;
	if (json_array_size(arr) == 0)
		return NULL;
	buf[0] = '\0';
	json_array_foreach(arr, i, v) {
		int n = json_is_string(v) ? snprintf(buf + at, len - at, "%s%s", i ? ", " : "",
						     json_string_value(v))
					  : snprintf(buf + at, len - at, "%s%lld", i ? ", " : "",
						     (long long)json_integer_value(v));
		if (n < 0 || (size_t)n >= len - at)
			break;
		at += (size_t)n;
	}
	return buf;
}

/* The scheduling options that are set, one line each. */
static void print_options(json_t *j)
{
	static const char *const lists[][2] = {
		{"avoid", "avoid"}, {"limits", "limit groups"}, {"after_ok", "after ok"},
		{"after_fail", "after fail"}, {"after_any", "after any"},
		{"dep_groups", "dep groups"}, {"after_groups", "after groups"},
	};
	char buf[2048];
	const char *k;
	json_t *v, *c = json_object_get(j, "constraints");
	if (json_object_size(c)) {
		printf("  constraints");
		json_object_foreach(c, k, v)
			printf(" %s=%s", k, json_string_value(v));
		printf("\n");
	}
	for (size_t i = 0; i < sizeof lists / sizeof lists[0]; i++)
		if (list(j, lists[i][0], buf, sizeof buf))
			printf("  %-11s %s\n", lists[i][1], buf);
	if (*str(j, "not_before"))
		printf("  not before %s\n", str(j, "not_before"));
	if (*str(j, "timeslot"))
		printf("  timeslot   %s%s\n", str(j, "timeslot"),
		       json_is_true(json_object_get(j, "kill_at_slot_end")) ? " (kill at slot end)" : "");
	if (num(j, "max_running"))
		printf("  max running %lld at once\n", num(j, "max_running"));
	if (json_is_true(json_object_get(j, "retry_permanent")))
		printf("  retries    also after notfound, permission, cwd (--retry-permanent)\n");
	if (*str(j, "req_group"))
		printf("  req group  %s (override %lld)%s%s\n", str(j, "req_group"), num(j, "override"),
		       json_is_true(json_object_get(j, "ram_learned")) ? ", RAM learned" : "",
		       json_is_true(json_object_get(j, "time_learned")) ? ", time learned" : "");
}

static void print_job(json_t *j, void *arg)
{
	char t1[32], t2[32];
	printf("job %s: %s\n", str(j, "id"), str(j, "state"));
	printf("  command    %s\n  cwd        %s\n", str(j, "cmd"), str(j, "cwd"));
	printf("  owner %s, group '%s', priority %lld, created %s, ended %s\n", str(j, "owner"),
	       str(j, "group"), num(j, "priority"),
	       out_time(json_object_get(j, "created_at"), t1, sizeof t1),
	       out_time(json_object_get(j, "ended_at"), t2, sizeof t2));
	printf("  needs %lld cores, %lld MB RAM, %lld GPUs, %lld ms; retries %lld,"
	       " lost-retries %lld%s\n",
	       num(j, "cores"), num(j, "ram_mb"), num(j, "gpus"), num(j, "time_ms"),
	       num(j, "retries"), num(j, "lost_retries"),
	       json_is_true(json_object_get(j, "no_restart")) ? ", no restart" : "");
	/* What ends a joblet: the user's limits, never learned values (those book only). */
	char rl[32] = "none", tl[32] = "none";
	if (num(j, "ram_limit_mb"))
		snprintf(rl, sizeof rl, "%lld MB", num(j, "ram_limit_mb"));
	if (num(j, "time_limit_ms"))
		snprintf(tl, sizeof tl, "%lld ms", num(j, "time_limit_ms"));
	printf("  limits     RAM %s, time %s; output %s kept per attempt\n", rl, tl,
	       size_format(num(j, "output_limit"), t1, sizeof t1));
	print_options(j);
	const char *k;
	json_t *v, *jl, *a;
	size_t i, n, nstates = 0;
	printf("  joblets    %lld:", num(j, "joblet_count"));
	json_object_foreach(json_object_get(j, "joblet_ranges"), k, v)
		printf("%s %s %s", nstates++ ? "," : "", k, json_string_value(v));
	printf("\n");
	bool all = *(const bool *)arg;
	if (!all && num(j, "joblet_count") > SHOW_ALL_UP_TO) {
		printf("  (list joblets with --joblets RANGE, e.g. --joblets 0-9)\n");
		return;
	}
	json_array_foreach(json_object_get(j, "joblets"), i, jl) {
		printf("  joblet %lld: %s", num(jl, "index"), str(jl, "state"));
		if (*str(jl, "reason"))
			printf(" (%s)", str(jl, "reason"));
		printf("\n");
		json_array_foreach(json_object_get(jl, "attempts"), n, a)
			print_attempt(a);
	}
}

/* GET the job with the joblets of range (NULL: the first page only) into *out: every page
 * of range, its joblets gathered in the first reply's array. The exit status. */
static int fetch_job(const char *id, const char *range, json_t **out)
{
	char *eid = client_escape(id), *erange = range ? client_escape(range) : NULL;
	struct buf path = BUF_INIT;
	json_t *job = NULL;
	int rc = 0;
	for (const char *next = NULL;;) {
		json_t *page = NULL;
		path.len = 0;
		buf_printf(&path, "/v1/jobs/%s", eid);
		if (erange)
			buf_printf(&path, "?joblets=%s", erange);
		if (next)
			buf_printf(&path, "%sjoblets_cursor=%s", erange ? "&" : "?", next);
		if ((rc = client_call("GET", path.data, NULL, false, &page)) != 0)
			break;
		if (job == NULL)
			job = json_incref(page);
		else
			json_array_extend(json_object_get(job, "joblets"), json_object_get(page, "joblets"));
		json_object_set(job, "joblets_next", json_object_get(page, "joblets_next"));
		json_decref(page);
		next = json_string_value(json_object_get(job, "joblets_next"));
		if (range == NULL || next == NULL)
			break;
	}
	free(eid);
	free(erange);
	buf_free(&path);
	if (rc)
		json_decref(job);
	else
		*out = job;
	return rc;
}

static int show_exec(int argc, char **argv)
{
	bool json = false;
	const char *range = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case O_JOBLETS: range = optarg; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_show);
		default: return cli_usage(&cli_cmd_show);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_show, "give exactly one job id%s", "");
	struct ranges check;
	char why[300];
	if (range && ranges_parse(range, INT64_MAX, &check, why, sizeof why))
		return cli_usage_error(&cli_cmd_show, "--joblets %s", why);
	if (range)
		ranges_free(&check);
	json_t *job = NULL;
	int rc = fetch_job(argv[optind], range, &job);
	if (rc)
		return rc;
	bool all = range != NULL;
	if (json)
		out_json(job);
	else
		print_job(job, &all);
	json_decref(job);
	return EXIT_OK;
}
