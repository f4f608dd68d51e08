/* What a worker agent is told when it starts: filled by `jobgrid worker` (src/cli/
 * cmd-worker.c parses argv into it) or by a test, and read by worker_run. Every pointer is
 * borrowed: the caller keeps it alive until worker_run returns. */
#ifndef JG_WORKER_CONFIG_H
#define JG_WORKER_CONFIG_H
#include <stdbool.h>
#include <stdint.h>

struct worker_config {
	char **urls;		/* the servers, tried in turn; http:// or https://, no trailing '/' */
	int nurls;		/* at least 1 */
	const char *ca_file;	/* an https:// server's certificate verifies against it (--ca,
				 * $JOBGRID_CA), or NULL: the fingerprint pinned by login */
	const char *ca_from;	/* where ca_file came from, for messages: "--ca" */
	const char *name;	/* the node name: 1..128 of [A-Za-z0-9_.-] */
	int32_t cores, ram_mb, gpus;	/* what it offers */
	const char *tags;	/* a JSON object's text (sorted keys), or NULL for none */
	int64_t idle_exit_ms;	/* exit after this long without a joblet; 0: never */
	int64_t grace_ms;	/* between SIGTERM and SIGKILL for a joblet it ends */
	const char *ram_method;	/* "" (auto), "auto", "cgroup" or "sampling" */
	const char *spool_dir;	/* where joblets' output waits for the server */
	bool run_as_owner;	/* run each joblet as the local account named like its owner
				 * (the worker must run as root) */
	const char *token;	/* the worker token sent as Authorization: Bearer, or NULL */
};

/* How worker_run ended; the CLI turns it into an exit status. */
enum worker_result {
	WORKER_DONE = 0,	/* stopped by a signal, --idle-exit or a draining server */
	WORKER_BAD_CONFIG,	/* the configuration cannot work here (logged), e.g.
				 * --run-as-owner without root */
	WORKER_REFUSED,		/* the server refused to register it (logged) */
};

/* Run the agent until it stops: register, reserve, run, report (worker.h). Blocks; one
 * libevent loop of its own. */
enum worker_result worker_run(const struct worker_config *cfg);
#endif
