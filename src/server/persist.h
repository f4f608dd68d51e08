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
/* The store's identity and kept event ids, at load or takeover (server.h: struct
 * kept_events); events are built for the window from now when a reader may resume. 0, or
 * -1 with *err. */
int persist_events_load(struct server *srv, char **err);
/* Are events built now (a stream is open, or the window has not passed)? When not, the
 * open batch records the gap once. */
bool persist_events_on(struct server *srv);
/* Before the open batch goes to the store: add a slice of the kept events beyond
 * STORE_EVENTS_KEEP to be deleted with it. */
void persist_events_prune(struct server *srv);
/* Forget the answers older than before (wall ms). */
void persist_idem_prune(struct server *srv, int64_t before);
/* The store's loader of kept answers (arg: the server). */
void persist_idem_load(void *arg, const char *owner, const char *key, int32_t status,
		       const char *body, int64_t at);
#endif
