/* Batches of records: growth and release of what the records own. */
#include "store/store.h"
#include "base/xalloc.h"
#include <string.h>

struct rec *store_batch_add(struct store_batch *b, enum rec_kind kind)
{
	if (b->n == b->cap) {
		b->cap = b->cap ? b->cap * 2 : 64;
		b->recs = xrealloc(b->recs, b->cap, sizeof *b->recs);
	}
	struct rec *r = &b->recs[b->n++];
	memset(r, 0, sizeof *r);
	r->kind = kind;
	return r;
}

void store_batch_clear(struct store_batch *b)
{
	for (size_t i = 0; i < b->n; i++) {
		struct rec *r = &b->recs[i];
		switch (r->kind) {
		case REC_JOBLET:
			free(r->u.joblet.reason);
			break;
		case REC_ATTEMPT:
			free(r->u.attempt.message);
			free(r->u.attempt.late_result);
			break;
		case REC_OUTPUT:
			free(r->u.output.data);
			break;
		case REC_IDEM:
			free(r->u.idem.key);
			free(r->u.idem.body);
			break;
		default:
			break;
		}
	}
	b->n = 0;
}
