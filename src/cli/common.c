/* Option parsing shared by the commands that take only the common options (--server,
 * --token-file, --json) and -h. */
#include "cli/cli.h"
#include <sys/resource.h>
#include "cli/client.h"
#include "cli/output.h"
#include <getopt.h>
#include <string.h>

const struct option cli_common_options[] = {CLI_COMMON_OPTS, {NULL, 0, NULL, 0}};
const struct option cli_help_only_options[] = {{"help", no_argument, NULL, 'h'},
					       {NULL, 0, NULL, 0}};

bool cli_wants_help(int argc, char **argv)
{
	return argc == 2 && (strcmp(argv[1], "--help") == 0 || strcmp(argv[1], "-h") == 0);
}

int cli_simple_opts(const struct cli_cmd *cmd, int argc, char **argv, bool *json)
{
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", cli_common_options, NULL)) != -1) {
		switch (ch) {
		case OPT_JSON: *json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(cmd) + 1000;	/* handled: caller returns EXIT_OK */
		default: return cli_usage(cmd);
		}
	}
	return 0;
}

int cli_request_show(const char *method, const char *path, json_t *body,
		     const struct cli_show *show)
{
	json_t *reply = NULL;
	int rc = client_call(method, path, body, strcmp(method, "GET") != 0, &reply);
	if (rc == 0 && show->json && show->compact) {
		json_dumpf(reply, stdout, JSON_COMPACT);
		putchar('\n');
	} else if (rc == 0 && show->json) {
		out_json(reply);
	} else if (rc == 0 && show->render) {
		show->render(reply, show->arg);
	}
	json_decref(reply);
	return rc;
}

/* Soft limits only: the hard ones stay, so a command the child starts (joblet:run) can
 * have its limits back; Lua code cannot change them. */
static void soft_limit(int resource, rlim_t value)
{
	struct rlimit r;
	if (getrlimit(resource, &r) != 0)
		return;
	r.rlim_cur = r.rlim_max == RLIM_INFINITY || value < r.rlim_max ? value : r.rlim_max;
	setrlimit(resource, &r);
}

void cli_child_limits(int cpu_s, long long as_bytes)
{
	soft_limit(RLIMIT_CPU, (rlim_t)cpu_s);
#if defined(__has_feature)
#if __has_feature(address_sanitizer)
#define JG_ASAN 1
#endif
#endif
#if !defined(__SANITIZE_ADDRESS__) && !defined(JG_ASAN)
	/* (AddressSanitizer reserves terabytes of address space: no limit under it.) */
	soft_limit(RLIMIT_AS, (rlim_t)as_bytes);
#else
	(void)as_bytes;
#endif
}
