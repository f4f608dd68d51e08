/* Index ranges ("1,5,10-20"): parsing, merging, refusals, the next index, writing back. */
#include "base/ranges.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static struct ranges parse(const char *s, int64_t max)
{
	struct ranges rs;
	char why[200] = "";
	cr_assert_eq(ranges_parse(s, max, &rs, why, sizeof why), 0, "'%s': %s", s, why);
	return rs;
}

Test(ranges, forms)
{
	struct ranges rs = parse("5", 99);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.r[0].lo, 5);
	cr_assert_eq(rs.r[0].hi, 5);
	ranges_free(&rs);
	rs = parse("0-99", 99);
	cr_assert_eq(rs.n, 1);
	cr_assert_eq(rs.r[0].lo, 0);
	cr_assert_eq(rs.r[0].hi, 99);
	cr_assert_eq(ranges_count(&rs), 100);
	ranges_free(&rs);
	rs = parse("1,5,10-20", 99);
	cr_assert_eq(rs.n, 3);
	cr_assert_eq(rs.r[2].lo, 10);
	cr_assert_eq(rs.r[2].hi, 20);
	cr_assert_eq(ranges_count(&rs), 13);
	ranges_free(&rs);
}

Test(ranges, merged_and_sorted)
{
	struct ranges rs = parse("10-20,1,15-30,2,3-4,31", 99);
	cr_assert_eq(rs.n, 2, "1-4 and 10-31, got %zu ranges", rs.n);
	cr_assert_eq(rs.r[0].lo, 1);
	cr_assert_eq(rs.r[0].hi, 4);
	cr_assert_eq(rs.r[1].lo, 10);
	cr_assert_eq(rs.r[1].hi, 31);
	ranges_free(&rs);
}

Test(ranges, refused)
{
	static const struct {
		const char *text, *says;
	} cases[] = {
		{"", "empty"}, {",", "'': an index"}, {"1,", "'': an index"}, {"-5", "'-5'"},
		{"5-", "'5-'"}, {"20-10", "end must not be below its start"}, {"1 ", "only digits"},
		{"1-2-3", "only digits"}, {"a", "'a'"}, {"007", "leading zero"},
		{"100", "past the last index"}, {"5-100", "past the last index"},
		{"99999999999999999999", "decimal number"}, {"+1", "'+1'"}, {"1;2", "only digits"},
	};
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct ranges rs = {(void *)1, 42};
		char why[200] = "";
		cr_assert_eq(ranges_parse(cases[i].text, 99, &rs, why, sizeof why), -1,
			     "'%s' should be refused", cases[i].text);
		cr_assert(strstr(why, cases[i].says), "'%s': '%s' should say '%s'", cases[i].text,
			  why, cases[i].says);
		cr_assert(rs.r == NULL && rs.n == 0, "'%s': the set is left empty", cases[i].text);
	}
}

Test(ranges, piece_bound)
{
	char text[RANGES_MAX_PIECES * 3 + 8] = "";
	size_t at = 0;
	for (int i = 0; i <= RANGES_MAX_PIECES; i++)
		at += (size_t)snprintf(text + at, sizeof text - at, "%s%d", i ? "," : "", i % 10);
	struct ranges rs;
	char why[200] = "";
	cr_assert_eq(ranges_parse(text, 99, &rs, why, sizeof why), -1);
	cr_assert(strstr(why, "more than"), "%s", why);
}

Test(ranges, next)
{
	struct ranges rs = parse("1,5,10-20", 99);
	cr_assert_eq(ranges_next(&rs, 0), 1);
	cr_assert_eq(ranges_next(&rs, 1), 1);
	cr_assert_eq(ranges_next(&rs, 2), 5);
	cr_assert_eq(ranges_next(&rs, 6), 10);
	cr_assert_eq(ranges_next(&rs, 15), 15);
	cr_assert_eq(ranges_next(&rs, 20), 20);
	cr_assert_eq(ranges_next(&rs, 21), -1);
	ranges_free(&rs);
}

Test(ranges, writer)
{
	struct buf b = BUF_INIT;
	struct ranges_writer w;
	ranges_writer_init(&w, &b);
	ranges_writer_end(&w);
	cr_assert_str_eq(buf_cstr(&b), "");
	static const int64_t idx[] = {0, 1, 2, 3, 4, 6, 8, 9, 99};
	ranges_writer_init(&w, &b);
	for (size_t i = 0; i < sizeof idx / sizeof idx[0]; i++)
		ranges_writer_add(&w, idx[i]);
	ranges_writer_end(&w);
	cr_assert_str_eq(buf_cstr(&b), "0-4,6,8-9,99");
	struct ranges rs = parse(buf_cstr(&b), 99);
	cr_assert_eq(ranges_count(&rs), 9, "the text parses back to the same indexes");
	ranges_free(&rs);
	buf_free(&b);
}

Test(ranges, bounded_to_int32)
{
	struct ranges rs = parse("0-2147483647", INT64_MAX);
	cr_assert_eq(ranges_count(&rs), (int64_t)1 << 31);
	ranges_free(&rs);
	char why[200] = "";
	cr_assert_eq(ranges_parse("2147483648", INT64_MAX, &rs, why, sizeof why), -1,
		     "no index beyond a joblet's int32");
	cr_assert(strstr(why, "past the last index"), "%s", why);
}
