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
struct held;

/* A group of records committed together and the replies and events waiting on it. */
struct batch {
	struct store_batch sb;
	struct held *replies, *replies_tail;	/* owned list */
	struct job **graveyard;		/* owned: removed jobs to free after commit */
	size_t ngrave;
	json_t *events;			/* owned array of event objects to publish */
	int64_t *event_ids;		/* owned: the id of each of events */
	size_t event_ids_cap;
	bool has_output;		/* output rows: wake log followers */
	int64_t submitted_us;		/* monotonic, when handed to the store */
	struct batch *inflight_next;	/* srv->inflight_head's list while in the store */
};

struct batch *server_batch(struct server *srv);	/* the open batch, created on demand */
/* Keep an emptied batch for the next turn (or free it). */
void batch_recycle(struct server *srv, struct batch *b);
void batch_free(struct batch *b);
void batch_reset(struct batch *b);	/* frees what the records own, keeps the array */
/* Send the replies held on b; refused: b was not committed (a deposed leader), each goes
 * out as 503 not_leader instead. */
void batch_send_replies(struct batch *b, bool refused);
void batch_move_replies(struct batch *from, struct batch *to);
#endif
