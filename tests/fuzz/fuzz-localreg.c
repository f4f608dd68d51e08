/* Fuzz target for the local-worker registry (server/local-registry.h), which a server
 * reads from its data directory at start: any bytes are decoded; what decodes must keep
 * its rules (indexes 1..256, no index or name twice) and survive encoding and decoding
 * again unchanged. */
#include "server/local-registry.h"
#include "core/job.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct local_entry a[LOCAL_MAX], b[LOCAL_MAX];
	const struct local_entry *list[LOCAL_MAX];
	char err[300];
	int n = local_registry_decode((const char *)data, size, a, err, sizeof err);
	if (n < 0) {
		if (err[0] == '\0')
			abort();	/* a refusal always says why */
		return 0;
	}
	for (int i = 0; i < n; i++) {
		if (a[i].index < 1 || a[i].index > LOCAL_MAX || a[i].pid <= 0 ||
		    !name_valid(a[i].name, 128))
			abort();
		for (int k = 0; k < i; k++)
			if (a[k].index == a[i].index || strcmp(a[k].name, a[i].name) == 0)
				abort();
		list[i] = &a[i];
	}
	char *text = local_registry_encode(list, n);
	if (n == 0) {
		if (text)
			abort();
		return 0;
	}
	if (text == NULL || local_registry_decode(text, strlen(text), b, err, sizeof err) != n)
		abort();
	free(text);
	for (int i = 0; i < n; i++)
		if (a[i].index != b[i].index || a[i].pid != b[i].pid || a[i].start != b[i].start ||
		    strcmp(a[i].name, b[i].name) != 0 || strcmp(a[i].url, b[i].url) != 0 ||
		    a[i].cores != b[i].cores || a[i].ram_mb != b[i].ram_mb || a[i].gpus != b[i].gpus)
			abort();
	return 0;
}
