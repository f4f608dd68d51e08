/* Index ranges (ranges.h). */
#include "base/ranges.h"
#include "base/xalloc.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* One decimal index at *p (digits only, no sign, no leading zeros but "0"), advancing *p.
 * 0, or -1 when there is none or it is above max. */
static int index_at(const char **p, int64_t max, int64_t *out)
{
	const char *s = *p;
	int64_t v = 0;
	if (*s < '0' || *s > '9')
		return -1;
	if (s[0] == '0' && s[1] >= '0' && s[1] <= '9')
		return -1;
	for (; *s >= '0' && *s <= '9'; s++) {
		if (v > (max - (*s - '0')) / 10)
			return -1;
		v = v * 10 + (*s - '0');
	}
	*out = v;
	*p = s;
	return 0;
}

static int by_lo(const void *a, const void *b)
{
	const struct range *x = a, *y = b;
	return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Sort and merge overlapping or adjacent ranges in place. */
static void normalise(struct ranges *rs)
{
	size_t k = 0;
	qsort(rs->r, rs->n, sizeof *rs->r, by_lo);
	for (size_t i = 0; i < rs->n; i++) {
		if (k > 0 && rs->r[i].lo <= rs->r[k - 1].hi + 1) {
			if (rs->r[i].hi > rs->r[k - 1].hi)
				rs->r[k - 1].hi = rs->r[i].hi;
		} else {
			rs->r[k++] = rs->r[i];
		}
	}
	rs->n = k;
}

/* Why the piece starting at s (up to the next comma) is refused. */
static void piece_error(const char *s, int64_t max, const char *rule, char *why, size_t len)
{
	size_t n = strcspn(s, ",");
	snprintf(why, len, "'%.*s': %s (indexes 0..%lld, written INDEX or FROM-TO, comma-separated,"
		 " e.g. 1,5,10-20)", (int)(n > 40 ? 40 : n), s, rule, (long long)max);
}

int ranges_parse(const char *s, int64_t max, struct ranges *out, char *why, size_t why_len)
{
	*out = (struct ranges){NULL, 0};
	if (max > RANGES_INDEX_MAX)
		max = RANGES_INDEX_MAX;
	if (*s == '\0') {
		snprintf(why, why_len, "must not be empty (written INDEX or FROM-TO, comma-separated,"
			 " e.g. 1,5,10-20)");
		return -1;
	}
	struct ranges rs = {xcalloc(RANGES_MAX_PIECES, sizeof *rs.r), 0};
	for (const char *p = s;; p++) {
		const char *piece = p;
		struct range r;
		if (rs.n == RANGES_MAX_PIECES) {
			snprintf(why, why_len, "more than %d comma-separated pieces", RANGES_MAX_PIECES);
			goto bad;
		}
		const char *rule = "an index must be a decimal number without sign or leading zero";
		int64_t big = INT64_MAX;
		if (index_at(&p, big, &r.lo))
			goto bad_piece;
		r.hi = r.lo;
		if (*p == '-') {
			p++;
			if (index_at(&p, big, &r.hi))
				goto bad_piece;
			if (r.hi < r.lo) {
				rule = "a range's end must not be below its start";
				goto bad_piece;
			}
		}
		if (*p != ',' && *p != '\0') {
			rule = "only digits, '-' and ',' may appear";
			goto bad_piece;
		}
		if (r.hi > max) {
			rule = "past the last index";
			goto bad_piece;
		}
		rs.r[rs.n++] = r;
		if (*p == '\0')
			break;
		continue;
bad_piece:
		piece_error(piece, max, rule, why, why_len);
		goto bad;
	}
	normalise(&rs);
	*out = rs;
	return 0;
bad:
	free(rs.r);
	return -1;
}

void ranges_free(struct ranges *rs)
{
	free(rs->r);
	*rs = (struct ranges){NULL, 0};
}

int64_t ranges_next(const struct ranges *rs, int64_t from)
{
	size_t lo = 0, hi = rs->n;
	while (lo < hi) {	/* the first range whose end is at or after from */
		size_t mid = lo + (hi - lo) / 2;
		if (rs->r[mid].hi < from)
			lo = mid + 1;
		else
			hi = mid;
	}
	if (lo == rs->n)
		return -1;
	return rs->r[lo].lo > from ? rs->r[lo].lo : from;
}

int64_t ranges_count(const struct ranges *rs)
{
	int64_t n = 0;
	for (size_t i = 0; i < rs->n; i++)
		n += rs->r[i].hi - rs->r[i].lo + 1;
	return n;
}

void ranges_writer_init(struct ranges_writer *w, struct buf *out)
{
	*w = (struct ranges_writer){out, out->len, -1, -1};
}

static void write_open(struct ranges_writer *w)
{
	const char *sep = w->out->len > w->start ? "," : "";
	if (w->lo == w->hi)
		buf_printf(w->out, "%s%lld", sep, (long long)w->lo);
	else
		buf_printf(w->out, "%s%lld-%lld", sep, (long long)w->lo, (long long)w->hi);
}

void ranges_writer_add_range(struct ranges_writer *w, int64_t lo, int64_t hi)
{
	if (w->lo >= 0 && lo == w->hi + 1) {
		w->hi = hi;
		return;
	}
	if (w->lo >= 0)
		write_open(w);
	w->lo = lo;
	w->hi = hi;
}

void ranges_writer_add(struct ranges_writer *w, int64_t index)
{
	ranges_writer_add_range(w, index, index);
}

void ranges_writer_end(struct ranges_writer *w)
{
	if (w->lo >= 0)
		write_open(w);
	w->lo = w->hi = -1;
}
