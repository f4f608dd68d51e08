/* A server's address as clients are given it (--server, JOBGRID_URL): http://HOST:PORT,
 * https://HOST:PORT, or unix:PATH, the server's Unix socket (DATA/jobgrid.sock). Plain
 * text rules, for the CLI's and the worker's HTTP clients alike. */
#ifndef JG_SRVURL_H
#define JG_SRVURL_H
#include <stdbool.h>
#include <stddef.h>

/* The PATH of a unix:PATH address, or NULL for any other. */
const char *srvurl_unix_path(const char *base);

/* NULL if base is a server address clients can use, else the rule it breaks. */
const char *srvurl_check(const char *base);

/* The URL to give libcurl for path ("/v1/jobs") on the server at base: base + path, or for
 * unix:PATH, http://localhost + path with *socket set to PATH (else NULL). The request
 * goes over that socket (CURLOPT_UNIX_SOCKET_PATH). */
void srvurl_target(const char *base, const char *path, char *url, size_t len,
		   const char **socket);
#endif
