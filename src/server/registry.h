/* The registry of deployed definitions and the making of runs (registry.c).
 *
 * Every version of every name ever deployed is kept, in memory (srv->defs) and in the
 * store, until exit; a run expands the version current when it starts, so redeploying
 * never changes a job already made. Who asked for a run (the HTTP face, or a job network)
 * hears back through a `struct run_waiter`, so this module knows nothing of requests. */
#ifndef JG_REGISTRY_H
#define JG_REGISTRY_H
#include "base/errors.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct job;
struct definition;
struct store_def_row;

struct def_version {
	int32_t version;
	struct definition *d;		/* owned */
	char *source;			/* owned: the text as deployed */
	const char *owner;		/* interned */
	int64_t deployed_at;
};

/* One name: read-only outside registry.c. */
struct def_entry {
	char *name;			/* owned */
	struct def_version *v;		/* owned array, oldest first */
	size_t nv;
	bool active;			/* false once undeployed (history stays) */
	struct def_entry *hnext;	/* same-hash chain in srv->defs */
};

/* Who waits for the job of a run asked for by a client. Answered exactly once, by made or
 * refused; the waiter may be freed in the answer. */
struct run_waiter {
	const char *owner;		/* interned: whose run it is */
	/* The job j (njoblets joblets) of version of d was made. */
	void (*made)(struct run_waiter *w, const struct definition *d, int32_t version,
		     const struct job *j, long long njoblets);
	/* No job was made: the error (base/errors.def), the field at fault and why. */
	void (*refused)(struct run_waiter *w, enum api_error err, const char *field,
			const char *msg);
	/* A script refused the run: why, and its Lua traceback (borrowed, or NULL). */
	void (*script_failed)(struct run_waiter *w, const char *msg, json_t *traceback);
	/* The run waits for a script process: call gone(arg) if the asker leaves first.
	 * wait(w, NULL, NULL) stops watching, before the answer. */
	void (*wait)(struct run_waiter *w, void (*gone)(void *arg), void *arg);
};

/* A stored version at start (the store's loader; arg: the server); everything at exit. */
void defs_load(void *arg, const struct store_def_row *row);
void defs_free_all(struct server *srv);
/* The entry of a deployed (active) name, or NULL. */
struct def_entry *defs_deployed(struct server *srv, const char *name);
/* The deployed entries, in no order: *out malloc'd (the caller frees the array). */
size_t defs_deployed_all(struct server *srv, struct def_entry ***out);
/* Deploy defs[0..n) (all read, none NULL; taken: set to NULL) from the deploy body's
 * files (their "source" and "scripts"), by owner: new versions, in the open batch.
 * Returns [{"name", "version", "file"}…] (new). */
json_t *defs_deploy(struct server *srv, struct definition **defs, json_t *files, size_t n,
		    const char *owner);
void defs_undeploy(struct server *srv, struct def_entry *e);
const struct definition *defs_find_version(struct server *srv, const char *name,
					   int32_t version);
/* The retry budget of a run: facts given at run time, then the definition's. */
int64_t defs_fact_retries(const struct definition *d, json_t *over);
/* The current version of a deployed definition (NULL if none), its number and owner. */
const struct definition *defs_current(struct server *srv, const char *name, int32_t *version,
				      const char **owner);
/* The current versions of the deployed definitions: *out malloc'd (the caller frees the
 * array, not the definitions). Returns the count. */
size_t defs_active(struct server *srv, struct definition ***out);
/* Start a run for w: a script's job_started, or the command expanded. args and facts
 * are checked already (the face's decoding). */
void defs_start_run(struct server *srv, struct run_waiter *w, const struct definition *d,
		    int32_t version, json_t *args, json_t *facts, const char *cwd);
/* The default arguments of d (for runs nobody typed arguments for); NULL with *why when
 * an argument has no default. */
json_t *defs_default_args(const struct definition *d, const char **why);
char *defs_expand_run(const struct definition *d, json_t *args, long long *njoblets, char *buf,
		      size_t len, const char **field);
char *defs_run_state(const struct definition *d, int32_t version);
/* Make a run's job without a waiter; NULL with *bad. script: the run's state (taken). */
struct job *defs_create_job(struct server *srv, const char *owner, const struct definition *d,
			    json_t *args, json_t *facts, const char *cmd, long long njoblets,
			    int64_t seq, const char *cwd, char *script, const char **bad);
/* Make the job of a run for w (seq 0: the next). facts: run-time facts, or a script run's
 * job facts; script: a script run's state (taken), or NULL. Answers w; returns the job or
 * NULL. */
struct job *defs_make_job(struct server *srv, struct run_waiter *w, const struct definition *d,
			  int32_t version, json_t *args, json_t *facts, const char *cmd,
			  long long njoblets, int64_t seq, const char *cwd, char *script);
#endif
