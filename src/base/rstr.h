/* Shared text: an immutable string with a count of its holders, freed with the last one.
 * Many holders of the same text (the reasons of the joblets of one cancel, of a job read
 * back from the store) keep one copy. Unlike intern(), for free text that users choose: it
 * leaves memory with its holders.
 *
 * The count is plain, not atomic: a string and every holder of it stay on one thread at a
 * time (a job read on another thread is handed over whole, its strings with it). */
#ifndef JG_RSTR_H
#define JG_RSTR_H
#include <stdint.h>

struct rstr {
	uint32_t refs;			/* holders */
	char text[];
};

struct rstr *rstr_new(const char *text);	/* a copy of text, with one reference */
struct rstr *rstr_ref(struct rstr *r);		/* another reference to r; NULL stays NULL */
void rstr_unref(struct rstr *r);		/* drop one; the last frees r. NULL: nothing */
static inline const char *rstr_text(const struct rstr *r)
{
	return r ? r->text : "";
}

/* The few texts made last, to share: rstr_share returns a reference to a string of text,
 * the cache's when it holds one, else a new one that takes the place of its oldest. The
 * cache holds a reference to each of its strings until rstr_cache_clear. Texts set one
 * after another on many holders (a cancel's, a skip's, rows read in order) are shared
 * without a table of every text. */
enum { RSTR_CACHE = 4 };
struct rstr_cache {
	struct rstr *r[RSTR_CACHE];	/* references, or NULL */
	unsigned next;			/* the slot a new string takes */
};
struct rstr *rstr_share(struct rstr_cache *c, const char *text);	/* NULL text: NULL */
void rstr_cache_clear(struct rstr_cache *c);
#endif
