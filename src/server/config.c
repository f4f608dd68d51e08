/* `jobgrid server --config FILE`: server settings in YAML. So far the job networks'
 * dependency settings, the lowest of their three layers (SPEC §7):
 *
 *   dependencies:
 *     mode: shallow            # or deep
 *     repeat: network          # or run, none
 *     predecessor: {force_start_in_period: false}
 *     successor: {force_start_in_period: true}
 *
 * Unknown keys and bad values are refused by name: a server does not start half
 * configured. */
#include "server/server.h"
#include "base/xalloc.h"
#include <libfyaml.h>
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
		} else {
			*err = xasprintf("%s: unknown setting %s (dependencies)", path, k ? k : "?");
			rc = -1;
		}
		free(k);
	}
	fy_document_destroy(doc);
	return rc;
}
