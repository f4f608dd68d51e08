/* The registry of deployed definitions (srv->defs: every version of every name, loaded
 * from the store at start, kept until exit) and the making of a run's job from a
 * definition and its arguments. */
#ifndef JG_REGISTRY_H
#define JG_REGISTRY_H
#include "store/store.h"
#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

struct server;
struct job;
struct definition;
struct call;

/* A stored version at start (the store's loader; arg: the server); everything at exit. */
void defs_load(void *arg, const struct store_def_row *row);
void defs_free_all(struct server *srv);
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
/* Start a run for call c: a script's job_started, or the command expanded (replies). */
void defs_start_run(struct call *c, const struct definition *d, int32_t version, json_t *args,
		    json_t *facts, const char *cwd);
/* The default arguments of d (for runs nobody typed arguments for); NULL with *why when
 * an argument has no default. */
json_t *defs_default_args(const struct definition *d, const char **why);
char *defs_expand_run(const struct definition *d, json_t *args, long long *njoblets, char *buf,
		      size_t len, const char **field);
char *defs_run_state(const struct definition *d, int32_t version);
/* Make a run's job without a call; NULL with *bad. script: the run's state (taken). */
struct job *defs_create_job(struct server *srv, const char *owner, const struct definition *d,
			    json_t *args, json_t *facts, const char *cmd, long long njoblets,
			    int64_t seq, const char *cwd, char *script, const char **bad);
/* Make the job of a run (seq 0: the next). facts: run-time facts, or a script run's job
 * facts; script: a script run's state (taken), or NULL. Replies 201 on c, or an error and
 * returns NULL. */
struct job *defs_make_job(struct call *c, const struct definition *d, int32_t version,
			  json_t *args, json_t *facts, const char *cmd, long long njoblets,
			  int64_t seq, const char *cwd, char *script);
#endif
