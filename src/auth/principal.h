/* Who makes a request and what they may do (SPEC §9): the identity the HTTP face gives
 * every call, and the roles a route admits. Plain data; no I/O. */
#ifndef JG_PRINCIPAL_H
#define JG_PRINCIPAL_H
#include <stdbool.h>
#include <string.h>

/* Role bits. A caller holds one role when authenticated, ROLE_ANON when not; a server
 * without authentication trusts every caller with ROLES_TRUSTED, as it always did. */
enum role {
	ROLE_ANON = 1,		/* no or bad credentials: only open routes */
	ROLE_WORKER = 2,	/* register, reserve, heartbeat, report */
	ROLE_USER = 4,		/* add and run; see and act on their own jobs */
	ROLE_ADMIN = 8,		/* everything, every job */
};
#define ROLES_TRUSTED (ROLE_WORKER | ROLE_USER | ROLE_ADMIN)

struct principal {
	const char *name;	/* interned: the owner of what it adds */
	unsigned roles;		/* enum role bits */
};

/* May p see and act on something owned by owner? Another user's job is, to p, a job that
 * does not exist (404): only admins see every owner's. */
static inline bool principal_owns(const struct principal *p, const char *owner)
{
	return (p->roles & ROLE_ADMIN) || strcmp(p->name, owner) == 0;
}
#endif
