/* `jobgrid script [--reply-fd N]` (internal): run one Lua request (src/script/script.h)
 * read on stdin and write the reply as JSON to stdout or fd N. The server runs it for its
 * handlers, the worker as the joblet's process for joblet_started. A CPU limit stops what
 * the instruction budget cannot (a runaway C function such as a backtracking pattern). In
 * worker mode a failed call exits 1 with its error and traceback on stderr (the log). */
#include "base/buf.h"
#include "cli/cli.h"
#include "script/script.h"
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REQUEST ((size_t)8 << 20)
#define CPU_SECONDS 10

static int script_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_script = {
	"script", "[--reply-fd N] (internal; the server and workers run it)",
	"run a Lua script request read on stdin", script_exec,
};

/* The whole of stdin, at most MAX_REQUEST bytes; then stdin becomes /dev/null, as for any
 * joblet. NULL when it is too big. */
static char *read_request(size_t *len)
{
	struct buf in = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0 && in.len <= MAX_REQUEST)
		buf_append(&in, chunk, (size_t)n);
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	*len = in.len;
	char *text = in.len <= MAX_REQUEST ? strdup(buf_cstr(&in)) : NULL;
	buf_free(&in);
	return text;
}

static int write_all(int fd, const char *s)
{
	for (size_t len = strlen(s); len;) {
		ssize_t n = write(fd, s, len);
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Worker mode: the first failed call's error and traceback on stderr; 1 if one failed. */
static int report_failure(json_t *reply)
{
	json_t *res = json_array_get(json_object_get(reply, "results"), 0);
	const char *err = json_string_value(json_object_get(reply, "error"));
	const char *tb = json_string_value(json_object_get(reply, "traceback"));
	if (err == NULL && res && !json_is_true(json_object_get(res, "ok"))) {
		err = json_string_value(json_object_get(res, "error"));
		tb = json_string_value(json_object_get(res, "traceback"));
	}
	if (err == NULL)
		return 0;
	fprintf(stderr, "joblet_started: %s\n%s%s", err, tb ? tb : "", tb ? "\n" : "");
	return 1;
}

static int script_exec(int argc, char **argv)
{
	int reply_fd = STDOUT_FILENO;
	if (argc == 3 && strcmp(argv[1], "--reply-fd") == 0)
		reply_fd = atoi(argv[2]);
	else if (argc != 1)
		return cli_usage(&cli_cmd_script);
	if (reply_fd != STDOUT_FILENO)	/* commands run by joblet:run must not inherit it */
		fcntl(reply_fd, F_SETFD, FD_CLOEXEC);
	cli_child_limits(CPU_SECONDS, (long long)1 << 30);
	size_t len;
	char *text = read_request(&len);
	json_error_t je;
	json_t *req = text ? json_loadb(text, len, 0, &je) : NULL, *reply;
	const char *why = text ? "request: not JSON" : "request: bigger than 8 MiB";
	free(text);
	if (req == NULL)
		reply = json_pack("{s:[], s:s, s:n, s:n, s:{}, s:[]}", "handlers", "error", why,
				  "traceback", "stopped", "job_facts", "results");
	else
		reply = script_run(req);
	const char *mode = json_string_value(json_object_get(req, "mode"));
	bool worker = mode && strcmp(mode, "worker") == 0;
	char *out = json_dumps(reply, JSON_COMPACT);
	int rc = out && write_all(reply_fd, out) == 0 ? 0 : 2;
	free(out);
	if (worker && rc == 0)
		rc = report_failure(reply);
	json_decref(reply);
	json_decref(req);
	return rc;
}
