/* `jobgrid defcheck` (internal): the server's definition checker. Reads a deploy body
 * ({"files": [{"file", "name", "source", "scripts"?}…]}) on stdin and prints
 * {"problems": [...], "parsed": [bool per file], "done": true} on stdout: every problem of
 * every file, its YAML and its script's (whether inline or a file sent with it) together,
 * and which files were YAML mappings, so the server may read those again for the checks
 * across files. It runs in its own process with CPU and memory limits, because the YAML
 * library has been seen to loop and to crash on hostile input; reading is deterministic,
 * so what the server reads again then cannot hurt it. */
#include "base/buf.h"
#include "cli/cli.h"
#include "defs/def.h"
#include "script/script.h"
#include <stdio.h>
#include <string.h>
#include <unistd.h>

static int defcheck_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_defcheck = {
	"defcheck", "(internal; the server runs it)", "check definition files read on stdin",
	defcheck_exec,
	.options = cli_help_only_options,
};

static int defcheck_exec(int argc, char **argv)
{
	if (cli_wants_help(argc, argv))
		return cli_help(&cli_cmd_defcheck);
	cli_child_limits(10, (long long)2 << 30);
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
	json_t *parsed = json_array();
	json_array_foreach(json_object_get(body, "files"), i, f) {
		struct def_input input = def_input_json(f);
		struct definition *d = def_read_partial(&input, &errs);
		json_array_append_new(parsed, json_boolean(d != NULL));
		/* Scripts are compiled and their top level run here, in this process only. */
		if (d && d->script)
			script_check(d->script_file ? d->script_file : d->file, d->script_line,
				     d->script, strlen(d->script), &errs);
		def_free(d);
	}
	json_t *out = json_array();
	for (i = 0; i < errs.n; i++)
		json_array_append_new(out, json_string(errs.msgs[i]));
	json_t *reply = json_pack("{s:o, s:o, s:b}", "problems", out, "parsed", parsed, "done", 1);
	json_dumpf(reply, stdout, JSON_COMPACT);
	json_decref(reply);
	json_decref(body);
	def_errors_free(&errs);
	return body ? 0 : 2;
}
