/* What the cgroup backends (cgroup-v1.c, cgroup-v2.c) share with cgroup.c: the backend
 * table and small file functions. Not for other modules: they use cgroup.h. */
#ifndef JG_CGROUP_INT_H
#define JG_CGROUP_INT_H
#include "worker/cgroup.h"

/* One cgroup version. The files hold the same things in both; the names differ. */
struct cgroup_ops {
	int version;
	/* Find and prepare cg->dir; 0, or -1 with cg->note saying why not. */
	int (*setup)(struct cgroup_base *cg);
	/* Set the memory limit of a new joblet group (ram_mb 0: none) and what goes with it
	 * (no swap past it, OOM kills the whole group). 0, or -1 with errno. */
	int (*limit)(const char *dir, int32_t ram_mb);
	void (*teardown)(struct cgroup_base *cg);	/* NULL: nothing to undo */
	const char *current_file;	/* bytes in use */
	const char *peak_file;		/* the most bytes ever in use; NULL if none */
	const char *events_file;	/* holds an "oom_kill N" line */
	const char *kill_file;		/* writing "1" kills every process; NULL if none */
};

extern const struct cgroup_ops cgroup_v1, cgroup_v2;

/* The whole file, NUL-terminated, from malloc; NULL with errno. */
char *cg_read_all(const char *path);
/* Write text into an existing file (one write). 0, or -1 with errno. */
int cg_write(const char *path, const char *text);
/* "dir/file" into buf. 0, or -1 with ENAMETOOLONG. */
int cg_at(char *buf, size_t len, const char *dir, const char *file);
/* The setup outcome "not usable", with a printf-style reason in cg->note. Returns -1. */
int cg_unusable(struct cgroup_base *cg, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Call fn (may be NULL) for each process listed in dir/cgroup.procs other than this one;
 * how many there are, or -1 if the list cannot be read. */
int cg_procs(const char *dir, void (*fn)(long pid));
/* The directory of this process's cgroup for controller (NULL: v2) into out, from
 * /proc/self/cgroup and /proc/self/mountinfo; 0, or -1 with cg->note saying why not. */
int cg_locate(struct cgroup_base *cg, const char *controller, char *out, size_t len);
#endif
