/* Deploy-time checks of the network graph: cycles through any kind of edge, and edges
 * naming definitions that do not exist. A cycle through a failure edge counts too: "a
 * fails -> b runs -> b's success starts a" would loop within one period. Every problem is
 * reported, each cycle with the list entries that make its hops, so a deploy can say
 * where each one is written. */
#include "net/plan-int.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <string.h>

struct arc {
	size_t to;
	size_t decl;		/* the node whose list makes it: the source or `to` */
	enum net_edge edge;	/* that list */
};

struct graph {
	const struct net_named *defs;
	size_t n;
	struct arc **out;	/* owned: out[i] lists the arcs leaving i, one per target */
	size_t *nout;		/* owned */
};

static ssize_t find_named(const struct net_named *defs, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(defs[i].name, name) == 0)
			return (ssize_t)i;
	return -1;
}

/* An arc from -> to, unless one is there: "a successors: [b]" and "b predecessors: [a]"
 * are the same edge, reported once (as the first one read). Self arcs are left out: the
 * reader refuses a definition naming itself. */
static void arc(struct graph *g, size_t from, size_t to, size_t decl, enum net_edge edge)
{
	if (from == to)
		return;
	for (size_t k = 0; k < g->nout[from]; k++)
		if (g->out[from][k].to == to)
			return;
	g->out[from] = xrealloc(g->out[from], g->nout[from] + 1, sizeof *g->out[from]);
	g->out[from][g->nout[from]++] = (struct arc){to, decl, edge};
}

static void build(struct graph *g, const struct net_named *defs, size_t n)
{
	g->defs = defs;
	g->n = n;
	g->out = xcalloc(n + 1, sizeof *g->out);
	g->nout = xcalloc(n + 1, sizeof *g->nout);
	for (size_t i = 0; i < n; i++) {
		for (int e = 0; e < NET_EDGE__N; e++) {
			size_t k;
			char *const *names = net_spec_list(defs[i].spec, (enum net_edge)e, &k);
			for (size_t x = 0; x < k; x++) {
				ssize_t j = find_named(defs, n, names[x]);
				if (j >= 0 && e == NET_EDGE_PRED)
					arc(g, (size_t)j, i, i, NET_EDGE_PRED);
				else if (j >= 0)
					arc(g, i, (size_t)j, i, (enum net_edge)e);
			}
		}
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

/* A depth-first search that reports a cycle at every arc back into its current path. */
struct search {
	const struct graph *g;
	char *colour;			/* owned, per node */
	const struct arc **path;	/* owned: the arcs taken from the root, path[d] leaving
					 * the node at depth d */
	size_t *nodes;			/* owned: the node at each depth */
	size_t first_incoming;		/* nodes below this index are incoming (rotation) */
	net_cycle_cb cb;
	void *arg;
	size_t found;
};

/* The cycle closed by arc back (leaving the node at depth `depth`) into the node at depth
 * `from`, as hops starting at the first one an incoming definition declares. */
static void report(struct search *s, size_t from, size_t depth, const struct arc *back)
{
	size_t n = depth - from + 1, start = n;
	const struct net_named *defs = s->g->defs;
	for (size_t k = 0; k < n && start == n; k++)
		if ((from + k < depth ? s->path[from + k] : back)->decl < s->first_incoming)
			start = k;
	struct net_hop *hops = xcalloc(n, sizeof *hops);
	for (size_t k = 0; k < n; k++) {
		size_t at = (start == n ? k : start + k) % n;
		const struct arc *a = from + at < depth ? s->path[from + at] : back;
		hops[k] = (struct net_hop){defs[s->nodes[from + at]].name, defs[a->to].name,
					   defs[a->decl].name, a->edge};
	}
	s->found++;
	if (s->cb)
		s->cb(s->arg, hops, n);
	free(hops);
}

static void dfs(struct search *s, size_t u, size_t depth)
{
	s->colour[u] = GREY;
	s->nodes[depth] = u;
	for (size_t k = 0; k < s->g->nout[u]; k++) {
		const struct arc *a = &s->g->out[u][k];
		if (s->colour[a->to] == GREY) {
			size_t from = depth;
			while (s->nodes[from] != a->to)
				from--;
			report(s, from, depth, a);
		} else if (s->colour[a->to] == WHITE) {
			s->path[depth] = a;
			dfs(s, a->to, depth + 1);
		}
	}
	s->colour[u] = BLACK;
}

/* Every cycle a search finds among defs, reported to cb; returns how many. */
static size_t find_cycles(const struct net_named *defs, size_t n, size_t first_incoming,
			  net_cycle_cb cb, void *arg)
{
	struct graph g;
	build(&g, defs, n);
	struct search s = {&g, xcalloc(n + 1, 1), xcalloc(n + 1, sizeof *s.path),
			   xcalloc(n + 1, sizeof *s.nodes), first_incoming, cb, arg, 0};
	for (size_t i = 0; i < n; i++)
		if (s.colour[i] == WHITE)
			dfs(&s, i, 0);
	free(s.colour);
	free(s.path);
	free(s.nodes);
	drop(&g);
	return s.found;
}

/* The first cycle as "a -> b -> a". */
static void first_path(void *arg, const struct net_hop *hops, size_t n)
{
	struct buf *path = arg;
	if (path->len)
		return;
	for (size_t k = 0; k < n; k++)
		buf_printf(path, "%s -> ", hops[k].from);
	buf_printf(path, "%s", hops[0].from);
}

int net_find_cycle(const struct net_named *defs, size_t n, char *path, size_t len)
{
	struct buf text = BUF_INIT;
	size_t found = find_cycles(defs, n, n, first_path, &text);
	if (len > 0)
		snprintf(path, len, "%s", buf_cstr(&text));
	buf_free(&text);
	return found > 0;
}

size_t net_check_deploy(const struct net_plan *p, const struct net_named *incoming, size_t n,
			const struct net_check_cb *cb)
{
	struct net_named *all = xcalloc(n + p->ndefs + 1, sizeof *all);
	size_t k = 0, count = 0;
	for (size_t i = 0; i < n; i++)
		all[k++] = incoming[i];
	for (size_t i = 0; i < p->ndefs; i++)
		if (find_named(incoming, n, p->defs[i].name) < 0)
			all[k++] = (struct net_named){p->defs[i].name, &p->defs[i].spec};
	count += find_cycles(all, k, n, cb->cycle, cb->arg);
	/* Only the incoming definitions' names: a deployed one's edge left dangling by a later
	 * undeploy is ignored (plan.h), and must not stop other deploys. */
	for (size_t i = 0; i < n; i++) {
		for (int e = 0; e < NET_EDGE__N; e++) {
			size_t m;
			char *const *names = net_spec_list(incoming[i].spec, (enum net_edge)e, &m);
			for (size_t x = 0; x < m; x++) {
				if (find_named(all, k, names[x]) >= 0)
					continue;
				count++;
				if (cb->unknown)
					cb->unknown(cb->arg, incoming[i].name, (enum net_edge)e, names[x]);
			}
		}
	}
	free(all);
	return count;
}
