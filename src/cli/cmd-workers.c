/* `jobgrid workers`: the nodes, their resources in use and their running joblets. */
#include "cli/cli.h"
#include <getopt.h>
#include "cli/client.h"
#include "cli/output.h"
#include <stdio.h>

static int workers_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_workers = {
	"workers", "[--json]", "the nodes, their resources in use, their running joblets",
	workers_exec,
	.options = NULL,	/* the common options */
};

static long long num(json_t *o, const char *k)
{
	return json_integer_value(json_object_get(o, k));
}

static void print_workers(json_t *r, void *arg)
{
	size_t i, k;
	json_t *w, *id;
	printf("%-24s %-10s %-9s %-13s %-7s %-9s %-9s %s\n", "NODE", "STATE", "CORES", "RAM MB",
	       "GPUS", "RAM-BY", "SEEN", "RUNNING");
	json_array_foreach(json_object_get(r, "workers"), i, w) {
		json_t *used = json_object_get(w, "used");
		const char *method = json_string_value(json_object_get(w, "ram_method"));
		char cores[32], ram[32], gpus[32], seen[32];
		snprintf(cores, sizeof cores, "%lld/%lld", num(used, "cores"), num(w, "cores"));
		snprintf(ram, sizeof ram, "%lld/%lld", num(used, "ram_mb"), num(w, "ram_mb"));
		snprintf(gpus, sizeof gpus, "%lld/%lld", num(used, "gpus"), num(w, "gpus"));
		printf("%-24s %-10s %-9s %-13s %-7s %-9s %-9s",
		       json_string_value(json_object_get(w, "name")),
		       json_string_value(json_object_get(w, "state")), cores, ram, gpus,
		       method ? method : "-",
		       out_time(json_object_get(w, "last_seen"), seen, sizeof seen));
		json_array_foreach(json_object_get(w, "running"), k, id)
			printf(" %s", json_string_value(id));
		printf("\n");
	}
}

static int workers_exec(int argc, char **argv)
{
	struct cli_show show = {false, false, print_workers, NULL};
	CLI_SIMPLE(&cli_cmd_workers, argc, argv, &show.json);
	return cli_request_show("GET", "/v1/workers", NULL, &show);
}
