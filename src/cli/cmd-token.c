/* `jobgrid token create|list|revoke`: bearer tokens (SPEC §9). A new token's text is
 * printed once, on stdout alone, so `jobgrid token create … > FILE` keeps it. */
#include "cli/cli.h"
#include "cli/client.h"
#include "cli/output.h"
#include "auth/users.h"
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int token_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	CLI_COMMON_OPTS, {"role", required_argument, NULL, 'r'},
	{"name", required_argument, NULL, 'n'}, {"user", required_argument, NULL, 'u'},
	{"expires", required_argument, NULL, 'e'}, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_token = {
	"token",
	"create --role worker|user [--name N] [--user U] [--expires D] | list | revoke ID… [--json]",
	"make a token (printed once: keep it), list tokens, or revoke them (at once)",
	token_exec,
	.options = longopts,
};

static void print_created(json_t *reply, void *arg)
{
	printf("%s\n", json_string_value(json_object_get(reply, "token")));
	fprintf(stderr, "jobgrid: token %lld (%s, role %s, %s%s) made; it is shown only this once\n",
		(long long)json_integer_value(json_object_get(reply, "id")),
		json_string_value(json_object_get(reply, "name")),
		json_string_value(json_object_get(reply, "role")),
		json_is_string(json_object_get(reply, "expires_at")) ? "expires " : "no expiry",
		json_is_string(json_object_get(reply, "expires_at"))
		? json_string_value(json_object_get(reply, "expires_at")) : "");
}

static void print_tokens(json_t *reply, void *arg)
{
	static const char *const header[] = {"ID", "NAME", "USER", "ROLE", "EXPIRES", "STATE"};
	json_t *rows = json_array(), *k;
	size_t i;
	json_array_foreach(json_object_get(reply, "tokens"), i, k) {
		char id[24];
		json_t *exp = json_object_get(k, "expires_at");
		snprintf(id, sizeof id, "%lld", (long long)json_integer_value(json_object_get(k, "id")));
		json_array_append_new(rows, json_pack("[s, O, O, O, s, s]", id,
						      json_object_get(k, "name"),
						      json_object_get(k, "user"),
						      json_object_get(k, "role"),
						      json_is_string(exp) ? json_string_value(exp) : "never",
						      json_is_string(json_object_get(k, "revoked_at"))
						      ? "revoked" : "live"));
	}
	out_table(header, 6, rows);
	json_decref(rows);
}

static void print_revoked(json_t *reply, void *arg)
{
	printf("token %lld revoked\n", (long long)json_integer_value(json_object_get(reply, "id")));
}

struct create_opts {
	const char *role, *name, *user, *expires;
};

static int token_create(const struct create_opts *o, bool json)
{
	if (o->role == NULL)
		return cli_usage_error(&cli_cmd_token, "token create needs --role worker|user%s", "");
	if (role_parse(o->role) == 0)
		return cli_usage_error(&cli_cmd_token, "--role: must be worker, user or admin, got '%s'",
				       o->role);
	long long ms;
	if (o->expires && cli_duration(&cli_cmd_token, "expires", o->expires, &ms))
		return EXIT_USAGE;
	json_t *body = json_pack("{s:s}", "role", o->role);
	if (o->name)
		json_object_set_new(body, "name", json_string(o->name));
	if (o->user)
		json_object_set_new(body, "user", json_string(o->user));
	if (o->expires)
		json_object_set_new(body, "expires", json_string(o->expires));
	struct cli_show show = {json, false, print_created, NULL};
	int rc = cli_request_show("POST", "/v1/tokens", body, &show);
	json_decref(body);
	return rc;
}

static int token_exec(int argc, char **argv)
{
	struct create_opts o = {0};
	bool json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'r': o.role = optarg; break;
		case 'n': o.name = optarg; break;
		case 'u': o.user = optarg; break;
		case 'e': o.expires = optarg; break;
		case 'h': return cli_help(&cli_cmd_token);
		default: return cli_usage(&cli_cmd_token);
		}
	}
	const char *sub = optind < argc ? argv[optind] : "";
	int n = argc - optind - 1;
	if ((o.role || o.name || o.user || o.expires) && strcmp(sub, "create") != 0)
		return cli_usage_error(&cli_cmd_token, "--role, --name, --user and --expires are"
				       " options of token create%s", "");
	if (strcmp(sub, "create") == 0 && n == 0)
		return token_create(&o, json);
	if (strcmp(sub, "list") == 0 && n == 0) {
		struct cli_show show = {json, false, print_tokens, NULL};
		return cli_request_show("GET", "/v1/tokens", NULL, &show);
	}
	if (strcmp(sub, "revoke") == 0 && n > 0) {
		int worst = 0;
		for (int i = 0; i < n; i++) {
			char *esc = client_escape(argv[optind + 1 + i]), path[600];
			snprintf(path, sizeof path, "/v1/tokens/%s", esc);
			free(esc);
			struct cli_show show = {json, true, print_revoked, NULL};
			int rc = cli_request_show("DELETE", path, NULL, &show);
			worst = rc > worst ? rc : worst;
		}
		return worst;
	}
	return cli_usage_error(&cli_cmd_token, "give create, list or revoke ID…%s", "");
}
