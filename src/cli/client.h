/* The HTTP client every CLI command uses: the server URL (--server or JOBGRID_URL), the
 * credentials (Authorization: Bearer, cli/credentials.h), the user header, an Idempotency-Key per state-changing request reused on every retry, the
 * retry policy, and the mapping of failures to exit statuses (cli.h) and to messages in
 * jobgrid's own words.
 *
 * Retries. A refused connection means the request never arrived: a one-shot command says
 * "cannot reach the server at URL: REASON" at once and exits 3. A connection lost after
 * the request may have arrived (or a 502..504 from a proxy) is tried again, with the same
 * Idempotency-Key, pausing 100 ms, 200 ms, … up to 2 s between tries, for at most
 * $JOBGRID_RETRY_SECS (default 10) seconds; while retrying, a refused connection (a server
 * restarting) is tried again too. Commands that wait anyway (wait, log -f, events) are
 * "patient": whenever the server cannot be reached they say so on stderr and try again
 * after a pause that doubles from 1 s to 30 s, until their deadline if they have one. */
#ifndef JG_CLIENT_H
#define JG_CLIENT_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The server URL for this run: set by --server, else $JOBGRID_URL, else the default. */
void client_set_server(const char *url);
const char *client_server(void);
/* --token-file F: the token to send (else $JOBGRID_TOKEN, else the tokens file's line for
 * the server: cli/credentials.h). */
void client_set_token_file(const char *path);

/* The CA file the server's certificate must verify against: --ca FILE, else $JOBGRID_CA;
 * without one an https:// server is trusted by the fingerprint pinned at `jobgrid login`
 * (tls/trust.h). client_ca returns it (or NULL) and where it came from. */
void client_set_ca(const char *file);
const char *client_ca(const char **from);
/* Send "Authorization: Bearer TOKEN" with every request (token borrowed). */
void client_set_bearer(const char *token);

/* Patient mode for this run (see above); deadline_mono_ms 0: none. Past the deadline a
 * request that cannot reach the server fails with EXIT_TIMEOUT. */
void client_set_patient(int64_t deadline_mono_ms);

/* Send a request; body may be NULL (not stolen). On a 2xx reply *reply (if not NULL) gets
 * the parsed JSON (caller decrefs) and 0 is returned. Otherwise the error is printed as
 * "jobgrid: MESSAGE" and the exit status is returned (2, 3, 4, 5, 6). `mutating` requests
 * get an Idempotency-Key, the same on every retry. */
int client_call(const char *method, const char *path, json_t *body, bool mutating,
		json_t **reply);
/* Stream a GET: each chunk of the body goes to cb as it arrives. Returns 0 when the reply
 * ended normally, EXIT_* after printing an error reply, or EXIT_UNREACHABLE with
 * *lost set when the connection broke after the reply had begun (a patient caller may
 * resume). lost may be NULL. */
int client_stream(const char *path, size_t (*cb)(char *data, size_t size, size_t n, void *arg),
		  void *arg, bool *lost);
/* Patient callers: announce a new try after the stream was lost, and pause. Returns 0, or
 * EXIT_TIMEOUT when the deadline has passed. */
int client_pause_after_loss(int *tries);
/* Percent-encode a path segment or query value into a new string ('/' becomes %2F). */
char *client_escape(const char *s);
/* The exit status for an error reply's code (base/errors.def); -1 for NULL or a code this
 * CLI does not know. */
int client_exit_for_code(const char *code);
/* The exit status for an HTTP status: for replies without a known code (a proxy's 502). */
int client_exit_for_status(long status);
#endif
