/* The account a joblet runs as with --run-as-owner (worker/runas.h): the lookup refuses
 * root and a name with no account (reason permission, saying which) and gives an account's
 * ids, groups, home and shell; entering it (in a forked child, as root) leaves no way back
 * to root. */
#include "worker/runas.h"
#include "core/job.h"
#include <criterion/criterion.h>
#include <grp.h>
#include <pwd.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

Test(runas, root_is_refused)
{
	struct runas ra;
	char msg[300] = "";
	cr_assert_eq(runas_lookup("root", &ra, msg, sizeof msg), FR_PERMISSION);
	cr_assert_not_null(strstr(msg, "'root' is uid 0"), "says why: %s", msg);
	cr_assert_null(ra.name, "nothing to free");
}

Test(runas, no_account_is_refused)
{
	struct runas ra;
	char msg[300] = "";
	cr_assert_eq(runas_lookup("jg-no-such-account-here", &ra, msg, sizeof msg), FR_PERMISSION);
	cr_assert_not_null(strstr(msg, "no local account named 'jg-no-such-account-here'"), "%s",
			   msg);
	cr_assert_eq(runas_lookup("", &ra, msg, sizeof msg), FR_PERMISSION, "an empty name: none");
}

Test(runas, an_account)
{
	struct passwd *pw = getpwnam("nobody");
	if (pw == NULL)
		cr_skip_test("no account 'nobody' here");
	struct runas ra;
	char msg[300] = "";
	cr_assert_eq(runas_lookup("nobody", &ra, msg, sizeof msg), 0, "%s", msg);
	cr_assert_str_eq(ra.name, "nobody");
	cr_assert_eq(ra.uid, pw->pw_uid);
	cr_assert_eq(ra.gid, pw->pw_gid);
	cr_assert_str_eq(ra.home, pw->pw_dir[0] ? pw->pw_dir : "/");
	cr_assert(ra.shell[0] == '/', "a shell: %s", ra.shell);
	bool primary = false;
	for (int i = 0; i < ra.ngroups; i++)
		primary = primary || ra.groups[i] == ra.gid;
	cr_assert(primary, "its groups hold its primary group");
	runas_free(&ra);
	cr_assert_null(ra.name);
}

/* In a child: become nobody; exit 0 only if every id is nobody's, the groups are its own
 * and root cannot be had back. */
Test(runas, enter_leaves_no_way_back)
{
	if (geteuid() != 0)
		cr_skip_test("needs root");
	struct runas ra;
	char msg[300] = "";
	if (runas_lookup("nobody", &ra, msg, sizeof msg) != 0)
		cr_skip_test("no account 'nobody' here: %s", msg);
	pid_t pid = fork();
	if (pid == 0) {
		if (runas_enter(&ra) != 0)
			_exit(10);
		uid_t r, e, s;
		gid_t list[64];
		int n = getgroups(64, list);
		if (getresuid(&r, &e, &s) != 0 || r != ra.uid || e != ra.uid || s != ra.uid)
			_exit(11);
		if (getgid() != ra.gid || getegid() != ra.gid || n != ra.ngroups)
			_exit(12);
		for (int i = 0; i < n; i++)
			if (list[i] == 0 && ra.gid != 0)
				_exit(13);	/* root's group kept */
		if (setuid(0) == 0 || seteuid(0) == 0 || setgid(0) == 0)
			_exit(14);
		_exit(0);
	}
	int st = 0;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "the child ended by a signal");
	cr_assert_eq(WEXITSTATUS(st), 0, "check %d failed in the child", WEXITSTATUS(st));
	runas_free(&ra);
}
