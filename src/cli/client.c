/* libcurl easy-API client with retries and idempotency keys. */
#include "cli/client.h"
#include "base/buf.h"
#include "base/clock.h"
#include "base/host.h"
#include "base/xalloc.h"
#include "cli/cli.h"
#include <curl/curl.h>
#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static const char *server_url;

void client_set_server(const char *url)
{
	server_url = url;
}

const char *client_server(void)
{
	if (server_url)
		return server_url;
	const char *env = getenv("JOBGRID_URL");
	return env && *env ? env : "http://127.0.0.1:7370";
}

int client_exit_for_status(long status)
{
	if (status >= 200 && status < 300)
		return EXIT_OK;
	if (status == 404)
		return EXIT_NOT_FOUND;
	if (status == 401 || status == 403)
		return EXIT_DENIED;
	if (status >= 400 && status < 500)
		return EXIT_USAGE;
	return EXIT_UNREACHABLE;
}

char *client_escape(const char *s)
{
	char *e = curl_easy_escape(NULL, s, 0);
	char *out = xstrdup(e ? e : "");
	curl_free(e);
	return out;
}

/* Connection-level failures worth another try: the request may or may not have arrived,
 * which is what the idempotency key is for. */
static bool retryable(CURLcode rc)
{
	return rc == CURLE_COULDNT_CONNECT || rc == CURLE_GOT_NOTHING || rc == CURLE_RECV_ERROR ||
	       rc == CURLE_SEND_ERROR || rc == CURLE_OPERATION_TIMEDOUT || rc == CURLE_PARTIAL_FILE;
}

static int64_t retry_budget_ms(void)
{
	const char *env = getenv("JOBGRID_RETRY_SECS");
	return (env && *env ? atoll(env) : 10) * 1000;
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

static void print_error(long status, const struct buf *b)
{
	json_t *j = b->data ? json_loads(b->data, 0, NULL) : NULL;
	const char *msg = json_string_value(json_object_get(json_object_get(j, "error"), "message"));
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
}

/* A 503 from a draining server: retrying would only wait for it to exit. */
static bool draining_reply(long status, const struct buf *b)
{
	if (status != 503 || b->data == NULL)
		return false;
	json_t *j = json_loadb(b->data, b->len, 0, NULL);
	const char *code = json_string_value(json_object_get(json_object_get(j, "error"), "code"));
	bool yes = code && strcmp(code, "draining") == 0;
	json_decref(j);
	return yes;
}

/* One request with retries; the body is collected into *out. */
static int perform(const char *method, const char *path, const char *body, bool mutating,
		   struct buf *out, long *status)
{
	char url[4096], key[64] = "", keyh[96], userh[96];
	snprintf(url, sizeof url, "%s%s", client_server(), path);
	if (mutating) {
		host_random_hex(key, sizeof key, 16);
		snprintf(keyh, sizeof keyh, "Idempotency-Key: %s", key);
	}
	snprintf(userh, sizeof userh, "X-Jobgrid-User: %s", user_name());
	CURL *h = curl_easy_init();
	struct curl_slist *hdr = curl_slist_append(NULL, "Content-Type: application/json");
	hdr = curl_slist_append(hdr, userh);
	if (mutating)
		hdr = curl_slist_append(hdr, keyh);
	int64_t deadline = clock_mono_ms() + retry_budget_ms(), pause = 100;
	CURLcode rc;
	for (;;) {
		buf_free(out);	/* a retry starts a fresh body */
		curl_easy_setopt(h, CURLOPT_URL, url);
		curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
		curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
		curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
		curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
		if (body)
			curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
		curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, buf_write_cb);
		curl_easy_setopt(h, CURLOPT_WRITEDATA, (void *)out);
		rc = curl_easy_perform(h);
		if (rc == CURLE_OK)
			curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, status);
		bool again = (rc != CURLE_OK && retryable(rc)) ||
			     (rc == CURLE_OK && *status >= 502 && *status <= 504 &&
			      !draining_reply(*status, out));
		if (!again || clock_mono_ms() + pause > deadline)
			break;
		struct timespec ts = {0, (long)pause * 1000000L};
		nanosleep(&ts, NULL);
		pause = pause * 2 > 1000 ? 1000 : pause * 2;
	}
	curl_slist_free_all(hdr);
	curl_easy_cleanup(h);
	if (rc != CURLE_OK) {
		fprintf(stderr, "jobgrid: server unreachable at %s: %s\n", client_server(),
			curl_easy_strerror(rc));
		return EXIT_UNREACHABLE;
	}
	return 0;
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
		print_error(status, &b);
		rc = client_exit_for_status(status);
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

/* Streaming: the body goes to the caller's callback once the status says success; an
 * error body is collected and printed instead. */
struct stream_ctx {
	size_t (*cb)(char *, size_t, size_t, void *);
	void *arg;
	CURL *h;
	struct buf err;
};

static size_t stream_write(char *p, size_t size, size_t n, void *arg)
{
	struct stream_ctx *sc = arg;
	long status = 0;
	curl_easy_getinfo(sc->h, CURLINFO_RESPONSE_CODE, &status);
	if (status >= 200 && status < 300)
		return sc->cb(p, size, n, sc->arg);
	return buf_write_cb(p, size, n, &sc->err);
}

int client_stream(const char *path, size_t (*cb)(char *, size_t, size_t, void *), void *arg)
{
	char url[4096], userh[96];
	long status = 0;
	snprintf(url, sizeof url, "%s%s", client_server(), path);
	snprintf(userh, sizeof userh, "X-Jobgrid-User: %s", user_name());
	struct stream_ctx sc = {cb, arg, curl_easy_init(), {NULL, 0}};
	struct curl_slist *hdr = curl_slist_append(NULL, userh);
	curl_easy_setopt(sc.h, CURLOPT_URL, url);
	curl_easy_setopt(sc.h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(sc.h, CURLOPT_CONNECTTIMEOUT_MS, 3000L);
	curl_easy_setopt(sc.h, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(sc.h, CURLOPT_WRITEFUNCTION, stream_write);
	curl_easy_setopt(sc.h, CURLOPT_WRITEDATA, &sc);
	CURLcode rc = curl_easy_perform(sc.h);
	curl_easy_getinfo(sc.h, CURLINFO_RESPONSE_CODE, &status);
	curl_slist_free_all(hdr);
	curl_easy_cleanup(sc.h);
	int ret = 0;
	if (rc != CURLE_OK && rc != CURLE_WRITE_ERROR) {
		fprintf(stderr, "jobgrid: server unreachable at %s: %s\n", client_server(),
			curl_easy_strerror(rc));
		ret = EXIT_UNREACHABLE;
	} else if (status < 200 || status >= 300) {
		print_error(status, &sc.err);
		ret = client_exit_for_status(status);
	}
	free(sc.err.data);
	return ret;
}
