/* The cgroup text parsers, on text as the kernel writes it (unified, hybrid, legacy and
 * container hosts), the file readers of both backends on a stand-in directory, and what
 * this host allows: where cgroup v2 has no memory controller the worker uses v1's. */
#include "worker/cgroup.h"
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

Test(cgroup, self_line)
{
	char out[256];
	const char *hybrid = "12:memory:/user.slice\n4:cpu:/\n0::/user.slice/user-1000.slice/session-2.scope\n";
	cr_assert_eq(cgroup_parse_self(hybrid, NULL, out, sizeof out), 0);
	cr_assert_str_eq(out, "/user.slice/user-1000.slice/session-2.scope");
	cr_assert_eq(cgroup_parse_self("0::/\n", NULL, out, sizeof out), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cgroup_parse_self("0::/no/newline", NULL, out, sizeof out), 0);
	cr_assert_str_eq(out, "/no/newline");
	cr_assert_eq(cgroup_parse_self("4:memory:/x\n", NULL, out, sizeof out), -1, "v1 only");
	cr_assert_eq(cgroup_parse_self("10:name=x:/\n0::\n", NULL, out, sizeof out), -1, "no path");
	cr_assert_eq(cgroup_parse_self("0::/long/path", NULL, out, 5), -1, "does not fit");
	cr_assert_eq(cgroup_parse_self("", NULL, out, sizeof out), -1);
}

/* v1: the line whose controller list holds the controller, as a whole item. */
Test(cgroup, self_line_v1)
{
	char out[256];
	const char *host = "9:name=systemd:/\n8:pids:/\n5:cpu,cpuacct:/a\n"
			   "4:memory:/process_api/38cf2d2b\n0::/\n";
	cr_assert_eq(cgroup_parse_self(host, "memory", out, sizeof out), 0);
	cr_assert_str_eq(out, "/process_api/38cf2d2b");
	cr_assert_eq(cgroup_parse_self(host, "cpuacct", out, sizeof out), 0);
	cr_assert_str_eq(out, "/a", "one of several controllers of a line");
	cr_assert_eq(cgroup_parse_self(host, "cpu", out, sizeof out), 0);
	cr_assert_str_eq(out, "/a");
	cr_assert_eq(cgroup_parse_self(host, "name=systemd", out, sizeof out), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cgroup_parse_self(host, NULL, out, sizeof out), 0);
	cr_assert_str_eq(out, "/", "v2's line of the same host");
	cr_assert_eq(cgroup_parse_self("4:memoryx:/x\n3:xmemory:/y\n", "memory", out, sizeof out),
		     -1, "whole items only");
	cr_assert_eq(cgroup_parse_self("0::/only/v2\n", "memory", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_self("4:memory:\n", "memory", out, sizeof out), -1, "no path");
	cr_assert_eq(cgroup_parse_self("4:memory:/a/b", "memory", out, 4), -1, "does not fit");
	cr_assert_eq(cgroup_parse_self("4:memory", "memory", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_self("::::\n:\n", "memory", out, sizeof out), -1);
}

/* This host's mountinfo: v1 controllers on their own mounts, v2 without memory. */
static const char legacy[] =
	"30 22 0:27 / /sys/fs/cgroup rw,relatime - tmpfs tmpfs rw,mode=755\n"
	"31 30 0:28 / /sys/fs/cgroup/cpu rw,relatime - cgroup cgroup rw,cpu\n"
	"32 30 0:29 / /sys/fs/cgroup/cpu,cpuacct rw,relatime - cgroup cgroup rw,cpu,cpuacct\n"
	"34 30 0:31 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"40 30 0:37 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

Test(cgroup, mountinfo_v1)
{
	char out[256];
	cr_assert_eq(cgroup_parse_mountinfo(legacy, "memory", "/process_api/38cf", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/memory/process_api/38cf");
	cr_assert_eq(cgroup_parse_mountinfo(legacy, "memory", "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/memory");
	cr_assert_eq(cgroup_parse_mountinfo(legacy, "cpuacct", "/a", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/cpu,cpuacct/a", "the first mount with the controller");
	cr_assert_eq(cgroup_parse_mountinfo(legacy, NULL, "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified", "v2 is still found on its own");
	cr_assert_eq(cgroup_parse_mountinfo(legacy, "pids", "/", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_mountinfo(legacy, "mem", "/", out, sizeof out), -1,
		     "whole options only");
	/* A container's mount of its own subtree, and a v2 mount is never v1's. */
	const char *sub = "50 40 0:31 /docker/abc /sys/fs/cgroup/memory ro - cgroup cgroup rw,memory\n";
	cr_assert_eq(cgroup_parse_mountinfo(sub, "memory", "/docker/abc/x", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/memory/x");
	cr_assert_eq(cgroup_parse_mountinfo(sub, "memory", "/other", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_mountinfo("1 2 0:3 / /x rw - cgroup2 cgroup2 rw,memory\n", "memory",
					    "/", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_mountinfo("1 2 0:3 / /x rw - cgroup cgroup\n", "memory", "/", out,
					    sizeof out), -1, "no super options");
}

Test(cgroup, items)
{
	cr_assert(cgroup_has_item("rw,memory", ',', "memory"));
	cr_assert(cgroup_has_item("memory,rw", ',', "memory"));
	cr_assert(cgroup_has_item("rw,memory,x\n", ',', "x"));
	cr_assert(!cgroup_has_item("rw,memoryx", ',', "memory"));
	cr_assert(!cgroup_has_item("rw memory", ',', "memory"), "another separator");
	cr_assert(!cgroup_has_item("rw,memory", ',', ""));
	cr_assert(cgroup_has_item("xmemory,memory", ',', "memory"), "a later whole item");
}

static const char unified[] =
	"22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
	"30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
static const char hybrid[] =
	"35 31 0:32 / /sys/fs/cgroup/memory rw,relatime - cgroup cgroup rw,memory\n"
	"40 31 0:37 / /sys/fs/cgroup/systemd rw,relatime - cgroup cgroup rw,name=systemd\n"
	"41 31 0:38 / /sys/fs/cgroup/unified rw,relatime - cgroup2 cgroup2 rw\n";

Test(cgroup, mountinfo_unified_and_hybrid)
{
	char out[256];
	cr_assert_eq(cgroup_parse_mountinfo(unified, NULL, "/system.slice/jobgrid.service", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/system.slice/jobgrid.service");
	cr_assert_eq(cgroup_parse_mountinfo(unified, NULL, "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup", "the root cgroup is the mount point");
	cr_assert_eq(cgroup_parse_mountinfo(hybrid, NULL, "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified", "hybrid: v2 is not at /sys/fs/cgroup");
	cr_assert_eq(cgroup_parse_mountinfo(hybrid, NULL, "/user.slice", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified/user.slice");
	cr_assert_eq(cgroup_parse_mountinfo("31 25 0:27 / /x rw - cgroup cgroup rw\n", NULL, "/", out,
					    sizeof out), -1, "v1 only");
	cr_assert_eq(cgroup_parse_mountinfo(unified, NULL, "/a/b", out, 16), -1, "does not fit");
	cr_assert_eq(cgroup_parse_mountinfo("", NULL, "/", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_mountinfo("garbage\n1 2 3\n", NULL, "/", out, sizeof out), -1);
}

Test(cgroup, mountinfo_subtree_mounts_and_escapes)
{
	char out[256];
	/* A container without a cgroup namespace: the mount shows only its own subtree. */
	const char *sub =
		"50 40 0:26 /docker/abc /sys/fs/cgroup ro,nosuid master:9 - cgroup2 cgroup rw\n";
	cr_assert_eq(cgroup_parse_mountinfo(sub, NULL, "/docker/abc", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup");
	cr_assert_eq(cgroup_parse_mountinfo(sub, NULL, "/docker/abc/jobs", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/jobs");
	cr_assert_eq(cgroup_parse_mountinfo(sub, NULL, "/docker/abcd", out, sizeof out), -1,
		     "a prefix that is not a whole path component");
	cr_assert_eq(cgroup_parse_mountinfo(sub, NULL, "/other", out, sizeof out), -1);
	/* The first mount that holds the cgroup wins; one that does not is passed over. */
	char two[512];
	snprintf(two, sizeof two, "%s%s", sub, unified);
	cr_assert_eq(cgroup_parse_mountinfo(two, NULL, "/other", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/other");
	/* Several optional fields, and a space in the mount point written as \040. */
	const char *esc = "60 1 0:40 / /mnt/my\\040cg rw shared:3 master:1 propagate_from:2 - "
			  "cgroup2 none rw\n";
	cr_assert_eq(cgroup_parse_mountinfo(esc, NULL, "/w", out, sizeof out), 0);
	cr_assert_str_eq(out, "/mnt/my cg/w");
	/* "cgroup2" as a path is not the file system type. */
	cr_assert_eq(cgroup_parse_mountinfo("70 1 0:41 / /cgroup2 rw - tmpfs cgroup2 rw\n", NULL, "/",
					    out, sizeof out), -1);
}

Test(cgroup, controllers_and_events)
{
	cr_assert(cgroup_has_word("cpuset cpu io memory hugetlb pids\n", "memory"));
	cr_assert(cgroup_has_word("memory\n", "memory"));
	cr_assert(!cgroup_has_word("cpuset cpu io hugetlb pids\n", "memory"));
	cr_assert(!cgroup_has_word("hugetlb\n", "memory"), "this host's cgroup v2");
	cr_assert(!cgroup_has_word("memoryx cpu", "memory"), "whole words only");
	cr_assert(!cgroup_has_word("", "memory"));
	const char *events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
	cr_assert_eq(cgroup_parse_keyed(events, "oom_kill"), 1);
	cr_assert_eq(cgroup_parse_keyed(events, "oom"), 1, "not oom_kill's line");
	cr_assert_eq(cgroup_parse_keyed(events, "max"), 12);
	cr_assert_eq(cgroup_parse_keyed(events, "nothing"), -1);
	cr_assert_eq(cgroup_parse_keyed("oom_kill 0\n", "oom_kill"), 0);
	cr_assert_eq(cgroup_parse_keyed("", "oom_kill"), -1);
}

static void put(const char *dir, const char *name, const char *text)
{
	char path[512];
	snprintf(path, sizeof path, "%s/%s", dir, name);
	FILE *f = fopen(path, "w");
	cr_assert_not_null(f);
	fputs(text, f);
	fclose(f);
}

static void unlink_in(const char *dir, const char *const *names, size_t n)
{
	char path[512];
	for (size_t i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
}

/* The v2 readers on a plain directory standing in for a joblet's cgroup. */
Test(cgroup, readers_v2)
{
	char dir[] = "/tmp/jg-cgroup-XXXXXX";
	struct cgroup_base cg;
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(cgroup_use(&cg, 2, "/nowhere"), 0);
	cr_assert_eq(cgroup_peak_kb(&cg, dir), -1, "no memory.peak (before 5.19)");
	cr_assert_eq(cgroup_current_kb(&cg, dir), -1);
	cr_assert_eq(cgroup_oom_kills(&cg, dir), 0);
	put(dir, "memory.peak", "104857600\n");
	put(dir, "memory.current", "2048\n");
	put(dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 1\n");
	cr_assert_eq(cgroup_peak_kb(&cg, dir), 102400);
	cr_assert_eq(cgroup_current_kb(&cg, dir), 2);
	cr_assert_eq(cgroup_oom_kills(&cg, dir), 2);
	cr_assert_eq(cgroup_remove(dir), -1, "not empty");
	cr_assert(errno == ENOTEMPTY || errno == EEXIST);
	static const char *const names[] = {"memory.peak", "memory.current", "memory.events"};
	unlink_in(dir, names, 3);
	cr_assert_eq(cgroup_remove(dir), 0);
	cr_assert_eq(cgroup_remove(dir), -1);
	cr_assert_eq(errno, ENOENT);
}

/* The v1 readers: other file names, the OOM kills in memory.oom_control. */
Test(cgroup, readers_v1)
{
	char dir[] = "/tmp/jg-cgroup-XXXXXX";
	struct cgroup_base cg;
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(cgroup_use(&cg, 1, "/nowhere"), 0);
	cr_assert_eq(cg.version, 1);
	cr_assert_eq(cgroup_peak_kb(&cg, dir), -1);
	cr_assert_eq(cgroup_oom_kills(&cg, dir), 0);
	put(dir, "memory.max_usage_in_bytes", "67108864\n");
	put(dir, "memory.usage_in_bytes", "4096\n");
	put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 0\n");
	put(dir, "memory.peak", "1\n");	/* a v2 file: not read by v1 */
	cr_assert_eq(cgroup_peak_kb(&cg, dir), 65536);
	cr_assert_eq(cgroup_current_kb(&cg, dir), 4);
	cr_assert_eq(cgroup_oom_kills(&cg, dir), 0);
	put(dir, "memory.oom_control", "oom_kill_disable 0\nunder_oom 0\noom_kill 1\n");
	cr_assert_eq(cgroup_oom_kills(&cg, dir), 1);
	static const char *const names[] = {"memory.max_usage_in_bytes", "memory.usage_in_bytes",
					    "memory.oom_control", "memory.peak"};
	unlink_in(dir, names, 4);
	cr_assert_eq(cgroup_remove(dir), 0);
	cr_assert_eq(cgroup_use(&cg, 3, "/x"), -1, "no such version");
}

static char *slurp(const char *path)
{
	static char buf[1 << 16];
	FILE *f = fopen(path, "r");
	if (f == NULL)
		return NULL;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = '\0';
	return buf;
}

/* A pid that is certainly not running: a child that has exited and been reaped. */
static long dead_pid(void)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0)
		_exit(0);
	cr_assert_eq(waitpid(pid, NULL, 0), pid);
	return (long)pid;
}

/* This host: cgroup_setup picks a version and says where, or why neither. It is not run
 * where cgroup v2 has the memory controller: there it would move this process. Where the
 * v1 memory controller is writable (as root on a hybrid or legacy host) the worker uses it:
 * its own group D/jobgrid.PID, a joblet group with the exact limit, both removed after. */
Test(cgroup, this_host)
{
	char self[512], v2dir[512] = "", v1dir[512] = "", file[700];
	const char *text = slurp("/proc/self/cgroup");
	cr_assert_not_null(text);
	bool v2 = cgroup_parse_self(text, NULL, self, sizeof self) == 0;
	char self1[512];
	bool v1 = cgroup_parse_self(text, "memory", self1, sizeof self1) == 0;
	text = slurp("/proc/self/mountinfo");
	cr_assert_not_null(text);
	v2 = v2 && cgroup_parse_mountinfo(text, NULL, self, v2dir, sizeof v2dir) == 0;
	v1 = v1 && cgroup_parse_mountinfo(text, "memory", self1, v1dir, sizeof v1dir) == 0;
	if (v2) {
		snprintf(file, sizeof file, "%s/cgroup.controllers", v2dir);
		text = slurp(file);
		cr_assert_not_null(text);
		if (cgroup_has_word(text, "memory"))
			cr_skip_test("cgroup v2 has the memory controller here (%s)", v2dir);
	}
	bool v1_writable = v1 && access(v1dir, W_OK) == 0;
	char stale[700], stale_jl[800];
	if (v1_writable) {	/* a group left by a worker that is gone */
		snprintf(stale, sizeof stale, "%s/jobgrid.%ld", v1dir, dead_pid());
		snprintf(stale_jl, sizeof stale_jl, "%s/jl-1", stale);
		cr_assert_eq(mkdir(stale, 0755), 0, "%s: %s", stale, strerror(errno));
		cr_assert_eq(mkdir(stale_jl, 0755), 0);
	}
	struct cgroup_base cg;
	cgroup_setup(&cg);
	if (!v1_writable) {
		cr_assert(!cg.usable);
		if (v2) {
			char want[700];
			snprintf(want, sizeof want, "no memory controller in cgroup v2 at %s; ", v2dir);
			cr_assert_eq(strncmp(cg.note, want, strlen(want)), 0, "note: %s", cg.note);
		}
		cr_log_warn("this host: RAM by sampling: %s", cg.note);
		return;
	}
	struct stat st;
	cr_assert(cg.usable, "v1 memory at %s is writable, yet: %s", v1dir, cg.note);
	cr_assert_eq(cg.version, 1);
	char want[1200];
	snprintf(want, sizeof want, "%s/jobgrid.%ld", v1dir, (long)getpid());
	cr_assert_str_eq(cg.dir, want);
	cr_assert_eq(stat(cg.dir, &st), 0, "the worker's group exists");
	snprintf(want, sizeof want, "cgroup v1: %s/jobgrid.%ld/jl-*", v1dir, (long)getpid());
	cr_assert_str_eq(cg.note, want);
	cr_assert_neq(stat(stale, &st), 0, "the gone worker's empty group is removed");
	/* A joblet group: the exact limit, no swap past it, then removed. */
	char path[600];
	int fd;
	cr_assert_eq(cgroup_create(&cg, 77, 64, path, sizeof path, &fd), 0, "%s", strerror(errno));
	cr_assert_geq(fd, 0);
	close(fd);
	snprintf(file, sizeof file, "%s/memory.limit_in_bytes", path);
	text = slurp(file);
	cr_assert_not_null(text);
	cr_assert_eq(strtoll(text, NULL, 10), 64LL << 20);
	snprintf(file, sizeof file, "%s/memory.memsw.limit_in_bytes", path);
	if ((text = slurp(file)) != NULL)
		cr_assert_eq(strtoll(text, NULL, 10), 64LL << 20);
	cr_assert_eq(cgroup_oom_kills(&cg, path), 0);
	cr_assert_geq(cgroup_current_kb(&cg, path), 0);
	cr_assert_eq(cgroup_remove(path), 0);
	cgroup_teardown(&cg);
	cr_assert_neq(stat(cg.dir, &st), 0, "the worker's group is removed at teardown");
	cr_log_info("this host: RAM by cgroup v1 (%s)", v1dir);
}
