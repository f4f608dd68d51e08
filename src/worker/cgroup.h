/* RAM limits and peak RAM through cgroup v2, when the worker may create cgroups.
 *
 * Layout under the worker's own cgroup D (from /proc/self/cgroup, under the cgroup2 mount
 * found in /proc/self/mountinfo): the worker moves itself into the leaf D/worker-PID, so
 * D may enable the memory controller for its children (no process may sit in a cgroup
 * whose children have controllers), then runs each joblet in D/jl-ATTEMPT with memory.max
 * set. The kernel enforces the limit (an OOM kill there is fail reason `ram`), memory.peak
 * gives the peak, cgroup.kill ends every process of the joblet, however far it forked.
 *
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
	char note[320];		/* why not usable, or where it is */
};

/* Decide at start. Never fails: usable says the outcome, note the reason. */
void cgroup_setup(struct cgroup_base *cg);

/* A joblet's cgroup: path into buf. *procs_fd is an O_CLOEXEC descriptor of its
 * cgroup.procs for the child to write "0" into before exec. 0, or -1 with errno. */
int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd);
int64_t cgroup_current_kb(const char *path);	/* memory.current; -1 unknown */
int64_t cgroup_peak_kb(const char *path);	/* memory.peak; -1 if the kernel lacks it */
bool cgroup_oom_killed(const char *path);	/* memory.events oom_kill > 0 */
void cgroup_kill(const char *path);		/* cgroup.kill, when the kernel has it */
int cgroup_remove(const char *path);		/* rmdir; -1 with errno (EBUSY: not empty yet) */

/* Parsers of the kernel's text, kept apart to be tested on given text. */
/* The "0::/path" line of /proc/self/cgroup into out; -1 if there is none. */
int cgroup_parse_self(const char *text, char *out, size_t len);
/* The mount point of the cgroup2 file system in /proc/self/mountinfo text; -1 if none. */
int cgroup_parse_mountinfo(const char *text, char *out, size_t len);
/* Is word in a space-separated list (cgroup.controllers)? */
bool cgroup_has_word(const char *list, const char *word);
/* The value of key in "key value" lines (memory.events); -1 if absent. */
int64_t cgroup_parse_keyed(const char *text, const char *key);
#endif
