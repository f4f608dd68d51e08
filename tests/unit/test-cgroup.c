/* The cgroup v2 text parsers, on text as the kernel writes it (unified, hybrid and
 * container hosts), the file readers on a stand-in directory, and what this host allows:
 * a worker here must say why it samples instead. */
#include "worker/cgroup.h"
#include <criterion/criterion.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

Test(cgroup, self_line)
{
	char out[256];
	const char *hybrid = "12:memory:/user.slice\n4:cpu:/\n0::/user.slice/user-1000.slice/session-2.scope\n";
	cr_assert_eq(cgroup_parse_self(hybrid, out, sizeof out), 0);
	cr_assert_str_eq(out, "/user.slice/user-1000.slice/session-2.scope");
	cr_assert_eq(cgroup_parse_self("0::/\n", out, sizeof out), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cgroup_parse_self("0::/no/newline", out, sizeof out), 0);
	cr_assert_str_eq(out, "/no/newline");
	cr_assert_eq(cgroup_parse_self("4:memory:/x\n", out, sizeof out), -1, "v1 only");
	cr_assert_eq(cgroup_parse_self("10:name=x:/\n0::\n", out, sizeof out), -1, "no path");
	cr_assert_eq(cgroup_parse_self("0::/long/path", out, 5), -1, "does not fit");
	cr_assert_eq(cgroup_parse_self("", out, sizeof out), -1);
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
	cr_assert_eq(cgroup_parse_mountinfo(unified, "/system.slice/jobgrid.service", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/system.slice/jobgrid.service");
	cr_assert_eq(cgroup_parse_mountinfo(unified, "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup", "the root cgroup is the mount point");
	cr_assert_eq(cgroup_parse_mountinfo(hybrid, "/", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified", "hybrid: v2 is not at /sys/fs/cgroup");
	cr_assert_eq(cgroup_parse_mountinfo(hybrid, "/user.slice", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified/user.slice");
	cr_assert_eq(cgroup_parse_mountinfo("31 25 0:27 / /x rw - cgroup cgroup rw\n", "/", out,
					    sizeof out), -1, "v1 only");
	cr_assert_eq(cgroup_parse_mountinfo(unified, "/a/b", out, 16), -1, "does not fit");
	cr_assert_eq(cgroup_parse_mountinfo("", "/", out, sizeof out), -1);
	cr_assert_eq(cgroup_parse_mountinfo("garbage\n1 2 3\n", "/", out, sizeof out), -1);
}

Test(cgroup, mountinfo_subtree_mounts_and_escapes)
{
	char out[256];
	/* A container without a cgroup namespace: the mount shows only its own subtree. */
	const char *sub =
		"50 40 0:26 /docker/abc /sys/fs/cgroup ro,nosuid master:9 - cgroup2 cgroup rw\n";
	cr_assert_eq(cgroup_parse_mountinfo(sub, "/docker/abc", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup");
	cr_assert_eq(cgroup_parse_mountinfo(sub, "/docker/abc/jobs", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/jobs");
	cr_assert_eq(cgroup_parse_mountinfo(sub, "/docker/abcd", out, sizeof out), -1,
		     "a prefix that is not a whole path component");
	cr_assert_eq(cgroup_parse_mountinfo(sub, "/other", out, sizeof out), -1);
	/* The first mount that holds the cgroup wins; one that does not is passed over. */
	char two[512];
	snprintf(two, sizeof two, "%s%s", sub, unified);
	cr_assert_eq(cgroup_parse_mountinfo(two, "/other", out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/other");
	/* Several optional fields, and a space in the mount point written as \040. */
	const char *esc = "60 1 0:40 / /mnt/my\\040cg rw shared:3 master:1 propagate_from:2 - "
			  "cgroup2 none rw\n";
	cr_assert_eq(cgroup_parse_mountinfo(esc, "/w", out, sizeof out), 0);
	cr_assert_str_eq(out, "/mnt/my cg/w");
	/* "cgroup2" as a path is not the file system type. */
	cr_assert_eq(cgroup_parse_mountinfo("70 1 0:41 / /cgroup2 rw - tmpfs cgroup2 rw\n", "/",
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

/* The readers on a plain directory standing in for a joblet's cgroup. */
Test(cgroup, readers)
{
	char dir[] = "/tmp/jg-cgroup-XXXXXX", path[512];
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(cgroup_peak_kb(dir), -1, "no memory.peak (before 5.19)");
	cr_assert_eq(cgroup_current_kb(dir), -1);
	cr_assert_eq(cgroup_oom_kills(dir), 0);
	put(dir, "memory.peak", "104857600\n");
	put(dir, "memory.current", "2048\n");
	put(dir, "memory.events", "low 0\nhigh 0\nmax 3\noom 1\noom_kill 2\noom_group_kill 1\n");
	cr_assert_eq(cgroup_peak_kb(dir), 102400);
	cr_assert_eq(cgroup_current_kb(dir), 2);
	cr_assert_eq(cgroup_oom_kills(dir), 2);
	cr_assert_eq(cgroup_remove(dir), -1, "not empty");
	cr_assert(errno == ENOTEMPTY || errno == EEXIST);
	const char *names[] = {"memory.peak", "memory.current", "memory.events"};
	for (size_t i = 0; i < 3; i++) {
		snprintf(path, sizeof path, "%s/%s", dir, names[i]);
		unlink(path);
	}
	cr_assert_eq(cgroup_remove(dir), 0);
	cr_assert_eq(cgroup_remove(dir), -1);
	cr_assert_eq(errno, ENOENT);
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

/* This host: the worker's cgroup is found, and where cgroup v2 has no memory controller
 * (a host whose memory controller is on cgroup v1) the worker must sample and say why.
 * cgroup_setup runs only then: where it could succeed it would move this process. */
Test(cgroup, this_host)
{
	char self[512], dir[512], file[600];
	const char *text = slurp("/proc/self/cgroup");
	if (text == NULL || cgroup_parse_self(text, self, sizeof self) != 0)
		cr_skip_test("no cgroup v2 here");
	text = slurp("/proc/self/mountinfo");
	cr_assert_not_null(text);
	if (cgroup_parse_mountinfo(text, self, dir, sizeof dir) != 0)
		cr_skip_test("cgroup v2 not mounted here");
	struct stat st;
	cr_assert_eq(stat(dir, &st), 0, "the worker's cgroup %s exists", dir);
	snprintf(file, sizeof file, "%s/cgroup.controllers", dir);
	text = slurp(file);
	cr_assert_not_null(text);
	if (cgroup_has_word(text, "memory"))
		cr_skip_test("cgroup v2 has the memory controller here (%s)", dir);
	struct cgroup_base cg;
	cgroup_setup(&cg);
	cr_assert(!cg.usable);
	char want[700];
	snprintf(want, sizeof want, "no memory controller in cgroup v2 at %s", dir);
	cr_assert_str_eq(cg.note, want);
	cr_log_info("this host: RAM by sampling: %s", cg.note);
}
