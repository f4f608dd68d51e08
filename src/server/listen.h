/* The API's listening address (--listen ADDR:PORT): split, resolved, checked against what
 * this server may expose, bound.
 *
 * Whoever reaches the port may add jobs that workers run. On loopback (127.0.0.0/8, ::1,
 * IPv4-mapped 127/8) only local accounts can, and TLS and authentication are off unless
 * asked for. Any other address (0.0.0.0, ::, an interface's, a name that resolves to one)
 * needs both TLS (--tls, or --tls-cert with --tls-key) and authentication (--auth);
 * --insecure-no-tls waives TLS, never authentication. Refusals say what is missing. The
 * one place that decides is exposure_refused() in listen.c. */
#ifndef JG_LISTEN_H
#define JG_LISTEN_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct addrinfo;

/* Is sa a loopback address (127.0.0.0/8, ::1, ::ffff:127.0.0.0/104)? */
bool listen_is_loopback(const struct sockaddr *sa);

/* What the server protects its port with: the listen rule's inputs. */
struct listen_policy {
	bool tls;		/* --tls, or --tls-cert and --tls-key */
	bool auth;		/* --auth */
	bool insecure_no_tls;	/* --insecure-no-tls */
};

/* Split spec ("127.0.0.1:7370", "[::1]:0", "localhost:7370"), resolve ADDR (only numeric
 * addresses when numeric_only, for the fuzz target) and check that the server may listen
 * on every address it gives under policy. 0 with *out (freeaddrinfo), or -1 with *err (malloc'd),
 * which names --listen, the value and the rule or the resolver's reason. */
int listen_resolve(const char *spec, bool numeric_only, const struct listen_policy *policy,
		   struct addrinfo **out, char **err);
/* Is any address of ai beyond loopback? */
bool listen_exposed(const struct addrinfo *ai);

/* Bind the first of ai's addresses that binds and listen on it. Returns the socket
 * (non-blocking, close-on-exec) with *bound (malloc'd) the address actually bound,
 * "127.0.0.1:41234" or "[::1]:7370"; or -1 with *err (malloc'd): "cannot listen on SPEC:
 * REASON". */
int listen_bind(const char *spec, const struct addrinfo *ai, char **bound, char **err);
#endif
