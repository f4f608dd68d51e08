/* A server started in this process (server_run on a thread of its own, 127.0.0.1:0, a
 * temporary data directory) answers HTTP over a real socket, refuses with the error
 * table's code and status, and stops cleanly when asked (the ctest run fails on any
 * AddressSanitizer or LeakSanitizer report). */
#include "api/api.h"
#include "server/options.h"
#include <criterion/criterion.h>
#include <arpa/inet.h>
#include <ftw.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

struct running {
	struct server_config cfg;
	pthread_t thread;
	enum server_result result;
	char dir[64];
	int port;
};

static void *serve(void *arg)
{
	struct running *r = arg;
	r->result = server_run(&r->cfg);
	return NULL;
}

static void pause_ms(long ms)
{
	struct timespec ts = {0, ms * 1000000L};
	nanosleep(&ts, NULL);
}

/* The port from DIR/server.url, written once the server listens; waits up to 20 s. */
static int wait_port(const char *dir)
{
	char path[128], url[128];
	snprintf(path, sizeof path, "%s/server.url", dir);
	for (int i = 0; i < 2000; i++) {
		FILE *f = fopen(path, "r");
		int port = 0;
		if (f && fgets(url, sizeof url, f) && sscanf(url, "http://127.0.0.1:%d", &port) == 1) {
			fclose(f);
			return port;
		}
		if (f)
			fclose(f);
		pause_ms(10);
	}
	cr_assert_fail("the server did not write %s within 20 s", path);
	return -1;
}

/* One HTTP/1.0 exchange: the whole reply into out (NUL-terminated). */
static void exchange(int port, const char *request, char *out, size_t len)
{
	int fd = socket(AF_INET, SOCK_STREAM, 0);
	struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
	inet_pton(AF_INET, "127.0.0.1", &sa.sin_addr);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sa, sizeof sa), 0, "connect to %d", port);
	cr_assert_eq(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	size_t at = 0;
	ssize_t n;
	while (at + 1 < len && (n = read(fd, out + at, len - at - 1)) > 0)
		at += (size_t)n;
	out[at] = '\0';
	close(fd);
}

static int rm_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
	return remove(path);
}

static void start(struct running *r)
{
	snprintf(r->dir, sizeof r->dir, "/tmp/jg-test-server.XXXXXX");
	cr_assert_not_null(mkdtemp(r->dir));
	server_config_defaults(&r->cfg, &api_face);
	r->cfg.listen = "127.0.0.1:0";
	r->cfg.data = r->dir;
	r->result = -1;
	cr_assert_eq(pthread_create(&r->thread, NULL, serve, r), 0);
	r->port = wait_port(r->dir);
}

static void stop(struct running *r)
{
	char reply[4096];
	exchange(r->port, "POST /v1/shutdown HTTP/1.0\r\nContent-Length: 0\r\n\r\n", reply,
		 sizeof reply);
	cr_assert(strstr(reply, " 200 ") != NULL, "shutdown: %s", reply);
	pthread_join(r->thread, NULL);
	cr_assert_eq(r->result, SERVER_STOPPED, "server_run returns once stopped");
	nftw(r->dir, rm_entry, 16, FTW_DEPTH | FTW_PHYS);
}

Test(server, answers_in_process_and_stops_cleanly, .timeout = 120)
{
	struct running r;
	char reply[8192];
	start(&r);
	exchange(r.port, "GET /healthz HTTP/1.0\r\n\r\n", reply, sizeof reply);
	cr_assert(strncmp(reply, "HTTP/1.0 200", 12) == 0 || strncmp(reply, "HTTP/1.1 200", 12) == 0,
		  "healthz: %s", reply);
	exchange(r.port, "GET /v1/jobs/nosuch HTTP/1.0\r\n\r\n", reply, sizeof reply);
	cr_assert(strstr(reply, " 404 ") != NULL, "an unknown job: %s", reply);
	cr_assert(strstr(reply, "\"code\":\"not_found\"") || strstr(reply, "\"code\": \"not_found\""),
		  "the table's code: %s", reply);
	exchange(r.port, "DELETE /v1/workers HTTP/1.0\r\n\r\n", reply, sizeof reply);
	cr_assert(strstr(reply, " 405 ") != NULL, "a known path, another method: %s", reply);
	stop(&r);
}

Test(server, a_bad_configuration_is_refused_before_anything_starts)
{
	struct server_config cfg;
	server_config_defaults(&cfg, &api_face);
	cfg.data = "/nonexistent/never-made";
	cfg.lease_ms = 1000;	/* less than twice the heartbeat (5 s) */
	cr_assert_eq(server_run(&cfg), SERVER_BAD_CONFIG);
	cr_assert_eq(access("/nonexistent/never-made", F_OK), -1, "nothing was made");
	server_config_defaults(&cfg, &api_face);
	cfg.listen = "0.0.0.0:0";	/* not loopback */
	cr_assert_eq(server_run(&cfg), SERVER_BAD_CONFIG);
}
