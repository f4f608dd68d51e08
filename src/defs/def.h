/* Job definitions (SPEC §6): a YAML file read into a checked `struct definition`.
 *
 * Reading collects every problem of a file at once, each with file, line and column, so a
 * deploy can say all that is wrong in one go and deploy nothing. The checks: YAML syntax,
 * unknown keys, types of every value, defaults against their argument's type and limits,
 * a `{{name}}` that is neither an argument nor a fact, a `joblets` expression over integer
 * arguments, and exactly one of `command` and `script`; the job-network keys (def-net.c):
 * `schedule`, `predecessors`, `successors`, `successors_on_failure`, `dependencies`.
 * Running scripts is not this module's business. */
#ifndef JG_DEF_H
#define JG_DEF_H
#include "net/spec.h"
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

enum arg_type { ARG_INTEGER, ARG_REAL, ARG_STRING, ARG_BOOLEAN, ARG_LIST, ARG__N };
const char *arg_type_name(int t);	/* "integer", …; the jobinfo spelling is capitalised */

struct def_arg {
	char *name;			/* owned */
	char *description;		/* owned, "" if none */
	int type;			/* enum arg_type */
	json_t *def;			/* owned default, NULL if none */
	json_t *choices;		/* owned array, NULL if none */
	bool required, has_min, has_max;
	double min, max;
};

struct def_fact {
	char *name;			/* owned, e.g. "joblet.maxretry" */
	json_t *value;			/* owned */
};

struct definition {
	char *name;			/* owned: path-like, "jobnet/examples/b" */
	char *description;		/* owned, "" if none */
	char *file;			/* owned: where it was read from */
	char **groups;			/* owned array of owned strings */
	size_t ngroups;
	struct def_arg *args;		/* owned */
	size_t nargs;
	struct def_fact *facts;		/* owned */
	size_t nfacts;
	char *joblets;			/* owned: a count or an expression ("{{numJoblets}}"), "1" */
	char *command;			/* owned template, or NULL */
	char *script;			/* owned Lua text, or NULL */
	int script_line;		/* the file line of the script's first line */
	struct net_spec net;		/* owned: schedule, edges, dependency settings (SPEC §7) */
};

/* Problems found in one or more files, each "FILE:LINE:COL: what is wrong". */
struct def_errors {
	char **msgs;			/* owned */
	size_t n, cap;
};
void def_errors_free(struct def_errors *e);

/* Read a definition from text (named file in messages). name_from_path is the name used
 * when the file has no `name:` (its path under the deployed folder, without extension).
 * Returns the definition, or NULL with every problem appended to errs. */
struct definition *def_read(const char *file, const char *text, size_t len,
			    const char *name_from_path, struct def_errors *errs);
void def_free(struct definition *d);

/* Is s a definition name: segments of [A-Za-z0-9_.-] joined by '/', ≤ 200 chars? */
bool def_name_valid(const char *s);
/* Facts a template may name besides the arguments (SPEC §1). */
bool def_fact_known(const char *name);

/* Substitute `{{name}}` in tmpl: arguments from args (shell-quoted), joblet facts as the
 * environment variables the worker sets ("$JOBGRID_JOBLET", …). Returns a malloc'd string,
 * or NULL with why (a static text) and *bad naming the unknown name. */
char *def_expand(const char *tmpl, json_t *args, const char **why, char *bad, size_t badlen);
/* x as the shortest text that reads back as x ("0.9"), into buf. */
void def_format_real(double x, char *buf, size_t len);
/* Evaluate a joblets expression: integers, + - * / ( ), {{arg}} of integer arguments.
 * 0, or -1 with why. */
int def_eval_joblets(const char *expr, json_t *args, long long *out, const char **why);
#endif
