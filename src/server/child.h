/* Child calls (child.c): `jobgrid SUB` in its own process, input on its stdin, a JSON
 * object back from its stdout, killed after limit_s seconds. */
#ifndef JG_CHILD_H
#define JG_CHILD_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct server;
struct child_call;

/* done runs once on the loop: reply is the object (borrowed), or NULL with why saying how
 * the child ended. */
typedef void (*child_done_fn)(void *arg, json_t *reply, const char *why);
struct child_call *child_call_start(struct server *srv, const char *sub, const char *input,
				    size_t len, int limit_s, child_done_fn done, void *arg,
				    const char **err);
/* A command run: done gets its exit status (waitpid's, or -1 if killed at its time limit)
 * and its stdout and stderr as one text (borrowed). */
typedef void (*child_run_fn)(void *arg, int status, const char *out);
/* argv (found on PATH) with input on its stdin; the same rules as child_call_start. */
struct child_call *child_run_start(struct server *srv, char *const argv[], const char *input,
				   size_t len, int limit_s, child_run_fn done, void *arg,
				   const char **err);
void child_call_detach(struct child_call *k);	/* done will not run; the child still ends */
bool child_reaped(struct server *srv, pid_t pid, int status);	/* false: not a child call */
void child_calls_free_all(struct server *srv);
#endif
