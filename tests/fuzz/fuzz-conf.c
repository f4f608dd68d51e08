/* Fuzz target for KEY = VALUE settings files (~/.config/jobgrid/config, worker --config):
 * a file either parses into known keys, each once, with values free of line breaks, or is
 * refused with a message naming the file and the line. */
#include "base/conf.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const keys[] = {"server", "ca", "token-file", "group", "cores",
					   "run-as-owner", NULL};
	struct conf c;
	char *err = NULL;
	if (conf_parse("f.conf", (const char *)data, size, keys, &c, &err) != 0) {
		if (err == NULL || strncmp(err, "f.conf:", 7) != 0)
			abort();	/* a refusal names the file and the line */
		free(err);
		return 0;
	}
	for (size_t i = 0; i < c.n; i++) {
		bool known = false;
		for (size_t k = 0; keys[k]; k++)
			known |= strcmp(keys[k], c.v[i].key) == 0;
		if (!known || strchr(c.v[i].value, '\n') || c.v[i].line < 1)
			abort();
		for (size_t j = 0; j < i; j++)
			if (strcmp(c.v[i].key, c.v[j].key) == 0)
				abort();	/* each key once */
		if (conf_get(&c, c.v[i].key) != c.v[i].value)
			abort();
	}
	conf_free(&c);
	return 0;
}
