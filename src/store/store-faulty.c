/* The fault-injecting store: delegates to an inner store, failing where told (see
 * store-faulty.h). */
#include "store/store-faulty.h"
#include "store/store.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <limits.h>
#include <stdlib.h>
#include <string.h>

struct faulty_store {
	struct store base;
	struct store *inner;	/* owned */
	struct store_faults f;
	long submits, loads;	/* how many batches were submitted, recovery reads made */
};

/* "NAME:N" with N in 1..max into *out; 0, or -1 when item is not NAME with a number. */
static int parse_count(const char *item, size_t len, const char *name, long max, long *out)
{
	size_t n = strlen(name);
	if (len <= n + 1 || strncmp(item, name, n) != 0 || item[n] != ':')
		return -1;
	long v = 0;
	for (size_t i = n + 1; i < len; i++) {
		if (item[i] < '0' || item[i] > '9' || v > max / 10 || v * 10 > max - (item[i] - '0'))
			return -1;	/* not a digit, or past max */
		v = v * 10 + (item[i] - '0');
	}
	if (v < 1)
		return -1;
	*out = v;
	return 0;
}

int store_faults_parse(const char *spec, struct store_faults *f, char **err)
{
	memset(f, 0, sizeof *f);
	for (const char *p = spec;; p++) {
		size_t len = strcspn(p, ",");
		if (len == 5 && strncmp(p, "short", 5) == 0)
			f->short_reads = true;
		else if (parse_count(p, len, "commit", LONG_MAX, &f->commit) != 0 &&
			 parse_count(p, len, "load", 3, &f->load) != 0) {
			*err = xasprintf("JOBGRID_TEST_FAULTS: '%.*s': must be commit:N (N >= 1),"
					 " load:N (N 1..3) or short, joined with commas",
					 (int)(len > 64 ? 64 : len), p);
			return -1;
		}
		p += len;
		if (*p == '\0')
			return 0;
	}
}

static struct store *inner_of(struct store *st)
{
	return ((struct faulty_store *)st)->inner;
}

/* After the inner loader ran: the recovery read that was told to fail fails now. */
static int after_load(struct store *st, int rc, const char *what, char **err)
{
	struct faulty_store *fs = (struct faulty_store *)st;
	if (rc != 0 || ++fs->loads != fs->f.load)
		return rc;
	*err = xasprintf("injected fault: recovery read %ld (%s) failed", fs->loads, what);
	return -1;
}

static int faulty_load(struct store *st, struct sched *s, store_idem_cb idem, void *arg,
		       char **err)
{
	return after_load(st, inner_of(st)->vt->load(inner_of(st), s, idem, arg, err), "jobs", err);
}

static int faulty_load_defs(struct store *st, store_def_cb cb, void *arg, char **err)
{
	return after_load(st, inner_of(st)->vt->load_defs(inner_of(st), cb, arg, err),
			  "definitions", err);
}

static int faulty_load_net(struct store *st, store_net_cb cb, void *arg, char **err)
{
	return after_load(st, inner_of(st)->vt->load_net(inner_of(st), cb, arg, err), "networks",
			  err);
}

static int faulty_read_net(struct store *st, int64_t from, int64_t to, store_net_cb cb,
			   void *arg, char **err)
{
	return inner_of(st)->vt->read_net(inner_of(st), from, to, cb, arg, err);
}

static int faulty_start(struct store *st, struct event_base *base, store_done_cb done,
			void *arg)
{
	return inner_of(st)->vt->start(inner_of(st), base, done, arg);
}

/* The batch that must fail gets a limits row with no name after its own records: the
 * database refuses it (NOT NULL), so the transaction fails after writing real rows. */
static void faulty_submit(struct store *st, struct store_batch *b)
{
	struct faulty_store *fs = (struct faulty_store *)st;
	if (++fs->submits == fs->f.commit) {
		log_warn("store: injected fault: the commit of batch %ld (%zu records) will fail",
			 fs->submits, b->n);
		struct rec_limit *r = &store_batch_add(b, REC_LIMIT)->u.limit;
		r->name = NULL;
		r->limit = 0;
	}
	inner_of(st)->vt->submit(inner_of(st), b);
}

/* A short read: a byte budget of 1 still gives one whole row when any is left. */
static int faulty_read_output(struct store *st, struct output_cursor *c, size_t max_bytes,
			      store_output_cb cb, void *arg)
{
	struct faulty_store *fs = (struct faulty_store *)st;
	return inner_of(st)->vt->read_output(inner_of(st), c, fs->f.short_reads ? 1 : max_bytes,
					     cb, arg);
}

static int64_t faulty_output_last_id(struct store *st)
{
	return inner_of(st)->vt->output_last_id(inner_of(st));
}

static int faulty_backup(struct store *st, const char *path, store_backup_cb cb, void *arg)
{
	return inner_of(st)->vt->backup(inner_of(st), path, cb, arg);
}

static void faulty_close(struct store *st)
{
	inner_of(st)->vt->close(inner_of(st));
	free(st);
}

static int faulty_load_auth(struct store *st, store_user_cb user, store_token_cb token,
			    void *arg, char **err)
{
	return inner_of(st)->vt->load_auth(inner_of(st), user, token, arg, err);
}

static int faulty_read_job(struct store *st, int64_t seq, struct job **out, char **err)
{
	return inner_of(st)->vt->read_job(inner_of(st), seq, out, err);
}

static int faulty_read_jobs(struct store *st, const int64_t *seqs, int n, struct job **out,
			    char **err)
{
	return inner_of(st)->vt->read_jobs(inner_of(st), seqs, n, out, err);
}

static int faulty_read_attempts(struct store *st, int64_t seq, const int32_t *idx, int32_t n,
				struct joblet *page, char **err)
{
	return inner_of(st)->vt->read_attempts(inner_of(st), seq, idx, n, page, err);
}

static int faulty_list_jobs(struct store *st, const struct job_filter *f, int64_t after,
			    bool desc, int64_t *out, int max, int64_t *more, char **err)
{
	return inner_of(st)->vt->list_jobs(inner_of(st), f, after, desc, out, max, more, err);
}

static int faulty_load_events(struct store *st, struct store_events *out, char **err)
{
	return inner_of(st)->vt->load_events(inner_of(st), out, err);
}

static int faulty_read_events(struct store *st, int64_t after, int64_t upto, int max,
			      store_event_cb cb, void *arg)
{
	return inner_of(st)->vt->read_events(inner_of(st), after, upto, max, cb, arg);
}

static int faulty_ended_attempts(struct store *st, int64_t from, int64_t to, store_attempt_cb cb,
				 void *arg, char **err)
{
	return inner_of(st)->vt->ended_attempts(inner_of(st), from, to, cb, arg, err);
}

static const struct store_vt faulty_vt = {
	.load = faulty_load,
	.load_defs = faulty_load_defs,
	.load_net = faulty_load_net,
	.load_auth = faulty_load_auth,
	.read_net = faulty_read_net,
	.read_job = faulty_read_job,
	.read_jobs = faulty_read_jobs,
	.read_attempts = faulty_read_attempts,
	.list_jobs = faulty_list_jobs,
	.load_events = faulty_load_events,
	.read_events = faulty_read_events,
	.ended_attempts = faulty_ended_attempts,
	.start = faulty_start,
	.submit = faulty_submit,
	.read_output = faulty_read_output,
	.output_last_id = faulty_output_last_id,
	.backup = faulty_backup,
	.close = faulty_close,
};

struct store *store_faulty_wrap(struct store *inner, const struct store_faults *f)
{
	struct faulty_store *fs = xcalloc(1, sizeof *fs);
	fs->base.vt = &faulty_vt;
	fs->inner = inner;
	fs->f = *f;
	log_warn("store: test faults: commit %ld, load %ld, short reads %s", f->commit, f->load,
		 f->short_reads ? "on" : "off");
	return &fs->base;
}

struct store *store_faulty_from_env(struct store *inner, char **err)
{
	const char *spec = getenv("JOBGRID_TEST_FAULTS");
	struct store_faults f;
	if (inner == NULL || spec == NULL || *spec == '\0')
		return inner;
	if (store_faults_parse(spec, &f, err)) {
		inner->vt->close(inner);
		return NULL;
	}
	return store_faulty_wrap(inner, &f);
}
