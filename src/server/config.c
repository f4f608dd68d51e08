/* `jobgrid server --config FILE`: server settings in YAML. So far the job networks'
 * dependency settings, the lowest of their three layers (SPEC §7):
 *
 *   dependencies:
 *     mode: shallow            # or deep
 *     repeat: network          # or run, none
 *     predecessor: {force_start_in_period: false}
 *     successor: {force_start_in_period: true}
 *
 *   options:                   # `jobgrid server` flags, by name without the dashes;
 *     listen: 0.0.0.0:7370     # read by the CLI before its flags, so flags win
 *     local-workers: 2
 *
 * Unknown keys and bad values are refused by name: a server does not start half
 * configured. */
#include "server/server.h"
#include "server/options.h"
#include "base/conf.h"
#include "base/xalloc.h"
#include <libfyaml.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

static char *scalar(struct fy_node *n)
{
	size_t len;
	const char *s = n && fy_node_get_type(n) == FYNT_SCALAR ? fy_node_get_scalar(n, &len) : NULL;
	return s ? xstrndup(s, len) : NULL;
}

/* Walk a mapping, setting prefix.key for each scalar and recursing into mappings. */
static int read_settings(struct fy_node *map, const char *prefix, struct net_settings *s,
			 const char *path, char **err)
{
	void *it = NULL;
	struct fy_node_pair *p;
	if (fy_node_get_type(map) != FYNT_MAPPING) {
		*err = xasprintf("%s: %s must be a mapping", path, prefix);
		return -1;
	}
	while ((p = fy_node_mapping_iterate(map, &it))) {
		char *k = scalar(fy_node_pair_key(p)), key[200];
		struct fy_node *v = fy_node_pair_value(p);
		snprintf(key, sizeof key, "%s.%s", prefix, k ? k : "?");
		free(k);
		if (fy_node_get_type(v) == FYNT_MAPPING) {
			if (read_settings(v, key, s, path, err))
				return -1;
			continue;
		}
		char *val = scalar(v);
		const char *why = "must be a value";
		if (val == NULL || net_settings_set(s, key, val, &why)) {
			*err = xasprintf("%s: %s: %s", path, key, why);
			free(val);
			return -1;
		}
		free(val);
	}
	return 0;
}

int server_config_read(struct server *srv, const char *path, char **err)
{
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET};
	struct fy_document *doc = fy_document_build_from_file(&cfg, path);
	struct fy_node *root = doc ? fy_document_root(doc) : NULL;
	if (doc == NULL) {
		*err = xasprintf("%s: not readable YAML", path);
		return -1;
	}
	int rc = 0;
	void *it = NULL;
	struct fy_node_pair *p;
	if (root && fy_node_get_type(root) != FYNT_MAPPING) {
		*err = xasprintf("%s: must be a mapping of settings", path);
		rc = -1;
	}
	while (rc == 0 && root && (p = fy_node_mapping_iterate(root, &it))) {
		char *k = scalar(fy_node_pair_key(p));
		if (k && strcmp(k, "dependencies") == 0) {
			rc = read_settings(fy_node_pair_value(p), "dependencies", &srv->net_config, path,
					   err);
		} else if (k && strcmp(k, "options") == 0) {
			/* applied as flags by `jobgrid server` (server_config_options) */
		} else {
			*err = xasprintf("%s: unknown setting %s (dependencies, options)", path,
					 k ? k : "?");
			rc = -1;
		}
		free(k);
	}
	fy_document_destroy(doc);
	return rc;
}

/* Line of a node in its file (1-based). */
static int node_line(struct fy_node *n)
{
	struct fy_token *t = n ? fy_node_get_scalar_token(n) : NULL;
	const struct fy_mark *m = t ? fy_token_start_mark(t) : NULL;
	return m ? m->line + 1 : 1;
}

/* options' pairs into out, each a known key with a scalar value; -1 with *err. */
static int read_options(struct fy_node *map, const char *path, const char *const *keys,
			struct conf *out, char **err)
{
	void *it = NULL;
	struct fy_node_pair *p;
	if (fy_node_get_type(map) != FYNT_MAPPING) {
		*err = xasprintf("%s:%d: options must be a mapping of flag: value", path,
				 node_line(map));
		return -1;
	}
	while ((p = fy_node_mapping_iterate(map, &it))) {
		struct fy_node *kn = fy_node_pair_key(p);
		char *k = scalar(kn), *v = scalar(fy_node_pair_value(p));
		int line = node_line(kn);
		bool known = false;
		for (size_t i = 0; k && keys[i]; i++)
			known |= strcmp(keys[i], k) == 0;
		if (!known || v == NULL || conf_get(out, k)) {
			*err = !known ? xasprintf("%s:%d: options: unknown flag '%s'", path, line,
						  k ? k : "?")
			       : v == NULL ? xasprintf("%s:%d: options: %s: must be a value", path,
						       line, k)
					   : xasprintf("%s:%d: options: %s is given twice", path,
						       line, k);
			free(k);
			free(v);
			return -1;
		}
		out->v = xrealloc(out->v, out->n + 1, sizeof *out->v);
		out->v[out->n++] = (struct conf_entry){k, v, line};
	}
	return 0;
}

int server_config_options(const char *path, const char *const *keys, struct conf *out,
			  char **err)
{
	memset(out, 0, sizeof *out);
	out->path = xstrdup(path);
	struct fy_parse_cfg cfg = {.flags = FYPCF_QUIET};
	struct fy_document *doc = fy_document_build_from_file(&cfg, path);
	if (doc == NULL) {
		*err = xasprintf("%s: not readable YAML (or not there)", path);
		conf_free(out);
		return -1;
	}
	struct fy_node *root = fy_document_root(doc);
	struct fy_node *opts = root && fy_node_get_type(root) == FYNT_MAPPING
				       ? fy_node_mapping_lookup_by_string(root, "options", 7) : NULL;
	int rc = opts ? read_options(opts, path, keys, out, err) : 0;
	fy_document_destroy(doc);
	if (rc)
		conf_free(out);
	return rc;
}
