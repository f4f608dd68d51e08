/* Lua scripts of definitions (scripts.c): job_started before a run's job is made, the
 * handlers the scheduler's events call, each in a child process (child.h). */
#ifndef JG_SCRIPTS_H
#define JG_SCRIPTS_H
#include <jansson.h>
#include <stdint.h>

struct server;
struct job;
struct attempt;
struct definition;
struct run_waiter;

/* Run job_started for a run of script definition d, then make the job: for waiter w
 * (answered, registry.h), or with w NULL for network run net_run (network_run_made
 * follows). */
void scripts_start_run(struct server *srv, struct run_waiter *w, const struct definition *d,
		       int32_t version, const char *owner, json_t *args, json_t *over,
		       const char *cwd, int64_t net_run);
/* The job's facts at its start: definition facts, run-time ones, job.*, jobargs.*. New. */
json_t *scripts_job_facts(const struct definition *d, int32_t version, const char *owner,
			  int64_t seq, json_t *args, json_t *over);
/* Queue the handler a scheduler event calls for (joblet_completed, joblet_failed,
 * job_completed) when the job's script has it. */
void scripts_event(struct server *srv, int ev, struct job *j, struct attempt *a);
/* Add "script" to a worker's assignment o when the attempt is of a script job. */
void scripts_assignment(struct server *srv, const struct attempt *a, json_t *o);
void scripts_free_all(struct server *srv);
#endif
