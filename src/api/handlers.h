/* The route handlers, one per row of the route table (http.c). Each replies on c, or
 * keeps it (c->kept) and replies later. */
#ifndef JG_HANDLERS_H
#define JG_HANDLERS_H
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct call;
struct sched;
struct server;

/* jobs.c */
void api_jobs_create(struct call *c);
void api_jobs_list(struct call *c);
void api_job_get(struct call *c);
void api_job_patch(struct call *c);
void api_job_delete(struct call *c);
void api_jobs_remove(struct call *c);
void api_job_cancel(struct call *c);
void api_job_retry(struct call *c);
/* stream.c */
void api_job_log(struct call *c);
void api_events(struct call *c);
/* workers.c */
void api_workers_register(struct call *c);
void api_workers_list(struct call *c);
void api_worker_reserve(struct call *c);
void api_worker_heartbeat(struct call *c);
void api_worker_leave(struct call *c);
void api_attempt_output(struct call *c);
void api_attempt_finish(struct call *c);
/* limits.c */
void api_limits_list(struct call *c);
void api_limit_get(struct call *c);
void api_limit_put(struct call *c);
/* defs.c */
void api_defs_deploy(struct call *c);
void api_defs_list(struct call *c);
void api_def_get(struct call *c);
void api_def_undeploy(struct call *c);
void api_def_put(struct call *c);
void api_def_run(struct call *c);
/* plan.c */
void api_plan(struct call *c);
void api_def_pause(struct call *c);
void api_def_resume(struct call *c);
/* clock.c */
void api_clock_get(struct call *c);
void api_clock_post(struct call *c);
/* admin.c */
void api_stats(struct call *c);
void api_drain(struct call *c);
void api_shutdown(struct call *c);
void api_backup(struct call *c);
void api_healthz(struct call *c);
void api_metrics(struct call *c);	/* metrics.c */
void api_prune(struct call *c);		/* prune.c */
void api_openapi(struct call *c);	/* admin.c: docs/openapi.json, compiled in */
/* Per group, why the waiting and ready joblets who may see are not running: a JSON object
 * of group → [{"reason", "joblets"}], most joblets first, at most 8 a group (admin.c). */
struct principal;
json_t *api_waiting_reasons(const struct sched *s, const struct principal *who, int64_t now);
/* Joblets started, done and failed per minute over the last hour, of the jobs who may see:
 * {"interval_s", "from", "started": [60], "done": [60], "failed": [60]} (throughput.c). */
json_t *api_throughput(struct server *srv, const struct principal *who, int64_t now);
/* Cancel or retry a job of many joblets in slices over loop turns (jobs-slice.c), replying
 * with the job once the last slice is committed: true when it took the call so; false for
 * a job small enough to change at once (the caller does). A retry is checked first. */
struct job;
enum job_slice_kind { JOB_SLICE_CANCEL, JOB_SLICE_RETRY };
bool job_sliced(struct call *c, struct job *j, enum job_slice_kind kind);
/* login.c */
void api_login(struct call *c);
void api_logout(struct call *c);
void api_whoami(struct call *c);
/* users.c */
void api_users_list(struct call *c);
void api_users_add(struct call *c);
void api_user_delete(struct call *c);
void api_user_password(struct call *c);
/* ui.c: the dashboard's files */
void api_ui_index(struct call *c);
void api_ui_file(struct call *c);
/* tokens.c */
void api_tokens_list(struct call *c);
void api_tokens_create(struct call *c);
void api_token_revoke(struct call *c);
#endif
