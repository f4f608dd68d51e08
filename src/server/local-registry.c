/* The local-worker registry file (local-registry.h): strict decoding, atomic writes. */
#include "server/local-registry.h"
#include "base/xalloc.h"
#include "core/job.h"
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define REGISTRY_FILE "local-workers.json"
#define REGISTRY_MAX_BYTES (1u << 20)

static const char *const entry_fields[] = {"index", "pid", "start", "name", "url", "cores",
					   "ram_mb", "gpus", NULL};

static bool int_in(json_t *o, const char *key, long long lo, long long hi, long long *out)
{
	json_t *v = json_object_get(o, key);
	if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
		return false;
	*out = json_integer_value(v);
	return true;
}

/* One entry; NULL, or the rule it breaks. */
static const char *decode_entry(json_t *o, struct local_entry *e)
{
	const char *k;
	json_t *v;
	long long index, pid, start, cores, ram, gpus;
	if (!json_is_object(o))
		return "must be an object";
	json_object_foreach(o, k, v) {
		size_t i = 0;
		while (entry_fields[i] && strcmp(entry_fields[i], k) != 0)
			i++;
		if (entry_fields[i] == NULL)
			return "has an unknown field";
	}
	const char *name = json_string_value(json_object_get(o, "name"));
	const char *url = json_string_value(json_object_get(o, "url"));
	if (!int_in(o, "index", 1, LOCAL_MAX, &index))
		return "index: must be 1..256";
	if (!int_in(o, "pid", 1, INT32_MAX, &pid))
		return "pid: must be a process id";
	if (!int_in(o, "start", 0, INT64_MAX, &start))
		return "start: must be clock ticks, >= 0";
	if (!int_in(o, "cores", 0, 1 << 20, &cores) || !int_in(o, "ram_mb", 0, INT32_MAX / 2, &ram) ||
	    !int_in(o, "gpus", 0, 4096, &gpus))
		return "cores, ram_mb, gpus: must be worker resources";
	if (name == NULL || !name_valid(name, 128))
		return "name: must be a node name";
	if (url == NULL || strlen(url) >= sizeof e->url ||
	    (strncmp(url, "http://", 7) != 0 && strncmp(url, "https://", 8) != 0))
		return "url: must be an http(s) URL";
	e->index = (int)index;
	e->pid = (int)pid;
	e->start = (unsigned long long)start;
	e->cores = (int32_t)cores;
	e->ram_mb = (int32_t)ram;
	e->gpus = (int32_t)gpus;
	snprintf(e->name, sizeof e->name, "%s", name);
	snprintf(e->url, sizeof e->url, "%s", url);
	return NULL;
}

int local_registry_decode(const char *text, size_t len, struct local_entry *out, char *err,
			  size_t errlen)
{
	json_error_t jerr;
	json_t *root = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr), *arr, *o;
	size_t i;
	int n = -1;
	if (root == NULL) {
		snprintf(err, errlen, "not JSON: %s at line %d column %d", jerr.text, jerr.line,
			 jerr.column);
		return -1;
	}
	arr = json_object_get(root, "workers");
	if (!json_is_object(root) || json_object_size(root) != 1 || !json_is_array(arr) ||
	    json_array_size(arr) > LOCAL_MAX) {
		snprintf(err, errlen, "must be {\"workers\": [at most %d entries]}", LOCAL_MAX);
		goto out;
	}
	json_array_foreach(arr, i, o) {
		const char *why = decode_entry(o, &out[i]);
		for (size_t k = 0; why == NULL && k < i; k++)
			if (out[k].index == out[i].index || strcmp(out[k].name, out[i].name) == 0)
				why = "index and name: must not repeat an earlier entry's";
		if (why) {
			snprintf(err, errlen, "workers[%zu].%s", i, why);
			goto out;
		}
	}
	n = (int)json_array_size(arr);
out:
	json_decref(root);
	return n;
}

int local_registry_load(const char *dir, struct local_entry *out, char *err, size_t errlen)
{
	char *path = xasprintf("%s/" REGISTRY_FILE, dir);
	FILE *f = fopen(path, "rb");
	int n = 0;
	if (f == NULL) {
		if (errno != ENOENT) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			n = -1;
		}
		free(path);
		return n;
	}
	char *text = xmalloc(REGISTRY_MAX_BYTES + 1);
	size_t len = fread(text, 1, REGISTRY_MAX_BYTES + 1, f);
	fclose(f);
	if (len > REGISTRY_MAX_BYTES) {
		snprintf(err, errlen, "%s: larger than %u bytes", path, REGISTRY_MAX_BYTES);
		n = -1;
	} else {
		char why[300];
		n = local_registry_decode(text, len, out, why, sizeof why);
		if (n < 0)
			snprintf(err, errlen, "%s: %s", path, why);
	}
	free(text);
	free(path);
	return n;
}

char *local_registry_encode(const struct local_entry *const *e, int n)
{
	json_t *arr = json_array();
	for (int i = 0; i < n; i++) {
		if (e[i]->pid <= 0)
			continue;
		json_array_append_new(arr, json_pack("{s:i, s:i, s:I, s:s, s:s, s:i, s:i, s:i}",
						     "index", e[i]->index, "pid", e[i]->pid,
						     "start", (json_int_t)e[i]->start, "name",
						     e[i]->name, "url", e[i]->url, "cores",
						     e[i]->cores, "ram_mb", e[i]->ram_mb, "gpus",
						     e[i]->gpus));
	}
	if (json_array_size(arr) == 0) {
		json_decref(arr);
		return NULL;
	}
	json_t *root = json_pack("{s:o}", "workers", arr);
	char *text = json_dumps(root, JSON_INDENT(1));
	json_decref(root);
	return text;
}

int local_registry_save(const char *dir, const struct local_entry *const *e, int n)
{
	char *path = xasprintf("%s/" REGISTRY_FILE, dir), *tmp = xasprintf("%s.tmp", path);
	char *text = local_registry_encode(e, n);
	int rc = 0;
	if (text == NULL) {
		if (unlink(path) != 0 && errno != ENOENT)
			rc = -1;
	} else {
		/* Written whole to a new name, then renamed over: a reader never sees half. */
		FILE *f = fopen(tmp, "w");
		if (f == NULL || fputs(text, f) < 0) {
			rc = -1;
		}
		if (f && fclose(f) != 0)
			rc = -1;
		if (rc == 0 && rename(tmp, path) != 0)
			rc = -1;
		free(text);
	}
	free(path);
	free(tmp);
	return rc;
}
