/* cgroup v2 for joblets: see cgroup.h for the layout and why. */
#include "worker/cgroup.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
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
		if (n >= 4 && strncmp(line, "0::/", 4) == 0 && n - 3 < len) {
			memcpy(out, line + 3, n - 3);
			out[n - 3] = '\0';
			return 0;
		}
		line = end ? end + 1 : NULL;
	}
	return -1;
}

/* mountinfo writes space, tab, newline and backslash in paths as \ooo. In place. */
static void unescape(char *s)
{
	char *o = s;
	for (const char *p = s; *p; p++) {
		if (p[0] == '\\' && p[1] >= '0' && p[1] <= '3' && p[2] >= '0' && p[2] <= '7' &&
		    p[3] >= '0' && p[3] <= '7') {
			*o++ = (char)((p[1] - '0') * 64 + (p[2] - '0') * 8 + (p[3] - '0'));
			p += 3;
		} else {
			*o++ = *p;
		}
	}
	*o = '\0';
}

/* One mountinfo line: "ID PARENT MAJ:MIN ROOT MOUNTPOINT OPTS [OPTIONAL…] - FSTYPE SOURCE
 * SUPEROPTS". If it is a cgroup2 mount whose ROOT holds self, the directory into out. */
static int mount_line(char *line, const char *self, char *out, size_t len)
{
	char *save = NULL, *field[5], *tok;
	int i = 0;
	for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
		field[i++] = tok;
	if (i < 5)
		return -1;
	while (tok && strcmp(tok, "-") != 0)	/* the options, then the optional fields */
		tok = strtok_r(NULL, " ", &save);
	tok = tok ? strtok_r(NULL, " ", &save) : NULL;
	if (tok == NULL || strcmp(tok, "cgroup2") != 0)
		return -1;
	char *root = field[3], *mnt = field[4];
	unescape(root);
	unescape(mnt);
	const char *rest;
	size_t rl = strlen(root);
	if (strcmp(root, "/") == 0)
		rest = self;
	else if (strncmp(self, root, rl) == 0 && (self[rl] == '\0' || self[rl] == '/'))
		rest = self + rl;
	else
		return -1;	/* a mount of another part of the tree */
	if (strcmp(rest, "/") == 0)
		rest = "";
	if (strcmp(mnt, "/") == 0 && *rest)
		mnt = "";
	int n = snprintf(out, len, "%s%s", mnt, rest);
	return n < 0 || (size_t)n >= len ? -1 : 0;
}

int cgroup_parse_mountinfo(const char *text, const char *self, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *copy = xstrndup(line, n);
		int rc = mount_line(copy, self, out, len);
		free(copy);
		if (rc == 0)
			return 0;
		line = end ? end + 1 : NULL;
	}
	return -1;
}

bool cgroup_has_word(const char *list, const char *word)
{
	size_t n = strlen(word);
	if (n == 0)
		return false;
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

/* The whole file, NUL-terminated, from malloc; NULL with errno. /proc and cgroup files
 * may come in several reads. */
static char *read_all(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return NULL;
	size_t cap = 4096, len = 0;
	char *buf = xmalloc(cap);
	for (;;) {
		if (cap - len < 2) {
			if (cap >= (16u << 20)) {
				errno = EFBIG;
				break;
			}
			cap *= 2;
			buf = xrealloc(buf, cap, 1);
		}
		ssize_t n = read(fd, buf + len, cap - len - 1);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			close(fd);
			buf[len] = '\0';
			return buf;
		}
		len += (size_t)n;
	}
	int saved = errno;
	close(fd);
	free(buf);
	errno = saved;
	return NULL;
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
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

static int64_t read_number(const char *path, const char *name)
{
	char file[700];
	if (at(file, sizeof file, path, name))
		return -1;
	char *text = read_all(file);
	if (text == NULL)
		return -1;
	int64_t v = strtoll(text, NULL, 10);
	free(text);
	return v;
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

/* How many processes other than this one are in dir (-1: cannot tell). */
static int others_in(const char *dir)
{
	char file[700];
	if (at(file, sizeof file, dir, "cgroup.procs"))
		return -1;
	char *text = read_all(file);
	if (text == NULL)
		return -1;
	int n = 0;
	long self = (long)getpid();
	for (char *p = text, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		n += pid != self;
	}
	free(text);
	return n;
}

/* Move this process into D/worker and enable memory for D's children; on failure the
 * process goes back to D. */
static int enter_leaf(struct cgroup_base *cg)
{
	char leaf[600], file[700], pid[32];
	snprintf(pid, sizeof pid, "%ld", (long)getpid());
	if (at(leaf, sizeof leaf, cg->dir, "worker")) {
		unusable(cg, "the cgroup path %s is too long", cg->dir);
		return -1;
	}
	int others = others_in(cg->dir);
	if (others > 0) {
		unusable(cg, "%d other process%s in the cgroup %s: the worker needs one of its own "
			 "(Delegate=yes)", others, others == 1 ? " is" : "es are", cg->dir);
		return -1;
	}
	if (mkdir(leaf, 0755) != 0 && errno != EEXIST) {
		unusable(cg, "cannot create a cgroup in %s: %s", cg->dir, strerror(errno));
		return -1;
	}
	if (at(file, sizeof file, leaf, "cgroup.procs") || write_text(file, pid) != 0) {
		unusable(cg, "cannot write %s: %s", file, strerror(errno));
		rmdir(leaf);
		return -1;
	}
	if (at(file, sizeof file, cg->dir, "cgroup.subtree_control") ||
	    write_text(file, "+memory") != 0) {
		/* EBUSY: a process came into D meanwhile. */
		unusable(cg, "cannot write %s: %s", file, strerror(errno));
		if (at(file, sizeof file, cg->dir, "cgroup.procs") == 0)
			(void)write_text(file, pid);
		rmdir(leaf);
		return -1;
	}
	return 0;
}

void cgroup_setup(struct cgroup_base *cg)
{
	char self[512], file[700];
	memset(cg, 0, sizeof *cg);
	char *text = read_all("/proc/self/cgroup");
	int bad = text == NULL || cgroup_parse_self(text, self, sizeof self);
	free(text);
	if (bad) {
		unusable(cg, "no cgroup v2 hierarchy for this process (no 0:: line in /proc/self/cgroup)");
		return;
	}
	text = read_all("/proc/self/mountinfo");
	bad = text == NULL || cgroup_parse_mountinfo(text, self, cg->dir, sizeof cg->dir);
	free(text);
	if (bad) {
		unusable(cg, "cgroup v2 is not mounted where its cgroup %s is visible", self);
		return;
	}
	if (at(file, sizeof file, cg->dir, "cgroup.controllers") ||
	    (text = read_all(file)) == NULL) {
		unusable(cg, "cannot read %s/cgroup.controllers: %s", cg->dir, strerror(errno));
		return;
	}
	bad = !cgroup_has_word(text, "memory");
	free(text);
	if (bad) {
		unusable(cg, "no memory controller in cgroup v2 at %s", cg->dir);
		return;
	}
	if (enter_leaf(cg))
		return;
	cg->usable = true;
	snprintf(cg->note, sizeof cg->note, "%s/jl-*", cg->dir);
}

/* ---- joblets ----------------------------------------------------------------------- */

int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd)
{
	char file[700], val[32];
	*procs_fd = -1;
	int n = snprintf(buf, len, "%s/jl-%lld", cg->dir, (long long)attempt);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	/* One left by an earlier run of the worker goes if it is empty; a busy one is not
	 * shared. */
	if (mkdir(buf, 0755) != 0 && (errno != EEXIST || rmdir(buf) != 0 || mkdir(buf, 0755) != 0))
		return -1;
	if (ram_mb > 0)
		snprintf(val, sizeof val, "%lld", (long long)ram_mb * 1024 * 1024);
	else
		snprintf(val, sizeof val, "max");
	if (at(file, sizeof file, buf, "memory.max") || write_text(file, val) != 0)
		goto fail;
	/* Best effort: no swapping past the limit (absent without swap accounting), and an
	 * OOM kill takes the whole joblet. */
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

int64_t cgroup_oom_kills(const char *path)
{
	char file[700];
	if (at(file, sizeof file, path, "memory.events"))
		return 0;
	char *text = read_all(file);
	if (text == NULL)
		return 0;
	int64_t v = cgroup_parse_keyed(text, "oom_kill");
	free(text);
	return v > 0 ? v : 0;
}

void cgroup_kill(const char *path)
{
	char file[700];
	if (at(file, sizeof file, path, "cgroup.kill") == 0 && write_text(file, "1") == 0)
		return;
	if (at(file, sizeof file, path, "cgroup.procs"))
		return;
	char *text = read_all(file);	/* before 5.14: one by one */
	if (text == NULL)
		return;
	for (char *p = text, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid > 1 && pid != (long)getpid())
			kill((pid_t)pid, SIGKILL);
	}
	free(text);
}

int cgroup_remove(const char *path)
{
	return rmdir(path);
}
