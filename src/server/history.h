/* History out of memory: finished jobs leave the scheduler for the store some time after
 * they ended (`server --history-memory D`), and are read back on demand through
 * server_job. The sweep walks the job slots in slices on a timer, so evicting a million
 * jobs never holds the loop for more than a slice. See docs/ARCHITECTURE.md. */
#ifndef JG_HISTORY_H
#define JG_HISTORY_H
#include <stdint.h>

struct server;
struct job;

/* The job seq in memory, read back from the store if it left (then kept a while: a
 * caller may hold it over a loop turn or two); NULL when there is none or the store
 * cannot be read (logged). */
struct job *server_job(struct server *srv, int64_t seq);
/* Recovery with history out of memory (the store loads only the jobs memory keeps, and
 * the others as history): history_recover_before, before the load, says which finished jobs
 * stay out of memory (history_ms < 0: none); history_load_deps, after it and before
 * sched_load_done, reads back in full those that a job in memory waits for by id, which
 * keeps them in memory as it would have (sched_evictable). 0, or -1 with *err (malloc'd). */
void history_recover_before(struct server *srv, int64_t history_ms);
int history_load_deps(struct server *srv, char **err);
/* Then the attempts that ended within the last hour and that the load left in the store
 * (of the jobs loaded as history, of final joblets: sched_load_stored) go into the
 * throughput tallies (sched_tally), as those that leave memory later do. */
int history_load_tallies(struct server *srv, char **err);
/* Start the sweep: finished jobs leave memory history_ms after they ended (0: at once,
 * once their last change is committed). history_ms < 0: never (no timer). */
void history_start(struct server *srv, int64_t history_ms);
void history_free(struct server *srv);
#endif
