/* Which server to try next when a client or worker was given several (--server
 * URL1,URL2,… or JOBGRID_URL=URL1,URL2): plain rules shared by the CLI and the worker. */
#ifndef JG_FAILOVER_H
#define JG_FAILOVER_H
#include <stdbool.h>
#include <stddef.h>

/* Split list at commas into *urls (owned by the caller: free each and the array) and
 * return how many; empty items are skipped. 0 for a list with none. */
int failover_split(const char *list, char ***urls);

/* The index to try after urls[cur] failed. A standby's leader hint (a 503 not_leader's
 * "leader", or NULL) is followed only when it is one of urls: those the user named are
 * the ones the credentials and the trust (--ca) were given for, so a hint cannot lead a
 * client to a server it was not told to trust. Else the next one, round the list. */
int failover_next(char *const *urls, int n, int cur, const char *hint);

/* Whether a reply body (JSON text of len bytes) is a standby's 503 not_leader; its
 * "leader" hint is copied into out (outlen bytes), "" when it names none or too long. */
bool failover_not_leader(const char *body, size_t len, char *out, size_t outlen);
#endif
