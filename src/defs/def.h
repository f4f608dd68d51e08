/* Job definitions (SPEC §6): a YAML file read into a checked `struct definition`.
 *
 * Reading collects every problem of a file at once, each with file, line and column, so a
 * deploy can say all that is wrong in one go and deploy nothing. The checks: YAML syntax,
 * unknown keys, types of every value, defaults against their argument's type and limits,
 * a `{{name}}` that is neither an argument nor a fact, a `joblets` expression over integer
 * arguments, and exactly one of `command` and `script`; the job-network keys (def-net.c):
 * `schedule`, `predecessors`, `successors`, `successors_on_failure`, `dependencies`.
 * Running scripts is not this module's business.
 *
 * `script:` is Lua text in a block scalar (`script: |`), or the name of a Lua file next to
 * the YAML or below it (`script: spin.lua`, `script: lib/spin.lua`): a plain or quoted
 * scalar of path characters only, which no Lua chunk is. The reader has no files: the
 * file's text comes with the YAML (def_input.scripts, keyed by the name as written; the
 * CLI reads it beside the YAML), and is kept with the definition, so a change to the file
 * needs a new deploy. Problems inside it are the script checker's (script.h), named by
 * the file's path beside the YAML's ("defs/lib/spin.lua:3:1"). */
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

/* Where something is written in a file, counted from 1. */
struct def_pos {
	int line, col;
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
	int script_line;		/* the line of the script's first line in the file holding
					 * it: the YAML's for inline text, 1 for a file */
	char *script_ref;		/* owned: the Lua file `script:` names, as written but for a
					 * leading "./" ("lib/spin.lua"); NULL for inline text */
	char *script_file;		/* owned: that file beside `file` ("defs/lib/spin.lua"), the
					 * name problems in it are reported under; NULL for inline */
	struct net_spec net;		/* owned: schedule, edges, dependency settings (SPEC §7) */
	struct def_pos *edge_pos[NET_EDGE__N];	/* owned: where each name of net's predecessors,
						 * successors, successors_on_failure is written,
						 * index for index */
};

/* Problems found in one or more files, each "FILE:LINE:COL: what is wrong". */
struct def_errors {
	char **msgs;			/* owned */
	size_t n, cap;
};
void def_errors_free(struct def_errors *e);

/* What a definition is read from; every pointer is borrowed for the call. */
struct def_input {
	const char *file;		/* how messages name the YAML file */
	const char *text;		/* the YAML, len bytes */
	size_t len;
	const char *name_from_path;	/* the name when the file has no `name:` (its path under
					 * the deployed folder, without extension); may be NULL */
	json_t *scripts;		/* {"NAME.lua": "Lua text"}: the file `script:` names, sent
					 * with the YAML; NULL when none was */
};

/* Read a definition. Returns it, or NULL with every problem appended to errs. */
struct definition *def_read_input(const struct def_input *in, struct def_errors *errs);
/* The same, but what could be read is returned even when problems were found (so checks
 * across files can still see its name and edges): NULL only when the text is no YAML
 * mapping. Whether it is sound is whether errs grew. */
struct definition *def_read_partial(const struct def_input *in, struct def_errors *errs);
/* def_read_input of text alone (no script file sent with it). */
struct definition *def_read(const char *file, const char *text, size_t len,
			    const char *name_from_path, struct def_errors *errs);
/* The input of one file of a deploy body: {"file", "source", "name"?, "scripts"?}, as
 * checked by the API (borrowed from f). */
struct def_input def_input_json(json_t *f);
void def_free(struct definition *d);

/* The name a script's messages use at run time: its file as written, else the
 * definition's name (inline text; lines then count in the YAML). */
const char *def_script_chunk(const struct definition *d);
/* The position of the entry of d's list `edge` naming `name`; {1, 1} when none does. */
struct def_pos def_edge_pos(const struct definition *d, enum net_edge edge, const char *name);

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
