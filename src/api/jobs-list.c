/* GET /v1/jobs, walked in slices. The scheduler counts its jobs in memory per block of
 * SCHED_BLOCK slots, in all and by state (sched_skip_state, sched_count_state), so the walk
 * skips the blocks that hold no job it may match (none in memory, none in the filtered
 * state), and once the page is full, counts the matches beyond it from those counts when
 * they answer the filter: the caller sees every owner (an admin), and no group, owner or
 * name filter. A page then costs its own blocks, not every job after the cursor. Other
 * filters look at each job of the blocks it goes through, page and count alike: with
 * 10^6 jobs in memory that is tens of milliseconds, so the walk looks at SLICE_SCAN slots
 * and renders SLICE_RENDER jobs per loop turn and goes on in the next (event_active on a
 * deferred event, as server/prune.c does), other requests being served between. A list
 * that fits one slice is answered at once. The page is then a view across those turns:
 * a job that changes meanwhile shows as it was when its slice ran.
 *
 * Finished jobs that left memory (server/history.c) come from the store: the walk keeps
 * the next page of the store's matches (list_jobs, indexed) and, at each seq, takes the
 * job in memory if there is one, else the store's when its page holds that seq. The two
 * are merged in seq order, so the cursor works across them. The store's jobs the page
 * takes are read back together (read_jobs: two queries for the lot, no attempts, which a
 * summary does not show), not one read_job each. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/render.h"
#include "server/server.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <stdio.h>
#include <string.h>

enum { SLICE_SCAN = 16384, SLICE_RENDER = 250, STORED_PAGE = 64 };

struct list_walk {
	struct call *c;			/* kept until the reply */
	struct event *ev;		/* owned: the next slice; NULL while the first runs */
	int st;				/* state filter, -1: any */
	const char *group, *owner;	/* borrowed from the call's query, or NULL */
	const char *name;		/* a part of the name (borrowed), or NULL */
	int64_t seq, step;		/* the next slot, and +1 or -1 */
	long long limit;
	json_t *jobs;			/* owned: the page so far */
	int64_t last, more;
	/* The store's next matches in walk order, from seq on: stored[at..n); the store has
	 * no more once stored_end. Only while some jobs are out of memory. */
	int64_t stored[STORED_PAGE];
	struct job *read[STORED_PAGE];	/* owned: stored[k] read back, or NULL */
	int at, n;
	bool merge;			/* some jobs were out of memory when the list began */
	bool stored_end;
	bool stored_counted;		/* the page is full: the store's matches beyond it are
					 * in more, memory counts only what the store lacks */
};

static bool list_match(const struct job *j, const struct list_walk *w)
{
	return j && principal_owns(&w->c->who, j->owner) && (w->st < 0 || j->state == w->st) &&
	       (!w->group || strcmp(w->group, j->group) == 0) &&
	       (!w->owner || strcmp(w->owner, j->owner) == 0) &&
	       (!w->name || strstr(j->name, w->name) != NULL);
}

/* The store's filter of w: its own, and only the caller's jobs unless an admin. False
 * when it can match nothing the caller may see. */
static bool stored_filter(const struct list_walk *w, struct job_filter *f)
{
	const struct principal *who = &w->c->who;
	*f = (struct job_filter){w->st, w->owner, w->group, w->name};
	if (who->roles & ROLE_ADMIN)
		return true;
	if (f->owner && strcmp(f->owner, who->name) != 0)
		return false;
	f->owner = who->name;
	return true;
}

/* The store's next page of matches from w->seq on into w->stored (after: the seq the page
 * starts past), and the count of those beyond it into *more; more NULL: not counted (a
 * count of up to 10^5 matches costs more than the page's reads). */
static void stored_page(struct list_walk *w, int64_t after, int64_t *more)
{
	struct server *srv = w->c->srv;
	struct job_filter f;
	char *err = NULL;
	int n = 0;
	if (more)
		*more = 0;
	for (int k = 0; k < STORED_PAGE; k++) {
		job_free(w->read[k]);
		w->read[k] = NULL;
	}
	if (stored_filter(w, &f) &&
	    (n = srv->store->vt->list_jobs(srv->store, &f, after, w->step < 0, w->stored,
					   STORED_PAGE, more, &err)) < 0) {
		log_error("listing stored jobs: %s", err);
		free(err);
	}
	w->at = 0;
	w->n = n > 0 ? n : 0;
	w->stored_end = n < STORED_PAGE;
}

/* The store's next match from w->seq on in walk order (reading the next page when
 * needed), or -1 when there is none to take: none left, or they are counted already. */
static int64_t stored_next(struct list_walk *w)
{
	if (!w->merge || w->stored_counted)
		return -1;
	while (w->at < w->n && (w->step > 0 ? w->stored[w->at] < w->seq
					     : w->stored[w->at] > w->seq))
		w->at++;
	if (w->at == w->n && !w->stored_end)
		stored_page(w, w->seq - w->step, NULL);
	return w->at < w->n ? w->stored[w->at] : -1;
}

/* Is w->seq the store's next match? */
static bool stored_here(struct list_walk *w)
{
	return stored_next(w) == w->seq;
}

/* Where the walk goes on from w->seq: past the blocks that hold no job in memory in the
 * filtered state (in any, unfiltered), up to the store's next match while the page takes
 * them. So the walk costs the blocks of the jobs in memory it may match and the page, not
 * every slot (a million jobs out of memory are a thousand blocks). */
static int64_t walk_skip(struct list_walk *w)
{
	const struct sched *s = &w->c->srv->sched;
	int64_t to = sched_skip_state(s, w->seq, (int)w->step, w->st), next = stored_next(w);
	if (next >= 0 && (w->step > 0 ? next < to : next > to))
		to = next;
	return to;
}

/* The page is full: the store's matches beyond it counted at once (indexed), instead of
 * one by one as the walk goes on. */
static void count_stored(struct list_walk *w)
{
	int64_t more;
	w->stored_counted = true;
	stored_page(w, w->last, &more);
	w->more += w->n + more;
}

/* Once the store's matches are counted, a job in memory is counted only if the store
 * lacks it: not finished, or its finished state not committed yet. */
static bool counted_by_store(const struct list_walk *w, const struct job *j)
{
	return w->stored_counted && jl_state_final(j->state) &&
	       j->put_gen <= w->c->srv->commits;
}

/* The store's matches from w->at on that the page may still take, read back in one batch
 * into w->read: those out of memory (a job in memory is taken from there), as many as the
 * page has room for. */
static void read_stored(struct list_walk *w)
{
	struct server *srv = w->c->srv;
	int64_t seqs[STORED_PAGE];
	struct job *got[STORED_PAGE];
	int at[STORED_PAGE], n = 0;
	long long room = w->limit - (long long)json_array_size(w->jobs);
	for (int k = w->at; k < w->n && n < room; k++) {
		if (w->read[k] == NULL && sched_job(&srv->sched, w->stored[k]) == NULL) {
			at[n] = k;
			seqs[n++] = w->stored[k];
		}
	}
	char *err = NULL;
	if (n == 0)
		return;
	if (srv->store->vt->read_jobs(srv->store, seqs, n, got, &err)) {
		log_error("reading jobs %lld..%lld: %s", (long long)seqs[0],
			  (long long)seqs[n - 1], err);
		free(err);
		return;
	}
	for (int i = 0; i < n; i++)
		w->read[at[i]] = got[i];
}

/* The store's job at w->seq matches: rendered from its copy read back (it stays out of
 * memory), or nothing when the store no longer has it. */
static bool take_stored(struct list_walk *w)
{
	struct server *srv = w->c->srv;
	if (w->read[w->at] == NULL)
		read_stored(w);
	struct job *j = w->read[w->at];
	w->read[w->at++] = NULL;
	if (j == NULL)
		return false;
	json_array_append_new(w->jobs, render_job(srv, j, NULL));
	w->last = w->seq;
	job_free(j);
	return true;
}

/* Do the scheduler's counts by block answer how many jobs match beyond the page? Only
 * for a match on state alone, of every owner's jobs, all of them in memory. */
static bool counts_answer(const struct list_walk *w)
{
	return !w->merge && !w->group && !w->owner && !w->name &&
	       (w->c->who.roles & ROLE_ADMIN);
}

/* One slice of the walk: true once it reached the end. */
static bool walk_slice(struct list_walk *w)
{
	struct sched *s = &w->c->srv->sched;
	int64_t scanned = 0, rendered = 0;
	for (; w->seq > 0 && w->seq < s->next_seq; w->seq += w->step) {
		if (scanned++ == SLICE_SCAN || rendered == SLICE_RENDER)
			return false;
		struct job *j = sched_job(s, w->seq);
		if (j == NULL || (w->st >= 0 && j->state != w->st)) {
			w->seq = walk_skip(w);
			if (w->seq <= 0 || w->seq >= s->next_seq)
				break;
			j = sched_job(s, w->seq);
		}
		if (j == NULL && stored_here(w)) {
			if ((long long)json_array_size(w->jobs) == w->limit)
				count_stored(w);	/* this one and those after it */
			else
				rendered += take_stored(w);
			continue;
		}
		if (!list_match(j, w))
			continue;
		if ((long long)json_array_size(w->jobs) == w->limit) {
			if (counts_answer(w)) {	/* this one and those after it */
				w->more = sched_count_state(s, w->seq, (int)w->step, w->st);
				return true;
			}
			if (w->merge && !w->stored_counted)
				count_stored(w);
			w->more += !counted_by_store(w, j);
			continue;
		}
		json_array_append_new(w->jobs, render_job(w->c->srv, j, NULL));
		w->last = w->seq;
		rendered++;
	}
	return true;
}

static void walk_free(struct list_walk *w)
{
	if (w->ev)
		event_free(w->ev);
	for (int k = 0; k < STORED_PAGE; k++)
		job_free(w->read[k]);
	json_decref(w->jobs);
	free(w);
}

static void walk_reply(struct list_walk *w)
{
	char cur[32];
	snprintf(cur, sizeof cur, "%lld", (long long)w->last);
	call_reply(w->c, 200, json_pack("{s:O, s:o, s:I}", "jobs", w->jobs, "next_cursor",
					w->more ? json_string(cur) : json_null(), "more",
					(json_int_t)w->more));
	walk_free(w);
}

static void on_client_close(struct evhttp_connection *evcon, void *arg)
{
	struct list_walk *w = arg;
	/* Answer while the request still exists (the server's stop comes here too). */
	call_error(w->c, ERR_CLIENT_CLOSED, "", "the client left while the list was made");
	walk_free(w);
}

static void on_slice(evutil_socket_t fd, short what, void *arg)
{
	struct list_walk *w = arg;
	if (!walk_slice(w)) {
		event_active(w->ev, EV_TIMEOUT, 0);	/* after what else is due */
		return;
	}
	evhttp_connection_set_closecb(evhttp_request_get_connection(w->c->req), NULL, NULL);
	walk_reply(w);
}

/* GET /v1/jobs: a page of jobs after cursor, oldest first (order=asc, the default) or
 * newest first (order=desc, cursor 0 = from the newest); "more" counts the matching jobs
 * beyond the page, so a client can say how many it did not show. */
void api_jobs_list(struct call *c)
{
	struct sched *s = &c->srv->sched;
	long long limit, cursor;
	const char *state = call_query(c, "state"), *order = call_query(c, "order"),
		   *name = call_query(c, "name");
	int st = -1;
	if (call_query_int(c, "limit", 1, 10000, 100, &limit) ||
	    call_query_int(c, "cursor", 0, INT64_MAX, 0, &cursor))
		return;
	if (name && (name[0] == '\0' || strlen(name) > 200)) {
		call_error(c, ERR_BAD_REQUEST, "name", "name: must be 1..200 characters, got %zu",
			   strlen(name));
		return;
	}
	if (state && (st = jl_state_parse(state)) < 0) {
		call_error(c, ERR_BAD_REQUEST, "state",
			   "state: must be one of waiting, ready, running, done, failed, cancelled,"
			   " skipped; got '%s'", state);
		return;
	}
	if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
		call_error(c, ERR_BAD_REQUEST, "order", "order: must be asc or desc, got '%s'",
			   order);
		return;
	}
	if (cursor > s->next_seq)
		cursor = s->next_seq;	/* past the end: nothing after it (and no overflow) */
	bool desc = order && strcmp(order, "desc") == 0;
	struct list_walk *w = xcalloc(1, sizeof *w);
	*w = (struct list_walk){
		.c = c, .st = st, .group = call_query(c, "group"), .owner = call_query(c, "owner"),
		.name = name,
		.seq = desc ? (cursor > 0 && cursor < s->next_seq ? cursor : s->next_seq) - 1
			    : cursor + 1,
		.step = desc ? -1 : 1, .limit = limit, .jobs = json_array(),
		.merge = s->nevicted > 0};
	if (walk_slice(w)) {
		walk_reply(w);
		return;
	}
	c->kept = true;
	w->ev = event_new(c->srv->base, -1, 0, on_slice, w);
	struct evhttp_connection *evcon = evhttp_request_get_connection(c->req);
	evhttp_connection_set_closecb(evcon, on_client_close, w);
	bufferevent_enable(evhttp_connection_get_bufferevent(evcon), EV_READ);
	event_active(w->ev, EV_TIMEOUT, 0);
}
