/* Deploy-time checks of the network graph: cycles through any kind of edge, and edges
 * naming definitions that do not exist. A cycle through a failure edge counts too: "a
 * fails -> b runs -> b's success starts a" would loop within one period. */
#include "net/plan-int.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

struct graph {
	const struct net_named *defs;
	size_t n;
	size_t **out;		/* owned: out[i] lists the nodes i has an edge to */
	size_t *nout;		/* owned */
};

static ssize_t find_named(const struct net_named *defs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

static void edge(struct graph *g, size_t from, size_t to)
{
	g->out[from] = xrealloc(g->out[from], g->nout[from] + 1, sizeof *g->out[from]);
	g->out[from][g->nout[from]++] = to;
}

/* Edges of names[0 .. k): from node i to each (forward) or from each to i. */
static void edges(struct graph *g, size_t i, char *const *names, size_t k, bool forward)
{
	for (size_t e = 0; e < k; e++) {
		ssize_t j = find_named(g->defs, g->n, names[e]);
		if (j >= 0)
			edge(g, forward ? i : (size_t)j, forward ? (size_t)j : i);
	}
}

static void build(struct graph *g, const struct net_named *defs, size_t n)
{
	g->defs = defs;
	g->n = n;
	g->out = xcalloc(n + 1, sizeof *g->out);
	g->nout = xcalloc(n + 1, sizeof *g->nout);
	for (size_t i = 0; i < n; i++) {
		const struct net_spec *s = defs[i].spec;
		edges(g, i, s->preds, s->npreds, false);
		edges(g, i, s->succs, s->nsuccs, true);
		edges(g, i, s->fail_succs, s->nfail_succs, true);
	}
}

static void drop(struct graph *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->out[i]);
	free(g->out);
	free(g->nout);
}

enum { WHITE, GREY, BLACK };

/* Depth-first from u with the current path in stack[0 .. depth); on meeting a node of the
 * path again, writes the cycle and returns true. */
static bool dfs(const struct graph *g, size_t u, char *colour, size_t *stack, size_t depth,
		struct buf *path)
{
	colour[u] = GREY;
	stack[depth] = u;
	for (size_t k = 0; k < g->nout[u]; k++) {
		size_t v = g->out[u][k];
		if (colour[v] == GREY) {
			size_t from = depth;
			while (stack[from] != v)
				from--;
			for (size_t s = from; s <= depth; s++)
				buf_printf(path, "%s -> ", g->defs[stack[s]].name);
			buf_printf(path, "%s", g->defs[v].name);
			return true;
		}
		if (colour[v] == WHITE && dfs(g, v, colour, stack, depth + 1, path))
			return true;
	}
	colour[u] = BLACK;
	return false;
}

int net_find_cycle(const struct net_named *defs, size_t n, char *path, size_t len)
{
	struct graph g;
	struct buf text = BUF_INIT;
	build(&g, defs, n);
	char *colour = xcalloc(n + 1, 1);
	size_t *stack = xcalloc(n + 1, sizeof *stack);
	bool found = false;
	for (size_t i = 0; i < n && !found; i++)
		if (colour[i] == WHITE)
			found = dfs(&g, i, colour, stack, 0, &text);
	if (len > 0)
		snprintf(path, len, "%s", buf_cstr(&text));
	buf_free(&text);
	free(colour);
	free(stack);
	drop(&g);
	return found;
}

static size_t unknown_in(const struct net_named *defs, size_t n, size_t i, const char *edge_kind,
			 char *const *names, size_t k, net_ref_cb cb, void *arg)
{
	size_t count = 0;
	for (size_t e = 0; e < k; e++) {
		if (find_named(defs, n, names[e]) >= 0)
			continue;
		count++;
		if (cb)
			cb(arg, defs[i].name, edge_kind, names[e]);
	}
	return count;
}

size_t net_unknown_refs(const struct net_named *defs, size_t n, net_ref_cb cb, void *arg)
{
	size_t count = 0;
	for (size_t i = 0; i < n; i++) {
		const struct net_spec *s = defs[i].spec;
		count += unknown_in(defs, n, i, "predecessor", s->preds, s->npreds, cb, arg);
		count += unknown_in(defs, n, i, "successor", s->succs, s->nsuccs, cb, arg);
		count += unknown_in(defs, n, i, "successor on failure", s->fail_succs,
				    s->nfail_succs, cb, arg);
	}
	return count;
}

struct first_ref {
	char *err;
	size_t len;
	bool said;
};

static void say_first(void *arg, const char *def, const char *edge_kind, const char *ref)
{
	struct first_ref *f = arg;
	if (!f->said && f->len > 0)
		snprintf(f->err, f->len, "%s: %s %s is not deployed", def, edge_kind, ref);
	f->said = true;
}

int net_check_deploy(const struct net_plan *p, const struct net_named *incoming, size_t n,
		     char *err, size_t len)
{
	struct net_named *all = xcalloc(n + p->ndefs + 1, sizeof *all);
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		all[k++] = incoming[i];
	for (size_t i = 0; i < p->ndefs; i++)
		if (find_named(incoming, n, p->defs[i].name) < 0)
			all[k++] = (struct net_named){p->defs[i].name, &p->defs[i].spec};
	char path[1024];
	int rc = 0;
	struct first_ref f = {err, len, false};
	if (net_find_cycle(all, k, path, sizeof path)) {
		if (len > 0)
			snprintf(err, len, "cycle: %s", path);
		rc = -1;
	} else if (net_unknown_refs(all, k, say_first, &f) > 0) {
		rc = -1;
	}
	free(all);
	return rc;
}
