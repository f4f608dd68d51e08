/* libcurl easy-API client: retries with a pause that grows, idempotency keys, failures
 * told in jobgrid's words (client.h has the policy). */
#include "cli/client.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/host.h"
#include "base/failover.h"
#include "base/srvurl.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include "tls/trust.h"
#include "cli/credentials.h"
#include <curl/curl.h>
#include <errno.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *server_url;	/* --server's list, or NULL: $JOBGRID_URL */
static const char *ca_flag;	/* --ca FILE, or NULL: $JOBGRID_CA */
static const char *bearer;	/* a token to send, or NULL */
static const char *token_file;	/* --token-file, or NULL */
static bool patient;
static int64_t patient_deadline;	/* mono ms; 0 = none */

/* The servers this run may talk to (--server URL1,URL2,…): one is current; a failure to
 * connect or a standby's 503 not_leader moves to another (base/failover.h). */
struct server {
	char *url;		/* owned */
	struct trust trust;	/* how it is trusted, set up by the first request */
	bool trust_ready;
	char auth[TOKEN_TEXT_LEN + 32];	/* "Authorization: Bearer …" or "" */
	bool auth_done;
};
static struct server *servers;	/* owned array of nservers */
static int nservers, cur;

static void servers_free(void)
{
	for (int i = 0; i < nservers; i++) {
		trust_free(&servers[i].trust);
		free(servers[i].url);
	}
	free(servers);
	servers = NULL;
	nservers = 0;
}

/* Split the list once, at the first use. An empty list is the default server. */
static void servers_setup(void)
{
	if (servers)
		return;
	const char *env = getenv("JOBGRID_URL");
	const char *list = server_url ? server_url : env && *env ? env : "http://127.0.0.1:7370";
	char **urls;
	int n = failover_split(list, &urls);
	if (n == 0) {
		urls = xrealloc(NULL, 1, sizeof *urls);
		urls[n++] = xstrdup(list);	/* "" or ",": said by the first request */
	}
	servers = xcalloc((size_t)n, sizeof *servers);
	for (int i = 0; i < n; i++)
		servers[i].url = urls[i];
	free(urls);
	nservers = n;
	atexit(servers_free);
}

void client_set_server(const char *url)
{
	server_url = url;
}

const char *client_server(void)
{
	servers_setup();
	return servers[cur].url;
}

void client_set_ca(const char *file)
{
	ca_flag = file;
}

const char *client_ca(const char **from)
{
	const char *env = getenv("JOBGRID_CA");
	if (from)
		*from = ca_flag ? "--ca" : "JOBGRID_CA";
	return ca_flag ? ca_flag : env && *env ? env : NULL;
}

void client_set_bearer(const char *token)
{
	bearer = token;
}

/* Set up the trust in the current server once; EXIT_OK, or EXIT_USAGE after saying why
 * not. */
static int trust_setup(void)
{
	struct server *sv = (servers_setup(), &servers[cur]);
	if (sv->trust_ready)
		return EXIT_OK;
	const char *from, *ca = client_ca(&from);
	char *err = NULL;
	if (trust_init(&sv->trust, sv->url, ca, from, &err) != 0) {
		fprintf(stderr, "jobgrid: %s\n", err);
		free(err);
		trust_free(&sv->trust);
		return EXIT_USAGE;
	}
	sv->trust_ready = true;
	return EXIT_OK;
}

static struct trust *cur_trust(void)
{
	return servers && servers[cur].trust_ready ? &servers[cur].trust : NULL;
}

void client_set_token_file(const char *path)
{
	token_file = path;
}

/* "Authorization: Bearer TOKEN" for the current server, or "" without a token; a token
 * source that is broken is said and ends the command (exit 2). Servers of one list share
 * a database and so its tokens: one stored for another of them serves when this one has
 * none of its own. */
static const char *auth_header(void)
{
	struct server *sv = (servers_setup(), &servers[cur]);
	if (sv->auth_done)
		return sv->auth;
	char token[TOKEN_TEXT_LEN + 1], err[600];
	int rc = cred_token_for(sv->url, token_file, token, err, sizeof err);
	for (int i = 0; rc == 0 && i < nservers; i++)
		if (i != cur)
			rc = cred_token_for(servers[i].url, token_file, token, err, sizeof err);
	if (rc < 0) {
		fprintf(stderr, "jobgrid: %s\n", err);
		exit(EXIT_USAGE);
	}
	if (rc > 0)
		snprintf(sv->auth, sizeof sv->auth, "Authorization: Bearer %s", token);
	sv->auth_done = true;
	return sv->auth;
}

void client_set_patient(int64_t deadline_mono_ms)
{
	patient = true;
	patient_deadline = deadline_mono_ms;
}

int client_exit_for_status(long status)
{
	if (status >= 200 && status < 300)
		return EXIT_OK;
	if (status == 404)
		return EXIT_NOT_FOUND;
	if (status == 401 || status == 403 || status == 429)	/* 429: logins slowed down */
		return EXIT_DENIED;
	if (status >= 400 && status < 500)
		return EXIT_USAGE;
	return EXIT_UNREACHABLE;
}

/* The CLI's exit for each wire code of base/errors.def. */
static const struct {
	const char *code;
	int exit;
} code_exits[] = {
#define ERR(name, code, status, exit, message) {code, EXIT_##exit},
#include "base/errors.def"
#undef ERR
};

int client_exit_for_code(const char *code)
{
	for (size_t i = 0; code && i < sizeof code_exits / sizeof code_exits[0]; i++)
		if (strcmp(code_exits[i].code, code) == 0)
			return code_exits[i].exit;
	return -1;
}

char *client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

static const char *user_name(void)
{
	static char name[65];
	if (name[0] == '\0') {
		struct passwd *pw = getpwuid(geteuid());
		snprintf(name, sizeof name, "%s", pw ? pw->pw_name : "unknown");
	}
	return name;
}

static int64_t retry_budget_ms(void)
{
	const char *env = getenv("JOBGRID_RETRY_SECS");
	return (env && *env ? atoll(env) : 10) * 1000;
}

static void sleep_ms(int64_t ms)
{
	struct timespec ts = {(time_t)(ms / 1000), (long)(ms % 1000) * 1000000L};
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* ---- one transfer and what became of it ------------------------------------------ */

struct outcome {
	CURLcode rc;
	long status;		/* HTTP status when rc is CURLE_OK */
	long os_errno;		/* the system's error behind a failed connection, or 0 */
	char detail[CURL_ERROR_SIZE];	/* libcurl's own words, kept for the rare cases */
};

/* Let curl fill o after a transfer on h. */
static void outcome_read(CURL *h, CURLcode rc, struct outcome *o)
{
	o->rc = rc;
	o->status = 0;
	o->os_errno = 0;
	if (rc == CURLE_OK || rc == CURLE_WRITE_ERROR)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &o->status);
	else
		curl_easy_getinfo(h, CURLINFO_OS_ERRNO, &o->os_errno);
}

/* The request may have reached the server: trying it again needs its idempotency key. */
static bool may_have_arrived(CURLcode rc)
{
	return rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR || rc == CURLE_SEND_ERROR ||
	       rc == CURLE_PARTIAL_FILE;
}

/* A bad --server/JOBGRID_URL: a usage error, nothing to try again. */
static bool bad_url(CURLcode rc)
{
	return rc == CURLE_URL_MALFORMAT || rc == CURLE_UNSUPPORTED_PROTOCOL;
}

/* What went wrong, in our words (libcurl's say "Transferred a partial file"). */
static const char *reason(const struct outcome *o, char *buf, size_t len)
{
	const char *os = o->os_errno ? strerror((int)o->os_errno) : NULL;
	switch (o->rc) {
	case CURLE_COULDNT_CONNECT:
		if (o->os_errno == ECONNREFUSED)
			return "connection refused (nothing listens there)";
		snprintf(buf, len, "cannot connect%s%s%s", os ? " (" : "", os ? os : "", os ? ")" : "");
		return buf;
	case CURLE_COULDNT_RESOLVE_HOST: return "the host name is unknown";
	case CURLE_OPERATION_TIMEDOUT:
		return "no answer to the connection in time (3 s; 10 s for the TLS handshake too)";
	case CURLE_GOT_NOTHING: return "the server closed the connection without answering";
	case CURLE_PARTIAL_FILE: return "the connection closed before the whole reply arrived";
	case CURLE_RECV_ERROR: return "the connection broke while the reply was read";
	case CURLE_SEND_ERROR: return "the connection broke while the request was sent";
	case CURLE_URL_MALFORMAT:
	case CURLE_UNSUPPORTED_PROTOCOL:
		return "that is not an http://, https:// or unix:PATH address";
	case CURLE_SSL_CONNECT_ERROR:
	case CURLE_PEER_FAILED_VERIFICATION:
	case CURLE_SSL_CACERT_BADFILE:
		snprintf(buf, len, "TLS failed: %s", o->detail[0] ? o->detail : "no detail");
		return buf;
	case CURLE_OK:
		snprintf(buf, len, "a proxy answered %ld (the server behind it is away)", o->status);
		return buf;
	default:
		snprintf(buf, len, "%s", o->detail[0] ? o->detail : curl_easy_strerror(o->rc));
		return buf;
	}
}

static bool gateway(const struct outcome *o)
{
	return o->rc == CURLE_OK && o->status >= 502 && o->status <= 504;
}

/* The server's certificate was refused: final, never tried again. */
static bool untrusted(const struct outcome *o)
{
	char *why = cur_trust() ? trust_failure(cur_trust(), o->rc) : NULL;
	free(why);
	return why != NULL;
}

/* Print "cannot reach the server …" and return the exit status for o's failure. */
static int unreachable(const struct outcome *o, const char *extra)
{
	char buf[CURL_ERROR_SIZE + 64];
	char *why = cur_trust() ? trust_failure(cur_trust(), o->rc) : NULL;
	if (why) {
		fprintf(stderr, "jobgrid: %s\n", why);
		free(why);
		return EXIT_UNREACHABLE;
	}
	fprintf(stderr, "jobgrid: cannot reach the server at %s: %s%s\n", client_server(),
		reason(o, buf, sizeof buf), extra ? extra : "");
	return bad_url(o->rc) ? EXIT_USAGE : EXIT_UNREACHABLE;
}

/* Patient mode: say the server cannot be reached and sleep before try *tries + 1, the
 * pause doubling from 1 s to 30 s. 0 to go on; EXIT_TIMEOUT past the deadline. */
static int patient_pause(const struct outcome *o, int *tries)
{
	char buf[CURL_ERROR_SIZE + 64];
	int64_t ms = *tries < 5 ? 1000LL << *tries : 30000;
	if (patient_deadline) {
		int64_t left = patient_deadline - clock_mono_ms();
		if (left <= 0) {
			unreachable(o, "");
			return EXIT_TIMEOUT;
		}
		if (ms > left)
			ms = left;
	}
	fprintf(stderr, "jobgrid: cannot reach the server at %s: %s; trying again in %.0fs\n",
		client_server(), reason(o, buf, sizeof buf), (double)ms / 1000.0);
	sleep_ms(ms);
	(*tries)++;
	return 0;
}

static void back_again(int tries)
{
	if (tries > 0)
		fprintf(stderr, "jobgrid: the server at %s answers again\n", client_server());
}

/* Requests share one handle, so its connection is kept alive from one to the next (wait
 * polls many jobs); streams get their own. Cleaned up at exit. */
static CURL *shared;

static void shared_cleanup(void)
{
	curl_easy_cleanup(shared);
	shared = NULL;
}

static CURL *handle_for(bool stream)
{
	CURL *h;
	if (!stream && shared) {
		curl_easy_reset(shared);	/* keeps its live connection */
		return shared;
	}
	h = curl_easy_init();
	if (h == NULL) {
		fprintf(stderr, "jobgrid: out of memory\n");
		exit(EXIT_UNREACHABLE);
	}
	if (!stream) {
		shared = h;
		atexit(shared_cleanup);
	}
	return h;
}

static CURL *new_handle(const char *path, bool stream, struct curl_slist **hdr,
			const char *key, char *errbuf)
{
	char url[4096], userh[96], keyh[96], authh[128];
	const char *sock, *rule = srvurl_unix_path(client_server()) ? srvurl_check(client_server()) : NULL;
	if (rule) {	/* else curl would try localhost:80 */
		fprintf(stderr, "jobgrid: the server address '%s': %s\n", client_server(), rule);
		exit(EXIT_USAGE);
	}
	srvurl_target(client_server(), path, url, sizeof url, &sock);
	snprintf(userh, sizeof userh, "X-Jobgrid-User: %s", user_name());
	*hdr = curl_slist_append(NULL, "Content-Type: application/json");
	*hdr = curl_slist_append(*hdr, userh);
	if (key) {
		snprintf(keyh, sizeof keyh, "Idempotency-Key: %s", key);
		*hdr = curl_slist_append(*hdr, keyh);
	}
	if (bearer) {	/* a token the command names (logout's) goes before the usual one */
		snprintf(authh, sizeof authh, "Authorization: Bearer %s", bearer);
		*hdr = curl_slist_append(*hdr, authh);
	} else if (auth_header()[0]) {
		*hdr = curl_slist_append(*hdr, auth_header());
	}
	CURL *h = handle_for(stream);
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_UNIX_SOCKET_PATH, sock);	/* NULL: TCP */
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, *hdr);
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, errbuf);
	curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");	/* ftp://… is a usage error */
	trust_apply(&servers[cur].trust, h);
	return h;
}

/* ---- requests ---------------------------------------------------------------------- */

/* Whether a 503 reply is the server's own, with that error code. */
static bool reply_503(long status, const struct buf *b, const char *want)
{
	if (status != 503 || b->data == NULL)
		return false;
	json_t *j = json_loadb(b->data, b->len, 0, NULL);
	const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	bool yes = code && strcmp(code, want) == 0;
	json_decref(j);
	return yes;
}

/* A 503 from a draining server: retrying would only wait for it to exit. */
static bool draining_reply(long status, const struct buf *b)
{
	return reply_503(status, b, "draining");
}

/* A request's handle on the current server: the method, body and sink, with the key of
 * the request (the same on every server it is sent to). */
static CURL *request_handle(const char *method, const char *path, const char *body,
			    const char *key, struct buf *out, struct curl_slist **hdr, char *detail)
{
	CURL *h = new_handle(path, false, hdr, key, detail);
	curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write_cb);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)out);
	return h;
}

/* Whether o (its body in b) calls for another server of the list: it could not be
 * reached, a proxy in front of it answered for it, or it is a standby (*hint: the leader
 * it names, or ""). */
static bool wants_other_server(const struct outcome *o, const struct buf *b, char *hint,
			       size_t hintlen, bool *standby)
{
	hint[0] = '\0';
	*standby = false;
	if (nservers < 2 || bad_url(o->rc) || untrusted(o))
		return false;
	if (o->rc != CURLE_OK)
		return true;
	if (o->status == 503 && failover_not_leader(b->data, b->len, hint, hintlen))
		return *standby = true;
	/* the server's own draining and in_progress are about this server and this key */
	return gateway(o) && !draining_reply(o->status, b) && !reply_503(o->status, b, "in_progress");
}

/* Move to the next server after a failure on the current one (the standby's hint when
 * it is one of the list). After each round of the list, a pause: the pause of the
 * patient mode, else one that grows up to 2 s within the retry budget. 0 to go on, or
 * the exit status after saying why not. */
static int fail_over(const struct outcome *o, bool standby, const char *hint, int *switches,
		     int64_t deadline, int64_t *pause, int *tries)
{
	char buf[CURL_ERROR_SIZE + 64];
	char **urls = xcalloc((size_t)nservers, sizeof *urls);	/* borrowed strings */
	for (int i = 0; i < nservers; i++)
		urls[i] = servers[i].url;
	int next = failover_next(urls, nservers, cur, hint);
	free(urls);
	const char *why = buf;	/* reason() may answer with a string of its own */
	if (standby)
		snprintf(buf, sizeof buf, "it is a standby (the leader is %.200s)",
			 hint[0] ? hint : "not known yet");
	else
		why = reason(o, buf, sizeof buf);
	if (++*switches % nservers == 0) {
		if (patient) {
			int rc = patient_pause(o, tries);
			if (rc)
				return rc;
		} else {
			if (clock_mono_ms() + *pause > deadline) {
				if (standby)
					fprintf(stderr, "jobgrid: no server of the list is the leader "
							"(%s is a standby)\n", client_server());
				else
					unreachable(o, " (tried every server of the list)");
				return EXIT_UNREACHABLE;
			}
			sleep_ms(*pause);
			*pause = *pause * 2 > 2000 ? 2000 : *pause * 2;
		}
	}
	fprintf(stderr, "jobgrid: the server at %s: %s; trying %s\n", client_server(), why,
		servers[next].url);
	cur = next;
	return trust_setup();
}

/* One request with the retries of client.h; the body is collected into *out. Returns 0
 * with *status set, or an exit status after printing why. */
static int perform(const char *method, const char *path, const char *body, bool mutating,
		   struct buf *out, long *status)
{
	char key[64] = "", hint[1024];
	struct outcome o = {0};
	struct curl_slist *hdr;
	int trc = trust_setup();
	if (trc)
		return trc;
	if (mutating)
		host_random_hex(key, sizeof key, 16);
	CURL *h = request_handle(method, path, body, mutating ? key : NULL, out, &hdr, o.detail);
	int64_t deadline = clock_mono_ms() + retry_budget_ms(), pause = 100;
	int tries = 0, rc = 0, switches = 0;
	bool lost = false;	/* a try may have reached the server: keep trying */
	bool standby;
	for (;;) {
		buf_free(out);	/* a retry starts a fresh body */
		o.detail[0] = '\0';
		outcome_read(h, curl_easy_perform(h), &o);
		if (wants_other_server(&o, out, hint, sizeof hint, &standby)) {
			curl_slist_free_all(hdr);
			if ((rc = fail_over(&o, standby, hint, &switches, deadline, &pause, &tries)) != 0) {
				hdr = NULL;
				break;
			}
			h = request_handle(method, path, body, mutating ? key : NULL, out, &hdr,
					   o.detail);
			continue;
		}
		if (o.rc == CURLE_OK && (!gateway(&o) || draining_reply(o.status, out))) {
			if (patient)
				back_again(tries);
			break;
		}
		if (bad_url(o.rc) || untrusted(&o)) {
			rc = unreachable(&o, "");
			break;
		}
		if (patient) {
			if ((rc = patient_pause(&o, &tries)) != 0)
				break;
			continue;
		}
		lost = lost || may_have_arrived(o.rc) || gateway(&o);
		if (!lost || clock_mono_ms() + pause > deadline) {
			if (gateway(&o))
				break;	/* the caller prints the proxy's answer */
			char extra[80] = "";
			if (tries)
				snprintf(extra, sizeof extra, " (gave up after %d tries)", tries + 1);
			rc = unreachable(&o, extra);
			break;
		}
		if (tries == 0) {
			char buf[CURL_ERROR_SIZE + 64];
			fprintf(stderr, "jobgrid: %s; trying again for up to %llds\n",
				reason(&o, buf, sizeof buf), (long long)retry_budget_ms() / 1000);
		}
		sleep_ms(pause);
		pause = pause * 2 > 2000 ? 2000 : pause * 2;
		tries++;
	}
	*status = o.status;
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
	curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);	/* o.detail goes out of scope */
	curl_slist_free_all(hdr);
	return rc;
}

/* Print an error reply; its exit status: by its code, or by the HTTP status when it has
 * none this CLI knows (a proxy's page). */
static int print_error(long status, const struct buf *b)
{
	json_t *j = b->data ? json_loads(b->data, 0, NULL) : NULL;
	json_t *error = json_object_get(j, "error");
	const char *msg = json_string_value(json_object_get(error, "message"));
	int rc = client_exit_for_code(json_string_value(json_object_get(error, "code")));
	json_t *problems = json_object_get(j, "problems"), *p;	/* a refused deploy */
	size_t i;
	if (json_array_size(problems)) {
		fprintf(stderr, "jobgrid: %zu problem%s; nothing was deployed:\n",
			json_array_size(problems), json_array_size(problems) == 1 ? "" : "s");
		json_array_foreach(problems, i, p)
			fprintf(stderr, "  %s\n", json_string_value(p));
	} else if (msg)
		fprintf(stderr, "jobgrid: %s\n", msg);
	else
		fprintf(stderr, "jobgrid: the server answered %ld%s%.200s\n", status,
			b->len ? ": " : "", b->data ? b->data : "");
	json_decref(j);
	return rc >= 0 ? rc : client_exit_for_status(status);
}


int client_call(const char *method, const char *path, json_t *body, bool mutating,
		json_t **reply)
{
	char *text = body ? json_dumps(body, JSON_COMPACT) : NULL;
	struct buf b = {NULL, 0};
	long status = 0;
	int rc = perform(method, path, text, mutating, &b, &status);
	free(text);
	if (rc == 0 && (status < 200 || status >= 300)) {
		rc = print_error(status, &b);
	}
	if (rc == 0 && reply) {
		json_error_t err;
		*reply = json_loadb(b.data ? b.data : "", b.len, 0, &err);
		if (*reply == NULL) {
			fprintf(stderr, "jobgrid: the server's reply is not JSON: %s\n", err.text);
			rc = EXIT_UNREACHABLE;
		}
	}
	free(b.data);
	return rc;
}

/* ---- streams ----------------------------------------------------------------------- */

/* The body goes to the caller's callback once the status says success; an error body is
 * collected and printed instead. */
struct stream_ctx {
	size_t (*cb)(char *, size_t, size_t, void *);
	void *arg;
	CURL *h;
	struct buf err;
	bool began;		/* the reply's body had begun: a break is a loss mid-stream */
	int tries;		/* failed tries before this one (patient mode) */
};

static size_t stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct stream_ctx *sc = arg;
	long status = 0;
	curl_easy_getinfo(sc->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300) {
		if (!sc->began && patient)
			back_again(sc->tries);	/* said when the stream is back, not when it ends */
		sc->began = true;
		return sc->cb(p, size, n, sc->arg);
	}
	return buf_write_cb(p, size, n, &sc->err);
}

int client_stream(const char *path, size_t (*cb)(char *, size_t, size_t, void *), void *arg,
		  bool *lost)
{
	struct outcome o = {0};
	struct curl_slist *hdr;
	int trc = trust_setup();
	if (trc)
		return trc;
	struct stream_ctx sc = {cb, arg, new_handle(path, true, &hdr, NULL, o.detail), {NULL, 0}, false,
				0};
	curl_easy_setopt(sc.h, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(sc.h, CURLOPT_WRITEDATA, &sc);
	int ret = 0, switches = 0;
	int64_t deadline = clock_mono_ms() + retry_budget_ms(), pause = 100;
	char hint[1024];
	bool standby;
	if (lost)
		*lost = false;
	for (;;) {
		buf_free(&sc.err);
		o.detail[0] = '\0';
		outcome_read(sc.h, curl_easy_perform(sc.h), &o);
		/* Before its body began, a stream moves to another server of the list as a
		 * request does (a stream that broke is the caller's to start again). */
		if (!sc.began && o.rc != CURLE_WRITE_ERROR &&
		    wants_other_server(&o, &sc.err, hint, sizeof hint, &standby)) {
			curl_slist_free_all(hdr);
			hdr = NULL;
			curl_easy_cleanup(sc.h);
			sc.h = NULL;
			if ((ret = fail_over(&o, standby, hint, &switches, deadline, &pause,
					     &sc.tries)) != 0)
				break;
			sc.h = new_handle(path, true, &hdr, NULL, o.detail);
			curl_easy_setopt(sc.h, CURLOPT_WRITEFUNCTION, stream_write);
			curl_easy_setopt(sc.h, CURLOPT_WRITEDATA, &sc);
			continue;
		}
		if ((o.rc == CURLE_OK && !gateway(&o)) || o.rc == CURLE_WRITE_ERROR || sc.began)
			break;
		if (patient && !bad_url(o.rc) && !untrusted(&o)) {
			if ((ret = patient_pause(&o, &sc.tries)) != 0)
				break;
			continue;
		}
		if (!gateway(&o))
			ret = unreachable(&o, "");
		break;
	}
	if (ret == 0 && sc.began && o.rc != CURLE_OK && o.rc != CURLE_WRITE_ERROR) {
		char buf[CURL_ERROR_SIZE + 64];
		fprintf(stderr, "jobgrid: lost the connection to the server at %s: %s\n",
			client_server(), reason(&o, buf, sizeof buf));
		ret = EXIT_UNREACHABLE;
		if (lost)
			*lost = true;
	} else if (ret == 0 && (o.status < 200 || o.status >= 300)) {
		ret = print_error(o.status, &sc.err);
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(sc.h);
	free(sc.err.data);
	return ret;
}

int client_pause_after_loss(int *tries)
{
	int64_t ms = *tries < 5 ? 1000LL << *tries : 30000;
	if (patient_deadline) {
		int64_t left = patient_deadline - clock_mono_ms();
		if (left <= 0)
			return EXIT_TIMEOUT;
		if (ms > left)
			ms = left;
	}
	fprintf(stderr, "jobgrid: trying again in %.0fs\n", (double)ms / 1000.0);
	sleep_ms(ms);
	(*tries)++;
	return 0;
}
