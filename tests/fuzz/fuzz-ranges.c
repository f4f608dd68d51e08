/* Fuzz target for index ranges (`show --joblets`, GET /v1/jobs/{id}?joblets=): a text that
 * parses gives sorted, disjoint ranges within the bound, written back to text that parses
 * to the same set; a refusal always says why. */
#include "base/ranges.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>

static void check(const char *s, int64_t max)
{
	struct ranges rs, back;
	char why[200] = "";
	if (ranges_parse(s, max, &rs, why, sizeof why) != 0) {
		if (why[0] == '\0' || rs.r != NULL || rs.n != 0)
			abort();
		return;
	}
	if (rs.n == 0)
		abort();
	for (size_t i = 0; i < rs.n; i++)
		if (rs.r[i].lo < 0 || rs.r[i].hi < rs.r[i].lo || rs.r[i].hi > max ||
		    (i > 0 && rs.r[i].lo <= rs.r[i - 1].hi + 1))
			abort();
	if (ranges_next(&rs, 0) != rs.r[0].lo || ranges_next(&rs, rs.r[rs.n - 1].hi + 1) != -1)
		abort();
	struct buf text = BUF_INIT;
	struct ranges_writer w;
	ranges_writer_init(&w, &text);
	for (size_t i = 0; i < rs.n; i++)
		ranges_writer_add_range(&w, rs.r[i].lo, rs.r[i].hi);
	ranges_writer_end(&w);
	if (ranges_parse(buf_cstr(&text), max, &back, why, sizeof why) != 0 || back.n != rs.n)
		abort();
	for (size_t i = 0; i < rs.n; i++)
		if (back.r[i].lo != rs.r[i].lo || back.r[i].hi != rs.r[i].hi)
			abort();
	ranges_free(&back);
	ranges_free(&rs);
	buf_free(&text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	check(s, 99);
	check(s, 99999);
	check(s, INT64_MAX);
	free(s);
	return 0;
}
