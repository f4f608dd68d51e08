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

/* The stream as read so far: a partial line carried between chunks, and the id of the last
 * event shown, which a new connection resumes after (?after=). */
struct events_read {
	struct buf partial;
	char id[64];		/* of the message being read */
	char last_id[64];	/* of the last whole message: "" before any */
};

/* One line of the stream: print a `data:` line; note ids; a blank line ends a message,
 * whose id then counts as seen. Comments and `event:` lines are dropped. */
static void on_line(struct events_read *r, const char *line)
{
	if (strncmp(line, "data: ", 6) == 0) {
		printf("%s\n", line + 6);
		fflush(stdout);
	} else if (strncmp(line, "id: ", 4) == 0) {
		snprintf(r->id, sizeof r->id, "%s", line + 4);
	} else if (strcmp(line, "event: reset") == 0) {
		fprintf(stderr, "jobgrid: the server no longer has the events of that time:"
			" events until the stream is back are not shown\n");
	} else if (line[0] == '\0' && r->id[0]) {
		memcpy(r->last_id, r->id, sizeof r->id);
		r->id[0] = '\0';
	}
}

/* arg is the struct events_read. */
static size_t on_chunk(char *data, size_t size, size_t n, void *arg)
{
	struct events_read *r = arg;
	struct buf *b = &r->partial;
	size_t len = size * n;
	buf_append(b, data, len);
	char *start = b->data, *nl;
	while ((nl = memchr(start, '\n', b->len - (size_t)(start - b->data)))) {
		*nl = '\0';
		on_line(r, start);
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
	char path[700] = "/v1/events", base[600] = "/v1/events";
	if (job) {
		char *e = client_escape(job);
		snprintf(base, sizeof base, "/v1/events?job=%s", e);
		free(e);
		snprintf(path, sizeof path, "%s", base);
	}
	/* Live until interrupted: a lost server is waited for, and the stream resumes after
	 * the last event shown; the server says when it no longer has what was missed. */
	struct events_read r = {{NULL, 0}, "", ""};
	int rc, tries = 0;
	client_set_patient(0);
	for (;;) {
		bool lost = false;
		rc = client_stream(path, on_chunk, &r, &lost);
		r.partial.len = 0;	/* a line cut by the break is dropped, and its message */
		if (r.partial.data)
			r.partial.data[0] = '\0';
		r.id[0] = '\0';
		if (rc != 0 && !lost)
			break;
		if (rc == 0)
			fprintf(stderr, "jobgrid: the server at %s ended the stream\n", client_server());
		if (r.last_id[0]) {
			char *e = client_escape(r.last_id);	/* the server's text, into a URL */
			snprintf(path, sizeof path, "%s%cafter=%s", base, job ? '&' : '?', e);
			free(e);
			fprintf(stderr, "jobgrid: the stream resumes after the last event shown\n");
		} else {
			fprintf(stderr, "jobgrid: events until the stream is back are not shown\n");
		}
		if ((rc = client_pause_after_loss(&tries)) != 0)
			break;
	}
	buf_free(&r.partial);
	return rc;
}
