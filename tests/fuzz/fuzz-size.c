/* Fuzz target for byte sizes (`jobgrid add --output-limit SIZE`): a size that parses is
 * within the bound it was parsed against, and formats to text that parses back to it. */
#include "base/size.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const int64_t bounds[] = {0, 1023, 1024, (int64_t)1 << 40, INT64_MAX};
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	for (size_t i = 0; i < sizeof bounds / sizeof bounds[0]; i++) {
		int64_t v = -1, back = -1;
		const char *why = NULL;
		if (size_parse(s, bounds[i], &v, &why) != 0) {
			if (why == NULL || *why == '\0')
				abort();	/* a refusal always says why */
			continue;
		}
		if (v < 0 || v > bounds[i])
			abort();
		char text[32];
		size_format(v, text, sizeof text);
		if (size_parse(text, INT64_MAX, &back, &why) != 0 || back != v)
			abort();
	}
	free(s);
	return 0;
}
