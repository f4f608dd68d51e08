/* The checks of a deploy across its files and the deployed definitions: cycles and edges
 * naming no definition (net/graph.c finds them), said at the file, line and column of the
 * list entry that makes each, so a deploy reports every problem in one go and the user
 * can go straight to each. A cycle names every hop's entry:
 *
 *   defs/x.yaml:3:15: cycle: x -> y -> x; x -> y at defs/x.yaml:3:15 (successors: y),
 *   y -> x at defs/x.yaml:4:16 (predecessors: y)
 *
 * A hop made by a deployed definition that is not in this deploy names the file it was
 * deployed from, "as deployed". */
#include "server/network.h"
#include "server/registry.h"
#include "server/server.h"
#include "base/buf.h"
#include "base/xalloc.h"
#include "defs/def.h"
#include "net/plan.h"
#include <string.h>

#define CYCLES_SHOWN 20	/* a tangle of many cycles is summed up after these */

struct check {
	struct server *srv;
	struct definition *const *defs;	/* borrowed: this deploy's files, NULL if unread */
	size_t n;
	json_t *problems;		/* borrowed: where problems go */
	size_t cycles;
	char *first_at;			/* owned: "FILE:LINE:COL" of the first cycle shown */
};

/* The definition called name as the deploy would leave it: one of this deploy's, else the
 * deployed one; *incoming says which. NULL if neither. */
static const struct definition *named(const struct check *k, const char *name, bool *incoming)
{
	int32_t version;
	const char *owner;
	*incoming = true;
	for (size_t i = 0; i < k->n; i++)
		if (k->defs[i] && k->defs[i]->name && strcmp(k->defs[i]->name, name) == 0)
			return k->defs[i];
	*incoming = false;
	return defs_current(k->srv, name, &version, &owner);
}

/* "FILE:LINE:COL" of the entry of decl's list `edge` naming `name`. New. */
static char *entry_at(const struct check *k, const char *decl, enum net_edge edge,
		      const char *name, bool *incoming)
{
	const struct definition *d = named(k, decl, incoming);
	struct def_pos pos = d ? def_edge_pos(d, edge, name) : (struct def_pos){1, 1};
	return xasprintf("%s:%d:%d", d ? d->file : decl, pos.line, pos.col);
}

static void on_cycle(void *arg, const struct net_hop *hops, size_t n)
{
	struct check *k = arg;
	if (++k->cycles > CYCLES_SHOWN)
		return;
	struct buf text = BUF_INIT;
	char *first = NULL;
	buf_printf(&text, "cycle: ");
	for (size_t i = 0; i < n; i++)
		buf_printf(&text, "%s -> ", hops[i].from);
	buf_printf(&text, "%s", hops[0].from);
	for (size_t i = 0; i < n; i++) {
		const struct net_hop *h = &hops[i];
		const char *entry = h->edge == NET_EDGE_PRED ? h->from : h->to;
		bool incoming;
		char *at = entry_at(k, h->decl, h->edge, entry, &incoming);
		buf_printf(&text, "%s %s -> %s at %s (%s: %s%s)", i ? "," : ";", h->from, h->to, at,
			   net_edge_key(h->edge), entry, incoming ? "" : ", as deployed");
		if (i == 0)
			first = at;
		else
			free(at);
	}
	json_array_append_new(k->problems, json_sprintf("%s: %s", first, buf_cstr(&text)));
	if (k->first_at == NULL)
		k->first_at = first;
	else
		free(first);
	buf_free(&text);
}

static void on_unknown(void *arg, const char *def, enum net_edge edge, const char *ref)
{
	struct check *k = arg;
	bool incoming;
	char *at = entry_at(k, def, edge, ref, &incoming);
	json_array_append_new(k->problems, json_sprintf("%s: %s: %s %s is not deployed", at, def,
							net_edge_word(edge), ref));
	free(at);
}

void deploy_check_network(struct server *srv, struct definition *const *defs,
			  const char *const *names, size_t n, json_t *problems)
{
	struct net_named *in = xcalloc(n + 1, sizeof *in);
	struct net_spec none;
	size_t m = 0;
	net_spec_init(&none);
	for (size_t i = 0; i < n; i++)
		if (names[i])
			in[m++] = (struct net_named){names[i], defs[i] ? &defs[i]->net : &none};
	struct check k = {srv, defs, n, problems, 0, NULL};
	struct net_check_cb cb = {on_cycle, on_unknown, &k};
	net_check_deploy(srv->plan, in, m, &cb);
	if (k.cycles > CYCLES_SHOWN)
		json_array_append_new(problems, json_sprintf("%s: %zu more cycles, not listed",
							     k.first_at, k.cycles - CYCLES_SHOWN));
	free(k.first_at);
	free(in);
	net_spec_free(&none);
}
