/* Output helpers. */
#include "cli/output.h"
#include "base/clock.h"
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

void out_json(json_t *j)
{
	json_dumpf(j, stdout, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
	fputc('\n', stdout);
}

const char *out_time(json_t *v, char *buf, size_t len)
{
	int64_t ms;
	const char *s = json_string_value(v);
	if (s == NULL || clock_parse_rfc3339(s, &ms) != 0) {
		snprintf(buf, len, "-");
		return buf;
	}
	time_t t = (time_t)(ms / 1000), now = time(NULL);
	struct tm tm, tn;
	localtime_r(&t, &tm);
	localtime_r(&now, &tn);
	if (tm.tm_yday == tn.tm_yday && tm.tm_year == tn.tm_year)
		strftime(buf, len, "%H:%M:%S", &tm);
	else
		strftime(buf, len, "%m-%d %H:%M", &tm);
	return buf;
}

void out_bar(FILE *f, long long done, long long total, int width)
{
	int fill = total > 0 ? (int)(done * width / total) : 0;
	fputc('[', f);
	for (int i = 0; i < width; i++)
		fputc(i < fill ? '#' : '-', f);
	fprintf(f, "] %3lld%% %lld/%lld", total > 0 ? done * 100 / total : 0, done, total);
}

bool out_tty(FILE *f)
{
	return isatty(fileno(f));
}

static void table_row(const int *w, size_t ncols, const char *const *cells)
{
	for (size_t c = 0; c < ncols; c++) {
		const char *v = cells[c] ? cells[c] : "";
		if (c + 1 < ncols)
			printf("%-*s  ", w[c], v);
		else
			printf("%s\n", v);
	}
}

void out_table(const char *const *header, size_t ncols, json_t *rows)
{
	int *w = calloc(ncols, sizeof *w);
	const char **cells = calloc(ncols, sizeof *cells);
	size_t i;
	json_t *row;
	if (w == NULL || cells == NULL)
		goto out;
	for (size_t c = 0; header && c < ncols; c++)
		w[c] = (int)strlen(header[c]);
	json_array_foreach(rows, i, row)
		for (size_t c = 0; c < ncols; c++) {
			const char *v = json_string_value(json_array_get(row, c));
			if (v && (int)strlen(v) > w[c])
				w[c] = (int)strlen(v);
		}
	if (header)
		table_row(w, ncols, header);
	json_array_foreach(rows, i, row) {
		for (size_t c = 0; c < ncols; c++)
			cells[c] = json_string_value(json_array_get(row, c));
		table_row(w, ncols, cells);
	}
out:
	free(w);
	free(cells);
}
