/* Inside the sandbox: one request's state, shared by sandbox.c (the state, its budgets,
 * running the script) and api.c (what handlers can call). Not for use outside src/script. */
#ifndef JG_SANDBOX_INT_H
#define JG_SANDBOX_INT_H
#include "base/buf.h"
#include <jansson.h>
#include <lua.h>
#include <stdbool.h>

#define SB_MAX_OUTPUT ((size_t)64 * 1024)	/* print()ed bytes kept per call (server) */

enum sb_stop { STOP_NONE, STOP_INSTRUCTIONS, STOP_MEMORY };

/* The last allocation the budget refused. Lua may collect garbage and ask again with the
 * same arguments; when that second try fits, the refusal was no stop after all. */
struct sb_refusal {
	bool pending;
	void *ptr;
	size_t osize, nsize;
};

struct sb {
	lua_State *L;
	/* Budgets. Everything Lua allocates is in mem_used; ext_used is what the script made
	 * us hold outside Lua (facts, schedule entries, output), and goes below 0 when it
	 * deletes facts the request brought. Their sum may not pass mem_limit. */
	size_t mem_used, mem_limit;		/* bytes */
	long long ext_used;			/* bytes */
	size_t gc_at;				/* collect in full past this many (bytes) */
	long long instr, instr_limit;
	enum sb_stop stopped;			/* sticky once set, but see refusal */
	struct sb_refusal refusal;
	bool worker;
	const char *chunkname;			/* borrowed: how messages name the script */
	int line_offset;			/* file line of script line 1, minus 1 */
	json_t *job_facts;			/* owned */
	/* the call being run */
	const char *handler;			/* borrowed; "" while the top level runs */
	json_t *joblet_facts;			/* owned */
	json_t *schedule;			/* owned array of {"n", "args"} */
	long long scheduled;			/* joblets scheduled over the whole request */
	struct buf out;				/* print()ed text of this call (server mode) */
	bool out_truncated;
	char *traceback;			/* owned: of the last error, or NULL */
};

/* The request state a Lua state belongs to. */
struct sb *sb_of(lua_State *L);
/* Hold bytes outside Lua for the script (negative: release them). Over the memory budget
 * (after collecting garbage) it is a memory stop, raised as a Lua error. */
void sb_charge(lua_State *L, long long bytes);
/* Raise the stop that is in force as a Lua error (never returns). */
int sb_raise_stop(lua_State *L);

/* api.c: the job or joblet object handlers get (pushed on L). */
void sb_push_object(lua_State *L, bool joblet, bool worker);
/* api.c: print for the sandbox (to the call's output, or stdout in worker mode). */
int sb_print(lua_State *L);
#endif
