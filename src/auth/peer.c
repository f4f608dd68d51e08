/* Peer identities on the Unix socket (see peer.h). */
#include "auth/peer.h"
#include "base/intern.h"
#include "core/job.h"
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

int peer_principal_of_uid(uid_t uid, uid_t server_uid, struct principal *p, char *why,
			  size_t len)
{
	struct passwd pw, *found = NULL;
	char buf[4096];
	int rc = getpwuid_r(uid, &pw, buf, sizeof buf, &found);
	if (found == NULL) {
		/* Not guessed: without an account there is no name to own jobs under. */
		snprintf(why, len, "the local uid %lu has no account%s%s", (unsigned long)uid,
			 rc ? ": " : "", rc ? strerror(rc) : "");
		return -1;
	}
	if (!name_valid(found->pw_name, 64)) {
		snprintf(why, len, "the local account name '%.64s' is not a jobgrid user name"
			 " (1..64 of [A-Za-z0-9_.-])", found->pw_name);
		return -1;
	}
	p->name = intern(found->pw_name);
	p->roles = uid == 0 || uid == server_uid ? ROLES_TRUSTED : ROLE_USER;
	return 0;
}

int peer_principal(int fd, struct principal *p, char *why, size_t len)
{
	struct ucred cr;
	socklen_t sl = sizeof cr;
	if (fd < 0 || getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cr, &sl) != 0) {
		snprintf(why, len, "the caller's credentials cannot be read: %s",
			 fd < 0 ? "no socket" : strerror(errno));
		return -1;
	}
	return peer_principal_of_uid(cr.uid, geteuid(), p, why, len);
}
