/* `jobgrid server`: see src/server/server.c. */
#include "cli/cli.h"
#include "api/api.h"

static int run_server(int argc, char **argv)
{
	return server_main(argc, argv, &api_face);
}

const struct cli_cmd cli_cmd_server = {
	"server",
	"[--listen ADDR:PORT] [--data DIR] [--store URL] [--local-workers N] [--lease D] [--heartbeat D]",
	"run the server: the queue, the store, the API",
	run_server,
};
