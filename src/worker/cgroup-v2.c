/* The cgroup v2 backend: the worker in the leaf D/worker, joblets in D/jl-ATTEMPT with
 * memory.max (see cgroup.h). */
#include "worker/cgroup-int.h"
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Move this process into D/worker and enable memory for D's children; on failure the
 * process goes back to D. */
static int enter_leaf(struct cgroup_base *cg)
{
	char leaf[600], file[700], pid[32];
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if (cg_at(leaf, sizeof leaf, cg->dir, "worker"))
		return cg_unusable(cg, "the cgroup path %s is too long", cg->dir);
	int others = cg_procs(cg->dir, NULL);
	if (others > 0)
		return cg_unusable(cg, "%d other process%s in the cgroup %s: the worker needs one "
				   "of its own (Delegate=yes)", others,
				   others == 1 ? " is" : "es are", cg->dir);
	if (mkdir(leaf, 0755) != 0 && errno != EEXIST)
		return cg_unusable(cg, "cannot create a cgroup in %s: %s", cg->dir, strerror(errno));
	if (cg_at(file, sizeof file, leaf, "cgroup.procs") || cg_write(file, pid) != 0) {
		cg_unusable(cg, "cannot write %s: %s", file, strerror(errno));
		rmdir(leaf);
		return -1;
	}
	if (cg_at(file, sizeof file, cg->dir, "cgroup.subtree_control") ||
	    cg_write(file, "+memory") != 0) {
		/* EBUSY: a process came into D meanwhile. */
		cg_unusable(cg, "cannot write %s: %s", file, strerror(errno));
		if (cg_at(file, sizeof file, cg->dir, "cgroup.procs") == 0)
			(void)cg_write(file, pid);
		rmdir(leaf);
		return -1;
	}
	return 0;
}

static int setup(struct cgroup_base *cg)
{
	char file[700];
	char *text;
	if (cg_locate(cg, NULL, cg->dir, sizeof cg->dir))
		return -1;
	if (cg_at(file, sizeof file, cg->dir, "cgroup.controllers") ||
	    (text = cg_read_all(file)) == NULL)
		return cg_unusable(cg, "cannot read %s/cgroup.controllers: %s", cg->dir,
				   strerror(errno));
	bool bad = !cgroup_has_word(text, "memory");
	free(text);
	if (bad)
		return cg_unusable(cg, "no memory controller in cgroup v2 at %s", cg->dir);
	return enter_leaf(cg);
}

static int limit(const char *dir, int32_t ram_mb)
{
	char file[700], val[32];
	if (ram_mb > 0)
		snprintf(val, sizeof val, "%lld", (long long)ram_mb * 1024 * 1024);
	else
		snprintf(val, sizeof val, "max");
	if (cg_at(file, sizeof file, dir, "memory.max") || cg_write(file, val) != 0)
		return -1;
	/* Best effort: no swapping past the limit (absent without swap accounting), and an
	 * OOM kill takes the whole joblet. */
	if (cg_at(file, sizeof file, dir, "memory.swap.max") == 0)
		(void)cg_write(file, "0");
	if (cg_at(file, sizeof file, dir, "memory.oom.group") == 0)
		(void)cg_write(file, "1");
	return 0;
}

const struct cgroup_ops cgroup_v2 = {
	.version = 2,
	.setup = setup,
	.limit = limit,
	.teardown = NULL,		/* the worker stays in its leaf until it exits */
	.current_file = "memory.current",
	.peak_file = "memory.peak",	/* from Linux 5.19; the samples stand in before */
	.events_file = "memory.events",
	.kill_file = "cgroup.kill",	/* from Linux 5.14 */
};
