/* The copy of the store at a clean stop (stop-backup.h). */
#include "server/stop-backup.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "server/server.h"
#include "store/store.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define PREFIX "jobgrid-"
#define SUFFIX ".sqlite"
/* jobgrid-20261204T061500Z.sqlite: names sort by time. */
#define NAME_LEN (sizeof PREFIX - 1 + 16 + sizeof SUFFIX - 1)

int stop_backup_check(const char *dir, char **err)
{
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("--backup-on-stop: cannot create %s: %s", dir, strerror(errno));
		return -1;
	}
	struct stat sb;
	if (stat(dir, &sb) != 0 || !S_ISDIR(sb.st_mode) || access(dir, W_OK | X_OK) != 0) {
		*err = xasprintf("--backup-on-stop: %s must be a directory this server can write to",
				 dir);
		return -1;
	}
	return 0;
}

char *stop_backup_begin(struct server *srv)
{
	if (srv->store == NULL || srv->store->vt->copy_at_close == NULL) {
		log_warn("--backup-on-stop: this store cannot copy itself; no copy is made");
		return NULL;
	}
	char *tmp = xasprintf("%s/.%s%d.tmp", srv->backup_dir, PREFIX, (int)getpid());
	unlink(tmp);	/* a leftover of a crashed stop */
	srv->store->vt->copy_at_close(srv->store, tmp);
	return tmp;
}

static bool is_copy(const char *name)
{
	size_t n = strlen(name);
	return n == NAME_LEN && strncmp(name, PREFIX, sizeof PREFIX - 1) == 0 &&
	       strcmp(name + n - (sizeof SUFFIX - 1), SUFFIX) == 0;
}

static int by_name(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Remove the oldest copies in dir beyond the newest keep; only files named like ours. */
static void prune(const char *dir, int keep)
{
	DIR *d = opendir(dir);
	if (d == NULL)
		return;
	char **names = NULL;
	size_t n = 0;
	const struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		if (!is_copy(e->d_name))
			continue;
		names = xrealloc(names, n + 1, sizeof *names);
		names[n++] = xstrdup(e->d_name);
	}
	closedir(d);
	if (n == 0)
		return;
	qsort(names, n, sizeof *names, by_name);
	for (size_t i = 0; i < n; i++) {
		if (i + (size_t)keep < n) {
			char *p = xasprintf("%s/%s", dir, names[i]);
			if (unlink(p) == 0)
				log_info("--backup-keep %d: removed the older copy %s", keep, p);
			free(p);
		}
		free(names[i]);
	}
	free(names);
}

void stop_backup_finish(struct server *srv, char *tmp)
{
	struct stat sb;
	if (tmp == NULL || stat(tmp, &sb) != 0) {	/* the store said why */
		free(tmp);
		return;
	}
	char stamp[20];
	time_t now = (time_t)(clock_wall_ms() / 1000);
	struct tm tm;
	gmtime_r(&now, &tm);
	strftime(stamp, sizeof stamp, "%Y%m%dT%H%M%SZ", &tm);
	char *path = xasprintf("%s/%s%s%s", srv->backup_dir, PREFIX, stamp, SUFFIX);
	int fd = open(tmp, O_RDONLY | O_CLOEXEC);
	bool ok = fd >= 0 && fsync(fd) == 0;
	if (fd >= 0)
		close(fd);
	if (ok && rename(tmp, path) == 0) {
		int dfd = open(srv->backup_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
		if (dfd >= 0) {
			fsync(dfd);	/* the rename itself survives a crash */
			close(dfd);
		}
		log_info("copy of the store at stop: %s (%lld bytes)", path, (long long)sb.st_size);
		prune(srv->backup_dir, srv->backup_keep);
	} else {
		log_error("cannot keep the copy of the store at %s: %s", path, strerror(errno));
		unlink(tmp);
	}
	free(path);
	free(tmp);
}
