/* The server: one event loop owns the scheduler; a change made on it becomes store records
 * of the open batch; before the loop sleeps the turn's records go to the store as one
 * batch, and every reply waits for the commit of the batch it depends on (DECISIONS:
 * group commit, one thread owns the state).
 *
 * This header is the loop's state and services. The other rooms of src/server/ have
 * headers of their own (batch.h, persist.h, registry.h, network.h, scripts.h, child.h,
 * local-workers.h, …), and the HTTP face (src/api/) is reached only through the
 * `struct server_face` the CLI hands to server_run (options.h): nothing in src/server/ includes src/api/. */
#ifndef JG_SERVER_H
#define JG_SERVER_H
#include "base/histogram.h"
#include "core/sched.h"
#include "net/spec.h"
#include "server/idem.h"
#include "tls/tls.h"
#include <event2/event.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;
struct api;
struct batch;
struct store;
struct local_worker;
struct child_call;
struct script_q;
struct net_plan;
struct network;
struct identity;

/* What the loop asks of the face that serves clients (api/api.h: api_face). Every hook is
 * called on the loop thread. */
struct server_face {
	/* Serve on the listening socket fd (taken: closed on failure too), bound to `bound`
	 * ("127.0.0.1:7370"); sets srv->url. 0, or -1 with *err (malloc'd). */
	int (*start)(struct server *srv, int fd, const char *bound, char **err);
	/* Work became ready or resources were freed: offer it to the waiting reserves. */
	void (*offer)(struct server *srv);
	/* Timers asked to cancel running attempts: tell their waiting workers now. */
	void (*kills)(struct server *srv);
	/* Worker w is being dropped (before it is freed): end what waits for it. */
	void (*worker_lost)(struct server *srv, struct worker *w);
	/* A stream of lifecycle events is open (persist.c builds them then, and for a while
	 * after: struct kept_events). */
	bool (*listening)(const struct server *srv);
	/* Events (a JSON array, borrowed) whose changes are committed, ids[i] the id of the
	 * i-th (increasing; a skipped id is a gap): send them. */
	void (*publish)(struct server *srv, json_t *events, const int64_t *ids);
	/* A batch was committed (new output, jobs ended): readers of logs may read on. */
	void (*committed)(struct server *srv);
	/* Stopping: answer the waiting reserves, before the last commit. */
	void (*closing)(struct server *srv);
	/* After the last commit: end the streams and stop serving. */
	void (*stop)(struct server *srv);
};

/* The lifecycle events kept in the store for streams that resume (persist.c, docs/API.md
 * GET /v1/events). An event's id is EPOCH-N: EPOCH the store's identity, N store-global
 * and increasing across restarts and leaders. Events are built only while a stream is open
 * or until_mono: a server just started or just become leader (when the store's newest id
 * is an event: a reader of the server before may resume), or whose last stream closed less
 * than window_ms ago, builds them, so that a reader that reconnects misses nothing;
 * when they are not built, a gap is stored (an id with no event), so that a resume from
 * before it is told to re-read on any server. */
struct kept_events {
	int64_t epoch;			/* the store's identity */
	int64_t next;			/* the id the next event or gap gets */
	int64_t loaded;			/* the highest id stored at load: the ids published
					 * (after their commit) follow it in order */
	int64_t lo;			/* the lowest id kept in the store (0: none) */
	bool gap;			/* a gap is recorded, no event built since */
	int64_t until_mono;		/* events are built until then with no stream open */
	int64_t window_ms;		/* --events-window */
};

struct server {
	struct event_base *base;
	const struct server_face *face;	/* static: what serves clients (see above) */
	struct api *api;		/* owned by the face: its state */
	struct sched sched;
	struct store *store;
	struct dirlock *datalock;	/* owned: the data directory's lock when the store is
					 * elsewhere (PostgreSQL); the SQLite store holds its own */
	struct batch *cur;		/* owned: records and replies of this turn */
	struct batch *spare;		/* owned: an emptied batch kept for reuse */
	struct batch *last_sent;	/* the newest batch handed to the store, or NULL */
	int inflight;			/* batches handed to the store, not yet done */
	struct batch *inflight_head;	/* those batches, oldest first (batch->inflight_next) */
	bool store_abandoned;		/* deposed, and the database did not answer within a
					 * lease: the in-flight batches were answered 503 and
					 * the server starts again without waiting for them */
	int64_t stop_began_mono;	/* when server_shutdown began */
	struct event *flush_ev, *tick_ev, *sigterm_ev, *sigint_ev, *sighup_ev, *sigchld_ev;
	struct event *prune_ev;
	bool flush_armed;		/* the flush event is active for this turn */
	bool offer_parked;		/* work became ready or resources were freed: offer it
					 * to the waiting reserves before the commit */
	struct local_worker *locals;	/* list */
	struct spawner *spawner;	/* owned: --spawn (spawn.h), or NULL */
	struct child_call *children;	/* list: checker and script processes (child.c) */
	struct imap script_qs;		/* job seq → struct script_q: handler calls (scripts.c) */
	struct script_q *script_wait, *script_wait_tail;	/* jobs waiting for a child slot */
	int script_children;		/* handler children running */
	struct net_plan *plan;		/* job networks (network.c) */
	struct network *net;		/* owned by network.c: job ends and the hand run */
	struct net_settings net_config;	/* the server layer of their settings (--config) */
	int nlocal;
	bool locals_started;		/* local_workers_start ran: the registry file is ours */
	struct idem_table idem;		/* Idempotency-Key answers (idem.h) */
	struct kept_events events;	/* the event ids and the gaps (persist.c) */
	struct identity *ident;		/* owned: users, tokens, --auth (identity.h) */
	struct imap defs;		/* imap_hash_str(name) → chain of struct def_entry (registry.c) */
	/* The test clock (--test-clock): wall ms that move only when told to; 0 = the real
	 * clock. Leases stay on the real monotonic clock: workers are real processes. */
	int64_t test_clock_ms;
	int64_t lease_ms, heartbeat_ms;
	int64_t started_mono;
	bool draining, stopping;
	int stop_phase;
	bool stop_flushed;		/* the stop gave written replies a loop turn */
	struct event *stop_ev;
	struct event *drain_ev;		/* when to stop waiting for workers to hear of a drain */
	int64_t drain_deadline_mono;
	char *data_dir;			/* owned */
	char *url;			/* owned: http(s):// and the address bound (set by the face) */
	char *unix_url;			/* owned: unix:DATA/jobgrid.sock (set by the face) */
	struct ssl_ctx_st *tls;		/* owned: serve HTTPS with it; NULL: plain HTTP */
	char tls_fp[TLS_FP_LEN];	/* the fingerprint clients pin, or "" */
	char *tls_ca_file;		/* owned: what local workers verify it with, or NULL */
	int32_t max_connections;	/* clients connected at once (the face counts them) */
	int64_t header_timeout_ms, idle_timeout_ms;
	uint64_t submitted, commits, committed_recs, jobs_added, attempts_started;
	/* For /metrics: seconds a reserve took in the scheduler, seconds from a batch's
	 * submission to its commit, and records per committed batch. */
	struct histogram reserve_s, commit_s, batch_recs;
	char *backup_dir;		/* owned: --backup-on-stop DIR, or NULL */
	int32_t backup_keep;
	bool serving;			/* started: a stop from now on is a clean one */
	struct prune *prune;		/* owned: the prune running (prune.c), or NULL */
	struct trim_queue *trim;	/* owned: final joblets to trim (trim.c), or NULL */
	int64_t retain_ms;		/* --retain: finished jobs older than this go; 0 never */
	struct event *retain_ev;	/* owned: the retention timer, or NULL */
	int64_t history_ms;		/* --history-memory: finished jobs leave memory this long
					 * after they ended; < 0 never (history.h) */
	struct event *history_ev;	/* owned: the sweep's timer, or NULL */
	int64_t history_cursor;		/* the next job slot the sweep looks at */
	int64_t history_freed;		/* jobs it freed since it last trimmed the heap */
	char *read_back_err;		/* owned: why server_job's last read back failed (a
					 * damaged row), so the reply can say it; NULL */
	/* Leadership over a shared database (standby.c); lead NULL: a server alone (SQLite). */
	struct leadership *lead;	/* owned */
	char *holder;			/* owned: this server's id in the lease */
	char *advertise;		/* owned: --advertise URL, or NULL (then url) */
	struct event *lead_check_ev;	/* owned: the lease on the local clock, every lease/4 */
	int64_t lead_epoch;		/* the epoch held since the takeover, 0 before */
	int64_t lead_lease_ms;		/* --leader-lease */
	bool leading;			/* took over and loaded the store: serving */
	bool deposed;			/* lost the lease: every request is answered 503 */
	bool stepping_down;		/* deposed while serving: server_run returns
					 * SERVER_DEPOSED (not when a stop was asked for) */
	char leader_hint[512];		/* scratch for server_not_leading */
};

void server_mark_dirty(struct server *srv);	/* make sure a flush runs this turn */
/* A reply held back by server_hold: the face embeds it first in its own reply object and
 * says how to send it. */
struct held {
	struct held *next;
	void (*send)(struct held *h);	/* sends the reply that embeds h and frees it */
	bool refused;	/* set before send: what it waited on was not committed (a deposed
			 * leader), so it goes out as 503 not_leader instead */
};

/* Hold h until every change it may reveal is on disk: behind the open batch if it has
 * records, else behind the newest batch being committed; else send it now (batch.c). */
void server_hold(struct server *srv, struct held *h);
/* How many batches will have been committed once the changes made so far are. */
uint64_t server_batches_due(const struct server *srv);
void server_shutdown(struct server *srv, const char *why);
void server_drain_started(struct server *srv);	/* after draining is set */
/* A drained server exits: nothing runs and every worker has heard of the drain (or had
 * two heartbeats' time to), so none keeps calling a server that is gone. */
void server_check_drained(struct server *srv);
int64_t server_now(const struct server *srv);	/* wall ms: the test clock's if there is one */
bool server_test_clock(const struct server *srv);
/* Move the test clock to `to`, running every timer due on the way in order. */
void server_clock_move(struct server *srv, int64_t to);
void server_tick_now(struct server *srv);	/* run what is due now and re-arm the timer */
/* Jobs by id text ("alice.true.3" or "3"); NULL if not found. A joblet index in the id
 * goes to *idx_out (-1 when none); with idx_out NULL an id with an index is not found. */
struct job *server_find_job(struct server *srv, const char *id, int32_t *idx_out);
/* NULL while this server serves (it leads, or runs alone); else the leader's URL as last
 * seen ("" when none is known): every request is answered 503 not_leader (standby.c). */
const char *server_not_leading(struct server *srv);
/* The lease was lost: answer 503 not_leader from now on, commit nothing more, stop the
 * local workers and the spawner, and leave the loop so that server_run returns
 * SERVER_DEPOSED (the CLI then starts the server again, as a standby). */
void server_step_down(struct server *srv, const char *why);
/* Read --config FILE (config.c): 0, or -1 with *err (malloc'd). */
int server_config_read(struct server *srv, const char *path, char **err);
#endif
