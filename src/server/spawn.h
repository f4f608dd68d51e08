/* `--spawn slurm|local`: the server starts workers on demand when ready joblets have no
 * worker that fits them, sized from those joblets, at most --spawn-max at once, each one
 * exiting after --spawn-idle without work (spawn.c; the backends are spawn-slurm.c and
 * spawn-local.c). Everything runs on the loop; the commands it runs (sbatch, squeue,
 * scancel) are child processes it watches, never waited for. */
#ifndef JG_SPAWN_SERVER_H
#define JG_SPAWN_SERVER_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct server;

struct spawn_config {
	const char *backend;		/* "slurm", "local", or NULL: spawn nothing */
	int32_t max;			/* spawned workers pending or running at once */
	int64_t idle_ms;		/* a spawned worker exits after this long without work */
	char *const *opts;		/* extra sbatch arguments, already split into words */
	int32_t nopts;
};

/* The name of a backend, or -1: what --spawn accepts. */
int spawn_backend_known(const char *name);
/* Start spawning as cfg says (nothing when cfg->backend is NULL). cfg's strings are
 * copied. 0, or -1 with *err (malloc'd). */
int spawn_start(struct server *srv, const struct spawn_config *cfg, char **err);
/* pid was reaped by the server: true if it was a spawned local worker. */
bool spawn_reaped(struct server *srv, pid_t pid, int status);
/* Draining: workers that have not registered yet are cancelled; nothing new is started. */
void spawn_drain(struct server *srv);
/* Shutting down: as a drain, and spawned local workers are told to stop. */
void spawn_stop(struct server *srv);
/* Nothing of it still runs that the shutdown waits for (local workers, scancel). */
bool spawn_all_exited(const struct server *srv);
void spawn_free(struct server *srv);
/* {"backend", "max", "idle_ms", "pending", "running", "note"} for /v1/stats, or NULL when
 * nothing is spawned. New reference. */
json_t *spawn_status(const struct server *srv);
#endif
