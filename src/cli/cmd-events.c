/* `jobgrid events [--job ID]`: lifecycle events as JSON lines, live (from SSE). */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int events_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_events = {
	"events", "[--job ID]", "lifecycle events as JSON lines, live", events_exec,
};

struct sse {
	char *line;		/* from malloc: the partial line carried between chunks */
	size_t len;
};

/* Print the `data:` of each event; comments and `event:` lines are dropped. */
static size_t on_chunk(char *data, size_t size, size_t n, void *arg)
{
	struct sse *s = arg;
	size_t len = size * n;
	s->line = xrealloc(s->line, s->len + len + 1, 1);
	memcpy(s->line + s->len, data, len);
	s->len += len;
	s->line[s->len] = '\0';
	char *start = s->line, *nl;
	while ((nl = memchr(start, '\n', s->len - (size_t)(start - s->line)))) {
		*nl = '\0';
		if (strncmp(start, "data: ", 6) == 0) {
			printf("%s\n", start + 6);
			fflush(stdout);
		}
		start = nl + 1;
	}
	s->len -= (size_t)(start - s->line);
	memmove(s->line, start, s->len);
	return len;
}

static int events_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"job", required_argument, NULL, 'j'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
	const char *job = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': job = optarg; break;
		case OPT_JSON: break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(&cli_cmd_events);
		default: return cli_usage(&cli_cmd_events);
		}
	}
	char path[600] = "/v1/events";
	if (job) {
		char *e = client_escape(job);
		snprintf(path, sizeof path, "/v1/events?job=%s", e);
		free(e);
	}
	struct sse s = {NULL, 0};
	int rc = client_stream(path, on_chunk, &s);
	free(s.line);
	return rc;
}
