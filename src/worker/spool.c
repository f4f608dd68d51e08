/* Output spooling and streaming (spool.h): the spool file, and the sender that posts it to
 * POST /v1/attempts/{id}/output in order. Answers to a chunk: 200 names the offset the
 * server has committed (the next chunk starts there); 409 output_gap says the server has
 * less than the worker thought (a store restored from a backup) and where to resume; any
 * other 4xx is final — the worker says why in its log and on the attempt, and sends no
 * more of that attempt's output; 5xx and lost connections are retried with back-off. */
#include "worker/spool.h"
#include "worker/worker.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define BACKOFF_MAX_MS 5000

/* ---- the file ----------------------------------------------------------------------- */

int spool_open(struct spool *sp, const char *dir, int64_t attempt, int64_t limit)
{
	char path[4200];
	spool_none(sp);
	sp->limit = limit;
	snprintf(path, sizeof path, "%s/jobgrid-output-%lld-XXXXXX", dir, (long long)attempt);
	sp->fd = mkostemp(path, O_CLOEXEC);
	if (sp->fd < 0)
		return -1;
	unlink(path);	/* nobody else needs its name; it goes when closed */
	return 0;
}

void spool_none(struct spool *sp)
{
	memset(sp, 0, sizeof *sp);
	sp->fd = -1;
	sp->last_nl = true;
	sp->backoff_ms = 100;
}

static void write_at_end(struct spool *sp, const char *data, size_t n)
{
	size_t off = 0;
	while (off < n && sp->write_errno == 0) {
		ssize_t w = pwrite(sp->fd, data + off, n - off, sp->len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0) {
			sp->write_errno = w < 0 ? errno : EIO;
			break;
		}
		off += (size_t)w;
		sp->len += w;
	}
	if (off > 0)
		sp->last_nl = data[off - 1] == '\n';
	sp->dropped += (int64_t)(n - off);
}

void spool_add(struct spool *sp, const char *data, size_t n)
{
	int64_t room = sp->fd < 0 || sp->write_errno ? 0 : sp->limit - sp->len;
	size_t keep = room <= 0 ? 0 : (int64_t)n < room ? n : (size_t)room;
	if (keep)
		write_at_end(sp, data, keep);
	sp->dropped += (int64_t)(n - keep);
}

void spool_close(struct spool *sp)
{
	if (sp->closed)
		return;
	sp->closed = true;
	if (sp->dropped == 0 || sp->fd < 0)
		return;
	char marker[400];
	int n = snprintf(marker, sizeof marker, "%s[jobgrid: %lld bytes of output dropped%s%s]\n",
			 sp->last_nl ? "" : "\n", (long long)sp->dropped,
			 sp->write_errno ? ": the worker's spool file failed: " : "",
			 sp->write_errno ? strerror(sp->write_errno) : "");
	int err = sp->write_errno;
	sp->write_errno = 0;	/* the marker is past the limit and gets one more try */
	write_at_end(sp, marker, (size_t)n);
	if (sp->write_errno == 0)
		sp->write_errno = err;
}

bool spool_settled(const struct spool *sp)
{
	return sp->closed && (sp->stopped || (sp->acked >= sp->len && sp->sending == 0));
}

void spool_free(struct spool *sp)
{
	if (sp->fd >= 0)
		close(sp->fd);
	sp->fd = -1;
}

/* ---- the sender --------------------------------------------------------------------- */

/* The next chunk at sp->acked into a malloc'd buffer: up to SPOOL_CHUNK bytes of whole
 * lines (a line longer than a chunk goes as it is, the output's last line as it ended);
 * while the joblet runs, a tail of lines shorter than a chunk only on the flush tick
 * (tick), so small writes go together. Returns its length, 0 for none now. */
static size_t next_chunk(struct spool *sp, bool tick, char **out)
{
	int64_t avail = sp->len - sp->acked;
	size_t want = avail > (int64_t)SPOOL_CHUNK ? SPOOL_CHUNK : (size_t)avail;
	*out = NULL;
	if (avail <= 0 || (!sp->closed && want < SPOOL_CHUNK && !tick))
		return 0;
	char *data = xmalloc(want);
	size_t got = 0;
	while (got < want) {
		ssize_t n = pread(sp->fd, data + got, want - got, sp->acked + (int64_t)got);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(sp->refusal, sizeof sp->refusal, "output lost: the worker could not"
				 " read its spool file: %s", n < 0 ? strerror(errno) : "short file");
			sp->stopped = true;
			free(data);
			return 0;
		}
		got += (size_t)n;
	}
	/* Whole lines, so that `log` shows lines whole: only the very end of the output may
	 * end a chunk mid-line. */
	if (!sp->closed || sp->acked + (int64_t)got < sp->len) {
		size_t cut = got;
		while (cut > 0 && data[cut - 1] != '\n')
			cut--;
		if (cut == 0 && got < SPOOL_CHUNK) {
			free(data);
			return 0;	/* a line still being written */
		}
		got = cut ? cut : got;
	}
	*out = data;
	return got;
}

static void on_chunk_reply(struct worker *w, int rc, long status, json_t *reply, void *arg);

void spool_pump(struct worker *w, struct run *r, bool tick)
{
	struct spool *sp = &r->spool;
	if (sp->sending || sp->stopped || sp->fd < 0 || clock_mono_ms() < sp->retry_mono)
		return;
	char *data;
	size_t len = next_chunk(sp, tick, &data);
	if (len == 0) {
		if (sp->stopped && r->finished)
			worker_kick(w);	/* the finish may go now */
		return;
	}
	char path[128];
	snprintf(path, sizeof path, "/v1/attempts/%lld/output?offset=%lld&at_ms=%lld",
		 (long long)r->attempt, (long long)sp->acked, (long long)clock_wall_ms());
	sp->sending = (int64_t)len;
	/* The attempt id rides in the callback's pointer-sized argument. */
	http_post_bytes(w, path, data, len, on_chunk_reply, (void *)(intptr_t)r->attempt, NULL); // NOLINT(performance-no-int-to-ptr): the id rides in the pointer
}

void spool_flush(struct worker *w)
{
	for (struct run *r = w->runs; r; r = r->next)
		spool_pump(w, r, true);
}

static const char *error_text(json_t *reply, const char *key)
{
	return json_string_value(json_object_get(json_object_get(reply, "error"), key));
}

/* A 4xx: this attempt's output is not wanted or not acceptable; say so and stop. */
static void stop_sending(struct run *r, long status, json_t *reply)
{
	struct spool *sp = &r->spool;
	const char *msg = error_text(reply, "message");
	sp->stopped = true;
	snprintf(sp->refusal, sizeof sp->refusal,
		 "output from byte %lld on was refused by the server (HTTP %ld): %s",
		 (long long)sp->acked, status, msg ? msg : "no reason given");
	if (status == 409 || status == 404)
		log_info("attempt %lld: no more output is sent: %s", (long long)r->attempt,
			 sp->refusal);
	else
		log_error("attempt %lld: %s", (long long)r->attempt, sp->refusal);
}

static void on_chunk_reply(struct worker *w, int rc, long status, json_t *reply, void *arg)
{
	struct run *r = worker_find_run(w, (int64_t)(intptr_t)arg);
	if (r == NULL)
		return;
	struct spool *sp = &r->spool;
	json_t *next = json_object_get(reply, "next_offset");
	int64_t sent = sp->sending;
	sp->sending = 0;
	if (status == 200 || (status == 409 && json_is_integer(next))) {
		int64_t at = json_integer_value(next);
		/* The server's count is the truth; a nonsense one is taken as this chunk's end. */
		sp->acked = json_is_integer(next) && at >= 0 && at <= sp->len ? at : sp->acked + sent;
		if (status == 409)
			log_warn("attempt %lld: the server has %lld bytes of its output: resending from"
				 " there", (long long)r->attempt, (long long)sp->acked);
		sp->backoff_ms = 100;
		spool_pump(w, r, r->finished);
	} else if (status >= 400 && status < 500) {
		stop_sending(r, status, reply);
	} else {
		if (sp->backoff_ms <= 100)
			log_warn("attempt %lld: output not delivered (%s %ld); it waits in the spool"
				 " and is sent again", (long long)r->attempt,
				 rc ? curl_easy_strerror(rc) : "status", status);
		sp->retry_mono = clock_mono_ms() + sp->backoff_ms;
		sp->backoff_ms = sp->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : sp->backoff_ms * 2;
	}
	if (r->finished && spool_settled(sp))
		worker_kick(w);
}
