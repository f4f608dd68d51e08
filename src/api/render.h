/* JSON renderings of jobs, attempts, workers and limits (render.c, limits.c); field names
 * are the API contract. */
#ifndef JG_RENDER_H
#define JG_RENDER_H
#include "auth/principal.h"
#include "core/sched.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;

json_t *render_limit(const struct limit_group *g);
/* A job at the server's time; its scheduler explains why joblets wait. */
json_t *render_job(const struct server *srv, const struct job *j, bool with_joblets);
json_t *render_assignment(const struct attempt *a);
/* A worker as GET /v1/workers shows it to who: "running" names only the joblets of jobs
 * who may see; "used" counts every joblet's resources. */
json_t *render_worker(const struct worker *w, const struct principal *who);
json_t *render_time(int64_t wall_ms);	/* RFC 3339 string, or null for 0 */
#endif
