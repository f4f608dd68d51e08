/* Inside the spawner (spawn.c) and its backends (spawn-slurm.c, spawn-local.c). */
#ifndef JG_SPAWN_INT_H
#define JG_SPAWN_INT_H
#include "server/spawn.h"
#include <event2/event.h>

struct spawner;
struct child_call;

/* One worker asked for: from the submission until its Slurm job or process is gone. */
struct spawned {
	struct spawner *sp;		/* the spawner it belongs to */
	char name[64];			/* its worker --name: the spawner's prefix and a number */
	int32_t cores, ram_mb, gpus;
	int64_t time_ms;		/* the joblets' time limit it was sized for, or 0 */
	char **tags;			/* owned: "key=value" words the class's constraints ask */
	int32_t ntags;
	int64_t submitted_mono;
	bool submitted;			/* the backend accepted it (sbatch gave an id, fork ran) */
	bool registered;		/* a worker of its name registered with this server */
	bool cancelled;			/* we cancelled it: its end is no failure */
	bool cancel_sent;		/* slurm: scancel was run for it */
	char job_id[32];		/* slurm: the job id; "" until sbatch answers */
	char state[16];			/* slurm: its state at the last squeue */
	pid_t pid;			/* local: the worker process, 0 once reaped */
	struct spawned *next;
};

struct spawn_backend {
	const char *name;		/* as --spawn names it */
	const char *how;		/* "through Slurm": how the reason says it is spawned */
	/* Ask for e; argv is the worker's command line (borrowed for the call). The backend
	 * calls spawn_submitted once it knows whether it worked. */
	void (*submit)(struct spawner *sp, struct spawned *e, char *const argv[]);
	/* Now and then: learn which submissions are gone (slurm: squeue). May be NULL. */
	void (*poll)(struct spawner *sp);
	/* Cancel every e with e->cancelled set and e->submitted, that is not registered. */
	void (*cancel)(struct spawner *sp);
	/* Also stop the registered ones (local: they are the server's children). */
	void (*stop)(struct spawner *sp);
	/* A command of its own still runs (squeue, scancel). */
	bool (*busy)(const struct spawner *sp);
};

struct spawner {
	struct server *srv;
	const struct spawn_backend *be;
	int32_t max;
	int64_t idle_ms;
	char **opts;			/* owned words: extra sbatch arguments */
	int32_t nopts;
	char prefix[40];		/* "jobgrid-spawn-<hex>": the Slurm job name, worker names */
	char dir[4200];			/* DATA/spawn: their output and working directory */
	char exe[4096];			/* this program, absolute */
	uint64_t seq;
	struct spawned *list;		/* owned */
	int32_t nlive;			/* in list */
	bool submitting;		/* a submission has not answered yet */
	bool stopped;			/* draining or stopping: nothing new */
	bool failing;			/* the last submission failed: its note stays */
	int64_t backoff_ms, next_try_mono;
	char note[512];			/* why joblets still wait for a spawned worker, or "" */
	struct event *tick;
	/* The backend's commands in flight (NULL when none). */
	struct child_call *poll_call, *cancel_call;
	int64_t poll_started_mono, last_poll_mono;
};

/* The backend's answer to a submission: ok, or the message of its failure. */
void spawned_submitted(struct spawner *sp, struct spawned *e, bool ok, const char *msg);
/* e is gone (its Slurm job ended, its process exited); why (or NULL) says how, for a
 * worker that never registered. e is freed. */
void spawned_gone(struct spawner *sp, struct spawned *e, const char *why);
/* The first lines of a command's output as one line ("a; b"), into buf. */
const char *spawn_output_line(const char *out, char *buf, size_t len);

extern const struct spawn_backend spawn_slurm, spawn_local;
#endif
