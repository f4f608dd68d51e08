/* Byte sizes for --output-limit: units, bounds, overflow, formatting. */
#include "base/size.h"
#include <criterion/criterion.h>
#include <string.h>

static int64_t sz(const char *s)
{
	int64_t v = -1;
	const char *why = NULL;
	cr_assert_eq(size_parse(s, INT64_MAX, &v, &why), 0, "'%s': %s", s, why ? why : "");
	return v;
}

Test(size, units)
{
	cr_assert_eq(sz("0"), 0);
	cr_assert_eq(sz("1000"), 1000);
	cr_assert_eq(sz("1000B"), 1000);
	cr_assert_eq(sz("512K"), 512 * 1024);
	cr_assert_eq(sz("512k"), 512 * 1024);
	cr_assert_eq(sz("512KB"), 512 * 1024);
	cr_assert_eq(sz("512KiB"), 512 * 1024);
	cr_assert_eq(sz("100M"), 100 * 1048576LL);
	cr_assert_eq(sz("1G"), 1073741824LL);
	cr_assert_eq(sz("1gb"), 1073741824LL);
	cr_assert_eq(sz("2T"), 2LL << 40);
	cr_assert_eq(sz("7E"), 7LL << 60);
}

Test(size, refused)
{
	const char *cases[] = {"", "M", "-1", "1.5G", "10 M", " 10", "10M ", "5X", "5Mi", "5MBB",
			       "9223372036854775808", "8E", "99999999999999999999", NULL};
	for (int i = 0; cases[i]; i++) {
		int64_t v = 42;
		const char *why = NULL;
		cr_assert_eq(size_parse(cases[i], INT64_MAX, &v, &why), -1, "'%s' should be refused",
			     cases[i]);
		cr_assert(why && strlen(why) > 10, "'%s': the rule is said", cases[i]);
		cr_assert_eq(v, 42, "'%s': nothing is written on a refusal", cases[i]);
	}
}

Test(size, bound)
{
	int64_t v;
	const char *why;
	cr_assert_eq(size_parse("1T", 1LL << 40, &v, &why), 0);
	cr_assert_eq(size_parse("1025G", 1LL << 40, &v, &why), -1);
	cr_assert_eq(size_parse("1099511627777", 1LL << 40, &v, &why), -1);
}

Test(size, format)
{
	char b[32];
	cr_assert_str_eq(size_format(0, b, sizeof b), "0");
	cr_assert_str_eq(size_format(1000, b, sizeof b), "1000");
	cr_assert_str_eq(size_format(104857600, b, sizeof b), "100M");
	cr_assert_str_eq(size_format(1536 * 1024, b, sizeof b), "1536K");
	cr_assert_str_eq(size_format(1LL << 40, b, sizeof b), "1T");
	cr_assert_str_eq(size_format(INT64_MAX, b, sizeof b), "9223372036854775807");
}
