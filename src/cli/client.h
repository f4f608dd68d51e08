/* The HTTP client every CLI command uses: the server URL (--server or JOBGRID_URL), the
 * user header, an Idempotency-Key per state-changing request reused on every retry, retries
 * of lost connections, and the mapping of failures to exit statuses (cli.h). */
#ifndef JG_CLIENT_H
#define JG_CLIENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

/* The server URL for this run: set by --server, else $JOBGRID_URL, else the default. */
void client_set_server(const char *url);
const char *client_server(void);

/* Send a request; body may be NULL (not stolen). On a 2xx reply *reply (if not NULL) gets
 * the parsed JSON (caller decrefs) and 0 is returned. Otherwise the error is printed as
 * "jobgrid: MESSAGE" and the exit status is returned (2, 3, 4, 5). `mutating` requests get
 * an Idempotency-Key, the same on every retry. */
int client_call(const char *method, const char *path, json_t *body, bool mutating,
		json_t **reply);
/* Stream a GET: each chunk of the body goes to cb as it arrives; returns like client_call. */
int client_stream(const char *path, size_t (*cb)(char *data, size_t size, size_t n, void *arg),
		  void *arg);
/* Percent-encode a path segment or query value into a new string. */
char *client_escape(const char *s);
/* Map an HTTP status to an exit status (exposed for tests). */
int client_exit_for_status(long status);
#endif
