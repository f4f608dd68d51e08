/* The local account a joblet runs as (runas.h): looked up in the worker, entered in the
 * child before exec. */
#include "worker/runas.h"
#include "base/xalloc.h"
#include "core/job.h"
#include <errno.h>
#include <grp.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#define PW_BUF_MAX (1 << 20)	/* an account entry larger than this is not one */
#define GROUPS_MAX 65536	/* the kernel's NGROUPS_MAX */

/* The 32-bit id calls where the plain ones take 16-bit ids (i386, arm). */
#ifdef SYS_setresuid32
#define JG_SYS_SETRESUID SYS_setresuid32
#define JG_SYS_SETRESGID SYS_setresgid32
#define JG_SYS_SETGROUPS SYS_setgroups32
#define JG_SYS_GETRESUID SYS_getresuid32
#define JG_SYS_GETRESGID SYS_getresgid32
#else
#define JG_SYS_SETRESUID SYS_setresuid
#define JG_SYS_SETRESGID SYS_setresgid
#define JG_SYS_SETGROUPS SYS_setgroups
#define JG_SYS_GETRESUID SYS_getresuid
#define JG_SYS_GETRESGID SYS_getresgid
#endif

/* getpwnam_r into a buffer that grows until the entry fits. The entry's strings point
 * into *buf (malloc'd, the caller frees it). 0 with *res NULL: no such account. */
static int get_account(const char *name, struct passwd *pw, char **buf, struct passwd **res)
{
	long hint = sysconf(_SC_GETPW_R_SIZE_MAX);
	size_t size = hint > 0 ? (size_t)hint : 16384;
	int rc;
	for (;;) {
		*buf = xrealloc(*buf, size, 1);
		rc = getpwnam_r(name, pw, *buf, size, res);
		if (rc != ERANGE || size >= PW_BUF_MAX)
			break;
		size *= 2;
	}
	/* "Not found" comes as 0 with no entry, or, by the manual, as one of these. */
	if (*res == NULL && (rc == ENOENT || rc == ESRCH || rc == EBADF || rc == EPERM))
		rc = 0;
	return rc;
}

/* Every group of the account (initgroups' list) into ra. 0, or -1 with errno. */
static int get_groups(struct runas *ra)
{
	int cap = 32;
	for (;;) {
		int n = cap;
		ra->groups = xrealloc(ra->groups, (size_t)cap, sizeof *ra->groups);
		if (getgrouplist(ra->name, ra->gid, ra->groups, &n) >= 0) {
			ra->ngroups = n;
			return 0;
		}
		if (cap >= GROUPS_MAX) {
			errno = E2BIG;
			return -1;
		}
		/* n says how many there are; some libcs leave it as it was. */
		cap = n > cap ? n : cap * 2;
		if (cap > GROUPS_MAX)
			cap = GROUPS_MAX;
	}
}

int runas_lookup(const char *owner, struct runas *out, char *msg, size_t len)
{
	struct passwd pw, *res = NULL;
	char *buf = NULL;
	memset(out, 0, sizeof *out);
	int rc = get_account(owner, &pw, &buf, &res);
	if (rc != 0) {
		snprintf(msg, len, "run as owner: cannot look up the account '%s': %s", owner,
			 strerror(rc));
		free(buf);
		return FR_START;
	}
	if (res == NULL) {
		snprintf(msg, len, "run as owner: no local account named '%s' on this node", owner);
		free(buf);
		return FR_PERMISSION;
	}
	if (pw.pw_uid == 0) {
		snprintf(msg, len, "run as owner: the account '%s' is uid 0, and a joblet never runs"
			 " as root", owner);
		free(buf);
		return FR_PERMISSION;
	}
	out->name = xstrdup(pw.pw_name);
	out->uid = pw.pw_uid;
	out->gid = pw.pw_gid;
	out->home = xstrdup(pw.pw_dir && pw.pw_dir[0] ? pw.pw_dir : "/");
	out->shell = xstrdup(pw.pw_shell && pw.pw_shell[0] ? pw.pw_shell : "/bin/sh");
	free(buf);
	if (get_groups(out) != 0) {
		snprintf(msg, len, "run as owner: cannot list the groups of '%s': %s", owner,
			 strerror(errno));
		runas_free(out);
		return FR_START;
	}
	return 0;
}

void runas_free(struct runas *ra)
{
	free(ra->name);
	free(ra->groups);
	free(ra->home);
	free(ra->shell);
	memset(ra, 0, sizeof *ra);
}

int runas_enter(const struct runas *ra)
{
	uid_t u[3];
	gid_t g[3];
	/* Groups first, then the gid: both need root, which setuid gives away. */
	if (syscall(JG_SYS_SETGROUPS, (size_t)ra->ngroups, ra->groups) != 0 ||
	    syscall(JG_SYS_SETRESGID, ra->gid, ra->gid, ra->gid) != 0 ||
	    syscall(JG_SYS_SETRESUID, ra->uid, ra->uid, ra->uid) != 0)
		return -1;
	/* Nothing of root's is left: not in any of the three ids, and not to be had back. */
	if (syscall(JG_SYS_GETRESUID, &u[0], &u[1], &u[2]) != 0 ||
	    syscall(JG_SYS_GETRESGID, &g[0], &g[1], &g[2]) != 0)
		return -1;
	for (int i = 0; i < 3; i++) {
		if (u[i] != ra->uid || g[i] != ra->gid) {
			errno = EPERM;
			return -1;
		}
	}
	if (syscall(JG_SYS_SETRESUID, 0, 0, 0) == 0 ||
	    (ra->gid != 0 && syscall(JG_SYS_SETRESGID, 0, 0, 0) == 0)) {
		errno = EPERM;
		return -1;
	}
	return 0;
}
