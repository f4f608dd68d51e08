/* The group-commit queue the store backends share (see store-queue.h). */
#include "store/store-queue.h"
#include <errno.h>
#include <event2/event.h>

static void *writer_main(void *arg)
{
	struct store_queue *q = arg;
	pthread_mutex_lock(&q->mu);
	for (;;) {
		while (q->queue_head == NULL && !q->stopping)
			pthread_cond_wait(&q->cv, &q->mu);
		if (q->queue_head == NULL)
			break;
		struct store_batch *chain = q->queue_head, *tail = q->queue_tail;
		q->queue_head = q->queue_tail = NULL;
		pthread_mutex_unlock(&q->mu);
		int failed = q->commit(q->backend, chain);
		for (struct store_batch *b = chain; b; b = b->next)
			b->failed = failed;
		pthread_mutex_lock(&q->mu);
		q->deposed = q->deposed || failed;
		if (q->done_tail)
			q->done_tail->next = chain;
		else
			q->done_head = chain;
		q->done_tail = tail;
		event_active(q->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&q->mu);
	return NULL;
}

/* Loop thread: the owner of a fence hears first that it lost it, then every batch comes
 * back in order. */
static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct store_queue *q = arg;
	pthread_mutex_lock(&q->mu);
	struct store_batch *chain = q->done_head;
	bool deposed = q->deposed;
	q->done_head = q->done_tail = NULL;
	q->deposed = false;
	pthread_mutex_unlock(&q->mu);
	if (deposed && q->lost)
		q->lost(q->lost_arg);
	while (chain) {
		struct store_batch *next = chain->next;
		chain->next = NULL;
		q->done_cb(q->done_arg, chain);
		chain = next;
	}
}

void store_queue_init(struct store_queue *q, store_commit_fn commit, void *backend)
{
	q->commit = commit;
	q->backend = backend;
	pthread_mutex_init(&q->mu, NULL);
	pthread_cond_init(&q->cv, NULL);
}

int store_queue_start(struct store_queue *q, struct event_base *base, store_done_cb done,
		      void *arg)
{
	q->loop = base;
	q->done_cb = done;
	q->done_arg = arg;
	q->done_ev = event_new(base, -1, 0, on_done, q);
	int rc = pthread_create(&q->writer, NULL, writer_main, q);
	if (rc != 0) {
		errno = rc;	/* the caller says why */
		return -1;
	}
	q->started = true;
	return 0;
}

void store_queue_submit(struct store_queue *q, struct store_batch *b)
{
	b->next = NULL;
	b->failed = 0;
	pthread_mutex_lock(&q->mu);
	if (q->queue_tail)
		q->queue_tail->next = b;
	else
		q->queue_head = b;
	q->queue_tail = b;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
}

void store_queue_stop(struct store_queue *q)
{
	if (!q->started)
		return;
	pthread_mutex_lock(&q->mu);
	q->stopping = true;
	pthread_cond_signal(&q->cv);
	pthread_mutex_unlock(&q->mu);
	pthread_join(q->writer, NULL);
	on_done(-1, 0, q);	/* hand back what the writer finished last */
	event_free(q->done_ev);
	q->started = false;
}

void store_queue_destroy(struct store_queue *q)
{
	pthread_mutex_destroy(&q->mu);
	pthread_cond_destroy(&q->cv);
}
