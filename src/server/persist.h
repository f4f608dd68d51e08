/* Changes → store records of the open batch (persist.c): the scheduler's hooks, job
 * output, and the answers to Idempotency-Keys. */
#ifndef JG_PERSIST_H
#define JG_PERSIST_H
#include "core/sched.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;

/* The scheduler's hooks; ctx is the server. */
extern const struct sched_hooks persist_hooks;
/* A chunk of output of attempt (of job seq at wall ms `at`); data (malloc'd) is taken. */
void persist_output(struct server *srv, int64_t attempt, int64_t seq, int64_t at, char *data,
		    size_t len);
/* The first reply to key ("owner\nkey"), kept for resends in the table and the store. */
void persist_idem_answer(struct server *srv, const char *key, int32_t status,
			 const char *body);
/* An event that belongs to no job (e, taken), sent with the turn's other events to
 * those who listen (`auth.refused` goes to admins only: api/stream.c). */
void persist_notice(struct server *srv, json_t *e);
/* An event name of job j ({"event", "at", "job", "seq", "owner"}), for whoever may read
 * the job's events, sent with the turn's other events. */
void persist_job_notice(struct server *srv, const struct job *j, const char *name);
/* A `worker.joined` (joined) or `worker.left` event for w, for every stream that lists
 * workers (api/stream.c); the reason of a leave comes from w->gone_why. */
void persist_worker_event(struct server *srv, const struct worker *w, bool joined);
/* Forget the answers older than before (wall ms). */
void persist_idem_prune(struct server *srv, int64_t before);
/* The store's loader of kept answers (arg: the server). */
void persist_idem_load(void *arg, const char *owner, const char *key, int32_t status,
		       const char *body, int64_t at);
#endif
