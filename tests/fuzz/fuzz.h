/* Shared by the fuzz targets. */
#ifndef JG_FUZZ_H
#define JG_FUZZ_H
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The input as a NUL-terminated string (malloc'd; NULL when memory runs out). */
static inline char *fuzz_cstr(const uint8_t *data, size_t size)
{
	char *s = malloc(size + 1);
	if (s != NULL) {
		memcpy(s, data, size);
		s[size] = '\0';
	}
	return s;
}

/* Set TZ to tz once per process, before the first input, so every input runs in the
 * same zone (UTC when the system has no data for tz). */
static inline void fuzz_zone_once(const char *tz)
{
	static bool zoned;
	if (!zoned) {
		setenv("TZ", tz, 1);
		tzset();
		zoned = true;
	}
}
#endif
