/* Attempts out of memory: a final joblet keeps its state and counters (budgets used,
 * nattempts, failed node) in memory, and its attempts leave memory for the store once its
 * last change is committed. Readers of such attempts (a job's page of joblets) read them
 * from the store (store_vt.read_attempts). The queue of joblets to trim is worked through
 * after each commit, a slice per loop turn; removed jobs leave memory the same way. See
 * docs/SCALE.md. */
#ifndef JG_TRIM_H
#define JG_TRIM_H

#include <stddef.h>

struct server;
struct joblet;
struct job;

/* jl was just put in the open batch: when it is final, trim it once that batch is
 * committed (a later put of it makes this one void). */
void trim_note(struct server *srv, struct joblet *jl);
/* A batch was committed: trim what it made due, in slices. */
void trim_committed(struct server *srv);
/* After the load: every final joblet's attempts are in the store; trim those it read now
 * (the load leaves most in the store: those of jobs read back as dependencies). */
void trim_loaded(struct server *srv);
/* The jobs jobs[0..n) (taken; the array stays the caller's) were removed and their batch
 * is committed: free them, a slice of joblets per loop turn (a job of 10^5 joblets freed
 * at once held the loop 5-12 ms). trim_free frees what is left. */
void trim_removed(struct server *srv, struct job **jobs, size_t n);
void trim_free(struct server *srv);
#endif
