/* The planner's inside, shared by plan.c, graph.c and simulate.c only. */
#ifndef JG_NET_PLAN_INT_H
#define JG_NET_PLAN_INT_H
#include "net/plan.h"
#include <sys/types.h>

struct net_def {
	char *name;			/* owned */
	struct net_spec spec;		/* owned copy */
	bool paused;
	bool fail_target;		/* another definition names it in successors_on_failure */
	int64_t planned_through;	/* start of the last period whose runs were made */
	/* Edges from both sides ("X successors: [Y]" = "Y predecessors: [X]"), as indices
	 * into plan->defs of deployed definitions; rebuilt whenever defs change. Owned. */
	size_t *preds, *succs, *fails;
	size_t npreds, nsuccs, nfails;
};

struct net_plan {
	struct net_settings server;	/* the config-file layer */
	struct net_def *defs;		/* owned, in deploy order */
	size_t ndefs;
	struct net_run *runs;		/* owned, in the order made; pointers die on growth */
	size_t nruns, caprun;
	int64_t next_id;
};

/* Index of the definition called name, or -1. */
ssize_t net_def_index(const struct net_plan *p, const char *name);
#endif
