/* The machine's own rates, measured beside jobgrid in the same run:
 *   raw-spawn spawn LANES SECONDS   posix_spawn + waitpid of `/bin/sh -c true`, LANES threads
 *   raw-spawn fsync DIR SECONDS     100-byte appends, each followed by fdatasync, in DIR
 * Each prints one number: operations per second. */
#include <fcntl.h>
#include <pthread.h>
#include <spawn.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;
static double seconds;
static atomic_long count;

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void *lane(void *arg __attribute__((unused)))
{
	char *argv[] = {"sh", "-c", "true", NULL};
	double end = now() + seconds;
	while (now() < end) {
		pid_t pid;
		int st;
		if (posix_spawn(&pid, "/bin/sh", NULL, NULL, argv, environ) != 0)
			continue;
		waitpid(pid, &st, 0);
		atomic_fetch_add(&count, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	if (argc == 4 && strcmp(argv[1], "spawn") == 0) {
		int lanes = atoi(argv[2]);
		seconds = atof(argv[3]);
		pthread_t t[64];
		double t0 = now();
		for (int i = 0; i < lanes && i < 64; i++)
			pthread_create(&t[i], NULL, lane, NULL);
		for (int i = 0; i < lanes && i < 64; i++)
			pthread_join(t[i], NULL);
		printf("%.0f\n", (double)count / (now() - t0));
		return 0;
	}
	if (argc == 4 && strcmp(argv[1], "fsync") == 0) {
		char path[4096], buf[100];
		snprintf(path, sizeof path, "%s/fsync-probe.dat", argv[2]);
		int fd = open(path, O_CREAT | O_TRUNC | O_WRONLY | O_APPEND, 0600);
		if (fd < 0)
			return 1;
		memset(buf, 'x', sizeof buf);
		long n = 0;
		double t0 = now(), end = t0 + atof(argv[3]);
		while (now() < end) {
			if (write(fd, buf, sizeof buf) != (ssize_t)sizeof buf || fdatasync(fd) != 0)
				return 1;
			n++;
		}
		close(fd);
		unlink(path);
		printf("%.0f\n", (double)n / (now() - t0));
		return 0;
	}
	fprintf(stderr, "usage: raw-spawn spawn LANES SECONDS | fsync DIR SECONDS\n");
	return 2;
}
