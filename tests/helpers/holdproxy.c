/* holdproxy PORT_FILE TARGET_HOST:PORT HOLD_FILE [CUT_FILE] — a TCP proxy on 127.0.0.1:0
 * (its port written to PORT_FILE) for any number of connections at once, that holds back
 * what the target sends while HOLD_FILE exists and delivers it, in order, once the file is
 * gone. Requests always go through at once, and the first line of each (e.g. "POST /v1/…
 * HTTP/1.1") is printed on stdout. Used to hand a worker a reply only after the test has
 * made it do something else first. While CUT_FILE exists, every connection is closed and
 * new ones wait unaccepted: the network is cut until the file is removed. Exits by itself
 * after 120 s. */
#include "proxy.h"
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MAX_PAIRS 64

struct pair {
	int client, up;		/* -1 when closed */
	char *held;		/* from malloc: bytes from the target not yet delivered */
	size_t nheld;
	bool up_done;		/* the target closed: close the client once held is out */
};

static bool write_all(int fd, const char *p, size_t n)
{
	while (n > 0) {
		ssize_t w = write(fd, p, n);
		if (w <= 0)
			return false;
		p += w;
		n -= (size_t)w;
	}
	return true;
}

static void close_pair(struct pair *p)
{
	if (p->client >= 0)
		close(p->client);
	if (p->up >= 0)
		close(p->up);
	free(p->held);
	memset(p, 0, sizeof *p);
	p->client = p->up = -1;
}

/* Request lines: each chunk from a client that starts like one is shown. */
static void show_request(const char *buf, ssize_t n)
{
	static const char *const methods[] = {"GET ", "POST ", "PUT ", "PATCH ", "DELETE ", NULL};
	for (size_t i = 0; methods[i]; i++) {
		size_t ml = strlen(methods[i]);
		if ((size_t)n > ml && memcmp(buf, methods[i], ml) == 0) {
			const char *eol = memchr(buf, '\r', (size_t)n);
			printf("%.*s\n", (int)(eol ? eol - buf : n), buf);
			fflush(stdout);
			return;
		}
	}
}

static void pump(struct pair *p, bool hold)
{
	char buf[65536];
	struct pollfd fds[2] = {{p->client, POLLIN, 0}, {p->up_done ? -1 : p->up, POLLIN, 0}};
	if (poll(fds, 2, 0) <= 0 && (hold || p->nheld == 0))
		return;
	if (fds[0].revents) {
		ssize_t n = read(p->client, buf, sizeof buf);
		if (n <= 0 || !write_all(p->up, buf, (size_t)n)) {
			close_pair(p);
			return;
		}
		show_request(buf, n);
	}
	if (fds[1].revents) {
		ssize_t n = read(p->up, buf, sizeof buf);
		if (n <= 0) {
			p->up_done = true;
		} else {
			p->held = realloc(p->held, p->nheld + (size_t)n);
			if (p->held == NULL)
				exit(1);
			memcpy(p->held + p->nheld, buf, (size_t)n);
			p->nheld += (size_t)n;
		}
	}
	if (!hold && p->nheld > 0) {
		if (!write_all(p->client, p->held, p->nheld)) {
			close_pair(p);
			return;
		}
		p->nheld = 0;
	}
	if (p->up_done && p->nheld == 0)
		close_pair(p);
}

int main(int argc, char **argv)
{
	if (argc != 4 && argc != 5) {
		fprintf(stderr, "usage: holdproxy PORT_FILE TARGET_HOST:PORT HOLD_FILE [CUT_FILE]\n");
		return 2;
	}
	signal(SIGPIPE, SIG_IGN);
	alarm(120);
	int ls = proxy_listen("holdproxy", argv[1]);
	if (ls < 0)
		return 1;
	struct pair pairs[MAX_PAIRS];
	for (int i = 0; i < MAX_PAIRS; i++) {
		memset(&pairs[i], 0, sizeof pairs[i]);
		pairs[i].client = pairs[i].up = -1;
	}
	for (;;) {
		/* Wait for anything, but look at the hold file every 20 ms. */
		struct pollfd fds[1 + 2 * MAX_PAIRS];
		int n = 0;
		bool cut = argc == 5 && access(argv[4], F_OK) == 0;
		for (int i = 0; cut && i < MAX_PAIRS; i++)
			if (pairs[i].client >= 0)
				close_pair(&pairs[i]);
		fds[n++] = (struct pollfd){cut ? -1 : ls, POLLIN, 0};
		for (int i = 0; i < MAX_PAIRS; i++) {
			if (pairs[i].client < 0)
				continue;
			fds[n++] = (struct pollfd){pairs[i].client, POLLIN, 0};
			if (!pairs[i].up_done)
				fds[n++] = (struct pollfd){pairs[i].up, POLLIN, 0};
		}
		poll(fds, (nfds_t)n, 20);
		bool hold = access(argv[3], F_OK) == 0;
		if (fds[0].revents) {
			int c = accept(ls, NULL, NULL);
			int slot = 0;
			while (slot < MAX_PAIRS && pairs[slot].client >= 0)
				slot++;
			int up = c >= 0 && slot < MAX_PAIRS ? proxy_connect(argv[2]) : -1;
			if (up < 0) {
				if (c >= 0)
					close(c);
			} else {
				pairs[slot].client = c;
				pairs[slot].up = up;
			}
		}
		for (int i = 0; i < MAX_PAIRS; i++)
			if (pairs[i].client >= 0)
				pump(&pairs[i], hold);
	}
}
