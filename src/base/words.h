/* Splitting an option value into words the way a shell would, without a shell: for
 * options that take a command's arguments as one string (`--spawn-opt "-p debug"`).
 *
 * Words are separated by spaces and tabs. Inside '…' every character is literal; inside
 * "…" a backslash escapes only " and \; outside quotes a backslash makes the next
 * character literal. Nothing else is special: no $, `, globs, ~ or redirections. */
#ifndef JG_WORDS_H
#define JG_WORDS_H
#include <stddef.h>

/* The words of s into *out (malloc'd array of n malloc'd strings, NULL-terminated; free
 * with words_free). 0, or -1 with *why (static) and nothing allocated. */
int words_split(const char *s, char ***out, size_t *n, const char **why);
void words_free(char **w);
#endif
