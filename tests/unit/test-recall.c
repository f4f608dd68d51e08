/* The recent events a stream resumes from (api/recall.h): ids, the ring's bound, gaps, and
 * ids older than the ring (read from the store). */
#include "api/recall.h"
#include <criterion/criterion.h>
#include <string.h>

#define EPOCH 1764800000000

static json_t *ev(int i)
{
	return json_pack("{s:i}", "i", i);
}

/* Event i with id i. */
static void push(struct recall *r, int i)
{
	json_t *e = ev(i);
	recall_push(r, i, e);
	json_decref(e);	/* the recall holds its own reference */
}

struct seen {
	int n;
	int64_t ids[16];
	int is[16];
};

static void collect(void *arg, json_t *e, int64_t n)
{
	struct seen *s = arg;
	s->ids[s->n] = n;
	s->is[s->n++] = (int)json_integer_value(json_object_get(e, "i"));
}

Test(recall, resumes_after_an_id_with_every_later_event)
{
	struct recall r;
	recall_init(&r, 8, EPOCH, 1);
	int64_t after = -1;
	cr_assert_eq(recall_parse(&r, "1764800000000-0", &after), RECALL_RESUME,
		     "the id given before any event resumes");
	struct recall later;
	recall_init(&later, 8, EPOCH, 101);	/* a store that kept 100 ids already */
	cr_assert_eq(recall_parse(&later, "1764800000000-100", &after), RECALL_RESUME);
	cr_assert_eq(recall_parse(&later, "1764800000000-99", &after), RECALL_STORE);
	cr_assert_eq(recall_parse(&later, "1764800000000-101", &after), RECALL_LOST,
		     "an id not given yet");
	recall_free(&later);
	for (int i = 1; i <= 5; i++)
		push(&r, i);
	char id[48];
	recall_format_id(&r, 2, id, sizeof id);
	cr_assert_str_eq(id, "1764800000000-2");
	cr_assert_eq(recall_parse(&r, id, &after), RECALL_RESUME);
	cr_assert_eq(after, 2);
	struct seen s = {0};
	recall_each(&r, after, collect, &s);
	cr_assert_eq(s.n, 3);
	for (int k = 0; k < 3; k++) {
		cr_assert_eq(s.ids[k], 3 + k);
		cr_assert_eq(s.is[k], 3 + k);
	}
	recall_free(&r);
}

Test(recall, keeps_the_last_cap_events_and_refuses_older_ids)
{
	struct recall r;
	recall_init(&r, 4, EPOCH, 1);
	for (int i = 1; i <= 10; i++)
		push(&r, i);	/* 7..10 kept */
	int64_t after = -1;
	cr_assert_eq(recall_parse(&r, "1764800000000-5", &after), RECALL_STORE,
		     "6 is gone from the ring: resuming after 5 reads the store");
	cr_assert_eq(after, 5);
	cr_assert_eq(recall_parse(&r, "1764800000000-6", &after), RECALL_RESUME);
	struct seen s = {0};
	recall_each(&r, after, collect, &s);
	cr_assert_eq(s.n, 4);
	cr_assert_eq(s.is[0], 7);
	cr_assert_eq(s.is[3], 10);
	cr_assert_eq(recall_parse(&r, "1764800000000-11", &after), RECALL_LOST,
		     "an id not given yet");
	cr_assert_eq(recall_parse(&r, "1764800000001-8", &after), RECALL_LOST,
		     "another run's id");
	recall_free(&r);
}

Test(recall, a_gap_makes_earlier_ids_re_read)
{
	struct recall r;
	recall_init(&r, 8, EPOCH, 1);
	push(&r, 1);
	push(&r, 2);
	recall_push(&r, 3, NULL);	/* 3 is a gap */
	int64_t after = -1;
	cr_assert_eq(recall_parse(&r, "1764800000000-2", &after), RECALL_STORE,
		     "events after 2 are not in the ring: the store says 3 is a gap");
	cr_assert_eq(recall_parse(&r, "1764800000000-3", &after), RECALL_RESUME,
		     "the gap's id is given as the stream's position");
	push(&r, 4);
	cr_assert_eq(recall_parse(&r, "1764800000000-3", &after), RECALL_RESUME);
	struct seen s = {0};
	recall_each(&r, after, collect, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.ids[0], 4);
	push(&r, 7);	/* 5 and 6 skipped: gaps whose publication this ring never saw */
	cr_assert_eq(recall_parse(&r, "1764800000000-4", &after), RECALL_STORE);
	cr_assert_eq(recall_parse(&r, "1764800000000-6", &after), RECALL_RESUME);
	s.n = 0;
	recall_each(&r, after, collect, &s);
	cr_assert_eq(s.n, 1);
	cr_assert_eq(s.ids[0], 7);
	recall_free(&r);
}

Test(recall, refuses_what_is_not_an_id)
{
	struct recall r;
	recall_init(&r, 4, EPOCH, 1);
	push(&r, 1);
	int64_t after = -1;
	const char *bad[] = {"", "1", "-1", "1764800000000-", "1764800000000--1", " 1764800000000-1",
			     "1764800000000-1 ", "01764800000000-1", "1764800000000-01", "x-1",
			     "1764800000000-99999999999999999999"};
	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
		cr_assert_eq(recall_parse(&r, bad[i], &after), RECALL_BAD, "'%s'", bad[i]);
	recall_free(&r);
}
