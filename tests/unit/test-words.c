/* Shell-like word splitting for --spawn-opt: blanks, quotes, backslashes, refusals. */
#include "base/words.h"
#include <criterion/criterion.h>
#include <string.h>

static void expect(const char *s, const char *const *want, size_t nwant)
{
	char **w = NULL;
	size_t n = 0;
	const char *why = NULL;
	cr_assert_eq(words_split(s, &w, &n, &why), 0, "'%s': %s", s, why ? why : "");
	cr_assert_eq(n, nwant, "'%s': %zu words", s, n);
	for (size_t i = 0; i < n; i++)
		cr_assert_str_eq(w[i], want[i], "'%s' word %zu", s, i);
	cr_assert_null(w[n]);
	words_free(w);
}

Test(words, split)
{
	expect("", NULL, 0);
	expect("  \t ", NULL, 0);
	expect("-p debug", (const char *[]){"-p", "debug"}, 2);
	expect("  --qos=low\t-A  proj ", (const char *[]){"--qos=low", "-A", "proj"}, 3);
	expect("--comment='a b'", (const char *[]){"--comment=a b"}, 1);
	expect("\"x\\\"y\" c\\ d", (const char *[]){"x\"y", "c d"}, 2);
	expect("'$HOME' `id` ;|&", (const char *[]){"$HOME", "`id`", ";|&"}, 3);
	expect("''", (const char *[]){""}, 1);
	expect("\"a\\nb\"", (const char *[]){"a\\nb"}, 1);
}

Test(words, refused)
{
	const char *bad[] = {"'open", "-p \"debug", "end\\"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char **w = (char **)1;
		size_t n = 99;
		const char *why = NULL;
		cr_assert_eq(words_split(bad[i], &w, &n, &why), -1, "'%s' was split", bad[i]);
		cr_assert_not_null(why);
		cr_assert_eq(w, (char **)1, "nothing is returned on a refusal");
	}
}
