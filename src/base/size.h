/* Byte sizes as people type them: "1000", "512K", "100M", "1G", "2T" (binary multiples:
 * K = 1024; "KB", "KiB" and lower case mean the same). Used by `--output-limit`. */
#ifndef JG_SIZE_H
#define JG_SIZE_H
#include <stddef.h>
#include <stdint.h>

/* Parse s into *out (0..max). Returns 0, or -1 with *why set to a static rule text. */
int size_parse(const char *s, int64_t max, int64_t *out, const char **why);
/* The shortest exact text for bytes ("100M", "1536K", "1000") into buf; returns buf. */
char *size_format(int64_t bytes, char *buf, size_t len);
#endif
