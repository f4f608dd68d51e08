/* Signal and descriptor hygiene for children (base/spawn.h): the close_range path and its
 * fallback for kernels before 5.11 mark exactly the descriptors from lowfd up; a child
 * gets every disposition back to the default and an empty mask; the parent's mask comes
 * back after the fork. Each check that changes dispositions runs in a forked child. */
#include "base/spawn.h"
#include <criterion/criterion.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static bool cloexec(int fd)
{
	int fl = fcntl(fd, F_GETFD);
	cr_assert_geq(fl, 0, "descriptor %d is open", fd);
	return (fl & FD_CLOEXEC) != 0;
}

/* Descriptors 20, 21 and 300 without close-on-exec; the call under test must mark those
 * from 21 up and leave 20 alone. */
static void check_marks(int (*mark)(int))
{
	int fd = open("/dev/null", O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(dup2(fd, 20), 20);
	cr_assert_eq(dup2(fd, 21), 21);
	cr_assert_eq(dup2(fd, 300), 300);
	close(fd);
	cr_assert(!cloexec(20) && !cloexec(21) && !cloexec(300));
	cr_assert_eq(mark(21), 0);
	cr_assert(!cloexec(20), "below lowfd: untouched");
	cr_assert(cloexec(21), "lowfd itself is marked");
	cr_assert(cloexec(300), "a high descriptor is marked");
	cr_assert_eq(fcntl(20, F_GETFL) & O_ACCMODE, O_RDONLY, "still open and usable");
	for (int d = 21; d < 400; d++)
		if (fcntl(d, F_GETFD) >= 0)
			cr_assert(cloexec(d), "descriptor %d left inheritable", d);
}

Test(spawn, cloexec_from)
{
	check_marks(spawn_cloexec_from);
}

Test(spawn, cloexec_fallback_scan)
{
	check_marks(spawn_cloexec_scan);
}

Test(spawn, cloexec_fallback_many)
{
	/* More descriptors than one getdents64 buffer holds. */
	int fd = open("/dev/null", O_RDONLY);
	cr_assert_geq(fd, 0);
	for (int d = 100; d < 700; d++)
		cr_assert_eq(dup2(fd, d), d);
	close(fd);
	cr_assert_eq(spawn_cloexec_scan(100), 0);
	for (int d = 100; d < 700; d++)
		cr_assert(cloexec(d), "descriptor %d", d);
}

static void on_usr1(int sig)
{
	(void)sig;
}

/* In the forked child: plain answers, no assertions (they belong to the parent). The
 * system call, which also answers for the C library's own signals (32, 33). */
static bool is_default(int sig)
{
	unsigned long ksa[4] = {1, 1, 1, 1};
	return syscall(SYS_rt_sigaction, sig, NULL, ksa, 8) == 0 && ksa[0] == 0;
}

static void ignore_raw(int sig)
{
	unsigned long ign[4] = {(unsigned long)SIG_IGN, 0, 0, 0};
	syscall(SYS_rt_sigaction, sig, ign, NULL, 8);
}

Test(spawn, child_signals)
{
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		/* As a worker may be: SIGHUP/SIGQUIT/SIGPIPE ignored (inherited from nohup or a
		 * script's background job), handlers of its own, a signal blocked. */
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_usr1;
		sigaction(SIGUSR1, &sa, NULL);
		sigaction(SIGTERM, &sa, NULL);
		signal(SIGHUP, SIG_IGN);
		signal(SIGQUIT, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		signal(SIGRTMIN + 3, SIG_IGN);
		ignore_raw(32);	/* the C library's own, as a parent may leave them */
		ignore_raw(33);
		if (is_default(32) || is_default(33))
			_exit(99);	/* the test itself could not set them up */
		sigset_t set, now;
		sigemptyset(&set);
		sigaddset(&set, SIGUSR2);
		sigprocmask(SIG_BLOCK, &set, NULL);
		spawn_child_signals();
		int bad = 0;
		for (int sig = 1; sig <= 64; sig++)
			if (sig != SIGKILL && sig != SIGSTOP && !is_default(sig))
				bad = sig;
		sigprocmask(SIG_SETMASK, NULL, &now);
		for (int sig = 1; sig < NSIG && !bad; sig++)
			if (sigismember(&now, sig) == 1)
				bad = 100 + sig;
		_exit(bad);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st));
	cr_assert_eq(WEXITSTATUS(st), 0, "signal %d is not default (100+: still blocked)",
		     WEXITSTATUS(st));
}

Test(spawn, block_and_restore)
{
	sigset_t set, old, now;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_SETMASK, &set, NULL);
	spawn_block_signals(&old);
	sigprocmask(SIG_SETMASK, NULL, &now);
	cr_assert_eq(sigismember(&now, SIGTERM), 1, "everything is blocked");
	cr_assert_eq(sigismember(&now, SIGCHLD), 1);
	cr_assert_eq(sigismember(&old, SIGUSR2), 1, "the old mask is kept");
	cr_assert_eq(sigismember(&old, SIGTERM), 0);
	spawn_restore_signals(&old);
	sigprocmask(SIG_SETMASK, NULL, &now);
	cr_assert_eq(sigismember(&now, SIGUSR2), 1);
	cr_assert_eq(sigismember(&now, SIGTERM), 0, "back as it was");
}
