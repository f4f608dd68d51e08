/* `jobgrid worker`: see src/worker/worker.c. */
#include "cli/cli.h"
#include "worker/worker.h"

const struct cli_cmd cli_cmd_worker = {
	"worker",
	"[--server URL[,URL…]] [--name NODE] [--cores N] [--ram MB] [--gpus N] [--tag K=V]…\n"
	"            [--idle-exit SECS] [--grace D] [--ram-method auto|cgroup|sampling]\n"
	"            [--spool DIR]\n"
	"            --spool: where joblets' output waits until the server has it (default\n"
	"            /var/tmp; files there are unlinked at once and vanish with the worker)\n"
	"            --name: the node name (default the host name), one live worker's at a\n"
	"            time: while another worker holds it, registration waits and retries\n"
	"            --ram-method: how joblets' RAM is limited and its peak measured: cgroup\n"
	"            (the memory controller of cgroup v2, in a cgroup of the worker's own, or\n"
	"            of cgroup v1), sampling (the RSS of each joblet's processes), auto (cgroup\n"
	"            when usable)",
	"run a worker agent that reserves and runs joblets",
	worker_main,
};
