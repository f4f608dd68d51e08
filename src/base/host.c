/* Facts about this machine and random tokens (host.h). */
#include "base/host.h"
#include <stdio.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

int32_t host_cores(void)
{
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n > 0 ? (int32_t)n : 1;
}

int32_t host_ram_mb(void)
{
	FILE *f = fopen("/proc/meminfo", "r");
	long long kb = 0;
	if (f) {
		if (fscanf(f, "MemTotal: %lld kB", &kb) != 1)
			kb = 0;
		fclose(f);
	}
	return (int32_t)(kb / 1024);
}

void host_random_hex(char *out, size_t len, size_t nbytes)
{
	unsigned char raw[64];
	if (nbytes > sizeof raw)
		nbytes = sizeof raw;
	if (getrandom(raw, nbytes, 0) != (ssize_t)nbytes) {
		struct timespec ts;	/* getrandom cannot fail on Linux ≥ 3.17; belt and braces */
		clock_gettime(CLOCK_REALTIME, &ts);
		memset(raw, 0, sizeof raw);
		memcpy(raw, &ts, nbytes < sizeof ts ? nbytes : sizeof ts);
	}
	out[0] = '\0';
	for (size_t i = 0; i < nbytes && 2 * i + 2 < len; i++)
		snprintf(out + 2 * i, 3, "%02x", raw[i]);
}
