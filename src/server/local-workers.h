/* Local workers (local-workers.c): worker processes the server starts and supervises on
 * its own machine. */
#ifndef JG_LOCAL_WORKERS_H
#define JG_LOCAL_WORKERS_H
#include <stdbool.h>
#include <stdint.h>

struct server;

/* Start (or adopt from a crashed server of the same data directory) n workers, each with
 * cores, ram_mb and gpus (-1: its share of the machine; GPUs are not detected, so 0).
 * With n 0 it stops what an earlier server left running. */
void local_workers_start(struct server *srv, int n, int32_t cores, int32_t ram_mb, int32_t gpus);
void local_workers_reap(struct server *srv);
void local_workers_stop(struct server *srv);
bool local_workers_all_exited(const struct server *srv);
void local_workers_free(struct server *srv);
#endif
