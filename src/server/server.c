/* The server: start-up (checking its configuration) and recovery, the loop's flush (group
 * commit) and timers, drain and shutdown. */
#include "server/server.h"
#include "server/stop-backup.h"
#include "server/history.h"
#include "server/trim.h"
#include "server/prune.h"
#include "server/options.h"
#include "server/batch.h"
#include "server/child.h"
#include "server/listen.h"
#include "tls/tls.h"
#include "server/local-registry.h"
#include "server/identity.h"
#include "server/local-workers.h"
#include "server/spawn.h"
#include "server/standby.h"
#include "server/network.h"
#include "server/persist.h"
#include "server/registry.h"
#include "server/scripts.h"
#include "store/store.h"
#include "base/clock.h"
#include "base/dirlock.h"
#include "base/intern.h"
#include "base/log.h"
#include "base/srvurl.h"
#include "base/xalloc.h"
#ifdef JG_TEST_FAULTS
#include "store/store-faulty.h"
#endif
#include <errno.h>
#include <event2/thread.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>


int64_t server_now(const struct server *srv)
{
	return srv->test_clock_ms ? srv->test_clock_ms : clock_wall_ms();
}

bool server_test_clock(const struct server *srv)
{
	return srv->test_clock_ms != 0;
}

void server_mark_dirty(struct server *srv)
{
	/* Same priority as I/O, queued behind the callbacks of this turn: every request
	 * read in this turn lands in the batch before it is handed over. */
	if (!srv->flush_armed) {
		srv->flush_armed = true;
		event_active(srv->flush_ev, EV_TIMEOUT, 0);
	}
}

/* ---- timers ------------------------------------------------------------------------ */

static void arm_tick(struct server *srv, int64_t next_wall, int64_t next_mono)
{
	int64_t now = server_now(srv), mono = clock_mono_ms();
	int64_t wait = 60000;
	/* A test clock stands still between moves, and a move runs what falls due itself:
	 * waiting for a wall deadline would only spin. */
	if (next_wall && !server_test_clock(srv) && next_wall - now < wait)
		wait = next_wall - now;
	if (next_mono && next_mono - mono < wait)
		wait = next_mono - mono;
	if (wait < 1)
		wait = 1;
	struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
	event_add(srv->tick_ev, &tv);
}

/* What is due at the server's time: the scheduler's timers, then the job networks'.
 * Returns the next wall time something is due (0 = none); *next_mono for leases. */
static int64_t due_work(struct server *srv, int64_t *next_mono)
{
	int64_t next_wall = sched_tick(&srv->sched, server_now(srv), clock_mono_ms(), next_mono);
	int64_t net = network_tick(srv);
	if (net != INT64_MAX && (next_wall == 0 || net < next_wall))
		next_wall = net;
	return next_wall;
}

static void run_tick(struct server *srv)
{
	int64_t next_mono;
	int64_t next_wall = due_work(srv, &next_mono);
	arm_tick(srv, next_wall, next_mono);
	if (srv->sched.kills_pending) {
		/* A timeslot ended: answer the parked polls now, they carry the kill list. */
		srv->sched.kills_pending = false;
		srv->face->kills(srv);
	}
	if (srv->sched.wake_workers) {
		/* A gate opened, a limit rose, a preference expired: offer it this turn. */
		srv->sched.wake_workers = false;
		srv->offer_parked = true;
		server_mark_dirty(srv);
	}
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	run_tick(arg);
}

void server_clock_move(struct server *srv, int64_t to)
{
	/* Step through every deadline on the way, so three days of timeslots open and close
	 * three times, in order, instead of once at the end. */
	for (int guard = 0; guard < 1000000; guard++) {
		int64_t next_mono, next = due_work(srv, &next_mono);
		if (next == 0 || next > to || next <= srv->test_clock_ms)
			break;
		srv->test_clock_ms = next;
	}
	srv->test_clock_ms = to;
	run_tick(srv);
}

void server_tick_now(struct server *srv)
{
	run_tick(srv);
}

/* ---- group commit ------------------------------------------------------------------ */

/* The buckets of /metrics' histograms: a reserve takes microseconds, a commit (an fsync)
 * milliseconds, and a batch holds one record to many thousands. */
static const double reserve_bounds[] = {1e-6, 2.5e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4,
					2.5e-4, 5e-4, 1e-3, 5e-3, 2.5e-2};
static const double commit_bounds[] = {2.5e-4, 5e-4, 1e-3, 2.5e-3, 5e-3, 1e-2, 2.5e-2,
				       5e-2, 0.1, 0.25, 0.5, 1, 2.5};
static const double batch_bounds[] = {1, 2, 5, 10, 25, 50, 100, 250, 1000, 5000, 25000,
				      100000};
#define NBOUNDS(a) ((int)(sizeof(a) / sizeof(a)[0]))

static void metrics_init(struct server *srv)
{
	hist_init(&srv->reserve_s, reserve_bounds, NBOUNDS(reserve_bounds));
	hist_init(&srv->commit_s, commit_bounds, NBOUNDS(commit_bounds));
	hist_init(&srv->batch_recs, batch_bounds, NBOUNDS(batch_bounds));
}

/* The batches in the store, oldest first: a deposed leader whose database stops
 * answering answers their requests itself (give_up_store). */
static void inflight_append(struct server *srv, struct batch *b)
{
	struct batch **p = &srv->inflight_head;
	while (*p)
		p = &(*p)->inflight_next;
	b->inflight_next = NULL;
	*p = b;
}

static void inflight_remove(struct server *srv, struct batch *b)
{
	for (struct batch **p = &srv->inflight_head; *p; p = &(*p)->inflight_next)
		if (*p == b) {
			*p = b->inflight_next;
			b->inflight_next = NULL;
			return;
		}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	srv->flush_armed = false;
	run_tick(srv);	/* due timers first, so what they make ready is offered below */
	if (srv->offer_parked) {
		srv->offer_parked = false;
		srv->face->offer(srv);
	}
	struct batch *b = srv->cur;
	if (b == NULL)
		return;
	if (b->sb.n == 0) {
		/* Only replies: they wait for whatever is still being committed. */
		if (srv->last_sent)
			batch_move_replies(b, srv->last_sent);
		batch_send_replies(b, false);
		if (b->events)
			srv->face->publish(srv, b->events, b->event_ids);
		srv->cur = NULL;
		batch_recycle(srv, b);
		return;
	}
	persist_events_prune(srv);
	srv->cur = NULL;
	srv->last_sent = b;
	srv->inflight++;
	inflight_append(srv, b);
	srv->submitted++;
	b->sb.user = b;
	b->submitted_us = clock_mono_us();
	srv->store->vt->submit(srv->store, &b->sb);
}

static void on_committed(void *arg, struct store_batch *sb)
{
	struct server *srv = arg;
	struct batch *b = sb->user;
	srv->inflight--;
	inflight_remove(srv, b);
	if (srv->last_sent == b)
		srv->last_sent = NULL;
	if (sb->failed) {
		/* Not committed (the store found this server deposed): nothing of it may be
		 * said to have happened. The store called server_step_down already. */
		batch_send_replies(b, true);
		batch_recycle(srv, b);
		server_check_drained(srv);
		return;
	}
	srv->commits++;
	srv->committed_recs += b->sb.n;
	hist_observe(&srv->commit_s, (double)(clock_mono_us() - b->submitted_us) / 1e6);
	hist_observe(&srv->batch_recs, (double)b->sb.n);
	batch_send_replies(b, false);
	if (b->events)
		srv->face->publish(srv, b->events, b->event_ids);
	srv->face->committed(srv);
	trim_committed(srv);
	/* Rows of a removed job are left: the next slice in the next batch, so that the
	 * writer's queue holds one slice and other replies wait for one at most (store.h).
	 * A stopping server leaves them to the next load. */
	if (b->sb.removal_left && !srv->stopping) {
		store_batch_add(&server_batch(srv)->sb, REC_JOB_DEL_MORE);
		server_mark_dirty(srv);
	}
	/* The jobs it removed: their records are written, they are freed a slice per turn. */
	trim_removed(srv, b->graveyard, b->ngrave);
	b->ngrave = 0;
	batch_recycle(srv, b);
	server_check_drained(srv);
}

/* ---- jobs by id -------------------------------------------------------------------- */

struct job *server_find_job(struct server *srv, const char *id, int32_t *idx_out)
{
	struct job_ref ref;
	if (idx_out)
		*idx_out = -1;
	if (job_ref_parse(id, &ref) || (ref.index >= 0 && idx_out == NULL))
		return NULL;
	struct job *j = server_job(srv, ref.seq);
	if (j == NULL)
		return NULL;
	if (memchr(id, '.', ref.id_len)) {	/* the full id must be this job's */
		char full[512];
		job_id(j, full, sizeof full);
		if (strlen(full) != ref.id_len || strncmp(full, id, ref.id_len) != 0)
			return NULL;
	}
	if (ref.index >= j->njoblets)
		return NULL;
	if (idx_out)
		*idx_out = ref.index;
	return j;
}

/* ---- drain and shutdown ------------------------------------------------------------ */

static int64_t running_attempts(const struct server *srv)
{
	int64_t n = 0;
	for (size_t i = 0; i < srv->sched.leases.len; i++)
		n += ((struct worker *)srv->sched.leases.items[i])->nrunning;
	return n;
}

static bool workers_told(const struct server *srv)
{
	for (size_t i = 0; i < srv->sched.leases.len; i++) {
		const struct worker *w = srv->sched.leases.items[i];
		if (!w->placeholder && !w->told_drain)
			return false;
	}
	return true;
}

static void on_drain_deadline(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	srv->drain_deadline_mono = 0;	/* due now, whatever the clocks' rounding */
	server_check_drained(srv);
}

void server_drain_started(struct server *srv)
{
	spawn_drain(srv);
	int64_t wait = 2 * srv->heartbeat_ms + 1000;
	srv->drain_deadline_mono = clock_mono_ms() + wait;
	struct timeval tv = {(time_t)(wait / 1000), (suseconds_t)(wait % 1000) * 1000};
	evtimer_add(srv->drain_ev, &tv);
}

void server_check_drained(struct server *srv)
{
	if (!srv->draining || srv->stopping || running_attempts(srv) > 0)
		return;
	if (workers_told(srv))
		server_shutdown(srv, "drained: no joblet runs and every worker knows");
	else if (clock_mono_ms() >= srv->drain_deadline_mono)
		server_shutdown(srv, "drained: no joblet runs (some workers did not call in)");
}

static void on_stop_step(evutil_socket_t fd, short what, void *arg);

/* Deposed, with batches the database has not confirmed after a lease: it does not answer
 * (a partition from it), and the writer would wait for it without end. Their requests
 * are answered 503 not_leader now — whatever the database does with them, the fence keeps
 * it from committing under this epoch, and a client that resends with its key to the new
 * leader is answered from what was committed — and the server starts again as a standby
 * without closing the store. */
static void give_up_store(struct server *srv)
{
	int n = 0;
	for (struct batch *b = srv->inflight_head; b; b = b->inflight_next, n++)
		batch_send_replies(b, true);
	if (srv->cur)
		batch_send_replies(srv->cur, true);
	srv->store_abandoned = true;
	log_warn("the database has not confirmed %d batch%s a lease after this server was"
		 " deposed: their requests are answered 503 not_leader, and the server starts"
		 " again without waiting for it", n, n == 1 ? "" : "es");
}

/* Shutdown runs in phases on the loop: stop local workers (they report their joblets as
 * they go), wait for them or 10 s, commit what is left, then leave the loop. */
void server_shutdown(struct server *srv, const char *why)
{
	if (srv->stopping)
		return;
	srv->stopping = true;
	srv->stop_began_mono = clock_mono_ms();
	log_info("shutting down: %s", why);
	local_workers_stop(srv);
	spawn_stop(srv);
	srv->stop_phase = 0;
	struct timeval tv = {0, 50000};
	event_add(srv->stop_ev, &tv);
}

static void on_stop_step(evutil_socket_t fd, short what, void *arg)
{
	struct server *srv = arg;
	struct timeval tv = {0, 50000};
	srv->stop_phase++;
	if (srv->stepping_down && !srv->store_abandoned && (srv->inflight || srv->cur) &&
	    clock_mono_ms() - srv->stop_began_mono >= srv->lead_lease_ms)
		give_up_store(srv);
	if (srv->store_abandoned) {
		if (!srv->stop_flushed) {	/* a turn to write the 503s, as below */
			srv->stop_flushed = true;
			event_add(srv->stop_ev, &tv);
			return;
		}
		event_base_loopexit(srv->base, NULL);
		return;
	}
	if ((!local_workers_all_exited(srv) || !spawn_all_exited(srv)) && srv->stop_phase < 200) {
		event_add(srv->stop_ev, &tv);
		return;
	}
	if (srv->cur || srv->inflight) {
		srv->stop_flushed = false;
		if (srv->stop_phase < 400) {
			event_add(srv->stop_ev, &tv);
			return;
		}
	}
	/* The replies the last commit released are written when their sockets are next
	 * writable, a loop turn later: one more step, or a worker misses the answer to its
	 * last report and keeps calling a server that is gone. */
	if (!srv->stop_flushed) {
		srv->stop_flushed = true;
		event_add(srv->stop_ev, &tv);
		return;
	}
	event_base_loopexit(srv->base, NULL);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct server *srv = arg;
	srv->stepping_down = false;	/* stopping was asked for: no restart as a standby */
	server_shutdown(srv, sig == SIGINT ? "SIGINT" : sig == SIGHUP ? "SIGHUP (its terminal closed)"
							 : "SIGTERM");
}

static void on_sigchld(evutil_socket_t sig, short what, void *arg)
{
	local_workers_reap(arg);
}

static void on_prune(evutil_socket_t fd, short what, void *arg)
{
	persist_idem_prune(arg, clock_wall_ms() - 24LL * 3600 * 1000);
}

/* ---- start-up ---------------------------------------------------------------------- */

/* The loop's timers and signals, before anything is served: a standby stops on SIGTERM
 * as a leader does. The prune timer waits for the store (idem_prune_start). */
static void make_events(struct server *srv)
{
	srv->tick_ev = evtimer_new(srv->base, on_tick, srv);
	srv->stop_ev = evtimer_new(srv->base, on_stop_step, srv);
	srv->drain_ev = evtimer_new(srv->base, on_drain_deadline, srv);
	srv->sigterm_ev = evsignal_new(srv->base, SIGTERM, on_signal, srv);
	srv->sigint_ev = evsignal_new(srv->base, SIGINT, on_signal, srv);
	/* A closed terminal stops the server cleanly, its local workers with it: they are in
	 * a session of their own and would otherwise run on without a server. */
	srv->sighup_ev = evsignal_new(srv->base, SIGHUP, on_signal, srv);
	srv->sigchld_ev = evsignal_new(srv->base, SIGCHLD, on_sigchld, srv);
	event_add(srv->sigterm_ev, NULL);
	event_add(srv->sigint_ev, NULL);
	event_add(srv->sighup_ev, NULL);
	event_add(srv->sigchld_ev, NULL);
}

static void idem_prune_start(struct server *srv)
{
	struct timeval pr = {600, 0};
	srv->prune_ev = event_new(srv->base, -1, EV_PERSIST, on_prune, srv);
	event_add(srv->prune_ev, &pr);
}

/* Room for max_connections clients besides the store, children and logs: the soft limit
 * up to the hard one, the hard one too when allowed (root); said when still short. */
static void raise_nofile(int32_t max_connections)
{
	struct rlimit rl;
	rlim_t want = (rlim_t)max_connections + 256;
	if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit more = {want, want};
		if (setrlimit(RLIMIT_NOFILE, &more) == 0)
			return;
	}
	if (rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want)
		log_warn("open files are limited to %llu (ulimit -n): fewer than the %d clients of"
			 " --max-connections may connect at once", (unsigned long long)rl.rlim_cur,
			 max_connections);
}

enum { STORE_SQLITE, STORE_POSTGRES };
/* Which backend --store names: STORE_SQLITE for none or "sqlite", STORE_POSTGRES for a
 * libpq URL or keyword string, -1 for anything else (a "sqlite:PATH" too: the SQLite store
 * is the one in --data DIR, and a path given elsewhere would be silently ignored). */
static int store_kind(const char *store)
{
	if (store == NULL || strcmp(store, "sqlite") == 0)
		return STORE_SQLITE;
	if (strncmp(store, "postgres://", 11) == 0 || strncmp(store, "postgresql://", 13) == 0 ||
	    (strchr(store, '=') && strncmp(store, "sqlite:", 7) != 0))
		return STORE_POSTGRES;
	return -1;
}

/* The data directory (the socket, server.url, DATA/tls) held as the SQLite store holds it:
 * one server per directory. 0, or -1 with *err. */
static int hold_data_dir(struct server *srv, const struct server_config *o, char **err)
{
	char *why = NULL;
	if (mkdir(o->data, 0700) != 0 && errno != EEXIST) {
		*err = xasprintf("cannot create data directory %s: %s", o->data, strerror(errno));
		return -1;
	}
	srv->datalock = dirlock_take(o->data, "jobgrid.lock", &why);
	if (srv->datalock == NULL) {
		*err = xasprintf("data directory %s: %s", o->data, why);
		free(why);
		return -1;
	}
	return 0;
}

/* The PostgreSQL store of --store, fenced by the epoch this server holds. Opening it
 * without a fence first creates or migrates the schema (jg_leader among it) for the
 * lease. 0, or -1 with *err. */
static int open_postgres(struct server *srv, const char *conninfo, const struct pg_fence *fence,
			 char **err)
{
	char *why = NULL;
	srv->store = store_postgres_open(conninfo, fence, &why);
	if (srv->store == NULL) {
		*err = xasprintf("--store: cannot open the PostgreSQL store: %s", why);
		free(why);
		return -1;
	}
	return 0;
}

/* The checks of cfg that argv cannot make, said on stderr as `jobgrid server` always did;
 * *ai gets --listen resolved (freeaddrinfo), *tls the context of --tls-cert/--tls-key
 * (checked now, before the data directory is touched). 0 or -1. */
static int check_config(const struct server_config *o, struct addrinfo **ai, SSL_CTX **tls,
			char fp[TLS_FP_LEN])
{
	if (o->local_workers == 0 && (o->local_cores >= 0 || o->local_ram_mb >= 0 || o->local_gpus >= 0)) {
		fprintf(stderr, "jobgrid server: --local-worker-cores, --local-worker-ram and"
				" --local-worker-gpus size the workers of --local-workers N (N > 0)\n");
		return -1;
	}
	if (o->spawn == NULL && (o->nspawn_opts > 0)) {
		fprintf(stderr, "jobgrid server: --spawn-opt passes arguments to the spawner of"
				" --spawn slurm: give --spawn too\n");
		return -1;
	}
	if (o->spawn && o->nspawn_opts > 0 && strcmp(o->spawn, "slurm") != 0) {
		fprintf(stderr, "jobgrid server: --spawn-opt: only --spawn slurm takes extra"
				" arguments (for sbatch), not --spawn %s\n", o->spawn);
		return -1;
	}
	if (store_kind(o->store) < 0) {
		fprintf(stderr, "jobgrid server: --store: '%s' is neither sqlite (the store in --data"
				" DIR, the default) nor a PostgreSQL database (postgres://USER@HOST:PORT/DB,"
				" postgresql://... or libpq's 'host=... dbname=...')\n", o->store);
		return -1;
	}
	if ((o->advertise || o->leader_lease_ms) && store_kind(o->store) != STORE_POSTGRES) {
		fprintf(stderr, "jobgrid server: %s: only servers sharing a PostgreSQL store"
				" (--store postgres://...) elect a leader\n",
			o->advertise ? "--advertise" : "--leader-lease");
		return -1;
	}
	const char *bad_url = o->advertise ? srvurl_check(o->advertise) : NULL;
	if (o->advertise && (bad_url || srvurl_unix_path(o->advertise))) {
		fprintf(stderr, "jobgrid server: --advertise: the http(s)://HOST:PORT other servers'"
				" clients and workers reach this one at: %s, got '%s'\n",
			bad_url ? bad_url : "not a unix: socket", o->advertise);
		return -1;
	}
	if (o->backup_dir && store_kind(o->store) == STORE_POSTGRES) {
		fprintf(stderr, "jobgrid server: --backup-on-stop copies the SQLite store; a"
				" PostgreSQL store is backed up with pg_dump (docs/SCALE.md)\n");
		return -1;
	}
	if (o->heartbeat_ms < 100 || o->lease_ms < 2 * o->heartbeat_ms) {
		fprintf(stderr, "jobgrid server: --lease must be at least twice --heartbeat (>= 100ms)\n");
		return -1;
	}
	char *err = NULL;
	struct listen_policy policy = {o->tls || o->tls_cert, o->auth, o->insecure_no_tls};
	if (listen_resolve(o->listen, false, &policy, ai, &err)) {
		fprintf(stderr, "jobgrid server: %s\n", err);
		free(err);
		return -1;
	}
	if (o->tls_cert &&
	    (*tls = tls_server_ctx(o->tls_cert, o->tls_key, "--tls-cert", "--tls-key", fp, &err)) == NULL) {
		fprintf(stderr, "jobgrid server: %s\n", err);
		free(err);
		freeaddrinfo(*ai);
		*ai = NULL;
		return -1;
	}
	return 0;
}

/* --tls: the own CA and certificate in DATA/tls (made on first start, naming every
 * address served), into srv->tls. 0, or -1 with *err. */
static int own_tls(struct server *srv, const char *spec, const char *bound, char **err)
{
	char *dir = xasprintf("%s/tls", srv->data_dir);
	char **sans;
	size_t n = tls_sans_for(spec, bound, &sans);
	int rc = tls_ca_ensure(dir, (const char *const *)sans, n, err);
	tls_sans_free(sans, n);
	if (rc == 0) {
		char *cert = xasprintf("%s/server.pem", dir), *key = xasprintf("%s/server.key", dir);
		srv->tls = tls_server_ctx(cert, key, "server certificate", "server key", srv->tls_fp, err);
		rc = srv->tls ? 0 : -1;
		srv->tls_ca_file = xasprintf("%s/ca.pem", dir);
		free(cert);
		free(key);
	}
	free(dir);
	return rc;
}

void server_config_defaults(struct server_config *cfg, const struct server_face *face)
{
	*cfg = (struct server_config){.listen = "127.0.0.1:7370", .data = "./jobgrid-data",
				      .backup_keep = 7, .history_ms = 3600000,
				      .local_cores = -1, .local_ram_mb = -1, .local_gpus = -1,
				      .spawn_max = 10, .spawn_idle_ms = 60000,
				      .lease_ms = 30000, .heartbeat_ms = 5000, .starve_ms = 60000,
				      .events_window_ms = EVENTS_WINDOW_DEFAULT_MS,
				      .max_connections = 1024, .header_timeout_ms = 10000,
				      .idle_timeout_ms = 120000, .face = face};
}

static void write_url_file(struct server *srv)
{
	char *path = xasprintf("%s/server.url", srv->data_dir), *tmp = xasprintf("%s.tmp", path);
	FILE *f = fopen(tmp, "w");
	/* Clients and scripts find the server here: a failure is worth a line, not a stop. */
	bool ok = f != NULL && fprintf(f, "%s\n", srv->url) > 0;
	if (f != NULL && fclose(f) != 0)
		ok = false;
	if (!ok || rename(tmp, path) != 0)
		log_warn("cannot write %s: %s", path, strerror(errno));
	free(path);
	free(tmp);
}

static void server_free(struct server *srv)
{
	srv->face->closing(srv);
	identity_free(srv);	/* its hasher's last answers go into the last batch */
	char *copy = srv->serving && srv->backup_dir ? stop_backup_begin(srv) : NULL;
	if (srv->cur && srv->cur->sb.n && srv->store) {
		srv->cur->sb.user = srv->cur;
		srv->inflight++;
		srv->store->vt->submit(srv->store, &srv->cur->sb);
		srv->cur = NULL;
	}
	/* Closing the store commits what is queued and hands the batches back, so their
	 * replies and events go out before the HTTP side is torn down. */
	if (srv->store)
		srv->store->vt->close(srv->store);
	srv->store = NULL;
	if (copy)
		stop_backup_finish(srv, copy);
	standby_free(srv);	/* after the last commit: the lease is given up */
	dirlock_release(srv->datalock);
	srv->datalock = NULL;
	prune_free(srv);
	history_free(srv);
	trim_free(srv);
	spawn_free(srv);
	child_calls_free_all(srv);
	srv->face->stop(srv);
	if (srv->cur)
		batch_free(srv->cur);
	if (srv->spare)
		batch_free(srv->spare);
	local_workers_free(srv);
	sched_free(&srv->sched);
	idem_free(&srv->idem);
	scripts_free_all(srv);
	network_free(srv);
	defs_free_all(srv);
	struct event *evs[] = {srv->flush_ev, srv->tick_ev, srv->sigterm_ev,
			       srv->sigint_ev, srv->sighup_ev, srv->sigchld_ev, srv->prune_ev,
			       srv->stop_ev,
			       srv->drain_ev};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	event_base_free(srv->base);
	tls_server_ctx_free(srv->tls);
	free(srv->tls_ca_file);
	free(srv->backup_dir);
	free(srv->advertise);
	free(srv->data_dir);
	free(srv->read_back_err);
	free(srv->url);
	free(srv->unix_url);
	free(srv);
	intern_free_all();
}

/* A start that stopped half way: release what it took, in reverse order. */
static enum server_result start_failed(struct server *srv, int listen_fd, char *bound,
					enum server_result rc)
{
	server_free(srv);
	if (listen_fd >= 0)
		close(listen_fd);
	free(bound);
	return rc;
}

/* What a person starting the server reads: where it is and how to use it. */
static void banner(const struct server *srv, const struct server_config *cfg, bool exposed)
{
	char exe[4096];
	ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	exe[n > 0 ? n : 0] = '\0';
	fprintf(stderr, "jobgrid server is up at %s — API under %s/v1, metrics at %s/metrics\n"
			"  in another terminal:  export JOBGRID_URL=%s\n"
			"  (local accounts, known without a password: JOBGRID_URL=%s)\n"
			"  add a job:            %s add -- echo hello\n"
			"  watch it:             %s status; %s list; %s log ID\n",
		srv->url, srv->url, srv->url, srv->url, srv->unix_url ? srv->unix_url : "-", n > 0 ? exe : "jobgrid", n > 0 ? exe : "jobgrid",
		n > 0 ? exe : "jobgrid", n > 0 ? exe : "jobgrid");
	if (srv->tls)
		fprintf(stderr, "  TLS CA fingerprint:   %s\n"
				"  trust it:             %s login (pins it), or --ca %s/tls/ca.pem\n",
			srv->tls_fp, n > 0 ? exe : "jobgrid", cfg->data);
	if (exposed && srv->tls == NULL)
		fprintf(stderr, "  WARNING: --insecure-no-tls: plain HTTP beyond loopback; anyone on"
				" the network can read and alter this traffic\n");
}

/* Serve on *fd (taken, -1 after) bound at *bound (freed, NULL after): DATA/tls made under
 * the data directory's lock, then the face started. 0, or -1 (logged). */
static int serve(struct server *srv, const struct server_config *o, int *fd, char **bound)
{
	char *err = NULL;
	int rc = 0;
	if (o->tls && srv->tls == NULL && own_tls(srv, o->listen, *bound, &err)) {
		close(*fd);
		rc = -1;
	} else if (srv->face->start(srv, *fd, *bound, &err) != 0) {	/* takes fd */
		rc = -1;
	}
	*fd = -1;
	free(*bound);
	*bound = NULL;
	if (rc) {
		log_error("%s", err);
		free(err);
	}
	return rc;
}

/* A server sharing a PostgreSQL store: hold the data directory, make sure the schema (and
 * its lease row) exists, serve as a standby, and wait for the lease. SERVER_STOPPED with
 * srv->lead_epoch set once taken (or not, when stopped meanwhile); else why it failed. */
static enum server_result standby_phase(struct server *srv, const struct server_config *o,
					int *fd, char **bound)
{
	char *err = NULL;
	if (hold_data_dir(srv, o, &err) || open_postgres(srv, o->store, NULL, &err)) {
		log_error("%s", err);
		free(err);
		return SERVER_FAILED;
	}
	srv->store->vt->close(srv->store);	/* it only made the schema */
	srv->store = NULL;
	if (serve(srv, o, fd, bound))
		return SERVER_FAILED;
	srv->lead_lease_ms = o->leader_lease_ms ? o->leader_lease_ms : LEADER_LEASE_DEFAULT_MS;
	struct server_config with_lease = *o;
	with_lease.leader_lease_ms = srv->lead_lease_ms;
	if (standby_start(srv, &with_lease, &err)) {
		log_error("%s", err);
		free(err);
		return SERVER_FAILED;
	}
	standby_wait(srv);
	return SERVER_STOPPED;
}

enum server_result server_run(const struct server_config *config)
{
	const struct server_config o = *config;
	const struct server_face *face = o.face;
	struct addrinfo *listen_ai = NULL;
	SSL_CTX *tls = NULL;
	char tls_fp[TLS_FP_LEN] = "";
	if (check_config(&o, &listen_ai, &tls, tls_fp))
		return SERVER_BAD_CONFIG;
	bool exposed = listen_exposed(listen_ai);
	log_init("server", LOG_INFO);
	/* Bound before the store opens: a port in use changes nothing on disk. */
	char *err = NULL, *bound = NULL;
	int listen_fd = listen_bind(o.listen, listen_ai, &bound, &err);
	freeaddrinfo(listen_ai);
	if (listen_fd < 0) {
		log_error("%s", err);
		free(err);
		tls_server_ctx_free(tls);
		return SERVER_FAILED;
	}
	signal(SIGPIPE, SIG_IGN);
	raise_nofile(o.max_connections);
	evthread_use_pthreads();
	struct server *srv = xcalloc(1, sizeof *srv);
	srv->face = face;
	srv->lease_ms = o.lease_ms;
	srv->heartbeat_ms = o.heartbeat_ms;
	srv->data_dir = xstrdup(o.data);
	srv->started_mono = clock_mono_ms();
	srv->tls = tls;
	snprintf(srv->tls_fp, sizeof srv->tls_fp, "%s", tls_fp);
	if (o.tls_cert)
		srv->tls_ca_file = xstrdup(o.tls_cert);	/* its chain ends at the CA */
	srv->max_connections = o.max_connections;
	srv->header_timeout_ms = o.header_timeout_ms;
	srv->idle_timeout_ms = o.idle_timeout_ms;
	srv->backup_keep = o.backup_keep;
	if (o.backup_dir && stop_backup_check(o.backup_dir, &err)) {
		log_error("%s", err);
		free(err);
		return start_failed(srv, listen_fd, bound, SERVER_BAD_CONFIG);
	}
	srv->backup_dir = o.backup_dir ? xstrdup(o.backup_dir) : NULL;
	srv->advertise = o.advertise ? xstrdup(o.advertise) : NULL;
	/* The changelist folds the many enable/disable calls evhttp makes per request into
	 * at most one epoll_ctl per descriptor per loop turn. */
	struct event_config *cfg = event_config_new();
	event_config_set_flag(cfg, EVENT_BASE_FLAG_EPOLL_USE_CHANGELIST);
	srv->base = event_base_new_with_config(cfg);
	event_config_free(cfg);
	struct sched_hooks hooks = persist_hooks;
	hooks.ctx = srv;
	sched_init(&srv->sched, &hooks, o.lease_ms);
	srv->sched.starve_ms = o.starve_ms;
	srv->sched.failover_wait_ms = 2 * o.heartbeat_ms;
	idem_init(&srv->idem);
	metrics_init(srv);
	imap_init(&srv->defs);
	srv->test_clock_ms = o.test_clock;
	if (o.config && server_config_read(srv, o.config, &err)) {
		log_error("%s", err);
		free(err);
		return start_failed(srv, listen_fd, bound, SERVER_BAD_CONFIG);
	}
	make_events(srv);
	bool shared = store_kind(o.store) == STORE_POSTGRES;
	if (shared) {
		/* Serve as a standby first (503 not_leader) until this server holds the lease;
		 * only then is the store loaded. */
		enum server_result rc = standby_phase(srv, &o, &listen_fd, &bound);
		if (rc == SERVER_STOPPED && srv->lead_epoch == 0)
			log_info("stopped");
		if (rc != SERVER_STOPPED || srv->lead_epoch == 0)
			return start_failed(srv, listen_fd, bound, rc);
		struct pg_fence fence = standby_fence(srv);
		if (open_postgres(srv, o.store, &fence, &err)) {
			log_error("%s", err);
			free(err);
			return start_failed(srv, listen_fd, bound, SERVER_FAILED);
		}
	} else
		srv->store = store_sqlite_open(o.data, &err);
#ifdef JG_TEST_FAULTS
	srv->store = store_faulty_from_env(srv->store, &err);	/* test builds only */
#endif
	int64_t t0 = clock_mono_us();
	srv->events.window_ms = o.events_window_ms;
	history_recover_before(srv, o.history_ms);
	if (srv->store == NULL || persist_events_load(srv, &err) ||
	    srv->store->vt->load(srv->store, &srv->sched, persist_idem_load, srv, &err) ||
	    history_load_deps(srv, &err) || history_load_tallies(srv, &err) ||
	    srv->store->vt->load_defs(srv->store, defs_load, srv, &err)) {
		log_error("cannot open the store: %s", err);
		free(err);
		return start_failed(srv, listen_fd, bound, SERVER_FAILED);
	}
	/* Re-evaluating gates may change rows: they go in the first batch. */
	srv->flush_ev = event_new(srv->base, -1, 0, on_flush, srv);
	if (identity_start(srv, o.auth, &err)) {
		log_error("cannot start authentication: %s", err);
		free(err);
		return start_failed(srv, listen_fd, bound, SERVER_FAILED);
	}
	sched_load_done(&srv->sched, server_now(srv), clock_mono_ms());
	/* What the load read: the test of a restart with a big finished job reads it. */
	int64_t nread = (int64_t)srv->sched.attempts.len, njoblets = 0;
	for (int64_t seq = 1; seq < srv->sched.next_seq; seq++) {
		const struct job *j = sched_job(&srv->sched, seq);
		njoblets += j ? j->njoblets : 0;
	}
	trim_loaded(srv);
	if (network_start(srv, &err)) {
		log_error("cannot restore the job networks: %s", err);
		free(err);
		return start_failed(srv, listen_fd, bound, SERVER_FAILED);
	}
	log_info("recovered %lld jobs (%lld joblets, %lld attempts read, %lld left in the store)"
		 " and %lld as history (%d ready, %d running) in %.3f s",
		 (long long)srv->sched.njobs, (long long)njoblets, (long long)nread,
		 (long long)srv->sched.load_stored, (long long)srv->sched.nevicted,
		 srv->sched.totals.by_state[JS_READY], srv->sched.totals.by_state[JS_RUNNING],
		 (double)(clock_mono_us() - t0) / 1e6);
	idem_prune_start(srv);
	if (srv->store->vt->start(srv->store, srv->base, on_committed, srv)) {
		log_error("cannot start the store writer: %s", strerror(errno));
		return start_failed(srv, listen_fd, bound, SERVER_FAILED);
	}
	if (!shared && serve(srv, &o, &listen_fd, &bound))
		return start_failed(srv, -1, NULL, SERVER_FAILED);
	/* Local clients find the server here once it serves: a standby is not written. */
	write_url_file(srv);
	if (srv->tls)
		log_info("TLS on: the CA's fingerprint is %s (clients: jobgrid login pins it, or"
			 " --ca FILE)", srv->tls_fp);
	if (exposed && srv->tls == NULL)
		log_warn("--insecure-no-tls: serving plain HTTP beyond loopback: passwords, tokens"
			 " and job output cross the network unencrypted");
	char lease[32], hb[32];
	log_info("listening on %s and %s (data %s, lease %s, heartbeat %s, authentication %s)",
		 srv->url, srv->unix_url ? srv->unix_url : "no socket", o.data,
		 clock_format_duration(o.lease_ms, lease, sizeof lease),
		 clock_format_duration(o.heartbeat_ms, hb, sizeof hb), o.auth ? "on" : "off");
	local_workers_start(srv, o.local_workers, o.local_cores, o.local_ram_mb, o.local_gpus);
	struct spawn_config sc = {o.spawn, o.spawn_max, o.spawn_idle_ms, o.spawn_opts,
				  o.nspawn_opts};
	if (spawn_start(srv, &sc, &err)) {
		log_error("%s", err);
		free(err);
		server_shutdown(srv, "--spawn cannot start");
	}
	/* The banner is for a person at a terminal; JSON lines stay JSON (the lines above
	 * say where the server listens and its fingerprint). */
	if (log_get_format() == LOG_TEXT)
		banner(srv, &o, exposed);
	if (o.retain_ms > 0)
		prune_retention_start(srv, o.retain_ms);
	history_start(srv, o.history_ms);
	run_tick(srv);
	srv->serving = true;
	if (shared)
		standby_serving(srv);
	event_base_dispatch(srv->base);
	enum server_result rc = srv->stepping_down ? SERVER_DEPOSED : SERVER_STOPPED;
	log_info(rc == SERVER_DEPOSED ? "stepped down" : "stopped");
	/* The writer still waits on the database and borrows from the scheduler: nothing is
	 * freed under it; the caller starts the process again at once (exec). */
	if (srv->store_abandoned)
		return rc;
	server_free(srv);
	return rc;
}
