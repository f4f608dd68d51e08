/* Shared text with a count of its holders (see rstr.h). */
#include "base/rstr.h"
#include "base/xalloc.h"
#include <string.h>

struct rstr *rstr_new(const char *text)
{
	size_t n = strlen(text) + 1;
	struct rstr *r = xmalloc(sizeof *r + n);
	r->refs = 1;
	memcpy(r->text, text, n);
	return r;
}

struct rstr *rstr_ref(struct rstr *r)
{
	if (r)
		r->refs++;
	return r;
}

void rstr_unref(struct rstr *r)
{
	if (r && --r->refs == 0)
		free(r);
}

struct rstr *rstr_share(struct rstr_cache *c, const char *text)
{
	if (text == NULL)
		return NULL;
	for (unsigned i = 0; i < RSTR_CACHE; i++)
		if (c->r[i] && strcmp(c->r[i]->text, text) == 0)
			return rstr_ref(c->r[i]);
	unsigned k = c->next++ % RSTR_CACHE;
	rstr_unref(c->r[k]);
	c->r[k] = rstr_new(text);
	return rstr_ref(c->r[k]);
}

void rstr_cache_clear(struct rstr_cache *c)
{
	for (unsigned i = 0; i < RSTR_CACHE; i++) {
		rstr_unref(c->r[i]);
		c->r[i] = NULL;
	}
	c->next = 0;
}
