/* Local callers without passwords (SPEC §9): the server's Unix socket, DATA/jobgrid.sock,
 * identifies who connects by the kernel's peer credentials (SO_PEERCRED), as PostgreSQL's
 * peer authentication does. Root and the server's own account are trusted (ROLES_TRUSTED,
 * as a loopback caller was before authentication); any other account is a user named by
 * its account name. */
#ifndef JG_PEER_H
#define JG_PEER_H
#include "auth/principal.h"
#include <stddef.h>
#include <sys/types.h>

/* The principal of the process at the other end of the connected Unix socket fd. 0 with
 * *p (its name interned), or -1 with why (a message for a 401) in buf: no credentials,
 * or a uid that names no account. */
int peer_principal(int fd, struct principal *p, char *why, size_t len);

/* The principal of a local account by uid, with the same rule (server_uid: the server's
 * own). Split out so that tests can call it without a socket. */
int peer_principal_of_uid(uid_t uid, uid_t server_uid, struct principal *p, char *why,
			  size_t len);
#endif
