/* String interning: owner, name, group, cwd and node names repeat across millions of jobs,
 * so each distinct text is stored once. Interned strings are immutable and live until
 * intern_free_all(), which makes them safe to read from the store's writer thread. */
#ifndef JG_INTERN_H
#define JG_INTERN_H
#include <stddef.h>

/* Returns the one shared copy of s (never NULL; "" for NULL). Not thread-safe: loop only. */
const char *intern(const char *s);
const char *intern_n(const char *s, size_t n);
void intern_free_all(void);	/* at exit, so leak checkers stay quiet */
#endif
