/* A joblet's output on its way to the server. The worker writes what the joblet prints to
 * a spool file of its own (in --spool DIR, unlinked at once, so it goes with the worker
 * whatever happens), up to the job's output limit; past it the bytes are only counted, and
 * a marker line says how many were dropped once the output ends. The sender (spool.c)
 * posts the file in chunks of at most SPOOL_CHUNK bytes, in order, each naming its byte
 * offset, one at a time per attempt: the next goes only when the server has acknowledged
 * (committed) the last. That is the back-pressure: while the server is slow or away,
 * output waits on the worker's disk, not in anyone's memory. */
#ifndef JG_SPOOL_H
#define JG_SPOOL_H
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define SPOOL_CHUNK (1u << 20)	/* the most one output request carries, in bytes */
/* --spool's default: on disk (unlike /tmp, often a tmpfs in RAM), and meant for temporary
 * files that outlive no one in particular (FHS). */
#define SPOOL_DIR_DEFAULT "/var/tmp"

struct spool {
	int fd;			/* the spool file, already unlinked; -1 = none */
	int64_t limit;		/* bytes kept: the job's output limit */
	int64_t len;		/* bytes in the file: where the output stream ends */
	int64_t dropped;	/* bytes over the limit, or lost to a failed write */
	int64_t acked;		/* bytes the server has committed */
	int64_t sending;	/* bytes in the chunk in flight; 0 = none */
	int64_t retry_mono;	/* after a failed send: no chunk before this (monotonic ms) */
	int64_t backoff_ms;
	int write_errno;	/* a write to the file failed: what follows is dropped */
	bool last_nl;		/* the file is empty or ends with a newline */
	bool closed;		/* the joblet's output ended (marker written) */
	bool stopped;		/* the server refused output (4xx): nothing more is sent */
	char refusal[700];	/* why it stopped, for the attempt's message; "" = it did not */
};

/* A spool file in dir for an attempt's output, keeping limit bytes. 0, or -1 with errno
 * (then sp->fd is -1 and nothing needs freeing). */
int spool_open(struct spool *sp, const char *dir, int64_t attempt, int64_t limit);
/* An empty spool without a file (a joblet that never started: no output). */
void spool_none(struct spool *sp);
/* Keep data up to the limit; count the rest as dropped. */
void spool_add(struct spool *sp, const char *data, size_t n);
/* The output ended: append the marker line when bytes were dropped. */
void spool_close(struct spool *sp);
/* Everything is delivered, or the server refused the rest: the finish may go. */
bool spool_settled(const struct spool *sp);
void spool_free(struct spool *sp);
#endif
