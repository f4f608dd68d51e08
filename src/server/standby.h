/* A server on a shared PostgreSQL database (docs/SCALE.md "The leader"): the standby
 * phase, the watch on the lease while it leads, and the step down (standby.c). The API's
 * side of it is server_not_leading and server_step_down (server.h). */
#ifndef JG_STANDBY_H
#define JG_STANDBY_H
#include "store/store.h"
#include <stdbool.h>

struct server;
struct server_config;

/* Start keeping the lease for srv (its face serving, srv->url set): from now on the server
 * is a standby. 0, or -1 with *err (malloc'd) when the database cannot be reached. */
int standby_start(struct server *srv, const struct server_config *o, char **err);
/* Run the loop as a standby until the lease is taken (srv->lead_epoch set: load the
 * store, then call standby_serving) or the server is stopped. */
void standby_wait(struct server *srv);
/* The store is loaded: serve, unless the lease was lost meanwhile (then step down). */
void standby_serving(struct server *srv);
/* The store's fence for the epoch taken (store.h); its holder is borrowed from srv. */
struct pg_fence standby_fence(struct server *srv);
/* The servers a worker this server starts should know, this one first: "URL[,URL…]"
 * (malloc'd). With a shared database, the others seen there lately follow, so the worker
 * fails over to them (docs/SCALE.md); alone, this server's URL. */
char *standby_worker_urls(struct server *srv);
/* Stop keeping the lease (after the store's last commit): given up, unless deposed. */
void standby_free(struct server *srv);
#endif
