/* `jobgrid login`: trust the server, then get a token for this user and keep it.
 *
 * Trust first: an https:// server whose CA is neither given (--ca, JOBGRID_CA) nor pinned
 * yet shows its CA's fingerprint, which is pinned in known_servers (asked first on a
 * terminal), as ssh does with a new host key. Then POST /v1/login; the token goes into
 * the tokens file, replacing the line for that URL (tls/pins.h). */
#include "cli/cli.h"
#include "cli/client.h"
#include "tls/pins.h"
#include "tls/trust.h"
#include <getopt.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PASSWORD_MAX 1024

static int login_exec(int argc, char **argv);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	CLI_COMMON_OPTS,
	{"user", required_argument, NULL, 'u'},
	{"password-stdin", no_argument, NULL, 'p'},
	{NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_login = {
	"login", "[--user NAME] [--password-stdin]",
	"trust the server (pin its CA) and keep a token for it in ~/.config/jobgrid/tokens",
	login_exec,
	.options = longopts,
};

/* Ask on the terminal; true for yes. */
static bool confirm(FILE *tty, const char *question)
{
	char answer[16] = "";
	fprintf(stderr, "%s [y/N] ", question);
	if (fgets(answer, sizeof answer, tty) == NULL)
		return false;
	return answer[0] == 'y' || answer[0] == 'Y';
}

/* Pin the CA of an https:// server neither given nor pinned yet. EXIT_OK or an exit. */
static int establish_trust(const char *url)
{
	if (strncmp(url, "https://", 8) != 0 || client_ca(NULL) != NULL)
		return EXIT_OK;
	char *err = NULL, *path = pins_path("known_servers");
	if (path == NULL) {
		fprintf(stderr, "jobgrid login: neither HOME nor XDG_CONFIG_HOME is set: nowhere"
				" to keep the server's fingerprint; give --ca FILE instead\n");
		return EXIT_USAGE;
	}
	struct pins p;
	int rc = EXIT_OK;
	char fp[TLS_FP_LEN];
	if (pins_load(&p, path, PINS_FINGERPRINT, &err) != 0) {
		fprintf(stderr, "jobgrid login: %s\n", err);
		rc = EXIT_USAGE;
	} else if (pins_find(&p, url, NULL) == NULL) {
		if (trust_offered(url, fp, &err) != 0) {
			fprintf(stderr, "jobgrid login: %s\n", err);
			rc = EXIT_UNREACHABLE;
		} else {
			fprintf(stderr, "The server at %s is not known yet. Its CA's fingerprint:\n"
					"  %s\n"
					"It must be the one the server printed at start (\"the CA's"
					" fingerprint is …\").\n", url, fp);
			FILE *tty = isatty(0) && isatty(2) ? fopen("/dev/tty", "r") : NULL;
			if (tty && !confirm(tty, "Trust it?")) {
				fprintf(stderr, "jobgrid login: not trusted; nothing was stored\n");
				rc = EXIT_DENIED;
			}
			if (tty)
				fclose(tty);
			if (rc == EXIT_OK) {
				pins_set(&p, url, fp);
				if (pins_save(&p, &err) != 0) {
					fprintf(stderr, "jobgrid login: %s\n", err);
					rc = EXIT_USAGE;
				} else {
					fprintf(stderr, "Pinned it in %s.\n", path);
				}
			}
		}
	}
	free(err);
	pins_free(&p);
	free(path);
	return rc;
}

/* The password: a line of stdin, or asked on the terminal without echo. 0, or -1 said. */
static int read_password(bool from_stdin, const char *user, const char *url,
			 char pw[PASSWORD_MAX])
{
	FILE *in = from_stdin ? stdin : fopen("/dev/tty", "r+");
	if (in == NULL) {
		fprintf(stderr, "jobgrid login: no terminal to ask for the password on: give it"
				" on stdin with --password-stdin\n");
		return -1;
	}
	struct termios old, quiet;
	bool echo_off = !from_stdin && tcgetattr(fileno(in), &old) == 0;
	if (!from_stdin) {
		fprintf(in, "Password for %s at %s: ", user, url);
		fflush(in);
	}
	if (echo_off) {
		quiet = old;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(fileno(in), TCSAFLUSH, &quiet);
	}
	bool got = fgets(pw, PASSWORD_MAX, in) != NULL;
	if (echo_off) {
		tcsetattr(fileno(in), TCSAFLUSH, &old);
		fprintf(in, "\n");
	}
	if (!from_stdin)
		fclose(in);
	size_t n = got ? strlen(pw) : 0;
	if (n > 0 && pw[n - 1] == '\n')
		pw[--n] = '\0';
	else if (got && n == PASSWORD_MAX - 1) {
		fprintf(stderr, "jobgrid login: the password is longer than %d bytes\n",
			PASSWORD_MAX - 2);
		return -1;
	}
	if (n > 0 && pw[n - 1] == '\r')
		pw[--n] = '\0';
	if (n == 0) {
		fprintf(stderr, "jobgrid login: no password was given\n");
		return -1;
	}
	return 0;
}

/* Keep token for url in the tokens file. EXIT_OK or EXIT_USAGE said. */
static int store_token(const char *url, const char *token, char **where)
{
	char *err = NULL;
	struct pins p;
	*where = pins_path("tokens");
	int rc = *where == NULL ? -1 : pins_load(&p, *where, PINS_TOKEN, &err);
	if (rc == 0) {
		pins_set(&p, url, token);
		rc = pins_save(&p, &err);
	}
	if (*where)
		pins_free(&p);
	if (rc != 0)
		fprintf(stderr, "jobgrid login: cannot keep the token: %s\n",
			err ? err : "neither HOME nor XDG_CONFIG_HOME is set");
	free(err);
	return rc ? EXIT_USAGE : EXIT_OK;
}

/* Keep the token of the reply to POST /v1/login and say what it means: in words, or with
 * json the reply without its token (a secret: kept in the file, never shown). */
static int logged_in(const char *url, json_t *reply, bool json)
{
	json_t *auth = json_object_get(reply, "auth");
	const char *user = json_string_value(json_object_get(reply, "user"));
	if (json_is_false(auth) && json) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
		return EXIT_OK;
	}
	if (json_is_false(auth)) {
		printf("the server at %s does not ask for authentication: nothing to keep"
		       " (requests there run as %s)\n", url, user ? user : "you");
		return EXIT_OK;
	}
	const char *token = json_string_value(json_object_get(reply, "token"));
	const char *role = json_string_value(json_object_get(reply, "role"));
	const char *expires = json_string_value(json_object_get(reply, "expires_at"));
	if (token == NULL || strncmp(token, "jg_", 3) != 0 || strlen(token) != 67) {
		fprintf(stderr, "jobgrid login: the server's reply has no valid token\n");
		return EXIT_UNREACHABLE;
	}
	char *where = NULL;
	int rc = store_token(url, token, &where);
	if (rc == EXIT_OK && json) {
		json_object_del(reply, "token");
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
	} else if (rc == EXIT_OK)
		printf("logged in to %s as %s (role %s, token %lld, %s%s); the token is kept in %s\n",
		       url, user ? user : "?", role ? role : "?",
		       (long long)json_integer_value(json_object_get(reply, "id")),
		       expires ? "expires " : "does not expire", expires ? expires : "", where);
	free(where);
	return rc;
}

static int login_exec(int argc, char **argv)
{
	const char *user = NULL;
	bool pw_stdin = false, json = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'u': user = optarg; break;
		case 'p': pw_stdin = true; break;
		case 'h': return cli_help(&cli_cmd_login);
		default: return cli_usage(&cli_cmd_login);
		}
	}
	if (optind < argc)
		return cli_usage_error(&cli_cmd_login, "unexpected argument '%s'", argv[optind]);
	struct passwd *pw = getpwuid(geteuid());
	if (user == NULL)
		user = pw ? pw->pw_name : NULL;
	if (user == NULL || *user == '\0' || strlen(user) > 64)
		return cli_usage_error(&cli_cmd_login, "--user: a user name of 1..64 bytes");
	char *url = pins_url(client_server());
	int rc = establish_trust(url);
	json_t *body = NULL, *reply = NULL;
	char password[PASSWORD_MAX] = "";
	if (rc == EXIT_OK && strncmp(url, "unix:", 5) == 0) {
		body = json_object();	/* the socket says who the caller is */
	} else if (rc == EXIT_OK) {
		if (read_password(pw_stdin, user, url, password) != 0)
			rc = EXIT_USAGE;
		else
			body = json_pack("{s:s, s:s}", "user", user, "password", password);
	}
	explicit_bzero(password, sizeof password);
	if (rc == EXIT_OK)
		rc = client_call("POST", "/v1/login", body, false, &reply);
	if (rc == EXIT_OK)
		rc = logged_in(url, reply, json);
	json_decref(body);
	json_decref(reply);
	free(url);
	return rc;
}
