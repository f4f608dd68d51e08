/* `jobgrid user add|del|list`: the server's users (admins only), a sub-table of three. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "cli/password.h"
#include "auth/principal.h"
#include "auth/users.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int user_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	CLI_COMMON_OPTS, {"role", required_argument, NULL, 'r'},
	{"password-stdin", no_argument, NULL, 'p'}, {"no-password", no_argument, NULL, 'n'},
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_user = {
	"user",
	"add NAME [--role admin|user] [--password-stdin | --no-password] | del NAME | list [--json]",
	"manage the server's users (admins): add one (asks for the password), delete one (its"
	" tokens are revoked), list them",
	user_exec,
	.options = longopts,
};

static void print_users(json_t *reply, void *arg)
{
	static const char *const header[] = {"NAME", "ROLE", "PASSWORD", "CREATED"};
	json_t *rows = json_array(), *u;
	size_t i;
	json_array_foreach(json_object_get(reply, "users"), i, u) {
		json_array_append_new(rows, json_pack("[O, O, s, O]", json_object_get(u, "name"),
						      json_object_get(u, "role"),
						      json_is_true(json_object_get(u, "password"))
						      ? "yes" : "no", json_object_get(u, "created_at")));
	}
	out_table(header, 4, rows);
	json_decref(rows);
}

static void print_added(json_t *reply, void *arg)
{
	printf("user %s added (%s)\n", json_string_value(json_object_get(reply, "name")),
	       json_string_value(json_object_get(reply, "role")));
}

static int user_add(int argc, char **argv, bool json, const char *role, bool pw_stdin, bool no_pw)
{
	if (argc != 1)
		return cli_usage_error(&cli_cmd_user, "user add takes one NAME%s", "");
	if (role && role_parse(role) != ROLE_ADMIN && role_parse(role) != ROLE_USER)
		return cli_usage_error(&cli_cmd_user, "--role: must be admin or user, got '%s'", role);
	char pw[PASSWORD_MAX + 2];
	json_t *body = json_pack("{s:s, s:s}", "name", argv[0], "role", role ? role : "user");
	if (!no_pw) {
		if (cli_read_password("user", "password: ", true, pw_stdin, pw, sizeof pw)) {
			json_decref(body);
			return EXIT_USAGE;
		}
		json_object_set_new(body, "password", json_string(pw));
		memset(pw, 0, sizeof pw);
	}
	struct cli_show show = {json, false, print_added, NULL};
	int rc = cli_request_show("POST", "/v1/users", body, &show);
	json_decref(body);
	return rc;
}

static void print_deleted(json_t *reply, void *arg)
{
	printf("user %s deleted; its tokens are revoked\n",
	       json_string_value(json_object_get(reply, "deleted")));
}

static int user_exec(int argc, char **argv)
{
	bool json = false, pw_stdin = false, no_pw = false;
	const char *role = NULL;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'r': role = optarg; break;
		case 'p': pw_stdin = true; break;
		case 'n': no_pw = true; break;
		case 'h': return cli_help(&cli_cmd_user);
		default: return cli_usage(&cli_cmd_user);
		}
	}
	const char *sub = optind < argc ? argv[optind] : "";
	int n = argc - optind - 1;
	char **args = argv + optind + 1;
	if ((role || pw_stdin || no_pw) && strcmp(sub, "add") != 0)
		return cli_usage_error(&cli_cmd_user, "--role, --password-stdin and --no-password"
				       " are options of user add%s", "");
	if (pw_stdin && no_pw)
		return cli_usage_error(&cli_cmd_user, "--password-stdin or --no-password, not both%s", "");
	if (strcmp(sub, "add") == 0)
		return user_add(n, args, json, role, pw_stdin, no_pw);
	if (strcmp(sub, "del") == 0 || strcmp(sub, "delete") == 0) {
		if (n != 1)
			return cli_usage_error(&cli_cmd_user, "user del takes one NAME%s", "");
		char *esc = client_escape(args[0]), path[600];
		snprintf(path, sizeof path, "/v1/users/%s", esc);
		free(esc);
		struct cli_show show = {json, false, print_deleted, NULL};
		return cli_request_show("DELETE", path, NULL, &show);
	}
	if (strcmp(sub, "list") == 0 && n == 0) {
		struct cli_show show = {json, false, print_users, NULL};
		return cli_request_show("GET", "/v1/users", NULL, &show);
	}
	return cli_usage_error(&cli_cmd_user, "give add NAME, del NAME or list%s", "");
}
