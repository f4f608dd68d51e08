/* Group commit: the open batch of this loop turn, the batches handed to the store, and
 * the replies each holds until its commit. */
#include "server/batch.h"
#include "server/server.h"
#include "base/xalloc.h"
#include <string.h>

struct batch *server_batch(struct server *srv)
{
	if (srv->cur == NULL) {
		srv->cur = srv->spare ? srv->spare : xcalloc(1, sizeof *srv->cur);
		srv->spare = NULL;
	}
	return srv->cur;
}

/* Keep one emptied batch (and its record array) for the next turn: allocating a fresh
 * array every commit showed up as malloc consolidation in profiles. */
void batch_recycle(struct server *srv, struct batch *b)
{
	if (srv->spare != NULL || b->sb.cap > 65536) {
		batch_free(b);
		return;
	}
	struct rec *recs = b->sb.recs;
	size_t cap = b->sb.cap;
	batch_reset(b);
	memset(b, 0, sizeof *b);
	b->sb.recs = recs;
	b->sb.cap = cap;
	srv->spare = b;
}

void server_hold(struct server *srv, struct held *h)
{
	struct batch *b = NULL;
	if (srv->cur && srv->cur->sb.n > 0)
		b = srv->cur;
	else if (srv->last_sent)
		b = srv->last_sent;
	if (b == NULL) {
		h->send(h);
		return;
	}
	h->next = NULL;
	if (b->replies_tail)
		b->replies_tail->next = h;
	else
		b->replies = h;
	b->replies_tail = h;
	if (b == srv->cur)
		server_mark_dirty(srv);
}

uint64_t server_batches_due(const struct server *srv)
{
	return srv->submitted + (srv->cur && srv->cur->sb.n ? 1 : 0);
}

void batch_move_replies(struct batch *from, struct batch *to)
{
	if (from->replies == NULL)
		return;
	if (to->replies_tail)
		to->replies_tail->next = from->replies;
	else
		to->replies = from->replies;
	to->replies_tail = from->replies_tail;
	from->replies = from->replies_tail = NULL;
}

void batch_send_replies(struct batch *b, bool refused)
{
	struct held *h = b->replies;
	b->replies = b->replies_tail = NULL;
	while (h) {
		struct held *next = h->next;
		h->refused = refused;
		h->send(h);
		h = next;
	}
}

void batch_reset(struct batch *b)
{
	store_batch_clear(&b->sb);
	for (size_t i = 0; i < b->ngrave; i++)
		job_free(b->graveyard[i]);
	free(b->graveyard);
	json_decref(b->events);
	free(b->event_ids);
	b->event_ids = NULL;
	b->event_ids_cap = 0;
	b->graveyard = NULL;
	b->ngrave = 0;
	b->events = NULL;
}

void batch_free(struct batch *b)
{
	batch_reset(b);
	free(b->sb.recs);
	free(b);
}
