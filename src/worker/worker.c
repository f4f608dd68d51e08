/* The worker agent's protocol with the server (docs/API.md): register, one reserve
 * long-poll at a time carrying finished reports, direct finish reports while a poll is
 * parked, heartbeats, re-registration, and an orderly stop on SIGTERM. Output goes by
 * itself (spool.c); a joblet's report waits until its output is delivered. A report the
 * server refuses with a 4xx is never sent again as it was: a short one saying why goes
 * once instead, so the attempt shows it, and the worker moves on. */
#include "worker/worker.h"
#include "tls/trust.h"
#include "base/clock.h"
#include "base/host.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "core/job.h"
#include <errno.h>
#include <pwd.h>
#include <event2/thread.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define RESERVE_WAIT_MS 20000
#define PARKED_AFTER_MS 50	/* a reserve out this long is parked: report results apart */
#define STOP_REPORT_MS 5000	/* how long a stopping worker tries to report */
#define KILL_REAP_MS 1000	/* after the grace: for the KILL to land and be reaped */
#define LEAVE_WAIT_MS 2000	/* how long an exiting worker waits to say it leaves */

static void do_register(struct worker *w);
static void leave_and_exit(struct worker *w);
static void send_reports(struct worker *w, bool alone);
static void retry_later(struct worker *w);
static void on_sigterm(evutil_socket_t sig, short what, void *arg);

/* ---- resources and bookkeeping ------------------------------------------------------ */

static void used(const struct worker *w, int32_t *c, int32_t *r, int32_t *g)
{
	*c = *r = *g = 0;
	for (struct run *x = w->runs; x; x = x->next) {
		if (x->finished)
			continue;
		*c += x->cores;
		*r += x->ram_mb;
		*g += x->gpus;
	}
}

struct run *worker_find_run(struct worker *w, int64_t attempt)
{
	for (struct run *r = w->runs; r; r = r->next)
		if (r->attempt == attempt)
			return r;
	return NULL;
}

static void drop_run(struct worker *w, struct run *r)
{
	struct run **pp = &w->runs;
	while (*pp && *pp != r)
		pp = &(*pp)->next;
	if (*pp)
		*pp = r->next;
	exec_free(r);
}

static json_t *running_ids(const struct worker *w)
{
	json_t *ids = json_array();
	for (struct run *r = w->runs; r; r = r->next)
		json_array_append_new(ids, json_integer(r->attempt));
	return ids;
}

/* ---- finishing ---------------------------------------------------------------------- */

void worker_run_done(struct worker *w, struct run *r)
{
	r->finished = true;
	spool_close(&r->spool);
	spool_pump(w, r, true);	/* the rest of its output, now */
	w->last_busy_mono = clock_mono_ms();
	worker_kick(w);
}

/* Its report can go: it ended and its output is delivered (or refused). */
static bool reportable(const struct run *r)
{
	return r->finished && !r->reporting && spool_settled(&r->spool);
}

/* r's message and, when its output was refused, why; at most the 4096 bytes a report
 * carries. */
static json_t *report_message(const struct run *r)
{
	char text[4096];
	const char *refusal = r->spool.refusal;
	snprintf(text, sizeof text, "%s%s%s", r->message, r->message[0] && refusal[0] ? "; " : "",
		 refusal);
	return json_string_lossy(text);
}

/* The FINISH of a run (docs/API.md), built anew each time it is sent. After a refusal it
 * is only what cannot be wrong, and says why the full one was refused. */
static json_t *report_of(const struct run *r)
{
	int st = r->status;
	bool has_exit = WIFEXITED(st) && !r->start_failed;
	json_t *exit_code = has_exit ? json_integer(WEXITSTATUS(st)) : json_null();
	if (r->report_refused[0])
		return json_pack("{s:I, s:o, s:s, s:o}", "attempt", (json_int_t)r->attempt,
				 "exit_code", exit_code, "fail_reason",
				 fail_reason_name(r->fail_reason), "message",
				 json_string_lossy(r->report_refused));
	int64_t cpu = (int64_t)r->ru.ru_utime.tv_sec * 1000 + r->ru.ru_utime.tv_usec / 1000 +
		      (int64_t)r->ru.ru_stime.tv_sec * 1000 + r->ru.ru_stime.tv_usec / 1000;
	int64_t wall = r->ended_mono - r->started_mono;
	return json_pack("{s:I, s:o, s:i, s:s, s:I, s:I, s:I, s:i, s:I, s:o, s:b, s:b, s:I, s:I,"
			 " s:s*}",
			 "attempt", (json_int_t)r->attempt, "exit_code", exit_code, "signal",
			 WIFSIGNALED(st) ? WTERMSIG(st) : 0, "fail_reason",
			 fail_reason_name(r->fail_reason), "started_at_ms", (json_int_t)r->started_ms,
			 "ended_at_ms", (json_int_t)r->ended_ms, "wall_ms",
			 (json_int_t)(wall < 0 ? 0 : wall), "peak_ram_mb",
			 (r->peak_rss_kb + 1023) / 1024, "cpu_ms", (json_int_t)cpu, "message",
			 report_message(r), "worker_stop", r->why_kill_stop, "not_started",
			 r->not_started, "output_bytes",
			 (json_int_t)r->spool.len, "output_dropped", (json_int_t)r->spool.dropped,
			 "run_as", r->ran_as);	/* left out when it never started */
}

/* A 4xx to a report: it will never be taken as it is. Once, a short report saying why
 * replaces it (true); after that the run is given up (false). */
static bool report_refused(struct run *r, long status, json_t *reply)
{
	const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"),
							    "message"));
	log_error("attempt %lld: the server refused its report (HTTP %ld): %s%s",
		  (long long)r->attempt, status, msg ? msg : "no reason given",
		  r->report_refused[0] ? "; giving it up" : "; sending a short one instead");
	if (r->report_refused[0])
		return false;
	snprintf(r->report_refused, sizeof r->report_refused,
		 "the worker's report was refused by the server (HTTP %ld): %.500s", status,
		 msg ? msg : "no reason given");
	return true;
}

static void on_finish_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	/* The attempt id rides in the callback's pointer-sized argument. */
	int64_t attempt = (int64_t)(intptr_t)arg;
	struct run *r = worker_find_run(w, attempt);
	if (r == NULL)
		return;
	r->reporting = false;
	if (status == 200 || status == 409 || status == 404) {
		if (status != 200)
			log_warn("attempt %lld: the server refused the result (%ld): %s",
				 (long long)attempt, status,
				 json_string_value(json_object_get(json_object_get(reply, "error"),
								   "message")));
		drop_run(w, r);
	} else if (status >= 400 && status < 500) {
		if (!report_refused(r, status, reply))
			drop_run(w, r);
	} else if (!evtimer_pending(w->retry_ev, NULL)) {
		retry_later(w);	/* the server is away or failing: not in a loop */
		return;
	}
	worker_kick(w);
}

/* While a reserve is parked, finished joblets are reported on their own; alone: only those
 * that must go on their own. */
static void send_reports(struct worker *w, bool alone)
{
	for (struct run *r = w->runs; r; r = r->next) {
		if (!reportable(r) || (alone && !r->report_alone))
			continue;
		char path[64];
		snprintf(path, sizeof path, "/v1/attempts/%lld/finish", (long long)r->attempt);
		json_t *body = report_of(r);
		json_object_del(body, "attempt");
		r->reporting = true;
		http_post(w, path, body, on_finish_reply, (void *)(intptr_t)r->attempt, NULL); // NOLINT(performance-no-int-to-ptr): the id rides in the pointer
		json_decref(body);
	}
}

static void on_flush(evutil_socket_t fd, short what, void *arg)
{
	spool_flush(arg);
}

/* ---- reserving ---------------------------------------------------------------------- */

/* The request for `jobgrid script` running joblet_started here: what the server sent,
 * plus this node's facts (resource.id, its resources and tags). A malloc'd text. */
static char *script_request(const struct worker *w, json_t *script)
{
	json_t *jf = json_deep_copy(json_object_get(script, "joblet_facts"));
	if (!json_is_object(jf)) {
		json_decref(jf);
		jf = json_object();
	}
	json_object_set_new(jf, "resource.id", json_string(w->name));
	json_object_set_new(jf, "resource.cores", json_integer(w->cores));
	json_object_set_new(jf, "resource.ram_mb", json_integer(w->ram_mb));
	json_object_set_new(jf, "resource.gpus", json_integer(w->gpus));
	json_t *tags = w->tags ? json_loads(w->tags, 0, NULL) : NULL, *v;
	const char *k;
	json_object_foreach(tags, k, v) {
		char name[200];
		snprintf(name, sizeof name, "resource.%s", k);
		if (json_object_get(jf, name) == NULL)
			json_object_set(jf, name, v);
	}
	json_decref(tags);
	json_t *req = json_pack("{s:s, s:O, s:O, s:O, s:O, s:[{s:s, s:o}]}", "mode", "worker",
				"chunkname", json_object_get(script, "chunkname"), "script",
				json_object_get(script, "text"), "first_line",
				json_object_get(script, "first_line"), "job_facts",
				json_object_get(script, "job_facts"), "calls", "handler",
				"joblet_started", "joblet_facts", jf);
	char *text = req ? json_dumps(req, JSON_COMPACT) : xstrdup("{}");
	json_decref(req);
	return text;
}

static void start_joblet(struct worker *w, json_t *a)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->w = w;
	r->attempt = json_integer_value(json_object_get(a, "attempt"));
	r->job = xstrdup(json_string_value(json_object_get(a, "job")) ?: "?");
	r->owner = xstrdup(json_string_value(json_object_get(a, "owner")) ?: "");
	r->cwd_default = json_is_true(json_object_get(a, "cwd_default"));
	r->index = (int32_t)json_integer_value(json_object_get(a, "index"));
	r->n = (int32_t)json_integer_value(json_object_get(a, "n"));
	r->retry = (int32_t)json_integer_value(json_object_get(a, "retry"));
	r->maxretry = (int32_t)json_integer_value(json_object_get(a, "maxretry"));
	r->cores = (int32_t)json_integer_value(json_object_get(a, "cores"));
	r->ram_mb = (int32_t)json_integer_value(json_object_get(a, "ram_mb"));
	/* A server of before the limits were apart sends none: its ram_mb was the limit. */
	json_t *limit = json_object_get(a, "ram_limit_mb");
	r->ram_limit_mb = limit ? (int32_t)json_integer_value(limit) : r->ram_mb;
	r->gpus = (int32_t)json_integer_value(json_object_get(a, "gpus"));
	r->time_ms = json_integer_value(json_object_get(a, "time_ms"));
	json_t *olimit = json_object_get(a, "output_limit");
	r->output_limit = json_is_integer(olimit) ? json_integer_value(olimit) : OUTPUT_LIMIT_DEFAULT;
	spool_none(&r->spool);
	r->next = w->runs;
	w->runs = r;
	w->last_busy_mono = clock_mono_ms();
	const char *cwd = json_string_value(json_object_get(a, "cwd")) ?: "/";
	json_t *script = json_object_get(a, "script");
	if (json_is_object(script)) {
		char *req = script_request(w, script);
		exec_start_script(r, req, cwd, json_object_get(a, "env"));
		free(req);
		return;
	}
	exec_start(r, json_string_value(json_object_get(a, "cmd")) ?: "false", cwd,
		   json_object_get(a, "env"));
}

/* A joblet handed out by a poll answered as this worker began to stop: not started, and
 * reported so (not_started), so the server queues it again without spending a retry. */
static void refuse_joblet(struct worker *w, json_t *a)
{
	struct run *r = xcalloc(1, sizeof *r);
	r->w = w;
	r->attempt = json_integer_value(json_object_get(a, "attempt"));
	r->job = xstrdup(json_string_value(json_object_get(a, "job")) ?: "?");
	r->out_fd = r->reply_fd = -1;	/* nothing of a process: none was started */
	spool_none(&r->spool);
	spool_close(&r->spool);	/* no output will come: its report may go at once */
	r->start_failed = r->why_kill_stop = r->not_started = true;
	r->fail_reason = FR_START;
	snprintf(r->message, sizeof r->message, "not started: the worker is stopping");
	r->finished = true;
	r->next = w->runs;
	w->runs = r;
	log_info("attempt %lld (%s): not started, the worker is stopping", (long long)r->attempt,
		 r->job);
}

static void kill_listed(struct worker *w, json_t *ids, bool cancel)
{
	size_t i;
	json_t *v;
	json_array_foreach(ids, i, v) {
		struct run *r = worker_find_run(w, json_integer_value(v));
		if (r == NULL || r->finished)
			continue;
		log_info("stopping attempt %lld: %s", (long long)r->attempt,
			 cancel ? "cancelled" : "no longer ours");
		r->why_kill_cancel = true;
		exec_kill(r);
	}
}

static void retry_later(struct worker *w)
{
	struct timeval tv = {(time_t)(w->backoff_ms / 1000), (suseconds_t)(w->backoff_ms % 1000) * 1000};
	evtimer_add(w->retry_ev, &tv);
	w->backoff_ms = w->backoff_ms * 2 > 2000 ? 2000 : w->backoff_ms * 2;
}

/* The server said it drains: take no more joblets, exit once every one is reported. */
static void note_drain(struct worker *w, json_t *reply)
{
	if (json_is_true(json_object_get(reply, "drain")) && !w->draining) {
		log_info("the server is draining: no more joblets; exiting %s",
			 w->runs ? "once the running ones are reported" : "now");
		w->draining = true;
	}
}

/* The finished runs a poll's reply answered for: the server has them. */
static void drop_reported(struct worker *w, json_t *reply)
{
	size_t i;
	json_t *v;
	json_array_foreach(json_object_get(reply, "results"), i, v) {
		struct run *r = worker_find_run(w, json_integer_value(json_object_get(v, "attempt")));
		if (r && r->finished)
			drop_run(w, r);
	}
}

/* What a poll carried, for its reply. */
struct poll_sent {
	json_t *ids;		/* owned: the attempt ids whose results rode along */
	unsigned gen;		/* the registration it was sent under */
};

static struct poll_sent *poll_sent_new(struct worker *w, json_t *ids)
{
	struct poll_sent *ps = xmalloc(sizeof *ps);
	ps->ids = ids;
	ps->gen = w->reg_gen;
	return ps;
}

static void poll_sent_free(void *arg)
{
	struct poll_sent *ps = arg;
	json_decref(ps->ids);
	free(ps);
}

/* The reply to a poll, normal or a stopping worker's. */
static void poll_replied(struct worker *w, int rc, long status, json_t *reply,
			 struct poll_sent *ps)
{
	json_t *sent = ps->ids;
	size_t i;
	json_t *v;
	if (ps->gen != w->reg_gen) {
		/* Sent under an older registration: the current one has its own poll, and
		 * joblets handed to the old entry are no longer its to run. Results it
		 * answered are applied all the same. */
		if (status == 200)
			drop_reported(w, reply);
		poll_sent_free(ps);
		worker_kick(w);
		return;
	}
	if (status == 200) {
		w->backoff_ms = 100;
		drop_reported(w, reply);
		json_array_foreach(json_object_get(reply, "joblets"), i, v) {
			if (w->stopping)
				refuse_joblet(w, v);
			else
				start_joblet(w, v);
		}
		/* Fewer than asked for, or only after waiting: the queue has nothing more for
		 * us, so the next poll will park; results should not wait for it (a dependency
		 * chain waits on them). */
		w->queue_dry = json_is_true(json_object_get(reply, "parked")) ||
			       json_array_size(json_object_get(reply, "joblets")) < (size_t)w->reserve_max;
		kill_listed(w, json_object_get(reply, "cancel"), true);
		note_drain(w, reply);
	} else {
		json_array_foreach(sent, i, v) {
			struct run *r = worker_find_run(w, json_integer_value(v));
			if (r == NULL)
				continue;
			r->reporting = false;
			/* Refused with the reports it carried: send each on its own, where a
			 * refusal is about that one and is dealt with (on_finish_reply). */
			if (status >= 400 && status < 500 && status != 404)
				r->report_alone = true;
		}
		if (status == 404) {
			w->id[0] = '\0';	/* the server forgot us: register again */
			log_info("the server does not know this worker: registering again");
		} else {
			log_warn("reserve failed (%s %ld); retrying", rc ? curl_easy_strerror(rc) : "status",
				 status);
			poll_sent_free(ps);
			retry_later(w);
			return;
		}
	}
	poll_sent_free(ps);
	worker_kick(w);
}

static void on_reserve_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	w->reserving = false;
	poll_replied(w, rc, status, reply, arg);
}

static void on_stop_poll_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	w->stop_polling = false;
	poll_replied(w, rc, status, reply, arg);
}

/* The finished results not on their way yet, now marked reporting; their ids into sent. */
static json_t *take_finished(struct worker *w, json_t *sent)
{
	json_t *finished = json_array();
	for (struct run *x = w->runs; x; x = x->next) {
		if (reportable(x) && !x->report_alone) {
			json_array_append_new(finished, report_of(x));
			json_array_append_new(sent, json_integer(x->attempt));
			x->reporting = true;
		}
	}
	return finished;
}

/* A stopping worker's poll: max 0, answered at once, carrying the results, and saying it
 * stops. From then on the server hands this worker nothing: it answers a poll of it still
 * parked there (a newer poll replaces an older one) and one that comes later, before any
 * result in this one can free a joblet for them. */
static void stop_poll(struct worker *w)
{
	bool any = false;
	for (struct run *x = w->runs; x; x = x->next)
		any = any || (reportable(x) && !x->report_alone);
	if (w->stop_polling || (!any && !w->withdraw))
		return;
	json_t *sent = json_array(), *finished = take_finished(w, sent);
	w->withdraw = false;
	w->stop_polling = true;
	json_t *body = json_pack("{s:{s:i, s:i, s:i}, s:i, s:i, s:o, s:b}", "free", "cores", 0,
				 "ram_mb", 0, "gpus", 0, "max", 0, "wait_ms", 0, "finished", finished,
				 "stopping", 1);
	char path[96];
	snprintf(path, sizeof path, "/v1/workers/%s/reserve", w->id);
	http_post(w, path, body, on_stop_poll_reply, poll_sent_new(w, sent), poll_sent_free);
	json_decref(body);
}

static void reserve(struct worker *w)
{
	int32_t c, r, g;
	used(w, &c, &r, &g);
	int32_t fc = w->cores - c, fr = w->ram_mb - r, fg = w->gpus - g;
	json_t *sent = json_array(), *finished = take_finished(w, sent);
	bool want = fc > 0 && !w->draining;
	if (!want && json_array_size(finished) == 0) {
		json_decref(finished);
		json_decref(sent);
		return;
	}
	json_t *body = json_pack("{s:{s:i, s:i, s:i}, s:i, s:i, s:o}", "free", "cores",
				 fc < 0 ? 0 : fc, "ram_mb", fr < 0 ? 0 : fr, "gpus", fg < 0 ? 0 : fg,
				 "max", want ? fc : 0, "wait_ms", want ? RESERVE_WAIT_MS : 0,
				 "finished", finished);
	char path[96];
	snprintf(path, sizeof path, "/v1/workers/%s/reserve", w->id);
	w->reserving = true;
	w->reserve_max = want ? fc : 0;
	w->reserve_sent_mono = clock_mono_ms();
	http_post(w, path, body, on_reserve_reply, poll_sent_new(w, sent), poll_sent_free);
	json_decref(body);
}

/* Decide what to send now: register, reserve (with reports), or direct reports; once
 * stopping, only polls that hand out nothing (stop_poll). */
void worker_kick(struct worker *w)
{
	if (w->registering || w->leaving || w->exiting)
		return;
	if (w->draining && w->runs == NULL && !w->stopping) {
		log_info("the server is draining and every joblet of mine is reported: exiting");
		leave_and_exit(w);
		return;
	}
	if (w->id[0] == '\0') {
		if (!evtimer_pending(w->retry_ev, NULL) && !w->refused)
			do_register(w);
		return;
	}
	if (evtimer_pending(w->retry_ev, NULL))
		return;	/* the server is away: wait for the retry */
	send_reports(w, true);
	if (w->stopping) {
		stop_poll(w);
		return;
	}
	if (!w->reserving) {
		reserve(w);
		return;
	}
	/* A reserve answered at once (work is queued) will carry the results in the next
	 * one, saving a request and a commit per joblet; only a parked one needs them sent
	 * apart. */
	int64_t out_ms = clock_mono_ms() - w->reserve_sent_mono;
	if (out_ms >= PARKED_AFTER_MS || w->queue_dry) {
		send_reports(w, false);
	} else if (!evtimer_pending(w->report_ev, NULL)) {
		struct timeval tv = {0, (suseconds_t)(PARKED_AFTER_MS - out_ms) * 1000};
		evtimer_add(w->report_ev, &tv);
	}
}

/* ---- registration and heartbeats ---------------------------------------------------- */

/* A refused registration: a node name in use (409) passes when that worker leaves or its
 * lease ends, and 408/429 are about the moment, so retry, saying so once a minute; anything
 * else is about what the worker says of itself and will never pass: stop as on SIGTERM
 * (ending and reporting what runs) and exit 2. */
static void registration_refused(struct worker *w, long status, json_t *reply)
{
	const char *msg = json_string_value(json_object_get(json_object_get(reply, "error"),
							    "message")) ?: "no reason given";
	int64_t now = clock_mono_ms();
	if (status != 409 && status != 408 && status != 429) {
		log_error("registration refused (%ld): %s; not asking again: exiting", status, msg);
		w->refused = true;
		on_sigterm(SIGTERM, 0, w);
		return;
	}
	if (w->refused_logged_mono == 0 || now - w->refused_logged_mono >= 60000) {
		log_error("registration refused: %s; retrying", msg);
		w->refused_logged_mono = now;
	}
	retry_later(w);
}

static void on_register_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	w->registering = false;
	if (status >= 400 && status < 500) {
		registration_refused(w, status, reply);
		return;
	}
	if (status != 201) {
		log_warn("cannot reach the server at %s (%s); retrying",
			 w->urls[w->cur_url], rc ? curl_easy_strerror(rc) : "bad status");
		retry_later(w);
		return;
	}
	w->refused_logged_mono = 0;
	w->reg_gen++;
	snprintf(w->id, sizeof w->id, "%s", json_string_value(json_object_get(reply, "id")) ?: "");
	int64_t hb = json_integer_value(json_object_get(reply, "heartbeat_ms"));
	w->heartbeat_ms = hb > 0 ? hb : 5000;
	w->backoff_ms = 100;
	struct timeval tv = {(time_t)(w->heartbeat_ms / 1000), (suseconds_t)(w->heartbeat_ms % 1000) * 1000};
	evtimer_add(w->heartbeat_ev, &tv);
	log_info("registered as %s with %s (%zu joblets re-attached)", w->id, w->urls[w->cur_url],
		 json_array_size(json_object_get(reply, "reattached")));
	kill_listed(w, json_object_get(reply, "cancel"), false);
	note_drain(w, reply);
	worker_kick(w);
}

static void do_register(struct worker *w)
{
	json_t *tags = w->tags ? json_loads(w->tags, 0, NULL) : json_object();
	json_t *body = json_pack("{s:s, s:s, s:i, s:i, s:i, s:o, s:o, s:i, s:s, s:s}", "name",
				 w->name, "instance", w->instance, "cores", w->cores, "ram_mb",
				 w->ram_mb, "gpus", w->gpus, "tags", tags, "running",
				 running_ids(w), "pid", (int)getpid(), "ram_method",
				 w->cg.usable ? "cgroup" : "sampling", "ram_method_note", w->cg.note);
	w->registering = true;
	w->reserving = false;
	for (struct run *r = w->runs; r; r = r->next)
		r->reporting = false;
	http_post(w, "/v1/workers", body, on_register_reply, NULL, NULL);
	json_decref(body);
}

static void on_heartbeat_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	/* The registration it was sent under rides in the pointer-sized argument. */
	if ((unsigned)(uintptr_t)arg != w->reg_gen)
		return;	/* a 404 for an id this worker no longer uses */
	if (status == 200) {
		kill_listed(w, json_object_get(reply, "cancel"), true);
		note_drain(w, reply);
		worker_kick(w);
	} else if (status == 404 && w->id[0] && !w->registering) {
		w->id[0] = '\0';
		worker_kick(w);
	}
}

static void on_heartbeat(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->id[0]) {
		char path[96];
		snprintf(path, sizeof path, "/v1/workers/%s/heartbeat", w->id);
		json_t *body = json_pack("{s:o}", "running", running_ids(w));
		http_post(w, path, body, on_heartbeat_reply, (void *)(uintptr_t)w->reg_gen, NULL); // NOLINT(performance-no-int-to-ptr): the generation rides in the pointer
		json_decref(body);
	}
	struct timeval tv = {(time_t)(w->heartbeat_ms / 1000), (suseconds_t)(w->heartbeat_ms % 1000) * 1000};
	evtimer_add(w->heartbeat_ev, &tv);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	worker_kick(arg);
}

static void on_report_timer(evutil_socket_t fd, short what, void *arg)
{
	worker_kick(arg);
}

/* ---- signals and exit --------------------------------------------------------------- */

static void on_sample(evutil_socket_t fd, short what, void *arg)
{
	exec_sample(arg);
}

static void on_sigchld(evutil_socket_t fd, short what, void *arg)
{
	exec_reap(arg);
}

/* While stopping: the joblets get the grace to end after SIGTERM, then whatever is left is
 * killed and reaped here (exec_end_all); the worker exits once every result is
 * acknowledged, or when the time to report them is over. */
static void on_stop_check(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	bool all_ended = true;
	for (struct run *r = w->runs; r; r = r->next)
		all_ended = all_ended && r->finished;
	int64_t now = clock_mono_ms();
	if (!all_ended && now >= w->kill_deadline_mono) {
		log_warn("joblets still running past the grace: killing them (SIGKILL)");
		exec_end_all(w, KILL_REAP_MS);
	}
	/* Done once every result is acknowledged and the polls are answered: one parked
	 * before the stop may still bring a joblet, to be reported not started (else the
	 * server would count it lost). A heartbeat in flight is not waited for. */
	bool done = w->runs == NULL && !w->reserving && !w->stop_polling;
	if (done || now > w->stop_deadline_mono) {
		if (w->runs)
			log_warn("exiting with results unreported (the server did not take them)");
		leave_and_exit(w);
		return;
	}
	struct timeval tv = {0, 50000};
	evtimer_add(w->stop_ev, &tv);
}

static void on_leave_done(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	event_base_loopexit(w->base, NULL);
}

static void on_leave_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	log_warn("the server did not answer that this worker leaves; exiting anyway");
	event_base_loopexit(w->base, NULL);
}

/* Tell the server this worker goes, so its node name is free at once, then leave the
 * loop; a server that does not answer soon is not waited for. */
static void leave_and_exit(struct worker *w)
{
	if (w->leaving)
		return;
	w->leaving = true;
	if (w->id[0] == '\0') {
		event_base_loopexit(w->base, NULL);
		return;
	}
	char path[96];
	snprintf(path, sizeof path, "/v1/workers/%s/leave", w->id);
	json_t *body = json_object();
	http_post(w, path, body, on_leave_done, NULL, NULL);
	json_decref(body);
	struct timeval tv = {LEAVE_WAIT_MS / 1000, (suseconds_t)(LEAVE_WAIT_MS % 1000) * 1000};
	evtimer_add(w->leave_ev, &tv);
}

/* SIGTERM, SIGINT, or idle: stop taking joblets (the poll parked at the server is replaced
 * by one that hands out nothing), end the running ones (TERM, KILL after the grace), report
 * them, exit. A second signal kills them at once. */
static void on_sigterm(evutil_socket_t sig, short what, void *arg)
{
	struct worker *w = arg;
	if (w->stopping) {
		log_info("stopping: second signal, killing the joblets now");
		w->kill_deadline_mono = clock_mono_ms();
		return;
	}
	w->stopping = true;
	w->withdraw = w->reserving;
	log_info("stopping: ending %s joblets and reporting them", w->runs ? "running" : "no");
	for (struct run *r = w->runs; r; r = r->next) {
		if (!r->finished) {
			r->why_kill_stop = true;
			exec_kill(r);
		}
	}
	w->kill_deadline_mono = clock_mono_ms() + w->grace_ms + KILL_REAP_MS;
	w->stop_deadline_mono = w->kill_deadline_mono + STOP_REPORT_MS;
	struct timeval tv = {0, 50000};
	evtimer_add(w->stop_ev, &tv);
	worker_kick(w);
}

static void on_idle(evutil_socket_t fd, short what, void *arg)
{
	struct worker *w = arg;
	if (w->runs == NULL && clock_mono_ms() - w->last_busy_mono >= w->idle_exit_ms) {
		log_info("idle for %lld s: exiting", (long long)w->idle_exit_ms / 1000);
		on_sigterm(SIGTERM, 0, w);
	}
}

static void worker_free(struct worker *w)
{
	/* On the way out already: a further SIGTERM or SIGINT must not cut the clean-up short
	 * (its handlers go with the loop). */
	sigset_t stop;
	sigemptyset(&stop);
	sigaddset(&stop, SIGTERM);
	sigaddset(&stop, SIGINT);
	sigprocmask(SIG_BLOCK, &stop, NULL);
	/* Every path out ends with no joblet process behind (normally none is left here). */
	w->exiting = true;
	exec_end_all(w, 5000);
	while (w->runs)
		drop_run(w, w->runs);
	struct event *evs[] = {w->sigchld_ev, w->sigterm_ev, w->sigint_ev, w->heartbeat_ev,
			       w->retry_ev, w->flush_ev, w->idle_ev, w->stop_ev, w->report_ev,
			       w->sample_ev, w->leave_ev};
	for (size_t i = 0; i < sizeof evs / sizeof evs[0]; i++)
		if (evs[i])
			event_free(evs[i]);
	http_free(w);
	if (w->base)
		event_base_free(w->base);
	for (int i = 0; i < w->nurls; i++) {
		free(w->urls[i]);
		if (w->trusts)
			trust_free(&w->trusts[i]);
	}
	free(w->urls);
	free(w->trusts);
	free(w->name);
	free(w->tags);
	free(w->spool_dir);
	free(w->user);
	if (w->auth_header)
		explicit_bzero(w->auth_header, strlen(w->auth_header));
	free(w->auth_header);
	exec_cgroups_cleanup(w, 2000);
}

/* The name of the account this worker runs as (what its joblets run as without
 * --run-as-owner), or "uid N" when it has none; malloc'd. */
static char *own_account(void)
{
	struct passwd pw, *res = NULL;
	char buf[16384];
	if (getpwuid_r(geteuid(), &pw, buf, sizeof buf, &res) == 0 && res)
		return xstrdup(pw.pw_name);
	return xasprintf("uid %ld", (long)geteuid());
}

/* w's own copies of what cfg says. -1 after logging a CA file or pins file that cannot be
 * used. */
static int configure(struct worker *w, const struct worker_config *cfg)
{
	int rc = 0;
	w->urls = xcalloc((size_t)cfg->nurls, sizeof *w->urls);
	w->trusts = xcalloc((size_t)cfg->nurls, sizeof *w->trusts);
	for (int i = 0; i < cfg->nurls; i++) {
		char *err = NULL;
		w->urls[i] = xstrdup(cfg->urls[i]);
		if (rc == 0 && trust_init(&w->trusts[i], cfg->urls[i], cfg->ca_file,
					  cfg->ca_from ? cfg->ca_from : "--ca", &err) != 0) {
			log_error("%s", err);
			free(err);
			rc = -1;
		}
	}
	w->nurls = cfg->nurls;
	w->name = xstrdup(cfg->name);
	w->cores = cfg->cores;
	w->ram_mb = cfg->ram_mb;
	w->gpus = cfg->gpus;
	w->tags = cfg->tags ? xstrdup(cfg->tags) : NULL;
	w->idle_exit_ms = cfg->idle_exit_ms;
	w->grace_ms = cfg->grace_ms;
	snprintf(w->ram_method, sizeof w->ram_method, "%s", cfg->ram_method ? cfg->ram_method : "");
	w->spool_dir = xstrdup(cfg->spool_dir);
	w->run_as_owner = cfg->run_as_owner;
	w->user = own_account();
	w->auth_header = cfg->token ? xasprintf("Authorization: Bearer %s", cfg->token) : NULL;
	return rc;
}

enum worker_result worker_run(const struct worker_config *cfg)
{
	struct worker w;
	memset(&w, 0, sizeof w);
	log_init("worker", LOG_INFO);
	if (configure(&w, cfg) != 0) {
		worker_free(&w);
		return WORKER_BAD_CONFIG;
	}
	signal(SIGPIPE, SIG_IGN);
	/* Checked before anything is made (the cgroup): only root may become another user,
	 * and a worker that silently ran joblets as itself instead would be worse. */
	if (w.run_as_owner && geteuid() != 0) {
		log_error("--run-as-owner: the worker must run as root to run joblets as their "
			  "owners, and runs as %s (uid %ld)", w.user, (long)geteuid());
		worker_free(&w);
		return WORKER_BAD_CONFIG;
	}
	if (strcmp(w.ram_method, "sampling") == 0)
		snprintf(w.cg.note, sizeof w.cg.note, "chosen with --ram-method sampling");
	else
		cgroup_setup(&w.cg);
	if (strcmp(w.ram_method, "cgroup") == 0 && !w.cg.usable) {
		log_error("--ram-method cgroup: %s", w.cg.note);
		worker_free(&w);
		return WORKER_BAD_CONFIG;
	}
	w.have_bash = access("/bin/bash", X_OK) == 0;
	/* A token only this process sends: its registrations are told apart from another
	 * worker's that uses the same node name. */
	host_random_hex(w.instance, sizeof w.instance, 16);
	w.backoff_ms = 100;
	w.heartbeat_ms = 5000;
	w.last_busy_mono = clock_mono_ms();
	w.base = event_base_new();
	http_init(&w);
	w.sigchld_ev = evsignal_new(w.base, SIGCHLD, on_sigchld, &w);
	w.sigterm_ev = evsignal_new(w.base, SIGTERM, on_sigterm, &w);
	w.sigint_ev = evsignal_new(w.base, SIGINT, on_sigterm, &w);
	w.heartbeat_ev = evtimer_new(w.base, on_heartbeat, &w);
	w.retry_ev = evtimer_new(w.base, on_retry, &w);
	w.report_ev = evtimer_new(w.base, on_report_timer, &w);
	w.stop_ev = evtimer_new(w.base, on_stop_check, &w);
	w.leave_ev = evtimer_new(w.base, on_leave_timeout, &w);
	w.flush_ev = event_new(w.base, -1, EV_PERSIST, on_flush, &w);
	event_add(w.sigchld_ev, NULL);
	event_add(w.sigterm_ev, NULL);
	event_add(w.sigint_ev, NULL);
	struct timeval fl = {0, 200000}, sm = {0, 500000};
	event_add(w.flush_ev, &fl);
	w.sample_ev = event_new(w.base, -1, EV_PERSIST, on_sample, &w);
	event_add(w.sample_ev, &sm);
	if (w.idle_exit_ms) {
		w.idle_ev = event_new(w.base, -1, EV_PERSIST, on_idle, &w);
		struct timeval it = {1, 0};
		event_add(w.idle_ev, &it);
	}
	log_info("worker %s: %d cores, %d MB, %d GPUs, server %s; RAM by %s (%s); output spooled"
		 " in %s; joblets run as %s", w.name, w.cores, w.ram_mb, w.gpus, w.urls[0],
		 w.cg.usable ? "cgroup" : "sampling", w.cg.note, w.spool_dir,
		 w.run_as_owner ? "their owners" : w.user);
	worker_kick(&w);
	event_base_dispatch(w.base);
	worker_free(&w);
	return w.refused ? WORKER_REFUSED : WORKER_DONE;
}
