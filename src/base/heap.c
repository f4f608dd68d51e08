/* Binary heap with position tracking. */
#include "base/heap.h"
#include "base/xalloc.h"

void heap_init(struct heap *h, heap_less_cb less, heap_setpos_cb setpos)
{
	h->items = NULL;
	h->len = h->cap = 0;
	h->less = less;
	h->setpos = setpos;
}

void heap_free(struct heap *h)
{
	free(h->items);
	h->items = NULL;
	h->len = h->cap = 0;
}

static void place(struct heap *h, size_t i, void *e)
{
	h->items[i] = e;
	h->setpos(e, i);
}

static void sift_up(struct heap *h, size_t i)
{
	void *e = h->items[i];
	while (i > 0) {
		size_t parent = (i - 1) / 2;
		if (!h->less(e, h->items[parent]))
			break;
		place(h, i, h->items[parent]);
		i = parent;
	}
	place(h, i, e);
}

static void sift_down(struct heap *h, size_t i)
{
	void *e = h->items[i];
	for (;;) {
		size_t l = 2 * i + 1, best = i;
		void *b = e;
		if (l < h->len && h->less(h->items[l], b))
			best = l, b = h->items[l];
		if (l + 1 < h->len && h->less(h->items[l + 1], b))
			best = l + 1, b = h->items[l + 1];
		if (best == i)
			break;
		place(h, i, b);
		i = best;
	}
	place(h, i, e);
}

void heap_append(struct heap *h, void *elem)
{
	if (h->len == h->cap) {
		h->cap = h->cap ? h->cap * 2 : 16;
		h->items = xrealloc(h->items, h->cap, sizeof *h->items);
	}
	place(h, h->len++, elem);
}

void heap_push(struct heap *h, void *elem)
{
	heap_append(h, elem);
	sift_up(h, h->len - 1);
}

void heap_build(struct heap *h)
{
	for (size_t i = h->len / 2; i-- > 0;)
		sift_down(h, i);
}

void *heap_top(const struct heap *h)
{
	return h->len ? h->items[0] : NULL;
}

void heap_remove(struct heap *h, size_t pos)
{
	void *gone = h->items[pos];
	h->len--;
	if (pos != h->len) {
		place(h, pos, h->items[h->len]);
		heap_fix(h, pos);
	}
	h->setpos(gone, HEAP_NONE);
}

void heap_filter(struct heap *h, bool (*keep)(const void *elem, const void *arg),
		 const void *arg)
{
	size_t n = 0;
	for (size_t i = 0; i < h->len; i++) {
		void *e = h->items[i];
		if (keep(e, arg))
			place(h, n++, e);
		else
			h->setpos(e, HEAP_NONE);
	}
	h->len = n;
	heap_build(h);
}

void *heap_pop(struct heap *h)
{
	if (h->len == 0)
		return NULL;
	void *top = h->items[0];
	heap_remove(h, 0);
	return top;
}

void heap_fix(struct heap *h, size_t pos)
{
	if (pos > 0 && h->less(h->items[pos], h->items[(pos - 1) / 2]))
		sift_up(h, pos);
	else
		sift_down(h, pos);
}
