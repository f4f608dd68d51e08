/* `jobgrid defcheck` (internal): the server's definition checker. Reads a deploy body
 * ({"files": [{"file", "name", "source"}…]}) on stdin and prints {"problems": [...]} on
 * stdout. It runs in its own process with CPU and memory limits, because the YAML library
 * has been seen to loop and to crash on hostile input; the server deploys only what came
 * back clean, and reading is deterministic, so the server's own read then cannot fail. */
#include "base/buf.h"
#include "cli/cli.h"
#include "defs/def.h"
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

static int defcheck_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_defcheck = {
	"defcheck", "(internal; the server runs it)", "check definition files read on stdin",
	defcheck_exec,
};

static int defcheck_exec(int argc, char **argv)
{
	struct rlimit cpu = {10, 10};
	setrlimit(RLIMIT_CPU, &cpu);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JG_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(JG_ASAN)
	/* (AddressSanitizer reserves terabytes of address space: no limit under it.) */
	struct rlimit mem = {(rlim_t)2 << 30, (rlim_t)2 << 30};
	setrlimit(RLIMIT_AS, &mem);
#endif
	struct buf in = BUF_INIT;
	char chunk[65536];
	ssize_t n;
	while ((n = read(STDIN_FILENO, chunk, sizeof chunk)) > 0)
		buf_append(&in, chunk, (size_t)n);
	json_error_t je;
	json_t *body = json_loadb(buf_cstr(&in), in.len, 0, &je), *f;
	buf_free(&in);
	struct def_errors errs = {0};
	size_t i;
	json_array_foreach(json_object_get(body, "files"), i, f) {
		json_t *src = json_object_get(f, "source");
		def_free(def_read(json_string_value(json_object_get(f, "file")),
				  json_string_value(src), json_string_length(src),
				  json_string_value(json_object_get(f, "name")), &errs));
	}
	json_t *out = json_array();
	for (i = 0; i < errs.n; i++)
		json_array_append_new(out, json_string(errs.msgs[i]));
	json_t *reply = json_pack("{s:o, s:b}", "problems", out, "done", 1);
	json_dumpf(reply, stdout, JSON_COMPACT);
	json_decref(reply);
	json_decref(body);
	def_errors_free(&errs);
	return body ? 0 : 2;
}
