/* The cgroup v2 text parsers, on text as the kernel writes it (hybrid and unified hosts),
 * and what this host allows: a worker here must say why it samples instead. */
#include "worker/cgroup.h"
#include <criterion/criterion.h>
#include <string.h>

Test(cgroup, self_line)
{
	char out[256];
	const char *hybrid = "12:memory:/user.slice\n4:cpu:/\n0::/user.slice/user-1000.slice/session-2.scope\n";
	cr_assert_eq(cgroup_parse_self(hybrid, out, sizeof out), 0);
	cr_assert_str_eq(out, "/user.slice/user-1000.slice/session-2.scope");
	cr_assert_eq(cgroup_parse_self("0::/\n", out, sizeof out), 0);
	cr_assert_str_eq(out, "/");
	cr_assert_eq(cgroup_parse_self("4:memory:/x\n", out, sizeof out), -1, "v1 only");
	cr_assert_eq(cgroup_parse_self("0::/long/path", out, 5), -1, "does not fit");
}

Test(cgroup, mountinfo)
{
	char out[256];
	const char *unified =
		"22 1 0:21 / /proc rw,nosuid shared:12 - proc proc rw\n"
		"30 24 0:26 / /sys/fs/cgroup rw,nosuid,nodev,noexec shared:9 - cgroup2 cgroup2 rw,nsdelegate\n";
	cr_assert_eq(cgroup_parse_mountinfo(unified, out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup");
	const char *hybrid =
		"31 25 0:27 / /sys/fs/cgroup/memory rw - cgroup cgroup rw,memory\n"
		"35 25 0:30 / /sys/fs/cgroup/unified rw,nosuid - cgroup2 cgroup2 rw\n";
	cr_assert_eq(cgroup_parse_mountinfo(hybrid, out, sizeof out), 0);
	cr_assert_str_eq(out, "/sys/fs/cgroup/unified");
	cr_assert_eq(cgroup_parse_mountinfo("31 25 0:27 / /x rw - cgroup cgroup rw\n", out, sizeof out), -1);
}

Test(cgroup, controllers_and_events)
{
	cr_assert(cgroup_has_word("cpuset cpu io memory hugetlb pids\n", "memory"));
	cr_assert(!cgroup_has_word("cpuset cpu io hugetlb pids\n", "memory"));
	cr_assert(!cgroup_has_word("memoryx cpu", "memory"), "whole words only");
	const char *events = "low 0\nhigh 0\nmax 12\noom 1\noom_kill 1\noom_group_kill 0\n";
	cr_assert_eq(cgroup_parse_keyed(events, "oom_kill"), 1);
	cr_assert_eq(cgroup_parse_keyed(events, "oom"), 1, "not oom_kill's line");
	cr_assert_eq(cgroup_parse_keyed(events, "max"), 12);
	cr_assert_eq(cgroup_parse_keyed(events, "nothing"), -1);
}

Test(cgroup, setup_always_decides)
{
	struct cgroup_base cg;
	cgroup_setup(&cg);
	cr_assert(strlen(cg.note) > 0, "usable or not, the note says why or where");
	if (!cg.usable)
		cr_log_info("this host: RAM by sampling: %s", cg.note);
}
