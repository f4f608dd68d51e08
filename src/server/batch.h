/* Group commit (batch.c): the records of a loop turn go to the store as one batch, and
 * each reply is held until every change it may reveal is committed. */
#ifndef JG_BATCH_H
#define JG_BATCH_H
#include "store/store.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

struct server;
struct job;

/* A reply held back by server_hold: the face embeds it first in its own reply object and
 * says how to send it. */
struct held {
	struct held *next;
	void (*send)(struct held *h);	/* sends the reply that embeds h and frees it */
};

/* A group of records committed together and the replies and events waiting on it. */
struct batch {
	struct store_batch sb;
	struct held *replies, *replies_tail;	/* owned list */
	struct job **graveyard;		/* owned: removed jobs to free after commit */
	size_t ngrave;
	json_t *events;			/* owned array of event objects to publish */
	bool has_output;		/* output rows: wake log followers */
};

struct batch *server_batch(struct server *srv);	/* the open batch, created on demand */
/* Hold h until every change it may reveal is on disk: behind the open batch if it has
 * records, else behind the newest batch being committed; else send it now. */
void server_hold(struct server *srv, struct held *h);
/* How many batches will have been committed once the changes made so far are. */
uint64_t server_batches_due(const struct server *srv);
/* Keep an emptied batch for the next turn (or free it). */
void batch_recycle(struct server *srv, struct batch *b);
void batch_free(struct batch *b);
void batch_reset(struct batch *b);	/* frees what the records own, keeps the array */
void batch_send_replies(struct batch *b);
void batch_move_replies(struct batch *from, struct batch *to);
#endif
