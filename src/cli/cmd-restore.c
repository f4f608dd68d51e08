/* `jobgrid restore FILE [--data DIR]`: put a copy of a store (from `jobgrid backup`, or
 * one the server made at stop) into an empty data directory, for a server to start on.
 * Runs on the server's machine without a server: the directory must not be in use. */
#include "cli/cli.h"
#include "store/store.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>

static int restore_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"data", required_argument, NULL, 'd'},
	{"help", no_argument, NULL, 'h'},
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_restore = {
	"restore", "FILE [--data DIR]",
	"put a backup of the store into an empty data directory (no server running on it)",
	restore_exec,
	.options = longopts,
};

static int restore_exec(int argc, char **argv)
{
	const char *data = "./jobgrid-data";
	int ch;
	opterr = 0;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': data = optarg; break;
		case 'h': return cli_help(&cli_cmd_restore);
		default:
			return cli_usage_error(&cli_cmd_restore, "unknown option '%s'",
					       argv[optind - 1]);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_restore, "give exactly one backup file%s", "");
	struct store_restored r;
	char *err = NULL;
	if (store_sqlite_restore(argv[optind], data, &r, &err) != 0) {
		fprintf(stderr, "jobgrid restore: %s\n", err);
		free(err);
		return EXIT_USAGE;
	}
	printf("restored %s into %s: %lld jobs, schema version %d%s\n"
	       "start the server on it: jobgrid server --data %s\n", argv[optind], data,
	       (long long)r.jobs, r.schema_version,
	       r.schema_version < r.current_version ? " (upgraded at the server's start)" : "",
	       data);
	return EXIT_OK;
}
