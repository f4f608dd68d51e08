/* Memory cgroups for joblets, the part both versions share: the parsers of the kernel's
 * text, small file functions, the choice of backend and the per-joblet calls. See cgroup.h
 * for the layouts and why; the backends are cgroup-v1.c and cgroup-v2.c. */
#include "worker/cgroup-int.h"
#include "base/xalloc.h"
#include <dirent.h>
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

bool cgroup_has_item(const char *list, char sep, const char *word)
{
	size_t n = strlen(word);
	if (n == 0)
		return false;
	for (const char *p = list; (p = strstr(p, word)) != NULL; p++) {
		bool starts = p == list || p[-1] == sep || p[-1] == '\n';
		bool ends = p[n] == '\0' || p[n] == sep || p[n] == '\n';
		if (starts && ends)
			return true;
	}
	return false;
}

bool cgroup_has_word(const char *list, const char *word)
{
	return cgroup_has_item(list, ' ', word);
}

/* One /proc/self/cgroup line "ID:CONTROLLERS:PATH" (n bytes): is it the wanted one? */
static bool self_line_matches(const char *line, size_t n, const char *controller,
			      const char **path)
{
	const char *c1 = memchr(line, ':', n);
	const char *c2 = c1 ? memchr(c1 + 1, ':', n - (size_t)(c1 + 1 - line)) : NULL;
	if (c2 == NULL || c2 + 1 >= line + n || c2[1] != '/')
		return false;
	*path = c2 + 1;
	if (controller == NULL)
		return c1 - line == 1 && line[0] == '0' && c2 == c1 + 1;
	size_t cl = strlen(controller);
	for (const char *p = c1 + 1; p < c2;) {
		const char *comma = memchr(p, ',', (size_t)(c2 - p));
		const char *end = comma ? comma : c2;
		if ((size_t)(end - p) == cl && memcmp(p, controller, cl) == 0)
			return true;
		p = end + 1;
	}
	return false;
}

int cgroup_parse_self(const char *text, const char *controller, char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n'), *path;
		size_t n = end ? (size_t)(end - line) : strlen(line);
		if (self_line_matches(line, n, controller, &path)) {
			size_t pl = n - (size_t)(path - line);
			if (pl >= len)
				return -1;
			memcpy(out, path, pl);
			out[pl] = '\0';
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
 * SUPEROPTS". If it is the wanted cgroup mount and its ROOT holds self, the directory into
 * out. */
static int mount_line(char *line, const char *controller, const char *self, char *out,
		      size_t len)
{
	char *save = NULL, *field[5], *tok;
	int i = 0;
	for (tok = strtok_r(line, " ", &save); tok && i < 5; tok = strtok_r(NULL, " ", &save))
		field[i++] = tok;
	if (i < 5)
		return -1;
	while (tok && strcmp(tok, "-") != 0)	/* the options, then the optional fields */
		tok = strtok_r(NULL, " ", &save);
	char *fstype = tok ? strtok_r(NULL, " ", &save) : NULL;
	char *source = fstype ? strtok_r(NULL, " ", &save) : NULL;
	char *superopts = source ? strtok_r(NULL, " ", &save) : NULL;
	if (fstype == NULL ||
	    (controller == NULL && strcmp(fstype, "cgroup2") != 0) ||
	    (controller && (strcmp(fstype, "cgroup") != 0 || superopts == NULL ||
			    !cgroup_has_item(superopts, ',', controller))))
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

int cgroup_parse_mountinfo(const char *text, const char *controller, const char *self,
			   char *out, size_t len)
{
	for (const char *line = text; line && *line;) {
		const char *end = strchr(line, '\n');
		size_t n = end ? (size_t)(end - line) : strlen(line);
		char *copy = xstrndup(line, n);
		int rc = mount_line(copy, controller, self, out, len);
		free(copy);
		if (rc == 0)
			return 0;
		line = end ? end + 1 : NULL;
	}
	return -1;
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

/* /proc and cgroup files may come in several reads. */
char *cg_read_all(const char *path)
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

int cg_write(const char *path, const char *text)
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

int cg_at(char *buf, size_t len, const char *dir, const char *file)
{
	int n = snprintf(buf, len, "%s/%s", dir, file);
	if (n < 0 || (size_t)n >= len) {
		errno = ENAMETOOLONG;
		return -1;
	}
	return 0;
}

int cg_unusable(struct cgroup_base *cg, const char *fmt, ...)
{
	va_list ap;
	cg->usable = false;
	va_start(ap, fmt);
	vsnprintf(cg->note, sizeof cg->note, fmt, ap);
	va_end(ap);
	return -1;
}

int cg_locate(struct cgroup_base *cg, const char *controller, char *out, size_t len)
{
	char self[512];
	const char *what = controller ? "the cgroup v1 memory controller" : "cgroup v2";
	char *text = cg_read_all("/proc/self/cgroup");
	int bad = text == NULL || cgroup_parse_self(text, controller, self, sizeof self);
	free(text);
	if (bad)
		return cg_unusable(cg, "no %s hierarchy for this process (no %s line in "
				   "/proc/self/cgroup)", what, controller ? controller : "0::");
	text = cg_read_all("/proc/self/mountinfo");
	bad = text == NULL || cgroup_parse_mountinfo(text, controller, self, out, len);
	free(text);
	if (bad)
		return cg_unusable(cg, "%s is not mounted where its cgroup %s is visible", what, self);
	return 0;
}

static int64_t read_number(const char *path, const char *name)
{
	char file[700];
	if (name == NULL || cg_at(file, sizeof file, path, name))
		return -1;
	char *text = cg_read_all(file);
	if (text == NULL)
		return -1;
	int64_t v = strtoll(text, NULL, 10);
	free(text);
	return v;
}

/* ---- the worker's base ------------------------------------------------------------- */

void cgroup_setup(struct cgroup_base *cg)
{
	char why_v2[sizeof cg->note];
	memset(cg, 0, sizeof *cg);
	if (cgroup_v2.setup(cg) == 0) {
		cg->ops = &cgroup_v2;
	} else {
		snprintf(why_v2, sizeof why_v2, "%s", cg->note);
		memset(cg, 0, sizeof *cg);
		if (cgroup_v1.setup(cg) != 0) {
			char why_v1[sizeof cg->note];
			snprintf(why_v1, sizeof why_v1, "%s", cg->note);
			snprintf(cg->note, sizeof cg->note, "%.300s; %.300s", why_v2, why_v1);
			return;
		}
		cg->ops = &cgroup_v1;
	}
	cg->usable = true;
	cg->version = cg->ops->version;
	snprintf(cg->note, sizeof cg->note, "cgroup v%d: %s/jl-*", cg->version, cg->dir);
}

void cgroup_teardown(struct cgroup_base *cg)
{
	if (cg->usable && cg->ops->teardown)
		cg->ops->teardown(cg);
}

int cgroup_use(struct cgroup_base *cg, int version, const char *dir)
{
	memset(cg, 0, sizeof *cg);
	if (version != 1 && version != 2)
		return -1;
	cg->ops = version == 1 ? &cgroup_v1 : &cgroup_v2;
	cg->version = version;
	cg->usable = true;
	snprintf(cg->dir, sizeof cg->dir, "%s", dir);
	return 0;
}

/* ---- joblets ----------------------------------------------------------------------- */

#define CG_BELOW_DEPTH 16	/* how deep groups a joblet made below its own are looked for */

int cgroup_create(const struct cgroup_base *cg, int64_t attempt, int32_t ram_mb, char *buf,
		  size_t len, int *procs_fd)
{
	char file[700];
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
	if (cg->ops->limit(buf, ram_mb) != 0 || cg_at(file, sizeof file, buf, "cgroup.procs") ||
	    (*procs_fd = open(file, O_WRONLY | O_CLOEXEC)) < 0) {
		int saved = errno;
		rmdir(buf);
		errno = saved;
		return -1;
	}
	return 0;
}

int64_t cgroup_current_kb(const struct cgroup_base *cg, const char *path)
{
	int64_t b = read_number(path, cg->ops->current_file);
	return b < 0 ? -1 : b / 1024;
}

int64_t cgroup_peak_kb(const struct cgroup_base *cg, const char *path)
{
	int64_t b = read_number(path, cg->ops->peak_file);
	return b < 0 ? -1 : b / 1024;
}

int64_t cgroup_oom_kills(const struct cgroup_base *cg, const char *path)
{
	char file[700];
	if (cg_at(file, sizeof file, path, cg->ops->events_file))
		return 0;
	char *text = cg_read_all(file);
	if (text == NULL)
		return 0;
	int64_t v = cgroup_parse_keyed(text, "oom_kill");
	free(text);
	return v > 0 ? v : 0;
}

int cg_procs(const char *dir, void (*fn)(long pid))
{
	char file[700];
	if (cg_at(file, sizeof file, dir, "cgroup.procs"))
		return -1;
	char *text = cg_read_all(file);
	if (text == NULL)
		return -1;
	int n = 0;
	for (char *p = text, *end; *p; p = end) {
		long pid = strtol(p, &end, 10);
		if (end == p)
			break;
		if (pid == (long)getpid())
			continue;
		if (fn)
			fn(pid);
		n++;
	}
	free(text);
	return n;
}

static void kill_pid(long pid)
{
	if (pid > 1)
		kill((pid_t)pid, SIGKILL);
}

/* Call fn for each group below dir (not dir itself), deepest first, down to depth levels:
 * the groups a joblet that runs as its owner may make under its own (cgroup_delegate). */
static void each_below(const char *dir, int depth, void (*fn)(const char *path))
{
	DIR *d = depth > 0 ? opendir(dir) : NULL;
	struct dirent *de;
	while (d && (de = readdir(d))) {
		if (de->d_type != DT_DIR || de->d_name[0] == '.')
			continue;
		char *sub = xasprintf("%s/%s", dir, de->d_name);
		each_below(sub, depth - 1, fn);
		fn(sub);
		free(sub);
	}
	if (d)
		closedir(d);
}

static void kill_procs(const char *path)
{
	/* A process forked meanwhile is born in the group and shows in the next pass; a
	 * killed one stays listed until it has exited. */
	for (int pass = 0; pass < 4 && cg_procs(path, kill_pid) > 0; pass++)
		;
}

void cgroup_kill(const struct cgroup_base *cg, const char *path)
{
	char file[700];
	if (cg->ops->kill_file && cg_at(file, sizeof file, path, cg->ops->kill_file) == 0 &&
	    cg_write(file, "1") == 0)
		return;	/* the groups below too */
	/* One by one (v1, and v2 before 5.14), in the groups below as well. */
	each_below(path, CG_BELOW_DEPTH, kill_procs);
	kill_procs(path);
}

static void remove_one(const char *path)
{
	(void)rmdir(path);
}

int cgroup_remove(const char *path)
{
	each_below(path, CG_BELOW_DEPTH, remove_one);
	return rmdir(path);
}

int cgroup_delegate(const char *path, uid_t uid, gid_t gid)
{
	/* v2's delegation files, and v1's tasks; a version has only some of them. */
	static const char *const files[] = {
		"cgroup.procs", "cgroup.threads", "cgroup.subtree_control", "tasks", NULL,
	};
	char file[700];
	if (chown(path, uid, gid) != 0)
		return -1;
	for (size_t i = 0; files[i]; i++)
		if (cg_at(file, sizeof file, path, files[i]) != 0 ||
		    (chown(file, uid, gid) != 0 && errno != ENOENT))
			return -1;
	return 0;
}
