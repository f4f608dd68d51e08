/* RAM limits and peak RAM through the kernel's memory cgroups, when the worker may create
 * them: one cgroup per attempt, an exact limit the kernel holds, the peak, an OOM kill told
 * apart (fail reason `ram`), every process of the joblet killed however far it forked, and
 * the group removed afterwards. Two backends sit behind this one interface:
 *
 * - cgroup v2 (cgroup-v2.c). Under the worker's own cgroup D (the "0::/path" line of
 *   /proc/self/cgroup, under the cgroup2 mount found in /proc/self/mountinfo:
 *   /sys/fs/cgroup on a unified host, /sys/fs/cgroup/unified on a hybrid one) the worker
 *   moves itself into the leaf D/worker, so D may enable the memory controller for its
 *   children (no process may sit in a cgroup whose children have controllers), then runs
 *   each joblet in D/jl-ATTEMPT with memory.max set; memory.peak gives the peak,
 *   memory.events the OOM kills, cgroup.kill ends the joblet. D must be the worker's own:
 *   a systemd unit with Delegate=yes, or a cgroup made for it.
 * - cgroup v1 (cgroup-v1.c), the memory controller mounted on its own (/sys/fs/cgroup/memory
 *   on hybrid and legacy hosts). v1 lets processes sit beside child groups, so D may be
 *   shared: the worker makes D/jobgrid.PID and each joblet runs in D/jobgrid.PID/jl-ATTEMPT
 *   with memory.limit_in_bytes (and memory.memsw.limit_in_bytes: no swapping past it);
 *   memory.max_usage_in_bytes gives the peak, memory.oom_control the OOM kills. v1 has no
 *   cgroup.kill nor memory.oom.group: the worker kills each process of the group, and ends
 *   the whole joblet once the kernel killed part of it.
 *
 * v2 is tried first, then v1. When neither may be used (no memory controller, no write
 * access, other processes in D for v2), the worker samples the process tree's RSS instead
 * and says why. */
#ifndef JG_CGROUP_H
#define JG_CGROUP_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct cgroup_ops;

struct cgroup_base {
	bool usable;
	int version;			/* 1 or 2 once usable */
	const struct cgroup_ops *ops;	/* the backend (static), NULL when not usable */
	char dir[512];			/* where joblet cgroups are made */
	char note[640];			/* why not usable, or where the joblet cgroups are */
};

/* Decide at start. Never fails: usable says the outcome, note the reason. */
void cgroup_setup(struct cgroup_base *cg);
/* At exit, once every joblet cgroup is gone: remove what setup made (v1: D/jobgrid.PID). */
void cgroup_teardown(struct cgroup_base *cg);
/* A base of the given version (1 or 2) at dir, without probing the host: for reading and
 * removing groups made there. 0, or -1 for an unknown version. */
int cgroup_use(struct cgroup_base *cg, int version, const char *dir);

/* A joblet's cgroup DIR/jl-ATTEMPT, its path into buf: its memory limit is ram_mb (none when
 * 0), no swap past it, an OOM kill takes the whole joblet where the kernel can. *procs_fd is
 * an O_CLOEXEC descriptor of its cgroup.procs, for the child to write "0" into before exec.
 * 0, or -1 with errno (nothing left behind). */
int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd);
int64_t cgroup_current_kb(const struct cgroup_base *cg, const char *path);	/* -1 unknown */
int64_t cgroup_peak_kb(const struct cgroup_base *cg, const char *path);	/* -1 unknown */
int64_t cgroup_oom_kills(const struct cgroup_base *cg, const char *path);	/* 0 if unknown */
/* SIGKILL every process in it: cgroup.kill (v2 from 5.14), else each pid of cgroup.procs. */
void cgroup_kill(const struct cgroup_base *cg, const char *path);
/* rmdir, the groups a joblet made below its own first; -1 with errno (EBUSY: not empty
 * yet). */
int cgroup_remove(const char *path);
/* Hand a joblet's group to the account it runs as, as cgroup v2 delegation does: its
 * directory and the files that move processes and enable controllers (cgroup.procs,
 * cgroup.threads, cgroup.subtree_control; v1's tasks), so the joblet may make groups of
 * its own below. Its limit files stay the worker's: it cannot raise its own limit. 0, or
 * -1 with errno. */
int cgroup_delegate(const char *path, uid_t uid, gid_t gid);

/* Parsers of the kernel's text, kept apart to be tested on given text (and fuzzed). */
/* The path of this process's cgroup in /proc/self/cgroup text into out: the "0::/path" line
 * of v2 when controller is NULL, else the v1 line whose controller list
 * ("ID:memory:/path", "ID:cpu,cpuacct:/path") holds controller. -1 if there is none. */
int cgroup_parse_self(const char *text, const char *controller, char *out, size_t len);
/* The directory of cgroup self (as cgroup_parse_self gives it) in the file system: the
 * first mount in /proc/self/mountinfo text whose root holds self, joined with the rest of
 * self; octal escapes (\040) undone. The mount is cgroup2 when controller is NULL, else a
 * v1 "cgroup" mount whose super options name controller. -1 if none. */
int cgroup_parse_mountinfo(const char *text, const char *controller, const char *self,
			   char *out, size_t len);
/* Is word in a list separated by spaces (cgroup.controllers) or by sep? */
bool cgroup_has_word(const char *list, const char *word);
bool cgroup_has_item(const char *list, char sep, const char *word);
/* The value of key in "key value" lines (memory.events, memory.oom_control); -1 if absent. */
int64_t cgroup_parse_keyed(const char *text, const char *key);
#endif
