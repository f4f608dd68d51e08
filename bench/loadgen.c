/* Load against a jobgrid server's HTTP API, each mode printing its figure on stdout:
 *   loadgen add-batch URL BATCHES SIZE     joblets/s added in batches of SIZE (one connection)
 *   loadgen add-single URL CLIENTS N       adds/s, CLIENTS threads each adding N jobs one by one
 *                                          over its own keep-alive connection
 *   loadgen e2e URL K                      `true` joblets/s: add K, wait until all are done
 *   loadgen latency URL N DIR STAMP        submit-to-start p50 and p99 in ms over N jobs, run
 *                                          one at a time by an idle worker; each job is
 *                                          `STAMP FILE`, which writes the time it started
 *   loadgen deps URL chain|fan N           `true` joblets/s through dependencies: a chain of N
 *                                          (each --after-ok the one before), or a root, N
 *                                          leaves after it in a dep group, and one job after
 *                                          the group; added in batches, then waited for
 *   loadgen health URL SECONDS             seconds until GET /healthz answers 200
 *   loadgen add-latency URL N              p50 and p99 in ms of N durable single adds, one
 *                                          after another over one connection
 * With LOADGEN_TOKEN every request carries that bearer token; with LOADGEN_CA an https://
 * server is checked against that CA file. */
#include <curl/curl.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static double mono(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double wall(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct buf {
	char *p;
	size_t n;
};

static size_t sink(char *d, size_t s, size_t n, void *arg)
{
	struct buf *b = arg;
	if (b) {
		char *q = realloc(b->p, b->n + s * n + 1);
		if (q == NULL)
			return 0;
		b->p = q;
		memcpy(b->p + b->n, d, s * n);
		b->n += s * n;
		b->p[b->n] = '\0';
	}
	return s * n;
}

/* The headers of every request, and the CA that an https:// server is checked against
 * (LOADGEN_TOKEN, LOADGEN_CA): set up once in main, before any thread starts. */
static struct curl_slist *hdr;
static const char *ca_file;

static void setup_headers(void)
{
	static char auth[200];
	const char *token = getenv("LOADGEN_TOKEN");
	hdr = curl_slist_append(NULL, "Content-Type: application/json");
	if (token && *token) {
		snprintf(auth, sizeof auth, "Authorization: Bearer %s", token);
		hdr = curl_slist_append(hdr, auth);
	}
	ca_file = getenv("LOADGEN_CA");
}

/* One request on a reused handle; returns the HTTP status (0 on a transport error). */
static long request(CURL *h, const char *url, const char *body, struct buf *out)
{
	long status = 0;
	if (out)
		out->n = 0;
	curl_easy_setopt(h, CURLOPT_URL, url);
	curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdr);
	curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
	if (body)
		curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
	curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink);
	curl_easy_setopt(h, CURLOPT_WRITEDATA, out);
	curl_easy_setopt(h, CURLOPT_TCP_NODELAY, 1L);
	if (ca_file && *ca_file)
		curl_easy_setopt(h, CURLOPT_CAINFO, ca_file);
	if (curl_easy_perform(h) == CURLE_OK)
		curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
	return status;
}

static char *batch_body(int size, const char *cmd)
{
	size_t per = strlen(cmd) + 16;
	char *b = malloc((size_t)size * per + 4), *p = b;
	*p++ = '[';
	for (int i = 0; i < size; i++)
		p += sprintf(p, "%s{\"cmd\":\"%s\"}", i ? "," : "", cmd);
	*p++ = ']';
	*p = '\0';
	return b;
}

static int add_batch(const char *base, int batches, int size)
{
	char url[512];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	char *body = batch_body(size, "true");
	CURL *h = curl_easy_init();
	double t0 = mono();
	for (int i = 0; i < batches; i++)
		if (request(h, url, body, NULL) != 201)
			return fprintf(stderr, "add-batch: request failed\n"), 1;
	printf("%.0f\n", (double)batches * size / (mono() - t0));
	free(body);
	curl_easy_cleanup(h);
	return 0;
}

struct single {
	const char *url;
	int n, failed;
};

static void *single_client(void *arg)
{
	struct single *s = arg;
	CURL *h = curl_easy_init();
	for (int i = 0; i < s->n; i++)
		if (request(h, s->url, "{\"cmd\":\"true\"}", NULL) != 201)
			s->failed++;
	curl_easy_cleanup(h);
	return NULL;
}

static int add_single(const char *base, int clients, int n)
{
	char url[512];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	pthread_t t[256];
	struct single s[256];
	if (clients > 256)
		clients = 256;
	double t0 = mono();
	for (int i = 0; i < clients; i++) {
		s[i] = (struct single){url, n, 0};
		pthread_create(&t[i], NULL, single_client, &s[i]);
	}
	int failed = 0;
	for (int i = 0; i < clients; i++) {
		pthread_join(t[i], NULL);
		failed += s[i].failed;
	}
	if (failed)
		return fprintf(stderr, "add-single: %d requests failed\n", failed), 1;
	printf("%.0f\n", (double)clients * n / (mono() - t0));
	return 0;
}

/* "done":N from the stats document, without a JSON library. */
static long done_count(const char *json)
{
	const char *p = json ? strstr(json, "\"done\":") : NULL;
	return p ? atol(p + 7) : -1;
}

static int e2e(const char *base, int k)
{
	char url[512], stats[512];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	snprintf(stats, sizeof stats, "%s/v1/stats", base);
	CURL *h = curl_easy_init(), *hs = curl_easy_init();
	struct buf b = {NULL, 0};
	long before = (request(hs, stats, NULL, &b), done_count(b.p));
	char *body = batch_body(1000, "true");
	double t0 = mono();
	for (int left = k; left > 0; left -= 1000) {
		char *part = left >= 1000 ? body : batch_body(left, "true");
		if (request(h, url, part, NULL) != 201)
			return fprintf(stderr, "e2e: add failed\n"), 1;
		if (part != body)
			free(part);
	}
	for (;;) {
		if (request(hs, stats, NULL, &b) == 200 && done_count(b.p) - before >= k)
			break;
		usleep(5000);
		if (mono() - t0 > 300)
			return fprintf(stderr, "e2e: not done after 300 s\n"), 1;
	}
	printf("%.0f\n", (double)k / (mono() - t0));
	free(body);
	free(b.p);
	curl_easy_cleanup(h);
	curl_easy_cleanup(hs);
	return 0;
}

/* Appends one job object to a batch body being built. */
static void put_job(char **body, size_t *len, size_t *cap, const char *deps)
{
	char item[256];
	int n = snprintf(item, sizeof item, "%s{\"cmd\":\"true\"%s%s}", *len > 1 ? "," : "",
			 *deps ? "," : "", deps);
	if (*len + (size_t)n + 2 > *cap) {
		*cap = (*cap + (size_t)n + 2) * 2;
		*body = realloc(*body, *cap);
	}
	memcpy(*body + *len, item, (size_t)n + 1);
	*len += (size_t)n;
}

/* The seq the server gave the first job of a reply: "seqs":[N,... */
static long first_seq(const char *json)
{
	const char *p = json ? strstr(json, "\"seqs\":[") : NULL;
	return p ? atol(p + 8) : -1;
}

static int deps(const char *base, const char *kind, int n)
{
	char url[512], stats[512], d[160];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	snprintf(stats, sizeof stats, "%s/v1/stats", base);
	CURL *h = curl_easy_init(), *hs = curl_easy_init();
	struct buf b = {NULL, 0};
	long before = (request(hs, stats, NULL, &b), done_count(b.p));
	bool chain = strcmp(kind, "chain") == 0;
	int total = chain ? n : n + 2;
	double t0 = mono();
	/* The first job alone tells the seq the others follow (this client adds alone). */
	if (request(h, url, chain ? "{\"cmd\":\"true\"}" : "{\"cmd\":\"sleep 0.2\"}", &b) != 201)
		return fprintf(stderr, "deps: add failed\n"), 1;
	long seq = first_seq(b.p), root = seq;
	for (int i = 1; i < total;) {
		size_t len = 1, cap = 1 << 16;
		char *body = malloc(cap);
		body[0] = '[';
		for (int k = 0; k < 1000 && i < total; k++, i++) {
			if (chain)
				snprintf(d, sizeof d, "\"after_ok\":[%ld]", seq + i - 1);
			else if (i <= n)
				snprintf(d, sizeof d, "\"after_ok\":[%ld],\"dep_groups\":[\"fan%ld\"]", root, root);
			else
				snprintf(d, sizeof d, "\"after_groups\":[\"fan%ld\"]", root);
			put_job(&body, &len, &cap, d);
		}
		body[len++] = ']';
		body[len] = '\0';
		long st = request(h, url, body, &b);
		free(body);
		if (st != 201)
			return fprintf(stderr, "deps: add failed (%ld): %s\n", st, b.p ? b.p : ""), 1;
	}
	for (;;) {
		if (request(hs, stats, NULL, &b) == 200 && done_count(b.p) - before >= total)
			break;
		usleep(5000);
		if (mono() - t0 > 300)
			return fprintf(stderr, "deps: not done after 300 s\n"), 1;
	}
	printf("%.0f\n", (double)total / (mono() - t0));
	free(b.p);
	curl_easy_cleanup(h);
	curl_easy_cleanup(hs);
	return 0;
}

static int cmp(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

static int latency(const char *base, int n, const char *dir, const char *stamp)
{
	char url[512], body[4096], path[1024];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	CURL *h = curl_easy_init();
	double *ms = calloc((size_t)n, sizeof *ms);
	for (int i = 0; i < n; i++) {
		snprintf(path, sizeof path, "%s/stamp-%d", dir, i);
		snprintf(body, sizeof body, "{\"cmd\":\"%s %s\"}", stamp, path);
		usleep(20000);	/* the worker is idle and its reserve parked */
		double t0 = wall();
		if (request(h, url, body, NULL) != 201)
			return fprintf(stderr, "latency: add failed\n"), 1;
		FILE *f = NULL;
		for (double start = mono(); (f = fopen(path, "r")) == NULL; usleep(200))
			if (mono() - start > 10)
				return fprintf(stderr, "latency: job %d never started\n", i), 1;
		double started = 0;
		if (fscanf(f, "%lf", &started) != 1)
			return fprintf(stderr, "latency: bad stamp\n"), 1;
		fclose(f);
		ms[i] = (started - t0) * 1000.0;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("%.2f %.2f\n", ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	free(ms);
	curl_easy_cleanup(h);
	return 0;
}

static int add_latency(const char *base, int n)
{
	char url[512];
	snprintf(url, sizeof url, "%s/v1/jobs", base);
	CURL *h = curl_easy_init();
	double *ms = calloc((size_t)n, sizeof *ms);
	for (int i = 0; i < n; i++) {
		double t0 = mono();
		if (request(h, url, "{\"cmd\":\"true\"}", NULL) != 201)
			return fprintf(stderr, "add-latency: add failed\n"), 1;
		ms[i] = (mono() - t0) * 1000.0;
	}
	qsort(ms, (size_t)n, sizeof *ms, cmp);
	printf("%.2f %.2f\n", ms[n / 2], ms[(n * 99) / 100 < n ? (n * 99) / 100 : n - 1]);
	free(ms);
	curl_easy_cleanup(h);
	return 0;
}

static int health(const char *base, double secs)
{
	char url[512];
	snprintf(url, sizeof url, "%s/healthz", base);
	CURL *h = curl_easy_init();
	curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, 200L);
	double t0 = mono();
	while (request(h, url, NULL, NULL) != 200) {
		if (mono() - t0 > secs)
			return fprintf(stderr, "health: no answer\n"), 1;
		usleep(2000);
	}
	printf("%.3f\n", mono() - t0);
	curl_easy_cleanup(h);
	return 0;
}

int main(int argc, char **argv)
{
	curl_global_init(CURL_GLOBAL_DEFAULT);
	setup_headers();
	if (argc == 5 && strcmp(argv[1], "add-batch") == 0)
		return add_batch(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 5 && strcmp(argv[1], "add-single") == 0)
		return add_single(argv[2], atoi(argv[3]), atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "e2e") == 0)
		return e2e(argv[2], atoi(argv[3]));
	if (argc == 6 && strcmp(argv[1], "latency") == 0)
		return latency(argv[2], atoi(argv[3]), argv[4], argv[5]);
	if (argc == 5 && strcmp(argv[1], "deps") == 0)
		return deps(argv[2], argv[3], atoi(argv[4]));
	if (argc == 4 && strcmp(argv[1], "health") == 0)
		return health(argv[2], atof(argv[3]));
	if (argc == 4 && strcmp(argv[1], "add-latency") == 0)
		return add_latency(argv[2], atoi(argv[3]));
	fprintf(stderr, "usage: see the comment at the top of bench/loadgen.c\n");
	return 2;
}
