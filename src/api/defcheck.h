/* The deploy checker's wait (defcheck.c). */
#ifndef JG_DEFCHECK_H
#define JG_DEFCHECK_H
#include <jansson.h>

struct call;

/* Read a deploy body's files in a checker process first; then done(c, checked) runs on
 * the loop, unless the client left or the checker failed. checked: {"problems":
 * ["FILE:LINE:COL: text"…], "parsed": [whether each file is a YAML mapping]}, borrowed. */
typedef void (*defcheck_done_fn)(struct call *c, json_t *checked);
void defcheck_start(struct call *c, defcheck_done_fn done);
#endif
