/* `jobgrid deploy PATH…`: definition files, or folder trees of them, deployed as one set:
 * all or nothing. A file without `name:` is named by its path under the folder given,
 * without extension (deploying examples/failover defines failover). */
#include "base/buf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include <dirent.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>

static int deploy_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_deploy = {
	"deploy", "PATH… [--json]", "deploy definition files or folder trees of them (all or nothing)",
	deploy_exec,
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

static int add_file(json_t *files, const char *path, const char *rel)
{
	FILE *f = fopen(path, "rb");
	struct buf b = BUF_INIT;
	char chunk[8192];
	size_t n;
	if (f == NULL) {
		perror(path);
		return -1;
	}
	while ((n = fread(chunk, 1, sizeof chunk, f)) > 0)
		buf_append(&b, chunk, n);
	fclose(f);
	char *name = name_of(rel);
	json_t *src = json_stringn(buf_cstr(&b), b.len);
	buf_free(&b);
	if (src == NULL) {
		fprintf(stderr, "jobgrid deploy: %s: not UTF-8 text\n", path);
		free(name);
		return -1;
	}
	json_array_append_new(files, json_pack("{s:s, s:s, s:o}", "file", path, "name", name,
					       "source", src));
	free(name);
	return 0;
}

/* Every .yaml or .yml file under dir, named by its path relative to the top. */
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
		} else {
			rc = add_file(files, argv[i], base ? base + 1 : argv[i]) ? EXIT_USAGE : 0;
		}
	}
	if (rc == 0 && json_array_size(files) == 0) {
		fprintf(stderr, "jobgrid deploy: no .yaml or .yml files found\n");
		rc = EXIT_USAGE;
	}
	json_t *body = json_pack("{s:o}", "files", files), *reply = NULL;
	if (rc == 0)
		rc = client_call("POST", "/v1/definitions", body, true, &reply);
	if (rc == 0 && json) {
		out_json(reply);
	} else if (rc == 0) {
		size_t i;
		json_t *d;
		json_array_foreach(json_object_get(reply, "deployed"), i, d)
			printf("deployed %s version %lld from %s\n",
			       json_string_value(json_object_get(d, "name")),
			       (long long)json_integer_value(json_object_get(d, "version")),
			       json_string_value(json_object_get(d, "file")));
	}
	json_decref(body);
	json_decref(reply);
	return rc;
}
