/* The error table (src/base/errors.def): docs/API.md lists exactly its rows, rows sharing
 * a wire code share the CLI's exit, and the CLI exits by the reply's code, by the HTTP
 * status only when the code is missing or unknown. */
#include "base/errors.h"
#include "cli/cli.h"
#include "cli/client.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct row {
	const char *code;
	int status, exit;
} table[] = {
#define ERR(name, code, status, exit, message) {code, status, EXIT_##exit},
#include "base/errors.def"
#undef ERR
};
#define NROWS (sizeof table / sizeof table[0])

/* The rows of the "Error codes" table of docs/API.md, into out (at most max). */
static size_t doc_rows(struct row *out, size_t max, char names[][64])
{
	FILE *f = fopen(SOURCE_DIR "/docs/API.md", "r");
	cr_assert_not_null(f, "docs/API.md opens");
	char line[512];
	size_t n = 0;
	bool in = false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "## ", 3) == 0)
			in = strcmp(line, "## Error codes\n") == 0;
		int status, exit;
		if (in && n < max &&
		    sscanf(line, "| `%63[a-z_]` | %d | %d |", names[n], &status, &exit) == 3) {
			out[n] = (struct row){names[n], status, exit};
			n++;
		}
	}
	fclose(f);
	return n;
}

static bool has(const struct row *rows, size_t n, const struct row *r)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(rows[i].code, r->code) == 0 && rows[i].status == r->status &&
		    rows[i].exit == r->exit)
			return true;
	return false;
}

Test(errors, the_docs_list_exactly_the_table)
{
	struct row docs[100];
	char names[100][64];
	size_t n = doc_rows(docs, 100, names);
	cr_assert_gt(n, 0, "docs/API.md has an Error codes table");
	for (size_t i = 0; i < NROWS; i++)
		cr_expect(has(docs, n, &table[i]), "docs/API.md lacks `%s` %d (exit %d)",
			  table[i].code, table[i].status, table[i].exit);
	for (size_t i = 0; i < n; i++)
		cr_expect(has(table, NROWS, &docs[i]), "docs/API.md lists `%s` %d (exit %d), the"
			  " table has no such row", docs[i].code, docs[i].status, docs[i].exit);
	cr_assert_eq(n, NROWS, "one docs row per table row");
}

Test(errors, rows_sharing_a_code_share_the_exit)
{
	for (size_t i = 0; i < NROWS; i++)
		for (size_t k = i + 1; k < NROWS; k++)
			if (strcmp(table[i].code, table[k].code) == 0)
				cr_expect_eq(table[i].exit, table[k].exit, "%s", table[i].code);
}

Test(errors, accessors_read_the_table)
{
	cr_assert_str_eq(api_error_code(ERR_BAD_REQUEST), "bad_request");
	cr_assert_eq(api_error_status(ERR_BAD_REQUEST), 400);
	cr_assert_str_eq(api_error_code(ERR_RULE_BROKEN), "bad_request");
	cr_assert_eq(api_error_status(ERR_RULE_BROKEN), 422);
	cr_assert_str_eq(api_error_code(ERR_DRAINING), "draining");
	cr_assert_eq(api_error_status(ERR_DRAINING), 503);
	for (int e = 0; e < ERR_COUNT; e++) {
		cr_assert_str_eq(api_error_code((enum api_error)e), table[e].code);
		cr_assert_eq(api_error_status((enum api_error)e), table[e].status);
		cr_assert(api_error_message((enum api_error)e)[0] != '\0', "%s has a message",
			  table[e].code);
	}
}

Test(errors, the_cli_exits_by_code)
{
	cr_assert_eq(client_exit_for_code("not_found"), EXIT_NOT_FOUND);
	cr_assert_eq(client_exit_for_code("unknown_worker"), EXIT_NOT_FOUND);
	cr_assert_eq(client_exit_for_code("bad_request"), EXIT_USAGE);
	cr_assert_eq(client_exit_for_code("conflict"), EXIT_USAGE);
	cr_assert_eq(client_exit_for_code("draining"), EXIT_UNREACHABLE, "SPEC: draining is 3");
	cr_assert_eq(client_exit_for_code("internal"), EXIT_UNREACHABLE);
	cr_assert_eq(client_exit_for_code("no_such_code"), -1);
	cr_assert_eq(client_exit_for_code(NULL), -1);
	/* Today every code exits as its status did before the table: no exit changed. */
	for (size_t i = 0; i < NROWS; i++)
		cr_expect_eq(client_exit_for_code(table[i].code),
			     client_exit_for_status(table[i].status), "%s", table[i].code);
}

Test(errors, replies_without_a_code_exit_by_status)
{
	cr_assert_eq(client_exit_for_status(200), EXIT_OK);
	cr_assert_eq(client_exit_for_status(404), EXIT_NOT_FOUND);
	cr_assert_eq(client_exit_for_status(401), EXIT_DENIED);
	cr_assert_eq(client_exit_for_status(403), EXIT_DENIED);
	cr_assert_eq(client_exit_for_status(429), EXIT_DENIED, "logins slowed down");
	cr_assert_eq(client_exit_for_status(418), EXIT_USAGE);
	cr_assert_eq(client_exit_for_status(502), EXIT_UNREACHABLE, "a proxy's page");
}
