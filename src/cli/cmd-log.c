/* `jobgrid log ID[/INDEX] [-f]`: the output, each line prefixed [node]; -f follows. */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "core/job.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int log_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"follow", no_argument, NULL, 'f'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_log = {
	"log", "[-f] [--json] ID[/INDEX]",
	"the output, each line prefixed [node]; -f follows it live; --json: {\"lines\": [{\"node\", \"line\"}]}"
	" (JSON lines with -f)",
	log_exec,
	.options = longopts,
};

/* Where the text goes: stdout as it comes, or split into JSON lines. skip counts the
 * bytes a resumed -f has already shown: the server sends the log from its start again,
 * and a log only grows, so the first skip bytes are the ones already seen. */
struct sink {
	long long skip, seen;	/* bytes to drop; bytes seen on this connection */
	bool json;
	struct buf partial;	/* --json: text after the last newline seen */
	json_t *lines;		/* owned: collected lines, or NULL when each is printed */
};

/* "[node] text" → {"node", "line"}. */
static json_t *line_object(const char *line)
{
	const char *close = line[0] == '[' ? strstr(line, "] ") : NULL;
	if (close == NULL)
		return json_pack("{s:s, s:s}", "node", "", "line", line);
	char *node = xstrndup(line + 1, (size_t)(close - line - 1));
	json_t *o = json_pack("{s:s, s:s}", "node", node, "line", close + 2);
	free(node);
	return o;
}

static void json_lines(struct sink *sk, const char *data, size_t len)
{
	buf_append(&sk->partial, data, len);
	char *start = sk->partial.data, *nl;
	while ((nl = memchr(start, '\n', sk->partial.len - (size_t)(start - sk->partial.data)))) {
		*nl = '\0';
		json_t *o = line_object(start);
		if (sk->lines) {
			json_array_append_new(sk->lines, o);
		} else {
			json_dumpf(o, stdout, JSON_COMPACT);
			putchar('\n');
			fflush(stdout);
			json_decref(o);
		}
		start = nl + 1;
	}
	sk->partial.len -= (size_t)(start - sk->partial.data);
	memmove(sk->partial.data, start, sk->partial.len);
	sk->partial.data[sk->partial.len] = '\0';
}

static size_t on_chunk(char *data, size_t size, size_t n, void *arg)
{
	struct sink *sk = arg;
	size_t len = size * n, from = 0;
	if (sk->seen < sk->skip)
		from = (size_t)(sk->skip - sk->seen) < len ? (size_t)(sk->skip - sk->seen) : len;
	sk->seen += (long long)len;
	if (from == len)
		return len;
	if (sk->json) {
		json_lines(sk, data + from, len - from);
	} else {
		if (fwrite(data + from, 1, len - from, stdout) != len - from)
			return 0;
		fflush(stdout);
	}
	return len;
}

/* After a followed stream ended: 0 when the job is final (the log's end), -1 when it is
 * not (the server stopped streaming), or the exit status of the failed question. */
static int job_final(const char *escaped_id)
{
	char path[700];
	json_t *j = NULL;
	snprintf(path, sizeof path, "/v1/jobs/%s?joblets=none", escaped_id);
	int rc = client_call("GET", path, NULL, false, &j);
	if (rc)
		return rc;	/* removed meanwhile (4), or the deadline passed */
	const char *st = json_string_value(json_object_get(j, "state"));
	bool fin = st && (strcmp(st, "done") == 0 || strcmp(st, "failed") == 0 ||
			  strcmp(st, "cancelled") == 0 || strcmp(st, "skipped") == 0);
	json_decref(j);
	return fin ? 0 : -1;
}

/* -f: follow until the job ends, across lost connections and server restarts. */
static int follow_log(const char *path, const char *escaped_id, struct sink *sk)
{
	int tries = 0;
	client_set_patient(0);
	for (;;) {
		bool lost = false;
		sk->seen = 0;
		int rc = client_stream(path, on_chunk, sk, &lost);
		if (sk->seen > sk->skip)
			sk->skip = sk->seen;
		if (rc == 0 && (rc = job_final(escaped_id)) >= 0)
			return rc;	/* a stream ends with the job, or with a server that stops */
		if (rc > 0 && !lost)
			return rc;
		if (rc < 0)
			fprintf(stderr, "jobgrid: the server at %s ended the stream before the job"
					" ended\n", client_server());
		if ((rc = client_pause_after_loss(&tries)) != 0)
			return rc;
	}
}

static int log_exec(int argc, char **argv)
{
	bool follow = false, json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': follow = true; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_log);
		default: return cli_usage(&cli_cmd_log);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_log, "give exactly one job id%s", "");
	/* The server reads ID/INDEX itself: a definition's name may hold '/' too. */
	struct job_ref ref;
	if (job_ref_parse(argv[optind], &ref))
		return cli_usage_error(&cli_cmd_log, "'%s' is no job id (SEQ, OWNER.NAME.SEQ, "
				       "optionally /INDEX)", argv[optind]);
	char *id = client_escape(argv[optind]), path[700];
	char *job_only = xstrndup(argv[optind], ref.id_len), *job = client_escape(job_only);
	snprintf(path, sizeof path, "/v1/jobs/%s/log?follow=%d", id, follow);
	struct sink sk = {0, 0, json, {NULL, 0}, json && !follow ? json_array() : NULL};
	int rc = follow ? follow_log(path, job, &sk) : client_stream(path, on_chunk, &sk, NULL);
	free(job_only);
	free(job);
	if (rc == 0 && sk.lines) {
		json_t *doc = json_pack("{s:O}", "lines", sk.lines);
		out_json(doc);
		json_decref(doc);
	}
	free(id);
	json_decref(sk.lines);
	buf_free(&sk.partial);
	return rc;
}
