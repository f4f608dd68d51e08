/* Binary min-heap of pointers. Elements learn their position through a setpos callback,
 * so removing or re-keying one is O(log n) (beanstalkd's heap.c idea). */
#ifndef JG_HEAP_H
#define JG_HEAP_H
#include <stdbool.h>
#include <stddef.h>

typedef int (*heap_less_cb)(const void *a, const void *b);
typedef void (*heap_setpos_cb)(void *elem, size_t pos);	/* pos == HEAP_NONE: removed */
#define HEAP_NONE ((size_t)-1)

struct heap {
	void **items;		/* owned array; the elements are not owned */
	size_t len, cap;
	heap_less_cb less;
	heap_setpos_cb setpos;
};

void heap_init(struct heap *h, heap_less_cb less, heap_setpos_cb setpos);
void heap_free(struct heap *h);	/* frees the array only */
void heap_push(struct heap *h, void *elem);
void *heap_top(const struct heap *h);	/* NULL when empty */
void *heap_pop(struct heap *h);
void heap_remove(struct heap *h, size_t pos);
void heap_fix(struct heap *h, size_t pos);	/* after the element at pos changed its key */
/* Take out every element keep refuses (setpos HEAP_NONE), then restore the order: O(len)
 * for any number taken out, where heap_remove of each of k costs O(k log len). */
void heap_filter(struct heap *h, bool (*keep)(const void *elem, const void *arg),
		 const void *arg);
/* Restore the heap property over all items after bulk appends with heap_append. */
void heap_append(struct heap *h, void *elem);
void heap_build(struct heap *h);
#endif
