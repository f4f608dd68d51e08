/* `jobgrid script [--reply-fd N]` (internal): run one Lua request (src/script/script.h)
 * read on stdin and write the reply as compact JSON to stdout or fd N; exit 0. The server
 * runs it for its handlers with stdout a pipe; the worker runs it as the joblet's process
 * (stdin a memfd with the request, stdout/stderr the joblet's log, --reply-fd 3 a memfd).
 *
 * A soft CPU limit stops what the instruction budget cannot: a C function that runs away
 * (a backtracking string.find) never reaches Lua's count hook, so the process ends by
 * SIGXCPU (then SIGKILL at the hard limit) and its parent reports that. In worker mode a
 * failed call also goes to stderr ("HANDLER: MESSAGE\nTRACEBACK"), for the log, and the
 * exit status is 1. */
#include "base/buf.h"
#include "cli/cli.h"
#include "script/script.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define MAX_REQUEST ((size_t)8 << 20)
#define CPU_SECONDS 10
/* The address space besides the script's memory budget: the binary, the request parsed
 * twice over, the reply. */
#define AS_BASE ((long long)1 << 30)

static int script_exec(int argc, char **argv);

static const struct option script_options[] = {
	{"reply-fd", required_argument, NULL, 'r'}, {"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_script = {
	"script", "[--reply-fd N]   (internal; the server and workers run it)",
	"internal: run a Lua script request read on stdin", script_exec,
	.options = script_options,
};

/* The whole of stdin into in, at most MAX_REQUEST bytes (false when there is more); then
 * stdin becomes /dev/null, for the commands joblet:run starts. */
static bool read_request(struct buf *in)
{
	char chunk[65536];
	for (;;) {
		ssize_t n = read(STDIN_FILENO, chunk, sizeof chunk);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0 || in->len + (size_t)n > MAX_REQUEST) {
			if (n > 0)
				in->len = MAX_REQUEST + 1;	/* too big: what is left stays unread */
			break;
		}
		buf_append(in, chunk, (size_t)n);
	}
	int devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	return in->len <= MAX_REQUEST;
}

static int write_all(int fd, const char *s)
{
	for (size_t len = strlen(s); len;) {
		ssize_t n = write(fd, s, len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		s += n;
		len -= (size_t)n;
	}
	return 0;
}

/* Worker mode: each failure on stderr; 1 if there was one. A request that could not run
 * at all is told as the failure of its first call. */
static int report_failures(json_t *reply, json_t *req)
{
	const char *err = json_string_value(json_object_get(reply, "error"));
	json_t *first = json_array_get(json_object_get(req, "calls"), 0), *res;
	const char *h = json_string_value(json_object_get(first, "handler"));
	int rc = 0;
	size_t i;
	if (err) {
		const char *tb = json_string_value(json_object_get(reply, "traceback"));
		fprintf(stderr, "%s: %s\n%s%s", h ? h : "joblet_started", err, tb ? tb : "",
			tb ? "\n" : "");
		return 1;
	}
	json_array_foreach(json_object_get(reply, "results"), i, res) {
		if (json_is_true(json_object_get(res, "ok")))
			continue;
		const char *tb = json_string_value(json_object_get(res, "traceback"));
		fprintf(stderr, "%s: %s\n%s%s", json_string_value(json_object_get(res, "handler")),
			json_string_value(json_object_get(res, "error")), tb ? tb : "", tb ? "\n" : "");
		rc = 1;
	}
	return rc;
}

/* The request text as JSON, or NULL with *why. */
static json_t *parse_request(const struct buf *in, bool fits, const char **why)
{
	json_error_t je;
	json_t *req = fits ? json_loadb(buf_cstr(in), in->len, 0, &je) : NULL;
	*why = fits ? "request: not JSON" : "request: bigger than 8 MiB";
	return req;
}

static int script_exec(int argc, char **argv)
{
	long long reply_fd = STDOUT_FILENO;
	if (cli_wants_help(argc, argv))
		return cli_help(&cli_cmd_script);
	if (argc == 3 && strcmp(argv[1], "--reply-fd") == 0) {
		if (cli_int(&cli_cmd_script, "reply-fd", argv[2], 0, 1 << 20, &reply_fd))
			return EXIT_USAGE;
	} else if (argc != 1) {
		return cli_usage(&cli_cmd_script);
	}
	/* Commands run by joblet:run must not inherit the reply fd. */
	if (reply_fd != STDOUT_FILENO && fcntl((int)reply_fd, F_SETFD, FD_CLOEXEC) < 0)
		return cli_usage_error(&cli_cmd_script, "--reply-fd %lld: %s", reply_fd, strerror(errno));
	signal(SIGCHLD, SIG_DFL);	/* joblet:run waits for its command: never ignored */
	struct buf in = BUF_INIT;
	bool fits = read_request(&in);
	cli_child_limits(CPU_SECONDS, AS_BASE);	/* raised below once the budget is known */
	const char *why;
	json_t *req = parse_request(&in, fits, &why), *reply;
	buf_free(&in);
	if (req) {
		cli_child_limits(CPU_SECONDS, AS_BASE + (script_memory_mb(req) << 20));
		reply = script_run(req);
	} else {
		reply = json_pack("{s:[], s:s, s:n, s:n, s:{}, s:[]}", "handlers", "error", why,
				  "traceback", "stopped", "job_facts", "results");
	}
	const char *mode = json_string_value(json_object_get(req, "mode"));
	char *out = json_dumps(reply, JSON_COMPACT);
	int rc = out && write_all((int)reply_fd, out) == 0 ? EXIT_OK : EXIT_USAGE;
	free(out);
	if (rc == EXIT_OK && mode && strcmp(mode, "worker") == 0)
		rc = report_failures(reply, req);
	json_decref(reply);
	json_decref(req);
	return rc;
}
