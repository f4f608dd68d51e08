/* The integer map (src/base/imap.h): against a plain array as the model, under a long run
 * of random puts, replaces and deletes on a small key space (long probe runs that wrap the
 * table's end, so backward-shift deletion is exercised), and with many keys (growth, then
 * shrinking as they go). */
#include "base/imap.h"
#include <criterion/criterion.h>
#include <stdlib.h>
#include <string.h>

static void *val_of(uint64_t key, unsigned gen)
{
	return (void *)(uintptr_t)(key * 1000 + gen + 1);
}

Test(imap, empty_map)
{
	struct imap m;
	imap_init(&m);
	cr_assert_null(imap_get(&m, 1));
	cr_assert_null(imap_del(&m, 1));
	cr_assert_null(imap_get(&m, 0), "key 0 is never found");
	cr_assert_null(imap_del(&m, 0));
	cr_assert_eq(m.len, 0);
	imap_free(&m);
	imap_free(&m);
}

Test(imap, put_replaces)
{
	struct imap m;
	imap_init(&m);
	int a, b;
	imap_put(&m, 5, &a);
	imap_put(&m, 5, &b);
	cr_assert_eq(m.len, 1, "a replaced key is counted once");
	cr_assert_eq(imap_get(&m, 5), &b);
	cr_assert_eq(imap_del(&m, 5), &b);
	cr_assert_null(imap_get(&m, 5));
	cr_assert_null(imap_del(&m, 5), "deleting twice finds nothing");
	cr_assert_eq(m.len, 0);
	imap_free(&m);
}

/* Random operations over keys 1..K checked against model[] after every deletion: a hole
 * left behind by a wrong shift would hide a key further along its probe run. */
static void random_ops(uint64_t nkeys, int nops, unsigned seed, uint64_t stride)
{
	void **model = calloc(nkeys + 1, sizeof *model);
	size_t live = 0;
	struct imap m;
	imap_init(&m);
	srand(seed);
	for (int op = 0; op < nops; op++) {
		uint64_t k = (uint64_t)(rand() % (int)nkeys) + 1;
		uint64_t key = k * stride;
		if (rand() % 3) {
			void *v = val_of(key, (unsigned)op);
			live += model[k] == NULL;
			model[k] = v;
			imap_put(&m, key, v);
		} else {
			cr_assert_eq(imap_del(&m, key), model[k], "op %d: del %llu", op,
				     (unsigned long long)key);
			live -= model[k] != NULL;
			model[k] = NULL;
			for (uint64_t j = 1; j <= nkeys; j++)
				cr_assert_eq(imap_get(&m, j * stride), model[j],
					     "op %d: key %llu after deleting %llu", op,
					     (unsigned long long)(j * stride), (unsigned long long)key);
		}
		cr_assert_eq(m.len, live);
		cr_assert_leq(m.len * 4, m.cap * 3, "the table never fills past 3/4");
		cr_assert(m.cap <= 64 || m.len * 8 >= m.cap,
			  "op %d: %zu keys in %zu slots: under 1/8 full, it shrinks", op, m.len,
			  m.cap);
	}
	imap_free(&m);
	free(model);
}

Test(imap, random_against_a_model)
{
	random_ops(40, 20000, 1, 1);	/* fits one 64-slot table: dense probe runs */
	random_ops(300, 6000, 2, 1);	/* grows and shrinks across several sizes */
	random_ops(200, 6000, 3, 1ULL << 32);	/* keys differing only in high bits */
}

Test(imap, many_keys)
{
	enum { N = 200000 };
	struct imap m;
	imap_init(&m);
	for (uint64_t k = 1; k <= N; k++)
		imap_put(&m, k, val_of(k, 0));
	cr_assert_eq(m.len, (size_t)N);
	for (uint64_t k = 1; k <= N; k++)
		cr_assert_eq(imap_get(&m, k), val_of(k, 0));
	for (uint64_t k = 2; k <= N; k += 2)	/* every other key goes */
		cr_assert_eq(imap_del(&m, k), val_of(k, 0));
	cr_assert_eq(m.len, (size_t)N / 2);
	for (uint64_t k = 1; k <= N; k++)
		cr_assert_eq(imap_get(&m, k), k % 2 ? val_of(k, 0) : NULL, "key %llu",
			     (unsigned long long)k);
	cr_assert_null(imap_get(&m, N + 1));
	imap_free(&m);
}

/* A map that held many keys gives their room back as they go, down to 64 slots, and every
 * key left is still found after each halving. */
Test(imap, shrinks_as_keys_go)
{
	enum { N = 100000 };
	struct imap m;
	imap_init(&m);
	for (uint64_t k = 1; k <= N; k++)
		imap_put(&m, k, val_of(k, 0));
	size_t full = m.cap, prev = m.cap;
	int halvings = 0;
	for (uint64_t k = 1; k <= N; k++) {
		cr_assert_eq(imap_del(&m, k), val_of(k, 0));
		if (m.cap != prev) {
			cr_assert_eq(m.cap, prev / 2, "it halves");
			halvings++;
			prev = m.cap;
			for (uint64_t j = k + 1; j <= N; j++)
				cr_assert_eq(imap_get(&m, j), val_of(j, 0), "key %llu after halving to %zu",
					     (unsigned long long)j, m.cap);
		}
	}
	cr_assert_eq(m.len, 0);
	cr_assert_eq(m.cap, 64, "an emptied map keeps the smallest table, not %zu of %zu slots",
		     m.cap, full);
	cr_assert_geq(halvings, 10);
	imap_put(&m, 7, val_of(7, 1));
	cr_assert_eq(imap_get(&m, 7), val_of(7, 1), "it takes keys again");
	imap_free(&m);
}

/* Amortised O(1): keys coming and going at the size where the table just halved do not
 * make it grow and shrink again (it is then about 1/4 full, away from both bounds). */
Test(imap, no_thrashing_at_a_bound)
{
	struct imap m;
	imap_init(&m);
	uint64_t n = 1;
	for (; n <= 4096; n++)
		imap_put(&m, n, val_of(n, 0));
	size_t cap = m.cap;
	uint64_t k = 1;
	for (; m.cap == cap; k++)
		cr_assert_eq(imap_del(&m, k), val_of(k, 0));
	cap = m.cap;
	for (int i = 0; i < 100000; i++) {
		if (i % 2) {
			cr_assert_eq(imap_del(&m, n - 1), val_of(n - 1, 0));
			n--;
		} else {
			imap_put(&m, n, val_of(n, 0));
			n++;
		}
		cr_assert_eq(m.cap, cap, "op %d: the table stays %zu slots, not %zu", i, cap,
			     m.cap);
	}
	imap_free(&m);
}

Test(imap, string_hash)
{
	cr_assert_eq(imap_hash_str("abc"), imap_hash_str("abc"), "the same text, the same key");
	cr_assert_neq(imap_hash_str("abc"), imap_hash_str("abd"));
	cr_assert_neq(imap_hash_str("alice\nk"), imap_hash_str("alicek"));
	cr_assert_neq(imap_hash_str(""), 0, "the empty text has a usable key");
}
