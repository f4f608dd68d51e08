/* stamp FILE: write CLOCK_REALTIME (seconds, µs precision) to FILE — the first thing a
 * joblet does, so `loadgen latency` can tell when it started. Written via a temporary
 * name and rename(2), so a reader never sees half a number. */
#include <stdio.h>
#include <time.h>

int main(int argc, char **argv)
{
	struct timespec ts;
	clock_gettime(CLOCK_REALTIME, &ts);
	if (argc != 2)
		return 2;
	char tmp[4096];
	snprintf(tmp, sizeof tmp, "%s.tmp", argv[1]);
	FILE *f = fopen(tmp, "w");
	if (f == NULL)
		return 1;
	fprintf(f, "%lld.%06ld\n", (long long)ts.tv_sec, ts.tv_nsec / 1000);
	return fclose(f) != 0 || rename(tmp, argv[1]) != 0;
}
