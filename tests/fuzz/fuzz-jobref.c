/* Fuzz target for job references as people type them ("12", "alice.x.12", "root.jn/a.2",
 * each with an optional "/INDEX"), which reach the server in URL paths and ?job= values.
 * What parses must be consistent: the id part re-parses to the same job, without index. */
#include "core/job.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct job_ref ref, again;
	if (job_ref_parse(s, &ref) == 0) {
		size_t len = strlen(s);
		if (ref.seq <= 0 || ref.id_len > len)
			abort();
		if ((ref.index >= 0) != (ref.id_len < len) || (ref.index >= 0 && s[ref.id_len] != '/'))
			abort();	/* an index is exactly what follows the id */
		s[ref.id_len] = '\0';
		if (job_ref_parse(s, &again) != 0 || again.seq != ref.seq || again.index != -1)
			abort();
	}
	free(s);
	return 0;
}
