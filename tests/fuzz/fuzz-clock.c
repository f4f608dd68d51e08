/* Fuzz target for the time parsers: durations ("1h30m") and RFC 3339 times, which reach
 * the server from CLI options and request values. A parsed duration must format back to
 * the same number of milliseconds. */
#include "fuzz.h"
#include "base/clock.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	int64_t ms;
	const char *why;
	if (clock_parse_duration(s, &ms, &why) == 0) {
		char buf[64];
		int64_t back;
		clock_format_duration(ms, buf, sizeof buf);
		if (ms % 1000 == 0 && (clock_parse_duration(buf, &back, &why) != 0 || back != ms))
			abort();	/* a whole-second duration must survive a round trip */
	}
	int64_t t;
	if (clock_parse_rfc3339(s, &t) == 0) {
		char buf[64];
		clock_format_rfc3339(t, buf, sizeof buf);
	}
	free(s);
	return 0;
}
