/* Retention (SPEC guarantee 6 keeps everything by default): finished jobs that ended
 * before a time leave memory and the store, with their joblets, attempts and output.
 * `jobgrid prune` asks for it once; `server --retain D` does it every minute for jobs that
 * ended more than D ago. A job that others still wait for is kept. The jobs are walked in
 * slices between other work, so pruning a million jobs does not hold up the loop. */
#ifndef JG_PRUNE_H
#define JG_PRUNE_H
#include <stdbool.h>
#include <stdint.h>

struct server;

struct prune_result {
	int64_t jobs, joblets;	/* removed (or, dry run, that would be) */
	int64_t kept;		/* finished before the time, kept because others wait for them */
};
typedef void (*prune_done_fn)(void *arg, const struct prune_result *r);

/* Start a prune of jobs that ended before `before` (wall ms), in group (interned) or any
 * with NULL; dry_run only counts. done runs on the loop when the last slice is through
 * (its removals then go in the open batch). -1 when a prune is already running. */
int prune_start(struct server *srv, int64_t before, const char *group, bool dry_run,
		prune_done_fn done, void *arg);
/* The retention timer of --retain (retain_ms > 0). */
void prune_retention_start(struct server *srv, int64_t retain_ms);
void prune_free(struct server *srv);
#endif
