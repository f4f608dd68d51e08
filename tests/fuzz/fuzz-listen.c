/* Fuzz target for --listen ADDR:PORT (src/server/listen.h): the split, numeric resolution
 * and the loopback rule. Whatever the input, the answer is an address list or an error
 * naming --listen; every address accepted must be loopback, with the port given. */
#include "fuzz.h"
#include "server/listen.h"
#include <netdb.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const struct listen_policy closed = {false, false, false};	/* loopback only */
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	struct addrinfo *res = NULL;
	char *err = NULL;
	if (listen_resolve(s, true, &closed, &res, &err) == 0) {
		const char *colon = strrchr(s, ':');
		long port = strtol(colon + 1, NULL, 10);
		for (const struct addrinfo *ai = res; ai; ai = ai->ai_next) {
			in_port_t p = ai->ai_family == AF_INET6
					      ? ((struct sockaddr_in6 *)ai->ai_addr)->sin6_port
					      : ((struct sockaddr_in *)ai->ai_addr)->sin_port;
			if (!listen_is_loopback(ai->ai_addr) || ntohs(p) != port)
				abort();
		}
		freeaddrinfo(res);
	} else if (err == NULL || (strstr(err, "--listen") == NULL &&
				   strstr(err, "cannot listen on") == NULL)) {
		abort();	/* every refusal says what it refuses */
	}
	free(err);
	free(s);
	return 0;
}
