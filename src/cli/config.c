/* Settings files for what users repeat in flags. The client's (~/.config/jobgrid/config:
 * server, ca, token-file, group) is read before every command; `worker --config FILE`
 * holds a worker's options. Flags win over the environment, which wins over a file. */
#include "base/conf.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const char *const client_keys[] = {"server", "ca", "token-file", "group", NULL};
static struct conf client_conf;	/* owned here for the process's life */
static char *token_file;	/* owned: the client borrows it */

static void client_conf_free(void)
{
	conf_free(&client_conf);
	free(token_file);
}

/* The client file's path: $JOBGRID_CONFIG (given: it must exist; empty: none), else
 * $XDG_CONFIG_HOME/jobgrid/config, else ~/.config/jobgrid/config. A new string, or NULL. */
static char *client_conf_path(int *optional)
{
	const char *env = getenv("JOBGRID_CONFIG"), *xdg = getenv("XDG_CONFIG_HOME");
	const char *home = getenv("HOME");
	*optional = env == NULL;
	if (env)
		return *env ? xstrdup(env) : NULL;
	if (xdg && *xdg == '/')
		return xasprintf("%s/jobgrid/config", xdg);
	return home && *home ? xasprintf("%s/.config/jobgrid/config", home) : NULL;
}

/* A path setting: absolute, or ~/… under $HOME (a relative one would depend on where a
 * command runs). A new string, or NULL after saying so. */
static char *conf_path_value(const struct conf *c, const char *key)
{
	const char *v = conf_get(c, key), *home = getenv("HOME");
	if (v[0] == '/')
		return xstrdup(v);
	if (v[0] == '~' && v[1] == '/' && home && *home)
		return xasprintf("%s%s", home, v + 1);
	for (size_t i = 0; i < c->n; i++)
		if (c->v[i].value == v)
			fprintf(stderr, "jobgrid: %s:%d: %s: must be an absolute path or ~/…, got"
					" '%s'\n", c->path, c->v[i].line, key, v);
	return NULL;
}

int cli_config_load(void)
{
	int optional;
	char *path = client_conf_path(&optional), *err = NULL;
	if (path == NULL)
		return EXIT_OK;
	int rc = conf_load(path, optional, client_keys, &client_conf, &err);
	free(path);
	if (rc) {
		fprintf(stderr, "jobgrid: %s\n", err);
		free(err);
		return EXIT_USAGE;
	}
	atexit(client_conf_free);
	/* The environment wins over the file: only what it leaves unset is taken. */
	const char *server = conf_get(&client_conf, "server");
	if (server && !getenv("JOBGRID_URL"))
		setenv("JOBGRID_URL", server, 1);
	if (conf_get(&client_conf, "ca") && !getenv("JOBGRID_CA")) {
		char *ca = conf_path_value(&client_conf, "ca");
		if (ca == NULL)
			return EXIT_USAGE;
		setenv("JOBGRID_CA", ca, 1);
		free(ca);
	}
	if (conf_get(&client_conf, "token-file") && !getenv("JOBGRID_TOKEN")) {
		token_file = conf_path_value(&client_conf, "token-file");
		if (token_file == NULL)
			return EXIT_USAGE;
		client_set_token_file(token_file);	/* a --token-file flag replaces it */
	}
	return EXIT_OK;
}

const char *cli_config_get(const char *key)
{
	return conf_get(&client_conf, key);
}

/* The file named by --config FILE or --config=FILE in argv, or NULL. */
static const char *config_flag(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--") == 0)
			break;
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
			return argv[i + 1];
		if (strncmp(argv[i], "--config=", 9) == 0)
			return argv[i] + 9;
	}
	return NULL;
}

/* cmd's long options but help and config, as the keys a file may hold: a new array. */
static const char **option_keys(const struct cli_cmd *cmd)
{
	size_t n = 0;
	const struct option *o = cli_options(cmd);
	while (o[n].name)
		n++;
	const char **keys = xcalloc(n + 1, sizeof *keys);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (strcmp(o[i].name, "help") != 0 && strcmp(o[i].name, "config") != 0)
			keys[k++] = o[i].name;
	return keys;
}

static const struct option *find_option(const struct cli_cmd *cmd, const char *name)
{
	for (const struct option *o = cli_options(cmd); o->name; o++)
		if (strcmp(o->name, name) == 0)
			return o;
	return NULL;
}

/* An entry as option words appended to words at *n. 0, or -1 after saying why. */
static int entry_words(const struct cli_cmd *cmd, const struct conf *c,
		       const struct conf_entry *e, char **words, int *n)
{
	if ((strcmp(e->key, "server") == 0 && getenv("JOBGRID_URL")) ||
	    (strcmp(e->key, "ca") == 0 && getenv("JOBGRID_CA")))
		return 0;	/* the environment wins over the file */
	const struct option *o = find_option(cmd, e->key);
	if (o->has_arg == no_argument) {
		bool yes = strcmp(e->value, "yes") == 0 || strcmp(e->value, "true") == 0;
		if (!yes && strcmp(e->value, "no") != 0 && strcmp(e->value, "false") != 0) {
			fprintf(stderr, "jobgrid %s: %s:%d: %s: must be yes or no, got '%s'\n",
				cmd->name, c->path, e->line, e->key, e->value);
			return -1;
		}
		if (yes)
			words[(*n)++] = xasprintf("--%s", e->key);
		return 0;
	}
	if (e->value[0] == '\0') {
		fprintf(stderr, "jobgrid %s: %s:%d: %s: give a value\n", cmd->name, c->path,
			e->line, e->key);
		return -1;
	}
	words[(*n)++] = xasprintf("--%s=%s", e->key, e->value);
	return 0;
}

int cli_conf_lines(const char *path, const char *const *keys, struct conf *out, char **err)
{
	return conf_load(path, 0, keys, out, err);
}

int cli_config_argv(const struct cli_cmd *cmd, int argc, char **argv, cli_conf_loader *load,
		    const char *default_path, int *out_argc, char ***out_argv)
{
	const char *path = config_flag(argc, argv);
	if (path == NULL && default_path && access(default_path, F_OK) == 0)
		path = default_path;
	struct conf c = {0};
	char *err = NULL;
	const char **keys = option_keys(cmd);
	int rc = path ? load(path, keys, &c, &err) : 0;
	free(keys);
	if (rc) {
		fprintf(stderr, "jobgrid %s: --config: %s\n", cmd->name, err);
		free(err);
		return -1;
	}
	/* argv[0], the file's words (each a new string), then argv's own. */
	char **words = xcalloc((size_t)argc + c.n + 1, sizeof *words);
	int n = 0;
	words[n++] = xstrdup(argv[0]);
	for (size_t i = 0; i < c.n && rc == 0; i++)
		rc = entry_words(cmd, &c, &c.v[i], words, &n);
	for (int i = 1; i < argc; i++)
		words[n++] = xstrdup(argv[i]);
	conf_free(&c);
	if (rc) {
		cli_config_argv_free(n, words);
		return -1;
	}
	*out_argc = n;
	*out_argv = words;
	return 0;
}

void cli_config_argv_free(int argc, char **argv)
{
	for (int i = 0; i < argc; i++)
		free(argv[i]);
	free(argv);
}
