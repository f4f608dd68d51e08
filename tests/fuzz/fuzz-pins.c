/* Fuzz target for the known_servers and tokens files (src/tls/pins.h): whatever the bytes,
 * parsing either succeeds, and then every URL line is found again and survives a set and
 * a remove, or fails with an error naming the file, the line and the rule. */
#include "fuzz.h"
#include "tls/pins.h"

static void check(enum pins_kind kind, const uint8_t *data, size_t size)
{
	struct pins p;
	char *err = NULL;
	if (pins_parse(&p, "F", kind, (const char *)data, size, &err) == 0) {
		for (size_t i = 0; i < p.n; i++) {
			if (p.lines[i].url == NULL)
				continue;
			int line = 0;
			const char *v = pins_find(&p, p.lines[i].url, &line);
			if (v == NULL || strcmp(v, p.lines[i].value) != 0 || line != (int)i + 1)
				abort();
		}
		if (p.n > 0 && p.lines[0].url) {
			char *url = strdup(p.lines[0].url);
			pins_set(&p, url, p.lines[0].value);
			if (!pins_remove(&p, url) || pins_find(&p, url, NULL))
				abort();
			free(url);
		}
	} else if (err == NULL || strncmp(err, "F line ", 7) != 0) {
		abort();
	}
	free(err);
	pins_free(&p);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	check(PINS_FINGERPRINT, data, size);
	check(PINS_TOKEN, data, size);
	return 0;
}
