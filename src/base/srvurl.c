/* Server addresses (see srvurl.h). */
#include "base/srvurl.h"
#include <stdio.h>
#include <string.h>
#include <sys/un.h>

const char *srvurl_unix_path(const char *base)
{
	return strncmp(base, "unix:", 5) == 0 ? base + 5 : NULL;
}

const char *srvurl_check(const char *base)
{
	const char *sock = srvurl_unix_path(base);
	if (sock == NULL)
		return strncmp(base, "http://", 7) == 0 || strncmp(base, "https://", 8) == 0
			       ? NULL
			       : "must be http://HOST:PORT, https://HOST:PORT or unix:PATH";
	if (sock[0] == '\0')
		return "unix:PATH needs the path of the server's socket (DATA/jobgrid.sock)";
	if (strlen(sock) >= sizeof((struct sockaddr_un *)NULL)->sun_path)
		return "unix:PATH: a Unix socket's path may be 107 bytes at most";
	return NULL;
}

void srvurl_target(const char *base, const char *path, char *url, size_t len,
		   const char **socket)
{
	*socket = srvurl_unix_path(base);
	/* The host is only the Host header's: the socket decides where it goes. */
	snprintf(url, len, "%s%s", *socket ? "http://localhost" : base, path);
}
