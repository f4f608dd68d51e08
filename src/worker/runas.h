/* Joblets that run as their owner (`jobgrid worker --run-as-owner`, as Slurm, wr and
 * Orchestrate do): a worker started as root runs each joblet as the local account named
 * like the job's owner, never as root.
 *
 * The work is split by where it may run. runas_lookup runs in the worker (it reads the
 * account and group databases through NSS, which allocates and may open files or sockets),
 * before the joblet's process is made; runas_enter runs in the vfork child, between fork
 * and exec, and only makes system calls on what the lookup prepared (initgroups itself is
 * not safe there: it is getgrouplist, done by the lookup, plus setgroups). */
#ifndef JG_RUNAS_H
#define JG_RUNAS_H
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* One account, as the lookup found it. Every pointer is owned (runas_free). */
struct runas {
	char *name;		/* the account's name (= the owner's) */
	uid_t uid;		/* never 0 */
	gid_t gid;		/* its primary group */
	gid_t *groups;		/* every group it is in, the primary one included */
	int ngroups;
	char *home, *shell;	/* from the account; shell "/bin/sh" when it names none */
};

/* The account named owner into out. 0; else the enum fail_reason the attempt fails with
 * (FR_PERMISSION: no such account, or it is uid 0; FR_START: the lookup itself failed)
 * and why in msg, and nothing to free. Uses getpwnam_r and getgrouplist. */
int runas_lookup(const char *owner, struct runas *out, char *msg, size_t len);
void runas_free(struct runas *ra);

/* In the child, async-signal-safe: take ra's groups, gid and uid (setgroups, setgid,
 * setuid, each checked: real, effective and saved ids), then make sure root's cannot be
 * had back. Raw system calls: glibc's wrappers would signal the worker's other threads to
 * change theirs too, which from a vfork child can hang. 0, or -1 with errno (EPERM when
 * root could be regained). */
int runas_enter(const struct runas *ra);
#endif
