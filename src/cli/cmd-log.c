/* `jobgrid log ID[/INDEX] [-f]`: the output, each line prefixed [node]; -f follows. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int log_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_log = {
	"log", "[-f] ID[/INDEX]", "the output, each line prefixed [node]; -f follows it live",
	log_exec,
};

static size_t to_stdout(char *data, size_t size, size_t n, void *arg)
{
	size_t len = size * n;
	if (fwrite(data, 1, len, stdout) != len)
		return 0;
	fflush(stdout);
	return len;
}

static int log_exec(int argc, char **argv)
{
	static const struct option longopts[] = {
		{"follow", no_argument, NULL, 'f'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
	};
	bool follow = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "hf", longopts, NULL)) != -1) {
		switch (ch) {
		case 'f': follow = true; break;
		case OPT_JSON: break;
		case OPT_SERVER: client_set_server(optarg); break;
		case 'h': return cli_help(&cli_cmd_log);
		default: return cli_usage(&cli_cmd_log);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_log, "give exactly one job id%s", "");
	char *idtext = xstrdup(argv[optind]), *slash = strchr(idtext, '/'), path[700];
	long long index = -1;
	if (slash) {
		*slash = '\0';
		if (cli_int(&cli_cmd_log, "ID/INDEX", slash + 1, 0, 100000, &index)) {
			free(idtext);
			return EXIT_USAGE;
		}
	}
	char *id = client_escape(idtext);
	free(idtext);
	snprintf(path, sizeof path, "/v1/jobs/%s/log?follow=%d", id, follow);
	free(id);
	if (index >= 0)
		snprintf(path + strlen(path), sizeof path - strlen(path), "&index=%lld", index);
	return client_stream(path, to_stdout, NULL);
}
