/* Shared by the definition reader's files (def.c, def-net.c) only. */
#ifndef JG_DEF_INT_H
#define JG_DEF_INT_H
#include "defs/def.h"
#include <libfyaml.h>

/* One reading: the file name, where problems go, and whether any was found. */
struct reader {
	const char *file;
	struct def_errors *errs;
	size_t errs_before;
	json_t *scripts;		/* borrowed: the script files sent with it, or NULL */
};

/* Where the scalar node n starts ({1, 1} when it is not a scalar). */
struct def_pos def_node_pos(struct fy_node *n);
/* Add "FILE:LINE:COL: text" at the scalar node at (1:1 when it is not a scalar). */
void def_problem(struct reader *r, struct fy_node *at, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
/* A scalar as an owned NUL-terminated string, or NULL if not a scalar. */
char *def_scalar_dup(struct fy_node *n);

/* def-net.c: the job-network keys (SPEC §7). */
bool def_net_key(const char *key);
void def_read_net(struct reader *r, struct definition *d, const char *key, struct fy_node *keyn,
		  struct fy_node *v);
/* Checks that need the whole file (its name): no edge to itself, no name both before and
 * after it. An entry found wrong is reported and dropped, so the checks across files do
 * not report it again. */
void def_check_net(struct reader *r, struct definition *d, struct fy_node *root);
#endif
