/* What the test proxies (dropproxy.c, holdproxy.c) share: connecting to the target and
 * listening on 127.0.0.1:0 with the port written to a file. Header-only: each proxy is
 * one program. */
#ifndef JG_TEST_PROXY_H
#define JG_TEST_PROXY_H
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* A connected socket to "HOST:PORT", or -1. */
static inline int proxy_connect(const char *hostport)
{
	char host[64];
	const char *colon = strrchr(hostport, ':');
	if (colon == NULL || (size_t)(colon - hostport) >= sizeof host)
		return -1;
	memcpy(host, hostport, (size_t)(colon - hostport));
	host[colon - hostport] = '\0';
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)atoi(colon + 1))};
	if (inet_pton(AF_INET, host, &sa.sin_addr) != 1)
		return -1;
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A listening socket on 127.0.0.1:0 whose port is written (atomically) to port_file; -1
 * after saying why. */
static inline int proxy_listen(const char *name, const char *port_file)
{
	int ls = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET};
	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t sl = sizeof sa;
	if (ls < 0 || bind(ls, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(ls, 16) != 0 ||
	    getsockname(ls, (struct sockaddr *)&sa, &sl) != 0) {
		fprintf(stderr, "%s: listen: %s\n", name, strerror(errno));
		return -1;
	}
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", port_file);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return -1;
	fprintf(f, "%d\n", ntohs(sa.sin_port));
	fclose(f);
	rename(tmp, port_file);
	return ls;
}
#endif
