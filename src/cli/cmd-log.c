/* `jobgrid log ID[/INDEX] [-f]`: the output, each line prefixed [node]; -f follows. */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int log_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_log = {
	"log", "[-f] [--json] ID[/INDEX]",
	"the output, each line prefixed [node]; -f follows it live; --json: {\"lines\": [{\"node\", \"line\"}]}"
	" (JSON lines with -f)",
	log_exec,
};

static size_t to_stdout(char *data, size_t size, size_t n, void *arg)
{
	size_t len = size * n;
	if (fwrite(data, 1, len, stdout) != len)
		return 0;
	fflush(stdout);
	return len;
}

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

struct json_log {
	struct buf partial;	/* text after the last newline seen */
	json_t *lines;		/* owned: collected lines, or NULL when each is printed */
};

static size_t to_json(char *data, size_t size, size_t n, void *arg)
{
	struct json_log *jl = arg;
	buf_append(&jl->partial, data, size * n);
	char *start = jl->partial.data, *nl;
	while ((nl = memchr(start, '\n', jl->partial.len - (size_t)(start - jl->partial.data)))) {
		*nl = '\0';
		json_t *o = line_object(start);
		if (jl->lines) {
			json_array_append_new(jl->lines, o);
		} else {
			json_dumpf(o, stdout, JSON_COMPACT);
			putchar('\n');
			fflush(stdout);
			json_decref(o);
		}
		start = nl + 1;
	}
	jl->partial.len -= (size_t)(start - jl->partial.data);
	memmove(jl->partial.data, start, jl->partial.len);
	jl->partial.data[jl->partial.len] = '\0';
	return size * n;
}

static int log_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"follow", no_argument, NULL, 'f'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
	bool follow = false, json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': follow = true; break;
		case OPT_JSON: json = true; break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(&cli_cmd_log);
		default: return cli_usage(&cli_cmd_log);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_log, "give exactly one job id%s", "");
	char *idtext = xstrdup(argv[optind]), *slash = strchr(idtext, '/'), path[700];
	long long index = -1;
	if (slash) {
		*slash = '\0';
		if (cli_int(&cli_cmd_log, "ID/INDEX", slash + 1, 0, 100000, &index)) {
			free(idtext);
			return EXIT_USAGE;
		}
	}
	char *id = client_escape(idtext);
	free(idtext);
	snprintf(path, sizeof path, "/v1/jobs/%s/log?follow=%d", id, follow);
	free(id);
	if (index >= 0)
		snprintf(path + strlen(path), sizeof path - strlen(path), "&index=%lld", index);
	if (!json)
		return client_stream(path, to_stdout, NULL);
	struct json_log jl = {{NULL, 0}, follow ? NULL : json_array()};
	int rc = client_stream(path, to_json, &jl);
	if (rc == 0 && jl.lines) {
		json_t *doc = json_pack("{s:O}", "lines", jl.lines);
		out_json(doc);
		json_decref(doc);
	}
	json_decref(jl.lines);
	buf_free(&jl.partial);
	return rc;
}
