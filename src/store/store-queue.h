/* The group-commit queue the store backends share: batches submitted on the loop thread,
 * one writer thread committing every batch queued since its last commit in one
 * transaction, and the batches handed back on the loop thread in submission order, only
 * after their transaction's outcome is known (store.h). */
#ifndef JG_STORE_QUEUE_H
#define JG_STORE_QUEUE_H
#include "store/store.h"
#include <pthread.h>
#include <stdbool.h>

/* Writer thread: commit chain (linked by next) in one transaction. 0 committed, 1 not
 * committed because the store was deposed (its batches come back with failed set). A
 * backend that can do neither does not return (it retries, or stops the server). */
typedef int (*store_commit_fn)(void *backend, struct store_batch *chain);

struct store_queue {
	store_commit_fn commit;
	void *backend;
	void (*lost)(void *arg);	/* or NULL: called on the loop thread before the
					 * batches of a deposed commit are handed back */
	void *lost_arg;
	pthread_t writer;
	bool started;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct store_batch *queue_head, *queue_tail;	/* submitted, not yet committed */
	struct store_batch *done_head, *done_tail;	/* finished, not yet handed back */
	bool deposed;			/* a commit found the store deposed; lost not yet called */
	bool stopping;
	struct event *done_ev;
	store_done_cb done_cb;
	void *done_arg;
	struct event_base *loop;
};

void store_queue_init(struct store_queue *q, store_commit_fn commit, void *backend);
/* Start the writer. 0, or -1 with errno. */
int store_queue_start(struct store_queue *q, struct event_base *base, store_done_cb done,
		      void *arg);
void store_queue_submit(struct store_queue *q, struct store_batch *b);	/* taken until done */
/* Wait for every submitted batch, hand them back, stop the writer; then free the rest. */
void store_queue_stop(struct store_queue *q);
void store_queue_destroy(struct store_queue *q);
#endif
