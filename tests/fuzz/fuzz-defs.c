/* Fuzz target for definition files: any bytes are read as YAML, checked, and on success
 * the command is expanded with the defaults and the joblets expression evaluated. The
 * same bytes are read as a deploy reads them, with a script file sent along (`script:
 * spin.lua` or `lib/spin.lua` take it) and partially, for the checks across files: the
 * position of every edge entry is looked up. Nothing may crash, leak or read out of
 * bounds; a refused file must say at least one thing, and a partial read may keep only
 * what a strict read of the same bytes would refuse or accept alike. */
#include "defs/def.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
const char *__lsan_default_suppressions(void);

/* libfyaml 0.7.12 leaks a buffer on some malformed input (an unterminated quoted scalar,
 * tests/fuzz/corpus/defs/regress-libfyaml-leak). It is its leak, not ours; the server
 * reads untrusted files only in its short-lived checker process. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libfyaml.so\n";
}

/* Read as a deploy does: with a script file, strictly and partially. */
static void read_as_deployed(const uint8_t *data, size_t size)
{
	json_t *scripts = json_pack("{s:s}", "spin.lua", "function job_started(job) end\n");
	struct def_input in = {"d/fuzz.yaml", (const char *)data, size, "fuzz/def", scripts};
	struct def_errors strict = {0}, part = {0};
	struct definition *d = def_read_input(&in, &strict);
	struct definition *p = def_read_partial(&in, &part);
	if ((d != NULL) != (p != NULL && part.n == 0) || strict.n != part.n)
		abort();	/* the two reads must see the same problems */
	for (int k = 0; p && k < NET_EDGE__N; k++) {
		size_t n;
		char *const *list = net_spec_list(&p->net, (enum net_edge)k, &n);
		for (size_t i = 0; i < n; i++)
			if (def_edge_pos(p, (enum net_edge)k, list[i]).line < 1)
				abort();
	}
	if (p && p->script_ref && (p->script_file == NULL || !def_script_chunk(p)))
		abort();
	def_free(d);
	def_free(p);
	def_errors_free(&strict);
	def_errors_free(&part);
	json_decref(scripts);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct def_errors e = {0};
	struct definition *d = def_read("fuzz.yaml", (const char *)data, size, "fuzz/def", &e);
	if (d == NULL && e.n == 0)
		abort();	/* refused without a reason */
	if (d) {
		json_t *args = json_object();
		for (size_t i = 0; i < d->nargs; i++)
			if (d->args[i].def)
				json_object_set(args, d->args[i].name, d->args[i].def);
		const char *why;
		char bad[64];
		long long n;
		free(d->command ? def_expand(d->command, args, &why, bad, sizeof bad) : NULL);
		(void)def_eval_joblets(d->joblets, args, &n, &why);
		json_decref(args);
		def_free(d);
	}
	def_errors_free(&e);
	read_as_deployed(data, size);
	return 0;
}
