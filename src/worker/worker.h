/* The worker agent: registers with the server, long-polls for joblets that fit its free
 * cores, runs each in its own process group, streams output, heartbeats, and reports
 * results — buffering them while the server is away, and re-registering (naming what it
 * still runs) when the server no longer knows it. One thread, one libevent loop. */
#ifndef JG_WORKER_H
#define JG_WORKER_H
#include <curl/curl.h>
#include <event2/event.h>
#include <jansson.h>
#include "worker/cgroup.h"
#include "worker/config.h"
#include "worker/runas.h"
#include "worker/spool.h"
#include <stdbool.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/types.h>

struct worker;
struct xfer;

/* ---- running one joblet (exec.c) ---------------------------------------------------- */

struct run {
	struct worker *w;
	int64_t attempt;
	char *job;			/* owned: "alice.true.3" */
	char *owner;			/* owned: the job's owner ("alice"), "" if not sent */
	bool cwd_default;		/* the job named no working directory */
	struct runas ra;		/* owned: the account it runs as with --run-as-owner;
					 * ra.name NULL otherwise */
	const char *ran_as;		/* the account its process ran as: ra.name or the
					 * worker's (borrowed); NULL until it was started */
	int32_t index, n, retry, maxretry, cores, gpus;
	int32_t ram_mb;			/* booked (its share of the worker), maybe learned */
	int32_t ram_limit_mb;		/* the limit that ends it: the user's; 0 none */
	int32_t cg_limit_mb;		/* the limit of its cgroup: ram_limit_mb, else the
					 * worker's RAM; 0 none */
	int64_t time_ms;		/* the time limit that ends it (the user's); 0 none */
	pid_t pid;			/* also the process group id; 0 once reaped */
	int out_fd;			/* read end of the output pipe, -1 at EOF */
	struct event *out_ev, *limit_ev, *kill_ev;
	struct spool spool;		/* its output (spool.h) */
	int64_t output_limit;		/* bytes of output kept (the job's --output-limit) */
	int64_t started_ms, ended_ms;	/* wall */
	int64_t started_mono, ended_mono;	/* monotonic: its wall time, whatever the clock does */
	int status;			/* from wait4 */
	struct rusage ru;
	int peak_rss_kb;
	int sampled_kb;			/* the group's RSS in the current sample */
	char cgroup[600];		/* its cgroup directory, "" when sampled */
	int fail_reason;		/* enum fail_reason; set on start failures and kills */
	char message[2048];
	bool script;			/* runs joblet_started through `jobgrid script` */
	int reply_fd;			/* when script: the memfd its reply is written to */
	bool exited, start_failed, why_kill_time, why_kill_ram, why_kill_cancel, why_kill_stop;
	bool not_started;		/* handed out as the worker began to stop: never run */
	bool finished;			/* ended: its report waits for its output, then for the
					 * server's answer */
	bool reporting;			/* a finish for it is in flight */
	bool report_alone;		/* a reserve carrying its report was refused: it goes on
					 * its own, where a refusal names it */
	char report_refused[700];	/* the server refused its report (4xx): why; a short
					 * report saying so goes once instead */
	struct run *next;
};

/* Start cmd for r (fields filled by the caller). Returns 0; on a start failure r->finished
 * is set at once with fail_reason cwd or start. */
int exec_start(struct run *r, const char *cmd, const char *cwd, json_t *env);
/* The same for a joblet of a script job: `jobgrid script` runs joblet_started on request
 * (a JSON text, see src/script/script.h); its error and traceback become the message. */
int exec_start_script(struct run *r, const char *request, const char *cwd, json_t *env);
/* Signal the process group: TERM now, KILL after the grace period (the whole cgroup). */
void exec_kill(struct run *r);
/* Reap children (SIGCHLD); finished runs are handed to worker_run_done. */
void exec_reap(struct worker *w);
/* End every joblet still running now: SIGKILL to its process group and cgroup, again until
 * each is reaped or wait_ms passed (one still there is logged), and build the results of
 * all that ended (worker_run_done). A worker calls it before it exits, on every path. */
void exec_end_all(struct worker *w, int64_t wait_ms);
/* Sample the RSS of running joblets' groups (memory.current of their cgroups); kill those
 * over their RAM limit (the kernel does it for cgroups); remove cgroups left busy. */
void exec_sample(struct worker *w);
void exec_free(struct run *r);
/* At exit: remove the joblet cgroups left busy, waiting up to wait_ms for their processes
 * to go (the ones that stay are logged), then what cgroup_setup made. */
void exec_cgroups_cleanup(struct worker *w, int64_t wait_ms);

/* ---- output to the server (spool.c) ------------------------------------------------- */

/* Send r's next chunk if one is due and none is in flight. tick: also a tail of lines
 * shorter than a chunk (the flush timer's call; a joblet that ended sends all it has). */
void spool_pump(struct worker *w, struct run *r, bool tick);
void spool_flush(struct worker *w);	/* spool_pump with tick for every run */

/* ---- HTTP over curl multi on the loop (http.c) -------------------------------------- */

/* reply: parsed JSON or NULL; rc: CURLcode; status: HTTP status (0 on no reply). */
typedef void (*http_done_cb)(struct worker *w, int rc, long status, json_t *reply, void *arg);
void http_init(struct worker *w);
void http_free(struct worker *w);
/* POST body (not stolen) to the current server + path. cb always runs once, unless the
 * worker exits first; then arg_free (if not NULL) releases arg. */
void http_post(struct worker *w, const char *path, json_t *body, http_done_cb cb, void *arg,
	       void (*arg_free)(void *));
/* The same with len bytes of data (taken: malloc'd) as application/octet-stream. */
void http_post_bytes(struct worker *w, const char *path, char *data, size_t len,
		     http_done_cb cb, void *arg, void (*arg_free)(void *));

/* ---- the agent (worker.c) ----------------------------------------------------------- */

struct worker {
	struct event_base *base;
	char **urls;			/* owned list of server URLs */
	struct trust *trusts;		/* owned: how each of urls is trusted (tls/trust.h) */
	int nurls, cur_url;
	char *name, *tags;		/* owned; tags JSON text or NULL */
	int32_t cores, ram_mb, gpus;
	int64_t grace_ms, idle_exit_ms, last_busy_mono;
	char id[32];			/* "" until registered */
	char instance[40];		/* random hex: tells the server it is this process again */
	unsigned reg_gen;		/* counts registrations: replies to an older one are stale */
	int64_t refused_logged_mono;	/* when a refused registration was last logged, or 0 */
	int64_t heartbeat_ms;
	bool registering, reserving, stopping, draining, leaving;
	bool stop_polling;		/* a stopping worker's poll is in flight */
	bool withdraw;			/* stopping with a poll parked at the server: replace it */
	bool exiting;			/* past the loop: nothing more is sent */
	bool refused;			/* the server refused to register it (4xx):
					 * WORKER_REFUSED */
	int64_t backoff_ms;
	struct run *runs;		/* owned list: running and finished-unreported */
	struct event *sigchld_ev, *sigterm_ev, *sigint_ev, *heartbeat_ev, *retry_ev, *flush_ev,
		*idle_ev, *stop_ev, *report_ev, *sample_ev, *leave_ev;
	struct cgroup_base cg;		/* RAM by cgroup (v2 or v1) when cg.usable, else by
					 * sampling */
	char ram_method[16];		/* --ram-method: "", auto, cgroup or sampling */
	struct cg_leftover {		/* a joblet cgroup not yet removable (busy) */
		char *path;		/* owned */
		int tries;
	} *cg_leftover;			/* owned array */
	size_t ncg_leftover;
	int64_t reserve_sent_mono;	/* when the reserve in flight was sent */
	int32_t reserve_max;		/* how many joblets it asked for */
	bool queue_dry;			/* the last reserve got fewer than it asked for */
	int64_t kill_deadline_mono;	/* stopping: SIGKILL and reap what is left by then */
	int64_t stop_deadline_mono;	/* stopping: exit by then, reported or not */
	CURLM *multi;
	struct event *curl_timer;
	int inflight;
	struct xfer *xfers;		/* transfers in flight (http.c) */
	bool have_bash;
	char *spool_dir;		/* owned: --spool, where output waits to be sent */
	bool run_as_owner;		/* --run-as-owner: joblets run as their owner's account */
	char *user;			/* owned: the worker's own account name ("uid N" if none) */
	char *auth_header;		/* owned: "Authorization: Bearer …", or NULL */
};

void worker_run_done(struct worker *w, struct run *r);	/* exec.c → agent */
struct run *worker_find_run(struct worker *w, int64_t attempt);	/* NULL: not (any more) */
void worker_kick(struct worker *w);			/* reserve or report as needed */
#endif
