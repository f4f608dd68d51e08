/* `jobgrid logout`: revoke the token `login` kept for this server (POST /v1/logout with
 * it) and remove it from the tokens file, also when the server cannot be told. */
#include "cli/cli.h"
#include "cli/client.h"
#include "tls/pins.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int logout_exec(int argc, char **argv);

const struct cli_cmd cli_cmd_logout = {
	"logout", "", "revoke the token kept for the server and forget it", logout_exec,
	.options = NULL,	/* the common options */
};

/* Remove url's line from the tokens file p. EXIT_OK or EXIT_USAGE said. */
static int forget(struct pins *p, const char *url)
{
	char *err = NULL;
	if (!pins_remove(p, url) || pins_save(p, &err) == 0)
		return EXIT_OK;
	fprintf(stderr, "jobgrid logout: %s\n", err);
	free(err);
	return EXIT_USAGE;
}

static int logout_exec(int argc, char **argv)
{
	bool json = false;
	CLI_SIMPLE(&cli_cmd_logout, argc, argv, &json);
	if (optind < argc)
		return cli_usage_error(&cli_cmd_logout, "unexpected argument '%s'", argv[optind]);
	char *url = pins_url(client_server()), *path = pins_path("tokens"), *err = NULL;
	struct pins p = {0};
	int rc = path ? pins_load(&p, path, PINS_TOKEN, &err) : EXIT_OK;
	const char *token = rc == 0 && path ? pins_find(&p, url, NULL) : NULL;
	if (rc != 0) {
		fprintf(stderr, "jobgrid logout: %s\n", err);
		rc = EXIT_USAGE;
	} else if (token == NULL) {
		printf("not logged in to %s (no token for it in %s)\n", url,
		       path ? path : "~/.config/jobgrid/tokens");
	} else {
		char *kept = strdup(token);
		client_set_bearer(kept);
		int call = client_call("POST", "/v1/logout", NULL, false, NULL);
		rc = forget(&p, url);
		if (rc == EXIT_OK && call == EXIT_OK) {
			printf("logged out of %s: the token is revoked and removed from %s\n", url, path);
		} else if (rc == EXIT_OK) {
			fprintf(stderr, "jobgrid logout: the token was removed from %s, but the server"
					" did not revoke it: it stays valid there until it expires or"
					" an admin revokes it (jobgrid token revoke ID)\n", path);
			rc = call;
		}
		client_set_bearer(NULL);
		free(kept);
	}
	free(err);
	pins_free(&p);
	free(path);
	free(url);
	return rc;
}
