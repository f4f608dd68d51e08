/* RAM limits and peak RAM through cgroup v2, when the worker may create cgroups.
 *
 * Layout under the worker's own cgroup D (the "0::/path" line of /proc/self/cgroup, under
 * the cgroup2 mount found in /proc/self/mountinfo — /sys/fs/cgroup on a unified host,
 * /sys/fs/cgroup/unified on a hybrid one): the worker moves itself into the leaf D/worker,
 * so D may enable the memory controller for its children (no process may sit in a cgroup
 * whose children have controllers), then runs each joblet in D/jl-ATTEMPT with memory.max
 * set. The kernel enforces the limit (an OOM kill there is fail reason `ram`), memory.peak
 * gives the peak, cgroup.kill ends every process of the joblet, however far it forked.
 *
 * D must be the worker's own: a systemd unit with Delegate=yes, or a cgroup made for it.
 * When any step is not allowed (no cgroup v2, no memory controller, no write access, other
 * processes in D), the worker samples the process tree's RSS instead and says why. */
#ifndef JG_CGROUP_H
#define JG_CGROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct cgroup_base {
	bool usable;
	char dir[512];		/* D, where joblet cgroups are made */
	char note[640];		/* why not usable, or where the joblet cgroups are */
};

/* Decide at start. Never fails: usable says the outcome, note the reason. */
void cgroup_setup(struct cgroup_base *cg);

/* A joblet's cgroup D/jl-ATTEMPT, its path into buf: memory.max is ram_mb (none when 0),
 * no swap, an OOM kill takes the whole joblet. *procs_fd is an O_CLOEXEC descriptor of its
 * cgroup.procs, for the child to write "0" into before exec. 0, or -1 with errno (nothing
 * left behind). */
int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd);
int64_t cgroup_current_kb(const char *path);	/* memory.current; -1 unknown */
int64_t cgroup_peak_kb(const char *path);	/* memory.peak; -1 if the kernel lacks it */
int64_t cgroup_oom_kills(const char *path);	/* memory.events oom_kill; 0 if unknown */
/* SIGKILL every process in it: cgroup.kill, or each pid of cgroup.procs on kernels before
 * 5.14. */
void cgroup_kill(const char *path);
int cgroup_remove(const char *path);		/* rmdir; -1 with errno (EBUSY: not empty yet) */

/* Parsers of the kernel's text, kept apart to be tested on given text. */
/* The "0::/path" line of /proc/self/cgroup into out; -1 if there is none. */
int cgroup_parse_self(const char *text, char *out, size_t len);
/* The directory of cgroup self (as cgroup_parse_self gives it) in the file system: the
 * first cgroup2 mount in /proc/self/mountinfo text whose root holds self, joined with the
 * rest of self; octal escapes (\040) undone. -1 if none. */
int cgroup_parse_mountinfo(const char *text, const char *self, char *out, size_t len);
/* Is word in a space-separated list (cgroup.controllers)? */
bool cgroup_has_word(const char *list, const char *word);
/* The value of key in "key value" lines (memory.events); -1 if absent. */
int64_t cgroup_parse_keyed(const char *text, const char *key);
#endif
