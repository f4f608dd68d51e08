/* `jobgrid list`: one line a job, newest first, following the server's pages up to
 * --limit (or all of them); says how many more there are and how to see them. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

static int list_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"state", required_argument, NULL, 's'}, {"group", required_argument, NULL, 'g'},
	{"owner", required_argument, NULL, 'o'}, {"limit", required_argument, NULL, 'l'},
	{"all", no_argument, NULL, 'a'}, {"cursor", required_argument, NULL, 'c'},
	{"oldest", no_argument, NULL, 'O'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_list = {
	"list",
	"[--state S] [--group G] [--owner U] [--limit N | --all] [--cursor C] [--oldest] [--json]",
	"one line a job, newest first (--oldest: oldest first); 100 unless --limit or --all",
	list_exec,
	.options = longopts,
};

static void append_q(char *q, size_t len, const char *key, const char *val)
{
	if (val == NULL)
		return;
	char *e = client_escape(val);
	size_t n = strlen(q);
	snprintf(q + n, len - n, "&%s=%s", key, e);
	free(e);
}

/* Column widths from the rows shown, so a long id (a definition's path) keeps them in
 * line with each other and with the header. */
struct widths {
	int id, state;
};

static void print_line(json_t *j, const struct widths *w)
{
	char t[32];
	json_t *counts = json_object_get(j, "counts");
	long long total = json_integer_value(json_object_get(j, "joblet_count"));
	long long done = json_integer_value(json_object_get(counts, "done"));
	const char *cmd = json_string_value(json_object_get(j, "cmd"));
	char progress[48];
	snprintf(progress, sizeof progress, "%lld/%lld", done, total);
	printf("%-*s  %-*s  %3lld  %11s  %-11s  %.*s\n", w->id,
	       json_string_value(json_object_get(j, "id")), w->state,
	       json_string_value(json_object_get(j, "state")),
	       json_integer_value(json_object_get(j, "priority")), progress,
	       out_time(json_object_get(j, "created_at"), t, sizeof t),
	       out_tty(stdout) ? 60 : 100000, cmd ? cmd : "");
	const char *why = json_string_value(json_object_get(j, "reason"));
	if (why && *why)
		printf("%-*s  why: %s\n", w->id, "", why);
}

static void print_table(json_t *jobs)
{
	struct widths w = {2, 5};	/* "ID", "STATE" */
	size_t i;
	json_t *j;
	json_array_foreach(jobs, i, j) {
		int n = (int)strlen(json_string_value(json_object_get(j, "id")));
		int m = (int)strlen(json_string_value(json_object_get(j, "state")));
		w.id = n > w.id ? n : w.id;
		w.state = m > w.state ? m : w.state;
	}
	if (out_tty(stdout))	/* a pipe gets the rows alone */
		printf("%-*s  %-*s  %3s  %11s  %-11s  %s\n", w.id, "ID", w.state, "STATE", "PRI",
		       "DONE/ALL", "CREATED", "COMMAND");
	json_array_foreach(jobs, i, j)
		print_line(j, &w);
}

struct list_query {
	const char *state, *group, *owner;
	const char *cursor;	/* where to start, as the server gave it; NULL: the first page */
	long long limit;	/* 0: all */
	bool oldest;
};

/* Follow the server's pages up to q->limit jobs, into *all. The last page's reply, for its
 * next_cursor and more, in *last (owned by the caller). */
static int fetch(const struct list_query *q, json_t *all, json_t **last)
{
	char cursor[32];
	snprintf(cursor, sizeof cursor, "%s", q->cursor ? q->cursor : "0");
	for (;;) {
		char path[1200];
		long long page = q->limit ? q->limit - (long long)json_array_size(all) : 10000;
		snprintf(path, sizeof path, "/v1/jobs?limit=%lld&cursor=%s&order=%s",
			 page > 10000 ? 10000 : page, cursor, q->oldest ? "asc" : "desc");
		append_q(path, sizeof path, "state", q->state);
		append_q(path, sizeof path, "group", q->group);
		append_q(path, sizeof path, "owner", q->owner);
		json_decref(*last);
		*last = NULL;
		int rc = client_call("GET", path, NULL, false, last);
		if (rc)
			return rc;
		json_array_extend(all, json_object_get(*last, "jobs"));
		const char *next = json_string_value(json_object_get(*last, "next_cursor"));
		if (next == NULL || (q->limit && (long long)json_array_size(all) >= q->limit))
			return 0;
		snprintf(cursor, sizeof cursor, "%s", next);
	}
}

static int list_exec(int argc, char **argv)
{
	struct list_query q = {NULL, NULL, NULL, NULL, 100, false};
	bool json = false, all_given = false, limit_given = false;
	long long v;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 's': q.state = optarg; break;
		case 'g': q.group = optarg; break;
		case 'o': q.owner = optarg; break;
		case 'l':
			if (cli_int(&cli_cmd_list, "limit", optarg, 1, 10000000, &q.limit))
				return EXIT_USAGE;
			limit_given = true;
			break;
		case 'a': all_given = true; break;
		case 'c':
			if (cli_int(&cli_cmd_list, "cursor", optarg, 1, INT64_MAX, &v))
				return EXIT_USAGE;
			q.cursor = optarg;
			break;
		case 'O': q.oldest = true; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_list);
		default: return cli_usage(&cli_cmd_list);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_list, "unexpected argument '%s'", argv[optind]);
	if (all_given && limit_given)
		return cli_usage_error(&cli_cmd_list, "give --limit N or --all, not both%s", "");
	if (all_given)
		q.limit = 0;
	json_t *all = json_array(), *last = NULL;
	int rc = fetch(&q, all, &last);
	json_t *next = json_object_get(last, "next_cursor");
	long long more = json_integer_value(json_object_get(last, "more"));
	if (rc == 0 && json) {
		json_t *doc = json_pack("{s:O, s:O, s:I}", "jobs", all, "next_cursor",
					next ? next : json_null(), "more", (json_int_t)more);
		out_json(doc);
		json_decref(doc);
	} else if (rc == 0) {
		print_table(all);
		if (json_is_string(next))	/* on stderr: a pipe reading the rows is not misled */
			fprintf(stderr, "(%lld more %s; --limit N or --all shows more, --cursor %s the"
					" next page)\n", more, q.oldest ? "newer" : "older",
				json_string_value(next));
	}
	json_decref(last);
	json_decref(all);
	return rc;
}
