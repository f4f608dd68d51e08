/* A worker as the scheduler sees it: a node's resources, tags, lease and running attempts.
 * Only the type: sched.c registers, leases and drops workers; queue.c reads them to match
 * joblets (constraints, avoided nodes, sizes). */
#ifndef JG_WORKER_H
#define JG_WORKER_H
#include "core/job.h"

/* Why a worker is dropped (its gone_why): the `worker.left` event's reason comes from these. */
#define WORKER_GONE_LEFT "it left"
#define WORKER_GONE_LEASE "no word for its lease"
#define WORKER_GONE_EXITED "its process exited"
#define WORKER_GONE_REPLACED "its node registered again without it"

struct worker {
	char id[24];			/* "w" + random hex; names it in the API */
	const char *name;		/* interned node name */
	int32_t cores, ram_mb, gpus;
	int32_t used_cores, used_ram_mb, used_gpus;
	char *tags;			/* from malloc: JSON object text, or NULL */
	const char **tag_key, **tag_val;	/* owned arrays of interned strings, ntags each */
	int32_t ntags;
	struct joblet *hold_for;	/* a starving joblet this worker is kept free for */
	char ram_method[16];		/* "cgroup" or "sampling", as the worker said */
	char *ram_method_note;		/* from malloc, or NULL: why, or where */
	int pid;
	char instance[72];		/* the registering process's random token, or "": the same
					 * token again is the same process registering again */
	bool placeholder;		/* stands for a previous run's worker until it re-registers */
	bool told_drain;		/* a reply to it said the server drains */
	const char *gone_why;		/* static: why it is being dropped, for the lost hook */
	uint64_t map_key;		/* its key in sched->workers (see there) */
	bool stopping;			/* it said it is stopping: hand it nothing more */
	int64_t registered_at, last_seen;	/* wall ms */
	int64_t lease_deadline;		/* monotonic ms */
	size_t lease_pos;
	struct attempt *running;	/* list through wnext/wprev */
	int32_t nrunning;
	void *parked;			/* the server's parked reserve request, or NULL */
};
#endif
