/* The idempotency table (src/server/idem.h): keys whose hashes collide keep their own
 * answers and nothing leaks (the ctest run fails on a LeakSanitizer report); the first
 * answer stands; open entries block, are abandoned cleanly and are never pruned. */
#include "server/idem.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <string.h>

static uint64_t same_hash(const char *key)
{
	(void)key;
	return 42;	/* every key collides */
}

static void expect_answer(const struct idem_table *t, const char *key, int32_t status,
			  const char *body)
{
	const struct idem_entry *e = idem_find(t, key);
	cr_assert_not_null(e, "%s keeps its entry", key);
	cr_assert_str_eq(e->key, key);
	cr_assert_eq(e->status, status, "%s: status", key);
	cr_assert_str_eq(e->body, body, "%s: its own first reply", key);
}

Test(idem, colliding_keys_keep_their_answers)
{
	struct idem_table t;
	idem_init(&t);
	t.hash = same_hash;
	idem_open(&t, "alice\nkey-1", 1000);
	idem_answer(&t, "alice\nkey-1", 201, "{\"ids\":[1]}", 1000);
	idem_open(&t, "bob\nkey-2", 1001);
	idem_answer(&t, "bob\nkey-2", 201, "{\"ids\":[2]}", 1001);
	idem_answer(&t, "carol\nkey-3", 409, "{\"error\":{}}", 1002);	/* loaded from the store */
	cr_assert_eq(t.n, 3);
	cr_assert_eq(t.map.len, 1, "one hash, one slot: the keys share a chain");
	expect_answer(&t, "alice\nkey-1", 201, "{\"ids\":[1]}");
	expect_answer(&t, "bob\nkey-2", 201, "{\"ids\":[2]}");
	expect_answer(&t, "carol\nkey-3", 409, "{\"error\":{}}");
	cr_assert_null(idem_find(&t, "dave\nkey-4"), "a key never seen is not found");
	idem_free(&t);
}

Test(idem, the_first_answer_stands)
{
	struct idem_table t;
	idem_init(&t);
	idem_answer(&t, "alice\nk", 201, "first", 1000);
	idem_answer(&t, "alice\nk", 201, "second", 2000);
	expect_answer(&t, "alice\nk", 201, "first");
	cr_assert_eq(idem_find(&t, "alice\nk")->at, 1000);
	cr_assert_eq(t.n, 1);
	idem_free(&t);
}

Test(idem, open_entries)
{
	struct idem_table t;
	idem_init(&t);
	t.hash = same_hash;
	idem_answer(&t, "alice\nold", 201, "old", 1000);
	idem_open(&t, "alice\npending", 1000);
	const struct idem_entry *e = idem_find(&t, "alice\npending");
	cr_assert_not_null(e, "an open entry is found, so a resend is held off");
	cr_assert_eq(e->status, 0);
	cr_assert_null(e->body);
	cr_assert_eq(idem_prune_before(&t, 5000), 1, "only the answered old entry is pruned");
	cr_assert_null(idem_find(&t, "alice\nold"));
	cr_assert_not_null(idem_find(&t, "alice\npending"), "an open entry is never pruned");
	idem_abandon(&t, "alice\npending");
	cr_assert_null(idem_find(&t, "alice\npending"), "abandoned: a resend may run");
	cr_assert_eq(t.n, 0);
	cr_assert_eq(t.map.len, 0, "an emptied chain leaves the map");
	idem_answer(&t, "alice\nkept", 201, "kept", 9000);
	idem_abandon(&t, "alice\nkept");
	cr_assert_not_null(idem_find(&t, "alice\nkept"), "an answered entry is not abandoned");
	idem_free(&t);
}

/* Pruning the middle of a chain keeps the rest, with the real hash too. */
Test(idem, prune_keeps_the_rest)
{
	for (int colliding = 0; colliding < 2; colliding++) {
		struct idem_table t;
		idem_init(&t);
		if (colliding)
			t.hash = same_hash;
		char key[32], body[32];
		for (int i = 0; i < 200; i++) {
			snprintf(key, sizeof key, "u%d\nk%d", i % 7, i);
			snprintf(body, sizeof body, "b%d", i);
			idem_answer(&t, key, 200 + i % 3, body, i);
		}
		cr_assert_eq(idem_prune_before(&t, 100), 100);
		cr_assert_eq(t.n, 100);
		for (int i = 0; i < 200; i++) {
			snprintf(key, sizeof key, "u%d\nk%d", i % 7, i);
			snprintf(body, sizeof body, "b%d", i);
			if (i < 100)
				cr_assert_null(idem_find(&t, key), "%d pruned", i);
			else
				expect_answer(&t, key, 200 + i % 3, body);
		}
		idem_free(&t);
	}
}

/* Abandoning the head, the middle or the tail of a chain unlinks that entry only. */
Test(idem, abandon_anywhere_in_a_chain)
{
	struct idem_table t;
	idem_init(&t);
	t.hash = same_hash;
	const char *keys[] = {"a\n1", "a\n2", "a\n3", "a\n4", "a\n5"};
	for (int i = 0; i < 5; i++)
		idem_open(&t, keys[i], i);
	idem_abandon(&t, "a\n3");	/* the middle */
	idem_abandon(&t, "a\n5");	/* the head: opened last */
	idem_abandon(&t, "a\n1");	/* the tail */
	idem_abandon(&t, "a\nnever");	/* unknown: nothing changes */
	cr_assert_eq(t.n, 2);
	for (int i = 0; i < 5; i++)
		cr_assert_eq(idem_find(&t, keys[i]) != NULL, i == 1 || i == 3, "%s", keys[i]);
	idem_answer(&t, "a\n2", 201, "two", 10);
	expect_answer(&t, "a\n2", 201, "two");
	cr_assert_eq(idem_find(&t, "a\n4")->status, 0, "the other open entry stays open");
	idem_free(&t);
}

static uint64_t sixteen_hashes(const char *key)
{
	return imap_hash_str(key) % 16 + 1;	/* long chains in a map of few slots */
}

/* Many keys on few hashes: answered and open entries mixed in every chain; pruning drops
 * whole chains and parts of chains (the map moves slots as chains go) and abandoning the
 * open ones empties the table. */
Test(idem, many_keys_in_long_chains)
{
	enum { N = 4000 };
	for (int colliding = 0; colliding < 2; colliding++) {
		struct idem_table t;
		idem_init(&t);
		if (colliding)
			t.hash = sixteen_hashes;
		char key[32], body[32];
		for (int i = 0; i < N; i++) {
			snprintf(key, sizeof key, "o%d\nk%d", i % 13, i);
			if (i % 4 == 3) {
				idem_open(&t, key, i);	/* in flight */
			} else {
				snprintf(body, sizeof body, "b%d", i);
				idem_answer(&t, key, 201, body, i);
			}
		}
		cr_assert_eq(t.n, (size_t)N);
		cr_assert_eq(idem_prune_before(&t, N / 2), (size_t)N / 2 * 3 / 4);
		for (int i = 0; i < N; i++) {
			snprintf(key, sizeof key, "o%d\nk%d", i % 13, i);
			snprintf(body, sizeof body, "b%d", i);
			const struct idem_entry *e = idem_find(&t, key);
			if (i % 4 == 3)
				cr_assert(e && e->status == 0, "%d: open entries survive pruning", i);
			else if (i < N / 2)
				cr_assert_null(e, "%d pruned", i);
			else
				expect_answer(&t, key, 201, body);
		}
		for (int i = 3; i < N; i += 4) {
			snprintf(key, sizeof key, "o%d\nk%d", i % 13, i);
			idem_abandon(&t, key);
		}
		size_t left = t.n;
		cr_assert_eq(left, (size_t)N / 2 * 3 / 4);
		cr_assert_eq(idem_prune_before(&t, N), left, "everything answered is older than N");
		cr_assert_eq(t.n, 0);
		cr_assert_eq(t.map.len, 0, "no empty chain is left in the map");
		idem_free(&t);
	}
}
