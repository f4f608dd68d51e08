/* dropproxy PORT_FILE TARGET_HOST:PORT N — a TCP proxy on 127.0.0.1:0 (its port written to
 * PORT_FILE) that forwards each connection to TARGET, except that for the first N
 * connections it closes the client side as soon as the target's reply has arrived: the
 * request reached the server, the client never sees the answer. Used to prove that a
 * retried `add` creates nothing twice. Exits by itself after 60 s. */
#include "proxy.h"
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include "port-file.h"

/* Shuttle bytes both ways; with drop set, close once the target has sent anything. */
static void serve(int client, const char *target, int drop)
{
	int up = proxy_connect(target);
	if (up < 0) {
		close(client);
		return;
	}
	struct pollfd p[2] = {{client, POLLIN, 0}, {up, POLLIN, 0}};
	char buf[65536];
	for (;;) {
		if (poll(p, 2, 30000) <= 0)
			break;
		if (p[0].revents) {
			ssize_t n = read(client, buf, sizeof buf);
			if (n <= 0 || write(up, buf, (size_t)n) != n)
				break;
		}
		if (p[1].revents) {
			ssize_t n = read(up, buf, sizeof buf);
			if (n <= 0)
				break;
			if (drop) {
				fprintf(stderr, "dropproxy: dropped a reply of %zd bytes\n", n);
				break;
			}
			if (write(client, buf, (size_t)n) != n)
				break;
		}
	}
	close(up);
	close(client);
}

int main(int argc, char **argv)
{
	if (argc != 4) {
		fprintf(stderr, "usage: dropproxy PORT_FILE TARGET_HOST:PORT N\n");
		return 2;
	}
	int drops = atoi(argv[3]);
	signal(SIGPIPE, SIG_IGN);
	alarm(60);
	int ls = proxy_listen("dropproxy", argv[1]);
	if (ls < 0)
		return 1;
	for (;;) {
		int c = accept(ls, NULL, NULL);
		if (c < 0)
			continue;
		serve(c, argv[2], drops > 0);	/* one at a time: the CLI is sequential */
		if (drops > 0)
			drops--;
	}
}
