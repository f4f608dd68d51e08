/* DATA/jobgrid.sock: made, checked, removed (see unix-listen.h). */
#include "server/unix-listen.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <stdbool.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#define SOCK_NAME "jobgrid.sock"

/* Does a server answer on the socket at addr? */
static bool answers(const struct sockaddr_un *addr)
{
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool yes = connect(fd, (const struct sockaddr *)addr, sizeof *addr) == 0;
	close(fd);
	return yes;
}

/* Clear the way for a new socket at addr: nothing there, or a stale socket removed. 0, or
 * -1 with *err. */
static int clear_stale(const struct sockaddr_un *addr, char **err)
{
	struct stat st;
	if (lstat(addr->sun_path, &st) != 0)
		return 0;
	if (!S_ISSOCK(st.st_mode)) {
		*err = xasprintf("cannot listen on %s: it exists and is not a socket; move it away",
				 addr->sun_path);
		return -1;
	}
	if (answers(addr)) {
		*err = xasprintf("cannot listen on %s: another server answers on it (stop it, or"
				 " give this one its own --data)", addr->sun_path);
		return -1;
	}
	log_info("removing %s, left by a server that did not stop cleanly", addr->sun_path);
	if (unlink(addr->sun_path) != 0 && errno != ENOENT) {
		*err = xasprintf("cannot remove the stale socket %s: %s", addr->sun_path,
				 strerror(errno));
		return -1;
	}
	return 0;
}

/* Other accounts reach DATA/jobgrid.sock only if they may search every directory on the
 * way: say which one stops them (the server still starts; its own account and root can
 * connect). */
static void warn_unreachable(const char *data_dir)
{
	char real[PATH_MAX];
	if (realpath(data_dir, real) == NULL)
		return;
	for (char *end = real + strlen(real); end > real; end = strrchr(real, '/')) {
		*end = '\0';
		const char *dir = real[0] ? real : "/";
		struct stat st;
		if (stat(dir, &st) == 0 && !(st.st_mode & S_IXOTH)) {
			log_warn("other local accounts cannot reach %s/" SOCK_NAME ": %s is not"
				 " searchable by them (chmod o+x %s to let them in)",
				 data_dir, dir, dir);
			return;
		}
	}
}

int unix_listen(const char *data_dir, struct unix_listener *ul, bool *too_long, char **err)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	char *path = xasprintf("%s/" SOCK_NAME, data_dir);
	ul->path = NULL;
	*too_long = strlen(path) >= sizeof addr.sun_path;
	if (*too_long) {
		*err = xasprintf("cannot listen on %s: a Unix socket's path may be %zu bytes at"
				 " most, this one is %zu (a shorter --data makes one)", path,
				 sizeof addr.sun_path - 1, strlen(path));
		free(path);
		return -1;
	}
	memcpy(addr.sun_path, path, strlen(path) + 1);
	free(path);
	if (clear_stale(&addr, err))
		return -1;
	/* Search, not read: the socket is reachable by name, the rest of DATA is not. */
	if (chmod(data_dir, 0711) != 0)
		log_warn("cannot make %s searchable for other accounts: %s", data_dir,
			 strerror(errno));
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	bool bound = fd >= 0 && bind(fd, (const struct sockaddr *)&addr, sizeof addr) == 0;
	struct stat st;
	/* 0666 after bind, not by umask: the process's umask is the user's to choose. */
	if (!bound || chmod(addr.sun_path, 0666) != 0 || listen(fd, SOMAXCONN) != 0 ||
	    stat(addr.sun_path, &st) != 0) {
		*err = xasprintf("cannot listen on %s: %s", addr.sun_path, strerror(errno));
		if (bound)
			unlink(addr.sun_path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	warn_unreachable(data_dir);
	ul->path = xstrdup(addr.sun_path);
	ul->dev = st.st_dev;
	ul->ino = st.st_ino;
	return fd;
}

void unix_listen_remove(struct unix_listener *ul)
{
	struct stat st;
	if (ul->path && lstat(ul->path, &st) == 0 && st.st_dev == ul->dev && st.st_ino == ul->ino)
		unlink(ul->path);
	free(ul->path);
	ul->path = NULL;
}
