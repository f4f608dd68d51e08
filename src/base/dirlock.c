/* The directory lock: an OFD lock on one file, and the holder's line in it. */
#include "base/dirlock.h"
#include "base/clock.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

struct dirlock {
	int fd;			/* holds the lock while open */
};

static int lock_whole_file(int fd)
{
	struct flock fl = {.l_type = F_WRLCK, .l_whence = SEEK_SET, .l_start = 0, .l_len = 0};
	return fcntl(fd, F_OFD_SETLK, &fl);
}

/* The holder writes its line just after it took the lock: an empty file is read again for
 * a moment before the refusal says the holder is unknown. Control bytes become '?' so a
 * damaged file cannot garble the message. */
static void read_holder(int fd, char *buf, size_t len)
{
	const struct timespec pause = {0, 10000000L};	/* 10 ms */
	buf[0] = '\0';
	for (int tries = 0; tries < 50; tries++) {
		ssize_t n = pread(fd, buf, len - 1, 0);
		if (n > 0) {
			buf[n] = '\0';
			buf[strcspn(buf, "\n")] = '\0';
			for (char *p = buf; *p; p++)
				if ((unsigned char)*p < 0x20 || *p == 0x7f)
					*p = '?';
			if (buf[0])
				return;
		}
		nanosleep(&pause, NULL);
	}
}

static void write_holder(int fd)
{
	char host[256] = "?", since[40], line[400];
	if (gethostname(host, sizeof host - 1) != 0)
		snprintf(host, sizeof host, "?");
	host[sizeof host - 1] = '\0';
	clock_format_rfc3339(clock_wall_ms(), since, sizeof since);
	int n = snprintf(line, sizeof line, "pid %ld on host %s since %s\n", (long)getpid(), host,
			 since);
	/* Best effort: without the line a refusal still refuses, it only names no holder. */
	if (ftruncate(fd, 0) == 0 && pwrite(fd, line, (size_t)n, 0) == n)
		fdatasync(fd);
}

struct dirlock *dirlock_take(const char *dir, const char *name, char **err)
{
	char *path = xasprintf("%s/%s", dir, name);
	int fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (fd < 0) {
		*err = xasprintf("cannot open the lock file %s: %s", path, strerror(errno));
		free(path);
		return NULL;
	}
	if (lock_whole_file(fd) != 0) {
		int e = errno;
		if (e == EAGAIN || e == EACCES) {
			char holder[400];
			read_holder(fd, holder, sizeof holder);
			*err = xasprintf("in use by another process: %s (lock file %s)",
					 holder[0] ? holder : "it has not written who it is",
					 path);
		} else {
			*err = xasprintf("cannot lock %s: %s", path, strerror(e));
		}
		close(fd);
		free(path);
		return NULL;
	}
	free(path);
	write_holder(fd);
	struct dirlock *l = xcalloc(1, sizeof *l);
	l->fd = fd;
	return l;
}

void dirlock_release(struct dirlock *l)
{
	if (l == NULL)
		return;
	/* Emptied first, so the file of a stopped server names nobody. */
	int rc = ftruncate(l->fd, 0);
	(void)rc;	/* the lock goes with the descriptor either way */
	close(l->fd);
	free(l);
}
