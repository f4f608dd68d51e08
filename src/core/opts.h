/* A job's scheduling options (struct job_ext) to and from JSON. The API's field names are
 * also the store's, so requests and recovery share one strict reader (fuzzed through
 * tests/fuzz/fuzz-decode.c). */
#ifndef JG_OPTS_H
#define JG_OPTS_H
#include "core/sched.h"
#include <jansson.h>

struct opts_err {
	char field[160];	/* prefix + field name */
	char rule[400];
};

/* Is key one of the option fields? */
bool opts_is_field(const char *key);
/* Read the option fields of job object o. *out is a new job_ext (taken by the caller), or
 * NULL when o has none. mask (may be NULL) gets the MOD_* bits of the fields present.
 * Relative not-before times count from now. 0, or -1 with e set. */
int opts_read(json_t *o, const char *prefix, int64_t now, struct job_ext **out, unsigned *mask,
	      struct opts_err *e);
/* Add j's option fields to o: all of them (full, for show), or only those set. */
void opts_write(json_t *o, const struct job *j, bool full);
/* The text kept in the store (malloc'd), or NULL for a job without options. */
char *opts_text(const struct job *j);
/* Restore j->x from stored text. 0, or -1 with err. */
int opts_load(struct job *j, const char *text, char *err, size_t errlen);
#endif
