/* The server: one event loop owns the scheduler; handlers change it and queue store
 * records; before the loop sleeps the turn's records go to the store as one batch, and
 * every reply waits for the commit of the batch it depends on (DECISIONS: group commit,
 * one thread owns the state). */
#ifndef JG_SERVER_H
#define JG_SERVER_H
#include "core/sched.h"
#include "net/spec.h"
#include "server/idem.h"
#include "store/store.h"
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <jansson.h>
#include <sys/types.h>

struct call;
struct server;
typedef void (*route_fn)(struct call *c);

enum route_flags {
	R_MUTATES = 1,		/* changes state: honours Idempotency-Key */
	R_STREAM = 2,		/* replies itself over time (SSE, log -f, long-poll) */
	R_NEW_WORK = 4,		/* asks for work to run: refused (503 draining) while draining */
	R_RAW = 8,			/* the body is bytes, not JSON: the handler reads it itself */
};

struct route {
	const char *method;	/* "GET", "POST", ... */
	const char *pattern;	/* "/v1/jobs/{*}/cancel": each * matches one segment */
	route_fn fn;
	int flags;
	const char *name;	/* for metrics */
	uint64_t calls, errors;	/* counters, loop thread only */
};

/* One request in flight. Freed by the dispatcher after the handler returns, unless the
 * handler kept it (c->kept) for a long-poll or a stream; then call_free releases it. */
struct call {
	struct server *srv;
	struct evhttp_request *req;	/* evhttp's; valid until the reply is sent */
	struct route *route;
	char *params[2];		/* owned: the '*' segments, URL-decoded */
	struct evkeyvalq query;		/* parsed query string */
	json_t *body;			/* owned: parsed JSON body, or NULL */
	const char *body_text;		/* borrowed from the request buffer (NUL-terminated copy) */
	char *body_copy;		/* owned */
	const char *owner;		/* interned user name */
	char *idem;			/* owned: owner + "\n" + Idempotency-Key, or NULL */
	bool idem_open;			/* it opened idem's entry: its reply answers it */
	bool replied, kept;
	bool in_dispatch, sent;		/* sent during dispatch: the dispatcher frees it */
};

/* Replies, sent after the commit of every change they may reveal. body is stolen. */
void call_reply(struct call *c, int status, json_t *body);
void call_reply_text(struct call *c, int status, const char *ctype, const char *text, size_t len);
void call_error(struct call *c, int status, const char *code, const char *field,
		const char *fmt, ...) __attribute__((format(printf, 5, 6)));
void call_free(struct call *c);
const char *call_query(struct call *c, const char *key);

/* A parked reserve long-poll of one worker. */
struct parked {
	struct call *call;
	struct worker *worker;
	int32_t free_cores, free_ram, free_gpus;
	size_t max;
	json_t *results;		/* owned: the finished reports' results so far */
	struct event *timeout;
	struct parked *next, *prev;
};

struct sse_client;
struct log_follower;
struct local_worker;

/* A group of records committed together and the replies and events waiting on it. */
struct batch {
	struct store_batch sb;
	struct pending *replies, *replies_tail;	/* owned list */
	struct job **graveyard;		/* owned: removed jobs to free after commit */
	size_t ngrave;
	json_t *events;			/* owned array of event objects to publish */
	bool has_output;		/* output rows: wake log followers */
};

struct server {
	struct event_base *base;
	struct evhttp *http;
	struct sched sched;
	struct store *store;
	struct batch *cur;		/* owned: records and replies of this turn */
	struct batch *spare;		/* owned: an emptied batch kept for reuse */
	struct batch *last_sent;	/* the newest batch handed to the store, or NULL */
	int inflight;			/* batches handed to the store, not yet done */
	struct event *flush_ev, *tick_ev, *keepalive_ev, *sigterm_ev, *sigint_ev, *sighup_ev,
		*sigchld_ev;
	struct event *prune_ev;
	bool flush_armed;		/* the flush event is active for this turn */
	bool offer_parked;		/* work became ready or resources were freed: offer it
					 * to the parked reserves before the commit */
	struct parked *parked;		/* list of parked reserves */
	struct sse_client *sse;		/* list */
	struct log_follower *followers;	/* list */
	struct local_worker *locals;	/* list */
	struct child_call *children;	/* list: checker and script processes (child.c) */
	struct imap script_qs;		/* job seq → struct script_q: handler calls (scripts.c) */
	struct script_q *script_wait, *script_wait_tail;	/* jobs waiting for a child slot */
	int script_children;		/* handler children running */
	struct net_plan *plan;		/* job networks (network.c) */
	struct net_settings net_config;	/* the server layer of their settings (--config) */
	int nlocal;
	bool locals_started;		/* local_workers_start ran: the registry file is ours */
	struct idem_table idem;		/* Idempotency-Key answers (idem.h) */
	struct imap defs;		/* imap_hash_str(name) → chain of struct def_entry (api-defs.c) */
	int64_t lease_ms, heartbeat_ms;
	int64_t started_mono;
	bool draining, stopping;
	int stop_phase;
	bool stop_flushed;		/* the stop gave written replies a loop turn */
	struct event *stop_ev;
	struct event *drain_ev;		/* when to stop waiting for workers to hear of a drain */
	int64_t drain_deadline_mono;
	char *data_dir;			/* owned */
	char *url;			/* owned: http:// and the address bound */
	uint64_t submitted, commits, committed_recs, jobs_added, attempts_started;
};

/* Hooks into the batch from handlers. */
struct batch *server_batch(struct server *srv);	/* the open batch, created on demand */
void server_mark_dirty(struct server *srv);	/* make sure a flush runs this turn */
void server_shutdown(struct server *srv, const char *why);
void server_try_parked(struct server *srv);
void server_drain_started(struct server *srv);	/* after draining is set */
/* A drained server exits: nothing runs and every worker has heard of the drain (or had
 * two heartbeats' time to), so none keeps calling a server that is gone. */
void server_check_drained(struct server *srv);
int64_t server_now(void);	/* wall ms: the test clock's when there is one */
bool server_test_clock(void);
/* Move the test clock to `to`, running every timer due on the way in order. */
void server_clock_move(struct server *srv, int64_t to);
void server_tick_now(struct server *srv);	/* run what is due now and re-arm the timer */
/* Read --config FILE (config.c): 0, or -1 with *err (malloc'd). */
int server_config_read(struct server *srv, const char *path, char **err);

/* Job networks (network.c): the planner (src/net/plan.h) driven by the server. */
int network_start(struct server *srv, char **err);	/* after the store and definitions */
int64_t network_tick(struct server *srv);	/* due work; the next wake, INT64_MAX if none */
void network_free(struct server *srv);
struct definition;
/* deploy-check.c: the cycles and the edges to unknown definitions that deploying defs
 * (replacing those of the same names) would make, each appended to problems (a JSON
 * array) as "FILE:LINE:COL: text" at the list entry that makes it. defs[i] is NULL for a
 * file that did not read; names[i], when not NULL, is the name it would have had, which
 * edges may then name without being called unknown. */
void deploy_check_network(struct server *srv, struct definition *const *defs,
			  const char *const *names, size_t n, json_t *problems);
void network_deployed(struct server *srv, struct definition *const *defs, size_t n);
void network_undeployed(struct server *srv, const char *name);
void network_job_ended(struct server *srv, struct job *j);
/* A run by hand of a network member: returns true when the network took it (then it has
 * replied on c or will), false when name is no member. */
bool network_run_by_hand(struct call *c, const struct definition *d, int32_t version,
			 json_t *args, json_t *facts, const struct net_settings *over,
			 const char *cwd);
/* A job for run id of the network was made (seq > 0) or could not be (seq 0). */
void network_run_made(struct server *srv, int64_t run, int64_t seq);
void api_clock_get(struct call *c);
void api_clock_post(struct call *c);
void api_plan(struct call *c);
void api_def_pause(struct call *c);
void api_def_resume(struct call *c);

/* Jobs by id text ("alice.true.3" or "3"); NULL if not found (owner checked). */
struct job *server_find_job(struct server *srv, const char *id, int32_t *idx_out);

/* JSON renderings (render.c). render_init names the scheduler that explains waits. */
void render_init(const struct sched *s);
json_t *render_limit(const struct limit_group *g);
json_t *render_job(const struct job *j, bool with_joblets);
json_t *render_attempt(const struct attempt *a);
json_t *render_assignment(const struct attempt *a);
json_t *render_worker(const struct worker *w);
json_t *render_time(int64_t wall_ms);	/* RFC 3339 string, or null for 0 */

/* Route handlers. */
void api_jobs_create(struct call *c);
void api_jobs_list(struct call *c);
void api_job_get(struct call *c);
void api_job_patch(struct call *c);
void api_job_delete(struct call *c);
void api_jobs_remove(struct call *c);
void api_job_cancel(struct call *c);
void api_job_retry(struct call *c);
void api_job_log(struct call *c);
void api_workers_register(struct call *c);
void api_workers_list(struct call *c);
void api_worker_reserve(struct call *c);
void api_worker_heartbeat(struct call *c);
void api_worker_leave(struct call *c);
void api_attempt_output(struct call *c);
void api_attempt_finish(struct call *c);
void api_events(struct call *c);
void api_stats(struct call *c);
void api_limits_list(struct call *c);
void api_defs_deploy(struct call *c);
void api_defs_list(struct call *c);
void api_def_get(struct call *c);
void api_def_undeploy(struct call *c);
void api_def_put(struct call *c);
void api_def_run(struct call *c);
/* Definitions registry (api-defs.c): a stored version at start; everything at exit. */
void defs_load(void *arg, const struct store_def_row *row);
void defs_free_all(struct server *srv);
/* Read a deploy body's files in a checker process first (defcheck.c); then done(c,
 * checked) runs on the loop, unless the client left or the checker failed. checked:
 * {"problems": ["FILE:LINE:COL: text"…], "parsed": [whether each file is a YAML mapping]},
 * borrowed. */
typedef void (*defcheck_done_fn)(struct call *c, json_t *checked);
void defcheck_start(struct call *c, defcheck_done_fn done);

/* Child calls (child.c): `jobgrid SUB` in its own process, input on its stdin, a JSON
 * object back from its stdout, killed after limit_s seconds. done runs once on the loop:
 * reply is the object (borrowed), or NULL with why saying how the child ended. */
typedef void (*child_done_fn)(void *arg, json_t *reply, const char *why);
struct child_call;
struct child_call *child_call_start(struct server *srv, const char *sub, const char *input,
				    size_t len, int limit_s, child_done_fn done, void *arg,
				    const char **err);
void child_call_detach(struct child_call *k);	/* done will not run; the child still ends */
bool child_reaped(struct server *srv, pid_t pid, int status);	/* false: not a child call */
void child_calls_free_all(struct server *srv);

/* Lua scripts (scripts.c). */
struct definition;
/* Run job_started for a run of script definition d, then make the job: for call c (kept;
 * replied to), or with c NULL for network run net_run (network_run_made follows). */
void scripts_start_run(struct call *c, struct server *srv, const struct definition *d,
		       int32_t version, const char *owner, json_t *args, json_t *over,
		       const char *cwd, int64_t net_run);
/* The job's facts at its start: definition facts, run-time ones, job.*, jobargs.*. New. */
json_t *scripts_job_facts(const struct definition *d, int32_t version, const char *owner,
			  int64_t seq, json_t *args, json_t *over);
/* Queue the handler a scheduler event calls for (joblet_completed, joblet_failed,
 * job_completed) when the job's script has it. */
void scripts_event(struct server *srv, int ev, struct job *j, struct attempt *a);
/* Add "script" to a worker's assignment o when the attempt is of a script job. */
void scripts_assignment(struct server *srv, const struct attempt *a, json_t *o);
void scripts_free_all(struct server *srv);

/* Definitions used by runs (api-defs.c). */
const struct definition *defs_find_version(struct server *srv, const char *name,
					   int32_t version);
/* The retry budget of a run: facts given at run time, then the definition's. */
int64_t defs_fact_retries(const struct definition *d, json_t *over);
/* The current version of a deployed definition (NULL if none), its number and owner. */
const struct definition *defs_current(struct server *srv, const char *name, int32_t *version,
				      const char **owner);
/* The current versions of the deployed definitions: *out malloc'd (the caller frees the
 * array, not the definitions). Returns the count. */
size_t defs_active(struct server *srv, struct definition ***out);
/* Start a run for call c: a script's job_started, or the command expanded (replies). */
void defs_start_run(struct call *c, const struct definition *d, int32_t version, json_t *args,
		    json_t *facts, const char *cwd);
/* The default arguments of d (for runs nobody typed arguments for); NULL with *why when
 * an argument has no default. */
json_t *defs_default_args(const struct definition *d, const char **why);
char *defs_expand_run(const struct definition *d, json_t *args, long long *njoblets, char *buf,
		      size_t len, const char **field);
char *defs_run_state(const struct definition *d, int32_t version);
/* Make a run's job without a call; NULL with *bad. script: the run's state (taken). */
struct job *defs_create_job(struct server *srv, const char *owner, const struct definition *d,
			    json_t *args, json_t *facts, const char *cmd, long long njoblets,
			    int64_t seq, const char *cwd, char *script, const char **bad);
/* Make the job of a run (seq 0: the next). facts: run-time facts, or a script run's job
 * facts; script: a script run's state (taken), or NULL. Replies 201 on c, or an error and
 * returns NULL. */
struct job *defs_make_job(struct call *c, const struct definition *d, int32_t version,
			  json_t *args, json_t *facts, const char *cmd, long long njoblets,
			  int64_t seq, const char *cwd, char *script);
void api_limit_get(struct call *c);
void api_limit_put(struct call *c);
void api_drain(struct call *c);
void api_shutdown(struct call *c);
void api_backup(struct call *c);
void api_healthz(struct call *c);
void api_metrics(struct call *c);

/* Streams (api-stream.c). */
void stream_publish(struct server *srv, json_t *events);	/* after a commit */
void stream_wake_followers(struct server *srv);
void stream_keepalive(struct server *srv);
void stream_close_all(struct server *srv);
bool stream_has_listeners(const struct server *srv);

/* Reserve machinery (api-workers.c). */
void parked_reply(struct parked *p, bool lost);
void worker_lost_hook(void *ctx, struct worker *w);

/* Local workers (local-workers.c). Start (or adopt from a crashed server of the same data
 * directory) n workers, each with cores, ram_mb and gpus (-1: its share of the machine;
 * GPUs are not detected, so 0). With n 0 it stops what an earlier server left running. */
void local_workers_start(struct server *srv, int n, int32_t cores, int32_t ram_mb, int32_t gpus);
void local_workers_reap(struct server *srv);
void local_workers_stop(struct server *srv);
bool local_workers_all_exited(const struct server *srv);
void local_workers_free(struct server *srv);

/* Idempotency (in http.c). */
void idem_load(void *arg, const char *owner, const char *key, int32_t status, const char *body,
	       int64_t at);
void idem_free_all(struct server *srv);
void idem_prune(struct server *srv, int64_t before);

/* HTTP (http.c): serve on the listening socket fd (taken, closed on failure too), bound to
 * `bound` ("127.0.0.1:7370", listen.h). */
int http_start(struct server *srv, int fd, const char *bound, char **err);
void http_stop(struct server *srv);
/* Call cb on every route, for /metrics. */
void http_route_counters(void (*cb)(void *, const struct route *), void *arg);

/* Persistence hooks (persist.c). */
extern const struct sched_hooks persist_hooks;
void persist_output(struct server *srv, int64_t attempt, int64_t seq, int64_t at, char *data,
		    size_t len);
void batch_free(struct batch *b);
void batch_reset(struct batch *b);	/* frees what the records own, keeps the array */
void batch_send_replies(struct batch *b);
void batch_move_replies(struct batch *from, struct batch *to);
int server_main(int argc, char **argv);
#endif
