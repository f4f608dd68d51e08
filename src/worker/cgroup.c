/* cgroup v2 for joblets: see cgroup.h for the layout and why. */
#include "worker/cgroup.h"
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* ---- parsers ----------------------------------------------------------------------- */

int cgroup_parse_self(const char *text, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (n >= 3 && strncmp(line, "0::", 3) == 0 && n - 3 < len) {
			memcpy(out, line + 3, n - 3);
			out[n - 3] = '\0';
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

/* mountinfo: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE SUPEROPTS" */
int cgroup_parse_mountinfo(const char *text, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char buf[1024];
		if (n < sizeof buf) {
			memcpy(buf, line, n);
			buf[n] = '\0';
			char *dash = strstr(buf, " - ");
			char mnt[512];
			if (dash && strncmp(dash + 3, "cgroup2 ", 8) == 0 &&
			    sscanf(buf, "%*s %*s %*s %*s %511s", mnt) == 1 && strlen(mnt) < len) {
				memcpy(out, mnt, strlen(mnt) + 1);
				return 0;
			}
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

bool cgroup_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	for (const char *p = list; (p = strstr(p, word)) != NULL; p += n)
		if ((p == list || p[-1] == ' ') && (p[n] == '\0' || p[n] == ' ' || p[n] == '\n'))
			return true;
	return false;
}

int64_t cgroup_parse_keyed(const char *text, const char *key)
{
	size_t n = strlen(key);
	for (const char *line = text; line && *line;) {
		if (strncmp(line, key, n) == 0 && line[n] == ' ')
			return strtoll(line + n + 1, NULL, 10);
		line = strchr(line, '\n');
		line = line ? line + 1 : NULL;
	}
	return -1;
}

/* ---- files ------------------------------------------------------------------------- */

static int read_text(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return 0;
}

static int write_text(const char *path, const char *text)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	ssize_t n = write(fd, text, strlen(text));
	int saved = errno;
	close(fd);
	errno = saved;
	return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int at(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

/* ---- setup ------------------------------------------------------------------------- */

static void unusable(struct cgroup_base *cg, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
static void unusable(struct cgroup_base *cg, const char *fmt, ...)
{
	va_list ap;
	cg->usable = false;
	va_start(ap, fmt);
	vsnprintf(cg->note, sizeof cg->note, fmt, ap);
	va_end(ap);
}

/* Move this process into D/worker-PID and enable memory for D's children. */
static int enter_leaf(struct cgroup_base *cg, const char *dir)
{
	char leaf[600], file[700], pid[32];
	snprintf(pid, sizeof pid, "%d", (int)getpid());
	snprintf(leaf, sizeof leaf, "%s/worker-%s", dir, pid);
	if (mkdir(leaf, 0755) != 0 && errno != EEXIST) {
		unusable(cg, "cannot create a cgroup in %s: %s", dir, strerror(errno));
		return -1;
	}
	if (at(file, sizeof file, leaf, "cgroup.procs") || write_text(file, pid) != 0) {
		unusable(cg, "cannot move the worker into %s: %s", leaf, strerror(errno));
		rmdir(leaf);
		return -1;
	}
	if (at(file, sizeof file, dir, "cgroup.subtree_control") || write_text(file, "+memory") != 0) {
		/* EBUSY: other processes share D; the worker cannot own it. */
		unusable(cg, "cannot enable the memory controller in %s: %s", dir, strerror(errno));
		return -1;
	}
	return 0;
}

void cgroup_setup(struct cgroup_base *cg)
{
	char text[8192], self[512], mnt[512], file[1100];
	memset(cg, 0, sizeof *cg);
	if (read_text("/proc/self/cgroup", text, sizeof text) || cgroup_parse_self(text, self, sizeof self)) {
		unusable(cg, "no cgroup v2 hierarchy for this process");
		return;
	}
	if (read_text("/proc/self/mountinfo", text, sizeof text) ||
	    cgroup_parse_mountinfo(text, mnt, sizeof mnt)) {
		unusable(cg, "cgroup v2 is not mounted");
		return;
	}
	int n = snprintf(cg->dir, sizeof cg->dir, "%s%s", mnt, strcmp(self, "/") == 0 ? "" : self);
	if (n < 0 || (size_t)n >= sizeof cg->dir) {
		unusable(cg, "the cgroup path is too long");
		return;
	}
	if (at(file, sizeof file, cg->dir, "cgroup.controllers") || read_text(file, text, sizeof text)) {
		unusable(cg, "cannot read %s/cgroup.controllers", cg->dir);
		return;
	}
	if (!cgroup_has_word(text, "memory")) {
		unusable(cg, "no memory controller in cgroup v2 at %s", cg->dir);
		return;
	}
	if (enter_leaf(cg, cg->dir))
		return;
	cg->usable = true;
	if (snprintf(cg->note, sizeof cg->note, "joblets in %s/jl-*", cg->dir) < 0)
		cg->note[0] = '\0';
}

/* ---- joblets ----------------------------------------------------------------------- */

int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd)
{
	char file[700], val[32];
	int n = snprintf(buf, len, "%s/jl-%lld", cg->dir, (long long)attempt);
	if (n < 0 || (size_t)n >= len || (mkdir(buf, 0755) != 0 && errno != EEXIST))
		return -1;
	if (ram_mb > 0)
		snprintf(val, sizeof val, "%lld", (long long)ram_mb * 1024 * 1024);
	else
		snprintf(val, sizeof val, "max");
	if (at(file, sizeof file, buf, "memory.max") || write_text(file, val) != 0)
		goto fail;
	/* Best effort: no swapping past the limit, and an OOM kill takes the whole joblet. */
	if (at(file, sizeof file, buf, "memory.swap.max") == 0)
		(void)write_text(file, "0");
	if (at(file, sizeof file, buf, "memory.oom.group") == 0)
		(void)write_text(file, "1");
	if (at(file, sizeof file, buf, "cgroup.procs") ||
	    (*procs_fd = open(file, O_WRONLY | O_CLOEXEC)) < 0)
		goto fail;
	return 0;
fail:;
	int saved = errno;
	rmdir(buf);
	errno = saved;
	return -1;
}

static int64_t read_number(const char *path, const char *name)
{
	char file[700], text[64];
	if (at(file, sizeof file, path, name) || read_text(file, text, sizeof text))
		return -1;
	return strtoll(text, NULL, 10);
}

int64_t cgroup_current_kb(const char *path)
{
	int64_t b = read_number(path, "memory.current");
	return b < 0 ? -1 : b / 1024;
}

int64_t cgroup_peak_kb(const char *path)
{
	int64_t b = read_number(path, "memory.peak");
	return b < 0 ? -1 : b / 1024;
}

bool cgroup_oom_killed(const char *path)
{
	char file[700], text[1024];
	if (at(file, sizeof file, path, "memory.events") || read_text(file, text, sizeof text))
		return false;
	return cgroup_parse_keyed(text, "oom_kill") > 0;
}

void cgroup_kill(const char *path)
{
	char file[700];
	if (at(file, sizeof file, path, "cgroup.kill") == 0)
		(void)write_text(file, "1");
}

int cgroup_remove(const char *path)
{
	return rmdir(path);
}
