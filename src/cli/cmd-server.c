/* `jobgrid server`: see src/server/server.c. */
#include "cli/cli.h"
#include "server/server.h"

const struct cli_cmd cli_cmd_server = {
	"server",
	"[--listen ADDR:PORT] [--data DIR] [--store URL] [--local-workers N] [--lease D] [--heartbeat D]",
	"run the server: the queue, the store, the API",
	server_main,
};
