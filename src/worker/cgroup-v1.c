/* The cgroup v1 backend: the memory controller mounted on its own hierarchy. The worker's
 * memory cgroup D may hold other processes (v1 allows processes beside child groups), so the
 * worker makes D/jobgrid.PID for itself and each joblet runs in D/jobgrid.PID/jl-ATTEMPT
 * with memory.limit_in_bytes (see cgroup.h). */
#include "worker/cgroup-int.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define OWN_PREFIX "jobgrid."

/* Is name "jobgrid.PID" of a worker that is gone? */
static bool gone_worker(const char *name)
{
	char *end;
	if (strncmp(name, OWN_PREFIX, strlen(OWN_PREFIX)) != 0)
		return false;
	long pid = strtol(name + strlen(OWN_PREFIX), &end, 10);
	return *end == '\0' && pid > 1 && pid != (long)getpid() && kill((pid_t)pid, 0) != 0 &&
	       errno == ESRCH;
}

/* Remove the empty groups left by workers that are gone (killed before they could clean
 * up). A group that still holds processes is left alone: rmdir refuses it. */
static void remove_stale(const char *d)
{
	DIR *dir = opendir(d);
	struct dirent *de;
	if (dir == NULL)
		return;
	while ((de = readdir(dir))) {
		char base[700], jl[1000];
		if (!gone_worker(de->d_name) || cg_at(base, sizeof base, d, de->d_name))
			continue;
		DIR *sub = opendir(base);
		struct dirent *se;
		while (sub && (se = readdir(sub)))
			if (strncmp(se->d_name, "jl-", 3) == 0 &&
			    cg_at(jl, sizeof jl, base, se->d_name) == 0)
				(void)rmdir(jl);
		if (sub)
			closedir(sub);
		(void)rmdir(base);
	}
	closedir(dir);
}

static int setup(struct cgroup_base *cg)
{
	char d[512], file[700];
	if (cg_locate(cg, "memory", d, sizeof d))
		return -1;
	if (cg_at(file, sizeof file, d, "memory.limit_in_bytes") || access(file, R_OK) != 0)
		return cg_unusable(cg, "cannot read %s/memory.limit_in_bytes (cgroup v1): %s", d,
				   strerror(errno));
	remove_stale(d);
	int n = snprintf(cg->dir, sizeof cg->dir, "%s/" OWN_PREFIX "%ld", d, (long)getpid());
	if (n < 0 || (size_t)n >= sizeof cg->dir)
		return cg_unusable(cg, "the cgroup path %s is too long", d);
	if (mkdir(cg->dir, 0755) != 0 && errno != EEXIST)
		return cg_unusable(cg, "cannot create a cgroup in %s (cgroup v1 memory): %s", d,
				   strerror(errno));
	return 0;
}

static int limit(const char *dir, int32_t ram_mb)
{
	char file[700], val[32];
	/* A new group inherits its parent's oom_kill_disable: the kernel must kill in it, or a
	 * joblet at its limit would hang instead of failing. Best effort, as is the swap limit
	 * (absent without swap accounting). */
	if (cg_at(file, sizeof file, dir, "memory.oom_control") == 0)
		(void)cg_write(file, "0");
	if (ram_mb <= 0)
		return 0;
	snprintf(val, sizeof val, "%lld", (long long)ram_mb * 1024 * 1024);
	if (cg_at(file, sizeof file, dir, "memory.limit_in_bytes") || cg_write(file, val) != 0)
		return -1;
	/* memory + swap may not exceed the same: no swapping past the limit. */
	if (cg_at(file, sizeof file, dir, "memory.memsw.limit_in_bytes") == 0)
		(void)cg_write(file, val);
	return 0;
}

static void teardown(struct cgroup_base *cg)
{
	(void)rmdir(cg->dir);
}

const struct cgroup_ops cgroup_v1 = {
	.version = 1,
	.setup = setup,
	.limit = limit,
	.teardown = teardown,
	.current_file = "memory.usage_in_bytes",
	.peak_file = "memory.max_usage_in_bytes",
	.events_file = "memory.oom_control",	/* "oom_kill N" from Linux 4.13 */
	.kill_file = NULL,
};
