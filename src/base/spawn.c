/* Signal and descriptor hygiene around fork/exec: see spawn.h. */
#include "base/spawn.h"
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#ifdef __has_include
#if __has_include(<linux/close_range.h>)
#include <linux/close_range.h>
#endif
#endif

void spawn_block_signals(sigset_t *old)
{
	sigset_t all;
	sigfillset(&all);
	pthread_sigmask(SIG_SETMASK, &all, old);
}

void spawn_restore_signals(const sigset_t *old)
{
	pthread_sigmask(SIG_SETMASK, old, NULL);
}

void spawn_child_signals(void)
{
	/* The system call itself, not sigaction(3): the C library refuses the two signals it
	 * keeps for its threads (32 and 33), and a parent may have left those ignored too. All
	 * zero is SIG_DFL, no flags, an empty mask, in the kernel's layout on every
	 * architecture; the last argument is the kernel's signal set size (64 signals). */
	unsigned long dfl[4] = {0, 0, 0, 0};
	sigset_t none;
	for (int sig = 1; sig <= 64; sig++)
		if (sig != SIGKILL && sig != SIGSTOP)
			(void)syscall(SYS_rt_sigaction, sig, dfl, NULL, 8);
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

static int mark(int fd)
{
	return fcntl(fd, F_SETFD, FD_CLOEXEC) == 0 || errno == EBADF ? 0 : -1;
}

/* Without /proc: every number below the descriptor limit. */
static int scan_numbers(int lowfd)
{
	struct rlimit rl;
	long top = 1L << 20;
	if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY &&
	    rl.rlim_cur < (rlim_t)top)
		top = (long)rl.rlim_cur;
	int rc = 0;
	for (long fd = lowfd; fd < top; fd++)
		rc |= mark((int)fd);
	return rc;
}

/* The kernel's record of getdents64. */
struct linux_dirent64 {
	uint64_t d_ino;
	int64_t d_off;
	unsigned short d_reclen;
	unsigned char d_type;
	char d_name[];
};

int spawn_cloexec_scan(int lowfd)
{
	int dir = open("/proc/self/fd", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dir < 0)
		return scan_numbers(lowfd);
	_Alignas(8) char buf[4096];
	int rc = 0;
	for (;;) {
		long n = syscall(SYS_getdents64, dir, buf, sizeof buf);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			close(dir);
			return scan_numbers(lowfd);
		}
		if (n == 0)
			break;
		for (long off = 0; off < n;) {
			const struct linux_dirent64 *d = (const void *)(buf + off);
			off += d->d_reclen;
			long fd = 0;
			const char *p = d->d_name;
			for (; *p >= '0' && *p <= '9' && fd < INT_MAX / 10; p++)
				fd = fd * 10 + (*p - '0');
			if (*p != '\0' || p == d->d_name || fd < lowfd || fd == dir)
				continue;	/* ".", "..", below lowfd, or the listing itself */
			rc |= mark((int)fd);
		}
	}
	close(dir);
	return rc;
}

int spawn_cloexec_from(int lowfd)
{
#if defined(SYS_close_range) && defined(CLOSE_RANGE_CLOEXEC)
	if (syscall(SYS_close_range, (unsigned)lowfd, ~0U, CLOSE_RANGE_CLOEXEC) == 0)
		return 0;
	/* ENOSYS before Linux 5.9, EINVAL for the flag before 5.11. */
#endif
	return spawn_cloexec_scan(lowfd);
}
