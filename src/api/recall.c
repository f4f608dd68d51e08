/* The recent events for resumed streams (recall.h): a ring of the last cap events. */
#include "api/recall.h"
#include "base/xalloc.h"
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>

void recall_init(struct recall *r, size_t cap, int64_t epoch, int64_t next)
{
	r->ring = xcalloc(cap, sizeof *r->ring);
	r->cap = cap;
	r->lo = r->next = next;
	r->epoch = epoch;
}

static json_t **slot(const struct recall *r, int64_t n)
{
	return &r->ring[(size_t)n % r->cap];
}

void recall_free(struct recall *r)
{
	for (int64_t n = r->lo; n < r->next; n++)
		json_decref(*slot(r, n));
	free(r->ring);
	r->ring = NULL;
}

void recall_push(struct recall *r, int64_t n, json_t *e)
{
	if (n != r->next || e == NULL) {
		/* A gap, or ids skipped: the ring holds consecutive events only. */
		for (int64_t i = r->lo; i < r->next; i++) {
			json_decref(*slot(r, i));
			*slot(r, i) = NULL;
		}
		r->lo = r->next = e ? n : n + 1;
		if (e == NULL)
			return;
	}
	if (r->cap == 0) {	/* a ring of no slots keeps nothing */
		r->lo = r->next = n + 1;
		return;
	}
	if (r->next - r->lo == (int64_t)r->cap) {	/* full: the oldest goes */
		json_decref(*slot(r, r->lo));
		*slot(r, r->lo) = NULL;
		r->lo++;
	}
	*slot(r, n) = json_incref(e);
	r->next = n + 1;
}

void recall_format_id(const struct recall *r, int64_t n, char *out, size_t size)
{
	snprintf(out, size, "%" PRId64 "-%" PRId64, r->epoch, n);
}

/* A decimal of 1..18 digits (no sign, spaces or leading zero: the form ids are given in)
 * ending at *end; -1 if not. */
static int64_t number(const char *s, char **end)
{
	if (*s < '0' || *s > '9' || (s[0] == '0' && s[1] >= '0' && s[1] <= '9'))
		return -1;
	errno = 0;
	long long v = strtoll(s, end, 10);
	if (errno || *end - s > 18)
		return -1;
	return v;
}

enum recall_from recall_parse(const struct recall *r, const char *text, int64_t *after)
{
	char *end;
	int64_t epoch = number(text, &end);
	if (epoch < 0 || *end != '-')
		return RECALL_BAD;
	int64_t n = number(end + 1, &end);
	if (n < 0 || *end != '\0')
		return RECALL_BAD;
	/* An id of another store, or one not given yet. */
	if (epoch != r->epoch || n >= r->next)
		return RECALL_LOST;
	*after = n;
	return n < r->lo - 1 ? RECALL_STORE : RECALL_RESUME;
}

void recall_each(const struct recall *r, int64_t after, void (*fn)(void *, json_t *, int64_t),
		 void *arg)
{
	for (int64_t n = after + 1 < r->lo ? r->lo : after + 1; n < r->next; n++)
		fn(arg, *slot(r, n), n);
}
