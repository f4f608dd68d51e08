/* The queue, under the scheduler (sched.h): READY joblets in one heap per queue class, the
 * classes that hold any, the delay heap of WAITING joblets with a back-off time, and the
 * choice of what a worker takes next.
 *
 * It moves joblets between its heaps and reads jobs, workers and limit groups; it never
 * changes a joblet's state, a count or a worker, and calls neither sched nor gates. What the
 * scheduler must act on comes back in return values (struct pick). */
#ifndef JG_QUEUE_H
#define JG_QUEUE_H
#include "base/heap.h"
#include "base/imap.h"
#include "core/worker.h"

/* Everything that decides which workers may take a joblet; see sched.h. */
struct qclass {
	int32_t cores, ram_mb, gpus;
	const char **ckey, **cval;	/* owned arrays of interned strings */
	const char **avoid;		/* owned array of interned node names */
	struct limit_group **limits;	/* owned array */
	int32_t nconstraints, navoid, nlimits;
	struct job *job;		/* the one job of a --max-running class, else NULL */
	char *key;			/* owned: canonical text of all the above */
	struct qclass *hnext;		/* same-hash chain in queue->class_index */
	struct heap ready;		/* READY joblets */
	size_t active_pos;		/* in queue->active while ready is not empty */
};

/* Kept by the scheduler (sched->limits); read here to see whether a class has room. */
struct limit_group {
	const char *name;		/* interned */
	int32_t limit;			/* -1 = no limit */
	int32_t running;		/* joblets running that hold a slot */
	int64_t waiting;		/* joblets waiting or ready, as of the last count */
};

struct queue {
	struct qclass **classes;	/* owned */
	size_t nclasses;
	struct imap class_index;	/* hash of key → chain of classes */
	struct qclass **active;		/* classes with READY joblets (not owned) */
	size_t nactive, capactive;
	struct qclass *last_class;	/* the class of the last plain job placed: a fast path */
	struct heap delay;		/* WAITING joblets by ready_at */
};

void queue_init(struct queue *q);
void queue_free(struct queue *q);

int ready_less(const void *a, const void *b);	/* priority desc, seq, index */

/* The class j's options and resources name, found or made. */
struct qclass *queue_class_for(struct queue *q, const struct job *j);
void queue_push(struct queue *q, struct joblet *jl);	/* into its job's class heap */
void queue_delay(struct queue *q, struct joblet *jl);	/* into the delay heap, by ready_at */
void queue_remove(struct queue *q, struct joblet *jl);	/* out of the heap that holds it */
struct joblet *queue_next_delay(const struct queue *q);	/* earliest ready_at, or NULL */
/* Put j in the class its options and resources name now (READY joblets move along). */
void queue_reclass(struct queue *q, struct job *j, int64_t now);
/* Every joblet of j out of the heaps: one by one when they are a small share of a heap,
 * else by rebuilding the heap without them (a job of 10^5 ready joblets: milliseconds
 * instead of tens of them). */
void queue_remove_job(struct queue *q, struct job *j);
/* j is removed: a --max-running class of its own outlives it, empty and unnamed. */
void queue_forget_job(struct job *j);

/* Recovery: place joblets in any order, then order every heap at once. */
void queue_load_ready(struct joblet *jl);
void queue_load_delay(struct queue *q, struct joblet *jl);
void queue_load_done(struct queue *q);

/* May w ever run joblets of class k (constraints and avoided nodes)? */
bool class_matches(const struct qclass *k, const struct worker *w);
/* Is there room in its limit groups and under its job's --max-running? */
bool class_has_room(const struct qclass *k);
static inline bool class_fits(const struct qclass *k, int32_t c, int32_t r, int32_t g)
{
	return k->cores <= c && k->ram_mb <= r && k->gpus <= g;
}
static inline bool class_fits_total(const struct qclass *k, const struct worker *w)
{
	return class_fits(k, w->cores, w->ram_mb, w->gpus);
}

/* One look at the head of every non-empty class for worker w with c cores, r MB and g GPUs
 * free (workers: every registered worker, for the failover preference). */
struct pick {
	struct joblet *best;		/* what w takes next, or NULL */
	struct joblet *blocked;		/* the first joblet w could hold but has no room for now */
	int64_t pref_until;		/* wall ms the earliest joblet left alone for another node
					 * may come back to w's node; 0 = none was */
};
void queue_scan(const struct queue *q, const struct worker *w, const struct imap *workers,
		int32_t c, int32_t r, int32_t g, int64_t now, int64_t failover_wait_ms,
		struct pick *p);

/* Why READY joblets of class k are not running (workers: every registered worker), a
 * static text or buf. */
const char *queue_reason(const struct qclass *k, const struct imap *workers, char *buf,
			 size_t len);
#endif
