/* `jobinfo [--detail] NAME`: a definition in the layout of Orchestrate's `zos jobinfo
 * --detail`: the name and description, then each argument with Desc, Type and Default. */
#include "base/xalloc.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <ctype.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>

static int jobinfo_exec(int argc, char **argv);
static void print_definition(json_t *r, void *arg);

/* Its options, also read by `jobgrid completion` and the man pages. */
static const struct option longopts[] = {
	{"detail", no_argument, NULL, 'd'}, CLI_COMMON_OPTS, {NULL, 0, NULL, 0},
};

const struct cli_cmd cli_cmd_jobinfo = {
	"jobinfo", "[--detail] [--json] NAME",
	"describe a definition: arguments, types, defaults; --detail adds facts and versions",
	jobinfo_exec,
	.options = longopts,
};

/* Text wrapped to end by column 80, continuation lines starting at column col. */
static void wrapped(int col0, const char *text)
{
	int col = col0;
	for (const char *p = text; *p;) {
		while (*p == ' ')
			p++;
		size_t w = strcspn(p, " ");
		if (w == 0)
			break;
		if (col > col0 && col + 1 + (int)w > 80) {
			printf("\n%*s", col0, "");
			col = col0;
		} else if (col > col0) {
			putchar(' ');
			col++;
		}
		printf("%.*s", (int)w, p);
		col += (int)w;
		p += w;
	}
	putchar('\n');
}

static void print_arg(json_t *a)
{
	char type[32], def[200] = "(none: required)";
	snprintf(type, sizeof type, "%s", json_string_value(json_object_get(a, "type")));
	type[0] = (char)toupper((unsigned char)type[0]);
	json_t *d = json_object_get(a, "default");
	if (d && !json_is_null(d)) {
		char *t = json_dumps(d, JSON_ENCODE_ANY | JSON_COMPACT);
		snprintf(def, sizeof def, "%s", t);
		free(t);
	}
	printf("\n    %-14s Desc: ", json_string_value(json_object_get(a, "name")));
	wrapped(25, json_string_value(json_object_get(a, "description")));
	printf("%23s: %s\n%23s: %s\n", "Type", type, "Default", def);
	json_t *ch = json_object_get(a, "choices");
	if (json_is_array(ch)) {
		char *t = json_dumps(ch, JSON_COMPACT);
		printf("%23s: %s\n", "Choices", t);
		free(t);
	}
}

static int jobinfo_exec(int argc, char **argv)
{
	bool json = false, detail = false;
	int ch;
	optind = 1;
	while ((ch = getopt_long(argc, argv, "h", longopts, NULL)) != -1) {
		switch (ch) {
		case 'd': detail = true; break;
		case OPT_JSON: json = true; break;
		CLI_COMMON_CASES;
		case 'h': return cli_help(&cli_cmd_jobinfo);
		default: return cli_usage(&cli_cmd_jobinfo);
		}
	}
	if (optind != argc - 1)
		return cli_usage_error(&cli_cmd_jobinfo, "give exactly one name%s", "");
	char *name = client_escape(argv[optind]), path[600];
	snprintf(path, sizeof path, "/v1/definitions/%s", name);
	free(name);
	struct cli_show show = {json, false, print_definition, &detail};
	return cli_request_show("GET", path, NULL, &show);
}

/* The layout of `zos jobinfo`; arg points to the bool --detail. */
static void print_definition(json_t *r, void *arg)
{
	bool detail = *(bool *)arg;
	printf("%-21s %s\n%-21s %s\n", "Jobname/Parameters", "Attributes", "------------------",
	       "----------");
	printf("%-18s Desc: ", json_string_value(json_object_get(r, "name")));
	wrapped(25, json_string_value(json_object_get(r, "description")));
	size_t i;
	json_t *a;
	json_array_foreach(json_object_get(r, "args"), i, a)
		print_arg(a);
	if (detail) {
		const char *k;
		json_t *v;
		printf("\nFacts:\n");
		json_object_foreach(json_object_get(r, "facts"), k, v) {
			char *t = json_dumps(v, JSON_ENCODE_ANY);
			printf("    %-24s %s\n", k, t);
			free(t);
		}
		printf("Joblets: %s\nVersions:\n", json_string_value(json_object_get(r, "joblets")));
		json_array_foreach(json_object_get(r, "versions"), i, a) {
			const char *script = json_string_value(json_object_get(a, "script_file"));
			printf("    %lld  %s by %s from %s%s%s\n",
			       (long long)json_integer_value(json_object_get(a, "version")),
			       json_string_value(json_object_get(a, "deployed_at")),
			       json_string_value(json_object_get(a, "owner")),
			       json_string_value(json_object_get(a, "file")), script ? " and " : "",
			       script ? script : "");
		}
	}
}
