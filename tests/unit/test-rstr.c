/* Shared text (src/base/rstr.h): counted references, and the cache that hands out one
 * string for texts set one after another; the sanitizer build checks that the last
 * reference frees it and that nothing is freed early. */
#include "base/rstr.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

Test(rstr, counted_references)
{
	struct rstr *r = rstr_new("cancelled by the user");
	cr_assert_eq(r->refs, 1);
	cr_assert_str_eq(rstr_text(r), "cancelled by the user");
	cr_assert_eq(rstr_ref(r), r);
	cr_assert_eq(r->refs, 2);
	rstr_unref(r);
	cr_assert_str_eq(rstr_text(r), "cancelled by the user", "one holder left: still there");
	rstr_unref(r);
	cr_assert_null(rstr_ref(NULL));
	rstr_unref(NULL);
	cr_assert_str_eq(rstr_text(NULL), "", "none reads as the empty text");
}

Test(rstr, the_same_text_is_one_string)
{
	struct rstr_cache c = {0};
	struct rstr *held[1000];
	for (int i = 0; i < 1000; i++) {
		/* Two texts alternating (cancelled and cancelling joblets of one job). */
		held[i] = rstr_share(&c, i % 2 ? "cancelling: the worker is told to stop it"
					       : "cancelled by the user");
		cr_assert_eq(held[i], held[i % 2], "joblet %d shares its text", i);
	}
	cr_assert_eq(held[0]->refs, 500 + 1, "its holders and the cache");
	cr_assert_null(rstr_share(&c, NULL), "no text, no string");
	char copy[64];
	snprintf(copy, sizeof copy, "%s", "cancelled by the user");
	cr_assert_eq(rstr_share(&c, copy), held[0], "found by its text, not its address");
	rstr_unref(held[0]);
	rstr_cache_clear(&c);
	cr_assert_eq(held[0]->refs, 500, "the cache let go of it");
	for (int i = 0; i < 1000; i++)
		rstr_unref(held[i]);
}

Test(rstr, a_new_text_takes_the_oldest_place)
{
	struct rstr_cache c = {0};
	char text[RSTR_CACHE + 1][24];
	struct rstr *first[RSTR_CACHE + 1];
	for (int i = 0; i <= RSTR_CACHE; i++) {
		snprintf(text[i], sizeof text[i], "reason %d", i);
		first[i] = rstr_share(&c, text[i]);
	}
	/* The first text left the cache for the last one: its holders keep it. */
	cr_assert_eq(first[0]->refs, 1);
	struct rstr *again = rstr_share(&c, text[0]);
	cr_assert_neq(again, first[0], "out of the cache: a new copy");
	cr_assert_str_eq(rstr_text(again), text[0]);
	struct rstr *last = rstr_share(&c, text[RSTR_CACHE]);
	cr_assert_eq(last, first[RSTR_CACHE], "still cached");
	rstr_unref(last);
	rstr_unref(again);
	for (int i = 0; i <= RSTR_CACHE; i++)
		rstr_unref(first[i]);
	rstr_cache_clear(&c);
	rstr_cache_clear(&c);
}
