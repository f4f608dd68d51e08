/* Fuzz target for the test store's fault list (JOBGRID_TEST_FAULTS): a list that parses
 * has its counts in range and formats to text that parses back to the same faults; a
 * refusal always says why. */
#include "store/store-faulty.h"
#include "fuzz.h"
#include <stdio.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct store_faults f, back;
	char *err = NULL;
	if (store_faults_parse(s, &f, &err) != 0) {
		if (err == NULL || *err == '\0')
			abort();
		free(err);
		free(s);
		return 0;
	}
	if (f.commit < 0 || f.load < 0 || f.load > 3 || (f.commit == 0 && f.load == 0 && !f.short_reads))
		abort();	/* every item names a fault */
	char text[128];
	snprintf(text, sizeof text, "commit:%ld,load:%ld,short", f.commit ? f.commit : 1,
		 f.load ? f.load : 1);
	if (store_faults_parse(text, &back, &err) != 0 || back.commit != (f.commit ? f.commit : 1) ||
	    back.load != (f.load ? f.load : 1) || !back.short_reads)
		abort();
	free(s);
	return 0;
}
