/* A growable byte buffer, always NUL-terminated so text can be read in place.
 * data is from malloc (NULL while empty); the owner frees it with buf_free. */
#ifndef JG_BUF_H
#define JG_BUF_H
#include <stddef.h>

struct buf {
	char *data;
	size_t len;
};

#define BUF_INIT {NULL, 0}
void buf_append(struct buf *b, const void *p, size_t n);
/* Append formatted text. */
void buf_printf(struct buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Append formatted text to a fixed buffer of len bytes at *at, truncating, always
 * NUL-terminated. */
void buf_fixed_printf(char *buf, size_t len, size_t *at, const char *fmt, ...)
	__attribute__((format(printf, 4, 5)));
/* The text so far ("" while empty); valid until the next change. */
const char *buf_cstr(const struct buf *b);
void buf_free(struct buf *b);
/* A libcurl-style write callback appending to the struct buf in arg. */
size_t buf_write_cb(char *p, size_t size, size_t n, void *arg);
#endif
