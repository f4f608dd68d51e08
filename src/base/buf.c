/* Growable byte buffer. */
#include "base/buf.h"
#include "base/xalloc.h"
#include <string.h>

void buf_append(struct buf *b, const void *p, size_t n)
{
	b->data = xrealloc(b->data, b->len + n + 1, 1);
	memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
}

void buf_free(struct buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = 0;
}

size_t buf_write_cb(char *p, size_t size, size_t n, void *arg)
{
	buf_append(arg, p, size * n);
	return size * n;
}
