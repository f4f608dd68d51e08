/* Allocation that never returns NULL: exhaustion and size overflow are fatal, so callers
 * never check (tmux's xmalloc). Everything returned is freed with free(). */
#ifndef JG_XALLOC_H
#define JG_XALLOC_H
#include <stddef.h>
#include <stdlib.h>	/* free() pairs with every allocation here */

void *xmalloc(size_t n);
void *xcalloc(size_t nmemb, size_t size);
void *xrealloc(void *p, size_t nmemb, size_t size);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
/* printf into a new string; the caller frees it. */
char *xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
#endif
