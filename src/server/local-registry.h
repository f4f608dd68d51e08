/* DATA/local-workers.json: the local worker processes a server of this data directory
 * started. They outlive a kill -9 of the server with their joblets, and the next server
 * reads this file to adopt the ones still alive instead of starting each name twice.
 *
 *   {"workers": [{"index": 1, "pid": 4242, "start": 91234, "name": "melt-w1",
 *                 "url": "http://127.0.0.1:7370", "cores": 1, "ram_mb": 3900, "gpus": 0}]}
 *
 * A pid names a process only with its start time ("start": clock ticks after boot, field
 * 22 of /proc/PID/stat), so a pid used again by another process is not mistaken for one. */
#ifndef JG_LOCAL_REGISTRY_H
#define JG_LOCAL_REGISTRY_H
#include <stddef.h>
#include <stdint.h>

#define LOCAL_MAX 256		/* --local-workers at most */

struct local_entry {
	int index;			/* 1..LOCAL_MAX */
	int pid;			/* 0: not running */
	unsigned long long start;	/* start time of pid, clock ticks after boot */
	char name[129];			/* node name it registers under */
	char url[512];			/* the server it calls */
	int32_t cores, ram_mb, gpus;
};

/* Decode a registry text into out (room for LOCAL_MAX). Returns the count, or -1 with
 * err saying which entry breaks which rule; nothing of a refused file is used. */
int local_registry_decode(const char *text, size_t len, struct local_entry *out, char *err,
			  size_t errlen);
/* Read dir's registry: the count (0 when there is none), or -1 with err. */
int local_registry_load(const char *dir, struct local_entry *out, char *err, size_t errlen);
/* The registry text of the running entries of e[0..n) (pid > 0), malloc'd; NULL when
 * none runs. */
char *local_registry_encode(const struct local_entry *const *e, int n);
/* Write the running entries of e[0..n) (pid > 0) atomically; with none the file goes.
 * 0, or -1 with errno. */
int local_registry_save(const char *dir, const struct local_entry *const *e, int n);
#endif
