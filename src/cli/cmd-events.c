/* `jobgrid events [--job ID]`: lifecycle events as JSON lines, live (from SSE). */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int events_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"job", required_argument, NULL, 'j'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_events = {
	"events", "[--job ID]", "lifecycle events as JSON lines, live", events_exec,
	.options = longopts,
};

/* Print the `data:` of each event; comments and `event:` lines are dropped. arg is the
 * struct buf carrying a partial line between chunks. */
static size_t on_chunk(char *data, size_t size, size_t n, void *arg)
{
	struct buf *b = arg;
	size_t len = size * n;
	buf_append(b, data, len);
	char *start = b->data, *nl;
	while ((nl = memchr(start, '\n', b->len - (size_t)(start - b->data)))) {
		*nl = '\0';
		if (strncmp(start, "data: ", 6) == 0) {
			printf("%s\n", start + 6);
			fflush(stdout);
		}
		start = nl + 1;
	}
	b->len -= (size_t)(start - b->data);
	memmove(b->data, start, b->len);
	b->data[b->len] = '\0';
	return len;
}

static int events_exec(int argc, char **argv)
{
	const char *job = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'j': job = optarg; break;
		case OPT_JSON: break;
		CLI_COMMON_CASES;
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
	/* Live until interrupted: a lost server is waited for, and the gap said. */
	struct buf partial = {NULL, 0};
	int rc, tries = 0;
	client_set_patient(0);
	for (;;) {
		bool lost = false;
		rc = client_stream(path, on_chunk, &partial, &lost);
		partial.len = 0;	/* a line cut by the break is dropped */
		if (partial.data)
			partial.data[0] = '\0';
		if (rc != 0 && !lost)
			break;
		if (rc == 0)
			fprintf(stderr, "jobgrid: the server at %s ended the stream\n", client_server());
		fprintf(stderr, "jobgrid: events until the stream is back are not shown\n");
		if ((rc = client_pause_after_loss(&tries)) != 0)
			break;
	}
	buf_free(&partial);
	return rc;
}
