/* Index ranges as people type them, Slurm's way: "5", "0-99", "1,5,10-20" (joblets of a
 * job array). Parsed into sorted, merged, inclusive intervals; written back from indexes
 * given in increasing order ("0-4,6,8-9"). */
#ifndef JG_RANGES_H
#define JG_RANGES_H
#include "base/buf.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most comma-separated pieces a text may have: bounds the parse and the set. */
#define RANGES_MAX_PIECES 1000

struct range {
	int64_t lo, hi;		/* inclusive, lo <= hi */
};
struct ranges {
	struct range *r;	/* owned (ranges_free), sorted by lo, disjoint, not adjacent */
	size_t n;
};

/* The largest index any text may name (a joblet's index is an int32), so that hi + 1 and
 * counts never overflow. */
#define RANGES_INDEX_MAX INT32_MAX
/* Parse s into *out, every index 0..max (max above RANGES_INDEX_MAX counts as that). 0, or -1 with the rule broken written to why
 * (quoting the piece) and *out left empty. */
int ranges_parse(const char *s, int64_t max, struct ranges *out, char *why, size_t why_len);
void ranges_free(struct ranges *rs);
/* The first index of rs at or after from, or -1 when none. */
int64_t ranges_next(const struct ranges *rs, int64_t from);
/* How many indexes rs holds. */
int64_t ranges_count(const struct ranges *rs);

/* Writes indexes given in increasing order as ranges text into out ("0-4,6"). */
struct ranges_writer {
	struct buf *out;	/* borrowed */
	size_t start;		/* out's length at init: a comma goes before every later range */
	int64_t lo, hi;		/* the open range; lo < 0 while none */
};
void ranges_writer_init(struct ranges_writer *w, struct buf *out);
void ranges_writer_add(struct ranges_writer *w, int64_t index);
/* The indexes lo..hi (lo <= hi, above every index given before). */
void ranges_writer_add_range(struct ranges_writer *w, int64_t lo, int64_t hi);
/* Write the open range out; out then holds the whole text. */
void ranges_writer_end(struct ranges_writer *w);
#endif
