/* `jobgrid deploy PATH…`: definition files, or folder trees of them, deployed as one set:
 * all or nothing. A file without `name:` is named by its path under the folder given,
 * without extension (deploying examples/failover defines failover). The server has none
 * of these files: a definition whose `script:` names a Lua file (`script: spin.lua`) is
 * sent with that file's text, read beside the YAML; a name the reader refuses (absolute,
 * `..`) is never read here, and a file missing is left for the server to report at the
 * `script:` line with every other problem. Lua files are not definitions themselves. */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "defs/def.h"
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int deploy_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_deploy = {
	"deploy", "PATH… [--json]", "deploy definition files or folder trees of them (all or nothing)",
	deploy_exec,
	.options = NULL,	/* the common options */
};

static bool is_yaml(const char *name)
{
	size_t n = strlen(name);
	return (n > 5 && strcmp(name + n - 5, ".yaml") == 0) || (n > 4 && strcmp(name + n - 4, ".yml") == 0);
}

/* rel without its extension: the name a file without `name:` gets. */
static char *name_of(const char *rel)
{
	char *n = xstrdup(rel), *dot = strrchr(n, '.'), *slash = strrchr(n, '/');
	if (dot && (slash == NULL || dot > slash))
		*dot = '\0';
	return n;
}

static bool is_lua(const char *name)
{
	size_t n = strlen(name);
	return n > 4 && strcmp(name + n - 4, ".lua") == 0;
}

/* The text of the file at path as a JSON string (new); NULL with *err set to errno, or to
 * 0 when it is not UTF-8 text. */
static json_t *read_text(const char *path, int *err)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	if (f == NULL) {
		*err = errno;
		return NULL;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	*err = ferror(f) ? EIO : 0;
	fclose(f);
	json_t *text = *err ? NULL : json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	return text;
}

/* Where the definition in text names a Lua file (`script: NAME.lua`): "REF\0FILE" (its
 * name as written and its path beside the YAML, malloc'd), or NULL. The definition reader
 * runs in a child process, with a CPU limit: the YAML library has been seen to crash and to
 * loop on hostile input (tests/e2e/data/libfyaml-crash.yaml), and such a file must still
 * reach the server, whose checker reports it. */
static char *script_named(const char *path, const char *text, size_t len, size_t *outlen)
{
	int fds[2];
	struct buf b = BUF_INIT;
	*outlen = 0;
	if (memmem(text, len, "script", 6) == NULL || pipe(fds) != 0)
		return NULL;
	pid_t pid = fork();
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);
		dup2(null, STDERR_FILENO);	/* a crash report is the checker's to make */
		close(fds[0]);
		cli_child_limits(5, (long long)2 << 30);
		struct def_errors errs = {0};
		struct def_input in = {path, text, len, NULL, NULL};
		struct definition *d = def_read_partial(&in, &errs);
		if (d && d->script_ref) {
			char *out = xasprintf("%s%c%s", d->script_ref, '\0', d->script_file);
			ssize_t w = write(fds[1], out, strlen(d->script_ref) + 1 + strlen(d->script_file));
			(void)w;
		}
		_exit(0);	/* no exit handlers: the parent's buffers are its own */
	}
	close(fds[1]);
	char chunk[4096];
	ssize_t n;
	while (pid > 0 && (n = read(fds[0], chunk, sizeof chunk)) > 0)
		buf_append(&b, chunk, (size_t)n);
	close(fds[0]);
	int status = 0;
	bool ok = pid > 0 && waitpid(pid, &status, 0) == pid && WIFEXITED(status) &&
		  WEXITSTATUS(status) == 0 && b.len > 0 && memchr(b.data, '\0', b.len);
	*outlen = ok ? b.len : 0;
	char *out = ok ? xstrndup(b.data, b.len) : NULL;	/* NUL-terminated past len */
	buf_free(&b);
	return out;
}

/* The Lua file the definition in src names, read beside it, as {"NAME.lua": "text"} (new),
 * or NULL when it names none or the file does not exist (the server says so at the
 * script: line, with every other problem). -1 when it exists but cannot be read. */
static int script_of(const char *path, json_t *src, json_t **scripts)
{
	size_t len;
	char *named = script_named(path, json_string_value(src), json_string_length(src), &len);
	int err = 0;
	*scripts = NULL;
	if (named == NULL)
		return 0;
	const char *file = named + strlen(named) + 1;
	json_t *text = read_text(file, &err);
	if (text)
		*scripts = json_pack("{s:o}", named, text);
	else if (err != ENOENT)
		fprintf(stderr, "jobgrid deploy: %s: script: %s: %s\n", path, file,
			err ? strerror(err) : "not UTF-8 text");
	free(named);
	return text || err == ENOENT ? 0 : -1;
}

static int add_file(json_t *files, const char *path, const char *rel)
{
	int err;
	json_t *src = read_text(path, &err), *scripts = NULL;
	if (src == NULL) {
		fprintf(stderr, "jobgrid deploy: %s: %s\n", path, err ? strerror(err) : "not UTF-8 text");
		return -1;
	}
	if (script_of(path, src, &scripts)) {
		json_decref(src);
		return -1;
	}
	char *name = name_of(rel);
	json_array_append_new(files, json_pack("{s:s, s:s, s:o, s:o*}", "file", path, "name", name,
					       "source", src, "scripts", scripts));
	free(name);
	return 0;
}

/* Every .yaml or .yml file under dir, named by its path relative to the top (Lua files
 * go with the definitions that name them). */
static int add_tree(json_t *files, const char *dir, const char *rel)
{
	DIR *d = opendir(dir);
	struct dirent *de;
	int rc = 0;
	if (d == NULL) {
		perror(dir);
		return -1;
	}
	while (rc == 0 && (de = readdir(d))) {
		if (de->d_name[0] == '.')
			continue;
		char *path = xasprintf("%s/%s", dir, de->d_name);
		char *r = *rel ? xasprintf("%s/%s", rel, de->d_name) : xstrdup(de->d_name);
		struct stat st;
		if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
			rc = add_tree(files, path, r);
		else if (is_yaml(de->d_name))
			rc = add_file(files, path, r);
		free(path);
		free(r);
	}
	closedir(d);
	return rc;
}

static void print_deployed(json_t *reply, void *arg)
{
	size_t i;
	json_t *d;
	json_array_foreach(json_object_get(reply, "deployed"), i, d)
		printf("deployed %s version %lld from %s\n",
		       json_string_value(json_object_get(d, "name")),
		       (long long)json_integer_value(json_object_get(d, "version")),
		       json_string_value(json_object_get(d, "file")));
}

static int deploy_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_deploy, argc, argv, &json);
	if (optind >= argc)
		return cli_usage_error(&cli_cmd_deploy, "give at least one file or folder%s", "");
	json_t *files = json_array();
	int rc = 0;
	for (int i = optind; i < argc && rc == 0; i++) {
		struct stat st;
		const char *base = strrchr(argv[i], '/');
		if (stat(argv[i], &st) != 0) {
			perror(argv[i]);
			rc = EXIT_USAGE;
		} else if (S_ISDIR(st.st_mode)) {
			rc = add_tree(files, argv[i], "") ? EXIT_USAGE : 0;
		} else if (is_lua(argv[i])) {
			fprintf(stderr, "jobgrid deploy: %s: a Lua file is deployed with the definition"
				" whose script: names it; deploy that YAML file or its folder\n", argv[i]);
			rc = EXIT_USAGE;
		} else {
			rc = add_file(files, argv[i], base ? base + 1 : argv[i]) ? EXIT_USAGE : 0;
		}
	}
	if (rc == 0 && json_array_size(files) == 0) {
		fprintf(stderr, "jobgrid deploy: no .yaml or .yml files found\n");
		rc = EXIT_USAGE;
	}
	json_t *body = json_pack("{s:o}", "files", files);
	struct cli_show show = {json, false, print_deployed, NULL};
	if (rc == 0)
		rc = cli_request_show("POST", "/v1/definitions", body, &show);
	json_decref(body);
	return rc;
}
