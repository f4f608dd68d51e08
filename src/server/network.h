/* Job networks on the server (network.c, deploy-check.c): the planner of src/net/plan.h
 * driven by the loop. */
#ifndef JG_NETWORK_H
#define JG_NETWORK_H
#include "net/spec.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

struct server;
struct job;
struct definition;
struct net_run;
struct run_waiter;

int network_start(struct server *srv, char **err);	/* after the store and definitions */
int64_t network_tick(struct server *srv);	/* due work; the next wake, INT64_MAX if none */
void network_free(struct server *srv);
/* deploy-check.c: the cycles and the edges to unknown definitions that deploying defs
 * (replacing those of the same names) would make, each appended to problems (a JSON
 * array) as "FILE:LINE:COL: text" at the list entry that makes it. defs[i] is NULL for a
 * file that did not read; names[i], when not NULL, is the name it would have had, which
 * edges may then name without being called unknown. */
void deploy_check_network(struct server *srv, struct definition *const *defs,
			  const char *const *names, size_t n, json_t *problems);
void network_deployed(struct server *srv, struct definition *const *defs, size_t n);
void network_undeployed(struct server *srv, const char *name);
void network_job_ended(struct server *srv, struct job *j);
/* A run by hand of a network member: returns true when the network took it (then it has
 * answered w or will, registry.h), false when d is no member (w is not answered). */
bool network_run_by_hand(struct server *srv, struct run_waiter *w, const struct definition *d,
			 int32_t version, json_t *args, json_t *facts,
			 const struct net_settings *over, const char *cwd);
/* The runs whose period starts in [from, to) (net_day_bounds): the planner's, then those
 * it has let go of, read back from the store. *out malloc'd (the caller frees it).
 * Returns the count, or -1 with *err (malloc'd). */
ssize_t network_day(struct server *srv, int64_t from, int64_t to, struct net_run **out,
		    char **err);
/* Pause or resume the network runs of a deployed definition: 0, or -1 if there is none. */
int network_pause(struct server *srv, const char *name, bool paused);
/* A job for run id of the network was made (seq > 0) or could not be (seq 0). */
void network_run_made(struct server *srv, int64_t run, int64_t seq);
#endif
