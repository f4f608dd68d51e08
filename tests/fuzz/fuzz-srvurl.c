/* Fuzz target for server addresses (src/base/srvurl.h), which come from --server and
 * JOBGRID_URL: a check never crashes, and an address it accepts gives a target URL within
 * the buffer, over a socket exactly when it is unix:PATH. */
#include "base/srvurl.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	char url[64];
	const char *sock;
	const char *rule = srvurl_check(s);
	srvurl_target(s, "/v1/jobs", url, sizeof url, &sock);
	if (memchr(url, '\0', sizeof url) == NULL)
		abort();
	if ((sock != NULL) != (strncmp(s, "unix:", 5) == 0))
		abort();
	if (rule == NULL && sock && (sock[0] == '\0' || strlen(sock) > 107))
		abort();
	free(s);
	return 0;
}
