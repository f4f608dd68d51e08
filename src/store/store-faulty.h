/* A store that fails on purpose, for tests: it wraps another store (the SQLite one) and
 * delegates every call, except where its faults say otherwise. A server built for tests
 * (CMake option JG_TEST_FAULTS, on with JG_SANITIZE) wraps its store when the environment
 * names faults in JOBGRID_TEST_FAULTS; a release build neither reads the variable nor links
 * this module.
 *
 *   commit:N   the Nth batch submitted fails to commit: a record the database refuses is
 *              written after the batch's own, so the real transaction fails part way and
 *              the backend stops the server as on any failed write
 *   load:N     the Nth recovery read (1 jobs, 2 definitions, 3 networks) fails after its
 *              rows were read: the server holds a half-loaded queue and must not serve it
 *   short      every output read hands back a single row (a short read), so a log reader
 *              must go on reading until the store says the rows ended
 *
 * Several are joined with commas: "commit:3,short". */
#ifndef JG_STORE_FAULTY_H
#define JG_STORE_FAULTY_H
#include <stdbool.h>

struct store;

struct store_faults {
	long commit;		/* the batch that fails (1: the first submitted); 0: none */
	long load;		/* the recovery read that fails (1..3); 0: none */
	bool short_reads;	/* one output row per read */
};

/* Parse spec into *f. 0, or -1 with *err (malloc'd) naming the item and the rule. */
int store_faults_parse(const char *spec, struct store_faults *f, char **err);
/* A store that delegates to inner (taken: closed with it) and fails as f says. */
struct store *store_faulty_wrap(struct store *inner, const struct store_faults *f);
/* inner wrapped as JOBGRID_TEST_FAULTS says, or inner itself when it names none (or inner
 * is NULL). NULL with *err (malloc'd) when the variable cannot be parsed: inner is closed. */
struct store *store_faulty_from_env(struct store *inner, char **err);
#endif
