/* The API's listening address (--listen ADDR:PORT): split, resolved, checked against what
 * this server may expose, bound.
 *
 * jobgrid has no authentication or TLS yet: anyone who reaches the port may add jobs that
 * workers run, and name any owner. So the server listens on loopback only: every address
 * ADDR resolves to must be in 127.0.0.0/8 or ::1 (IPv4-mapped 127/8 too). 0.0.0.0, ::, an
 * interface address or a name that resolves elsewhere is refused, saying why. The one
 * place that decides is exposure_refused() in listen.c: when --tls and --auth exist, their
 * check goes there. */
#ifndef JG_LISTEN_H
#define JG_LISTEN_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct addrinfo;

/* Is sa a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)? */
bool listen_is_loopback(const struct sockaddr *sa);

/* Split spec ("127.0.0.1:7370", "[::1]:0", "localhost:7370"), resolve ADDR (only numeric
 * addresses when numeric_only, for the fuzz target) and check that the server may listen
 * on every address it gives. 0 with *out (freeaddrinfo), or -1 with *err (malloc'd),
 * which names --listen, the value and the rule or the resolver's reason. */
int listen_resolve(const char *spec, bool numeric_only, struct addrinfo **out, char **err);

/* Bind the first of ai's addresses that binds and listen on it. Returns the socket
 * (non-blocking, close-on-exec) with *bound (malloc'd) the address actually bound,
 * "127.0.0.1:41234" or "[::1]:7370"; or -1 with *err (malloc'd): "cannot listen on SPEC:
 * REASON". */
int listen_bind(const char *spec, const struct addrinfo *ai, char **bound, char **err);
#endif
