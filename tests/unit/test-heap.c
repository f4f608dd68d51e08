/* The position-tracking heap (src/base/heap.h): every element always knows its index, so
 * removing or re-keying one in the middle keeps the heap whole; pops come out in key order
 * whatever the sequence of pushes, removals and key changes, across the array's growth. */
#include "base/heap.h"
#include <criterion/criterion.h>
#include <limits.h>
#include <stdbool.h>
#include <stdlib.h>

struct item {
	long key;
	size_t pos;
};

static int item_less(const void *a, const void *b)
{
	return ((const struct item *)a)->key < ((const struct item *)b)->key;
}

static void item_setpos(void *e, size_t pos)
{
	((struct item *)e)->pos = pos;
}

/* The heap property at every node, and every element's recorded position. */
static void check_heap(const struct heap *h)
{
	for (size_t i = 0; i < h->len; i++) {
		const struct item *it = h->items[i];
		cr_assert_eq(it->pos, i, "element at %zu thinks it is at %zu", i, it->pos);
		if (i > 0) {
			const struct item *parent = h->items[(i - 1) / 2];
			cr_assert_leq(parent->key, it->key, "node %zu is smaller than its parent", i);
		}
	}
}

/* Pop everything, checking the keys come in order; returns how many came. */
static size_t drain_in_order(struct heap *h)
{
	size_t n = 0;
	long last = LONG_MIN;
	struct item *it;
	while ((it = heap_pop(h)) != NULL) {
		cr_assert_geq(it->key, last, "pop %zu: %ld after %ld", n, it->key, last);
		cr_assert_eq(it->pos, HEAP_NONE, "a popped element is told it left");
		last = it->key;
		n++;
	}
	return n;
}

/* Give items[0..n) random keys below range (seeded) and push them onto a new heap h. */
static void fill_random(struct heap *h, struct item *items, size_t n, unsigned seed, int range)
{
	heap_init(h, item_less, item_setpos);
	srand(seed);
	for (size_t i = 0; i < n; i++) {
		items[i].key = rand() % range;
		heap_push(h, &items[i]);
	}
}

Test(heap, empty)
{
	struct heap h;
	heap_init(&h, item_less, item_setpos);
	cr_assert_null(heap_top(&h));
	cr_assert_null(heap_pop(&h));
	heap_build(&h);	/* nothing to do, nothing to break */
	cr_assert_eq(h.len, 0);
	heap_free(&h);
	heap_free(&h);	/* freeing twice is harmless: the array was reset */
}

Test(heap, pops_in_key_order_across_growth)
{
	enum { N = 5000 };
	static struct item items[N];
	struct heap h;
	heap_init(&h, item_less, item_setpos);
	srand(7);
	for (size_t i = 0; i < N; i++) {
		items[i].key = rand() % 1000;	/* many equal keys */
		heap_push(&h, &items[i]);
		if (i < 40 || i % 997 == 0)
			check_heap(&h);
	}
	check_heap(&h);
	cr_assert_geq(h.cap, (size_t)N);
	cr_assert_eq(drain_in_order(&h), (size_t)N);
	heap_free(&h);
}

Test(heap, single_element)
{
	struct item a = {.key = 3};
	struct heap h;
	heap_init(&h, item_less, item_setpos);
	heap_push(&h, &a);
	cr_assert_eq(a.pos, 0);
	cr_assert_eq(heap_top(&h), &a);
	heap_remove(&h, 0);
	cr_assert_eq(a.pos, HEAP_NONE);
	cr_assert_eq(h.len, 0);
	cr_assert_null(heap_top(&h));
	heap_free(&h);
}

Test(heap, remove_anywhere)
{
	enum { N = 600 };
	static struct item items[N];
	struct heap h;
	fill_random(&h, items, N, 11, 5000);
	/* Remove every third element wherever it sits: the root, a leaf, the last slot. */
	size_t removed = 0;
	for (size_t i = 0; i < N; i += 3) {
		size_t pos = items[i].pos;
		cr_assert_neq(pos, HEAP_NONE);
		heap_remove(&h, pos);
		cr_assert_eq(items[i].pos, HEAP_NONE, "item %zu told it left", i);
		removed++;
		check_heap(&h);
	}
	heap_remove(&h, h.len - 1);	/* the last slot: nothing moves into it */
	check_heap(&h);
	cr_assert_eq(drain_in_order(&h), (size_t)N - removed - 1);
	heap_free(&h);
}

Test(heap, fix_after_a_key_changes_either_way)
{
	enum { N = 300 };
	static struct item items[N];
	struct heap h;
	fill_random(&h, items, N, 3, 3000);
	for (int round = 0; round < 2000; round++) {
		struct item *it = &items[rand() % N];
		it->key = rand() % 2 ? it->key - rand() % 500 : it->key + rand() % 500;
		heap_fix(&h, it->pos);
		check_heap(&h);
	}
	items[N - 1].key = LONG_MIN / 2;	/* a leaf becomes the smallest */
	heap_fix(&h, items[N - 1].pos);
	cr_assert_eq(heap_top(&h), &items[N - 1]);
	cr_assert_eq(drain_in_order(&h), (size_t)N);
	heap_free(&h);
}

Test(heap, append_then_build)
{
	enum { N = 1000 };
	static struct item items[N];
	struct heap h;
	heap_init(&h, item_less, item_setpos);
	for (size_t i = 0; i < N; i++) {
		items[i].key = (long)(N - i);	/* worst order: descending */
		heap_append(&h, &items[i]);
		cr_assert_eq(items[i].pos, i, "an appended element knows its slot");
	}
	heap_build(&h);
	check_heap(&h);
	cr_assert_eq(((struct item *)heap_top(&h))->key, 1);
	/* Pushes after a build go on as usual. */
	struct item extra = {.key = 0};
	heap_push(&h, &extra);
	cr_assert_eq(heap_top(&h), &extra);
	cr_assert_eq(drain_in_order(&h), (size_t)N + 1);
	heap_free(&h);
}

static bool key_odd(const void *e, const void *arg)
{
	(void)arg;
	return ((const struct item *)e)->key % 2 != 0;
}

Test(heap, filter_takes_out_what_keep_refuses_and_keeps_the_order)
{
	enum { N = 700 };
	static struct item items[N];
	struct heap h;
	fill_random(&h, items, N, 5, 4000);
	size_t odd = 0;
	for (size_t i = 0; i < N; i++)
		odd += items[i].key % 2 != 0;
	heap_filter(&h, key_odd, NULL);
	check_heap(&h);
	cr_assert_eq(h.len, odd);
	for (size_t i = 0; i < N; i++)
		if (items[i].key % 2 == 0)
			cr_assert_eq(items[i].pos, HEAP_NONE, "item %zu told it left", i);
	cr_assert_eq(drain_in_order(&h), odd);
	heap_filter(&h, key_odd, NULL);	/* empty: nothing to do */
	cr_assert_eq(h.len, 0);
	heap_free(&h);
}
