/* Fuzz target for definition files: any bytes are read as YAML, checked, and on success
 * the command is expanded with the defaults and the joblets expression evaluated. Nothing
 * may crash, leak or read out of bounds, and a refused file must say at least one thing. */
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
	return 0;
}
