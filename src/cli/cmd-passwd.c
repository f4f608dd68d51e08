/* `jobgrid passwd [NAME]`: change your password (the old one is asked first), or, as an
 * admin, another user's. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/password.h"
#include "auth/users.h"
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int passwd_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	CLI_COMMON_OPTS, {"password-stdin", no_argument, NULL, 'p'}, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_passwd = {
	"passwd", "[NAME] [--password-stdin]",
	"change your password (old, then new; with --password-stdin one a line), or as an admin"
	" another user's (new only)",
	passwd_exec,
	.options = longopts,
};

/* Who the server says this caller is (malloc'd), or NULL after an error (rc set). */
static char *whoami(int *rc)
{
	json_t *reply = NULL;
	*rc = client_call("GET", "/v1/whoami", NULL, false, &reply);
	char *name = NULL;
	if (*rc == 0) {
		const char *u = json_string_value(json_object_get(reply, "user"));
		name = u ? strdup(u) : NULL;
	}
	json_decref(reply);
	return name;
}

static int passwd_exec(int argc, char **argv)
{
	bool json = false, pw_stdin = false;
	int ch, rc = 0;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'p': pw_stdin = true; break;
		case 'h': return cli_help(&cli_cmd_passwd);
		default: return cli_usage(&cli_cmd_passwd);
		}
	}
	if (argc - optind > 1)
		return cli_usage_error(&cli_cmd_passwd, "give at most one NAME%s", "");
	char *me = whoami(&rc);
	if (me == NULL)
		return rc ? rc : EXIT_UNREACHABLE;
	const char *name = optind < argc ? argv[optind] : me;
	bool self = strcmp(name, me) == 0;
	char old[PASSWORD_MAX + 2], pw[PASSWORD_MAX + 2];
	json_t *body = json_object();
	if (self && cli_read_password("passwd", "old password: ", false, pw_stdin, old, sizeof old) == 0)
		json_object_set_new(body, "old_password", json_string(old));
	else if (self)
		rc = EXIT_USAGE;
	if (rc == 0 && cli_read_password("passwd", "new password: ", true, pw_stdin, pw, sizeof pw) == 0)
		json_object_set_new(body, "password", json_string(pw));
	else
		rc = EXIT_USAGE;
	memset(old, 0, sizeof old);
	memset(pw, 0, sizeof pw);
	if (rc == 0) {
		char *esc = client_escape(name), path[600];
		snprintf(path, sizeof path, "/v1/users/%s/password", esc);
		free(esc);
		struct cli_show show = {json, false, NULL, NULL};
		rc = cli_request_show("PUT", path, body, &show);
		if (rc == 0 && !json)
			printf("password of %s changed\n", name);
	}
	json_decref(body);
	free(me);
	return rc;
}
