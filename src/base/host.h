/* Facts about this machine that the worker and the server's local workers size
 * themselves by, and random tokens from the kernel. */
#ifndef JG_HOST_H
#define JG_HOST_H
#include <stddef.h>
#include <stdint.h>

int32_t host_cores(void);		/* online CPUs, at least 1 */
int32_t host_ram_mb(void);		/* MemTotal in MB, 0 if unknown */
/* 2*nbytes random hex digits into out (len > 2*nbytes), from getrandom(2). */
void host_random_hex(char *out, size_t len, size_t nbytes);
#endif
