/* Fuzz target for an event id a stream resumes from (Last-Event-ID, ?after=): what parses
 * names an event the recall can send after, and formats back to the same text. */
#include "api/recall.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct recall r;
	recall_init(&r, 4, 1764800000000, 1);
	json_t *e = json_object();
	for (int i = 1; i <= 6; i++)	/* ids 1..6 given, 3..6 kept */
		recall_push(&r, i, e);
	json_decref(e);
	int64_t after = -1;
	enum recall_from from = recall_parse(&r, s, &after);
	if (from == RECALL_RESUME || from == RECALL_STORE) {
		char again[48];
		recall_format_id(&r, after, again, sizeof again);
		if (after < 0 || after > 6 || (from == RECALL_RESUME) != (after >= 2) ||
		    strcmp(again, s) != 0)
			abort();
	}
	recall_free(&r);
	free(s);
	return 0;
}
