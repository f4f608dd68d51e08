/* JSON renderings of jobs, attempts, workers and limits (render.c, limits.c); field names
 * are the API contract. */
#ifndef JG_RENDER_H
#define JG_RENDER_H
#include "auth/principal.h"
#include "base/ranges.h"
#include "core/sched.h"
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

struct server;

json_t *render_limit(const struct limit_group *g);
/* Which joblets the full form of a job lists: those of sel (NULL: every one) from the
 * first at or after cursor, at most limit (1..JOBLET_PAGE_MAX). A page bounds the time a
 * job of 10^5 joblets holds the loop: a finished joblet with its attempt costs about 17 µs
 * to render and write (release build, `make bench`), so 250 of them about 4 ms. */
#define JOBLET_PAGE_MAX 250
struct joblet_page {
	const struct ranges *sel;	/* borrowed, or NULL */
	int64_t cursor;
	int32_t limit;
};
/* A job at the server's time; its scheduler explains why joblets wait. page NULL: the
 * list's summary; else the full form with its joblets by state as ranges and that page
 * of joblets ("joblets_next": the cursor of the next page, or null). */
json_t *render_job(const struct server *srv, const struct job *j, const struct joblet_page *page);
json_t *render_assignment(const struct attempt *a);
/* A worker as GET /v1/workers shows it to who: "running" names only the joblets of jobs
 * who may see; "used" counts every joblet's resources. */
json_t *render_worker(const struct worker *w, const struct principal *who);
json_t *render_time(int64_t wall_ms);	/* RFC 3339 string, or null for 0 */
#endif
