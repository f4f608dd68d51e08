/* Fuzz target for the parsers of the kernel's cgroup text (src/worker/cgroup.h): the lines
 * of /proc/self/cgroup for v2 and for a v1 controller, /proc/self/mountinfo, and keyed files
 * (memory.events, memory.oom_control). The worker reads them from the host it starts on,
 * where a container or an odd kernel may write anything. What a parser gives back is a
 * NUL-terminated path within the buffer; the whole-item tests agree with a plain search. */
#include "worker/cgroup.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_path(const char *out, size_t len, bool slash)
{
	if (memchr(out, '\0', len) == NULL || (slash && out[0] != '/'))
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	static const char *const controllers[] = {NULL, "memory", "cpu", "name=systemd"};
	char self[64], dir[96];
	for (size_t i = 0; i < sizeof controllers / sizeof controllers[0]; i++) {
		memset(self, 'x', sizeof self);
		if (cgroup_parse_self(s, controllers[i], self, sizeof self) == 0) {
			check_path(self, sizeof self, true);
			memset(dir, 'x', sizeof dir);
			if (cgroup_parse_mountinfo(s, controllers[i], self, dir, sizeof dir) == 0)
				check_path(dir, sizeof dir, false);
		}
		memset(dir, 'x', sizeof dir);
		if (cgroup_parse_mountinfo(s, controllers[i], "/", dir, sizeof dir) == 0)
			check_path(dir, sizeof dir, false);
	}
	/* A whole item is also a substring; a word never found is never a whole item. */
	if ((cgroup_has_item(s, ',', "memory") || cgroup_has_word(s, "memory")) &&
	    strstr(s, "memory") == NULL)
		abort();
	(void)cgroup_parse_keyed(s, "oom_kill");
	(void)cgroup_parse_keyed(s, "");
	free(s);
	return 0;
}
