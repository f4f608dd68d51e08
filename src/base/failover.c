#include "base/failover.h"

#include "base/xalloc.h"

#include <jansson.h>
#include <string.h>

int failover_split(const char *list, char ***urls)
{
	int n = 0;
	*urls = NULL;
	for (const char *p = list; p && *p;) {
		size_t len = strcspn(p, ",");
		if (len > 0) {
			*urls = xrealloc(*urls, (size_t)n + 1, sizeof **urls);
			(*urls)[n++] = xstrndup(p, len);
		}
		p += len + (p[len] == ',');
	}
	return n;
}

/* Trailing slashes do not make another server. */
static bool same_url(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);
	while (la > 0 && a[la - 1] == '/')
		la--;
	while (lb > 0 && b[lb - 1] == '/')
		lb--;
	return la == lb && strncmp(a, b, la) == 0;
}

int failover_next(char *const *urls, int n, int cur, const char *hint)
{
	for (int i = 0; hint && *hint && i < n; i++)
		if (i != cur && same_url(urls[i], hint))
			return i;
	return n > 0 ? (cur + 1) % n : 0;
}

bool failover_not_leader(const char *body, size_t len, char *out, size_t outlen)
{
	json_t *j = body ? json_loadb(body, len, 0, NULL) : NULL;
	json_t *error = json_object_get(j, "error");
	const char *code = json_string_value(json_object_get(error, "code"));
	const char *leader = json_string_value(json_object_get(error, "leader"));
	bool yes = code && strcmp(code, "not_leader") == 0;
	if (outlen > 0)
		out[0] = '\0';
	if (yes && leader && strlen(leader) < outlen)
		memcpy(out, leader, strlen(leader) + 1);
	json_decref(j);
	return yes;
}
