/* sqltool DB exec SQL — run SQL on an SQLite file (the last connection closes, so the change
 *                        is checkpointed into the file itself)
 * sqltool DB zap-root TABLE — damage TABLE's root page: its page-type byte becomes 0, which no
 *                        b-tree page has, so every read of the table fails as corrupt
 * For the e2e tests that damage a stopped server's store on purpose. Exit 0, or 1 with why. */
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

static int root_page(sqlite3 *db, const char *table, long *page, long *size)
{
	sqlite3_stmt *q = NULL;
	int ok = sqlite3_prepare_v2(db, "SELECT rootpage, (SELECT page_size FROM pragma_page_size)"
					" FROM sqlite_schema WHERE name = ?1", -1, &q, NULL) == SQLITE_OK &&
		 sqlite3_bind_text(q, 1, table, -1, SQLITE_STATIC) == SQLITE_OK &&
		 sqlite3_step(q) == SQLITE_ROW;
	if (ok) {
		*page = sqlite3_column_int(q, 0);
		*size = sqlite3_column_int(q, 1);
	}
	sqlite3_finalize(q);
	return ok && *page > 1 ? 0 : -1;
}

static int zap(const char *path, long page, long size)
{
	FILE *f = fopen(path, "r+b");
	int rc = f && fseek(f, (page - 1) * size, SEEK_SET) == 0 && fputc(0, f) == 0 ? 0 : -1;
	if (f && fclose(f) != 0)
		rc = -1;
	return rc;
}

int main(int argc, char **argv)
{
	if (argc != 4 || (strcmp(argv[2], "exec") != 0 && strcmp(argv[2], "zap-root") != 0)) {
		fprintf(stderr, "usage: sqltool DB exec SQL | sqltool DB zap-root TABLE\n");
		return 1;
	}
	sqlite3 *db = NULL;
	char *msg = NULL;
	long page = 0, size = 0;
	int rc = sqlite3_open_v2(argv[1], &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK ? 0 : -1;
	if (rc == 0 && strcmp(argv[2], "exec") == 0)
		rc = sqlite3_exec(db, argv[3], NULL, NULL, &msg) == SQLITE_OK ? 0 : -1;
	else if (rc == 0)
		rc = root_page(db, argv[3], &page, &size);
	if (rc != 0)
		fprintf(stderr, "sqltool: %s: %s\n", argv[1], msg ? msg : sqlite3_errmsg(db));
	sqlite3_free(msg);
	sqlite3_close(db);
	if (rc == 0 && page > 0 && zap(argv[1], page, size) != 0) {
		fprintf(stderr, "sqltool: %s: cannot write page %ld\n", argv[1], page);
		rc = -1;
	}
	return rc == 0 ? 0 : 1;
}
