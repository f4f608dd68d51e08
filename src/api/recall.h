/* The recent events, kept so that a stream that dropped resumes where it stopped
 * (Last-Event-ID, or ?after=). Each event gets an id "EPOCH-N": EPOCH names this run of the
 * server (its start, in ms), N counts from 1. The last RECALL_MAX events are kept in
 * memory, and only while a stream is open or one closed less than RECALL_WINDOW_MS ago:
 * otherwise events are not built at all (persist.c asks `listening`), and the recall
 * marks the gap so that a resume across it is told to re-read. */
#ifndef JG_RECALL_H
#define JG_RECALL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECALL_MAX 10000
#define RECALL_WINDOW_MS ((int64_t)5 * 60 * 1000)

struct recall {
	json_t **ring;		/* owned: RECALL_MAX slots, each an owned reference or NULL */
	size_t cap;
	int64_t lo;		/* the id of the oldest kept event; lo == next: none kept */
	int64_t next;		/* the id the next event gets */
	int64_t epoch;		/* this run's */
	bool gap;		/* events were not kept since the last one: next marks it */
};

void recall_init(struct recall *r, size_t cap, int64_t epoch);
void recall_free(struct recall *r);
/* Keep e (a new reference is taken); returns its N. */
int64_t recall_push(struct recall *r, json_t *e);
/* Events are being lost (nobody listens): whatever comes next cannot be resumed across. */
void recall_gap(struct recall *r);
/* Write "EPOCH-N" for n into out. */
void recall_format_id(const struct recall *r, int64_t n, char *out, size_t size);

enum recall_from {
	RECALL_RESUME,		/* *after: send the kept events after it */
	RECALL_LOST,		/* another run's id, or older than what is kept: re-read state */
	RECALL_BAD,		/* not an id of the form EPOCH-N */
};
/* Where a stream resumes from the id text: RECALL_RESUME with *after = N. */
enum recall_from recall_parse(const struct recall *r, const char *text, int64_t *after);
/* Call fn for each kept event after `after`, oldest first, with its N. */
void recall_each(const struct recall *r, int64_t after, void (*fn)(void *, json_t *, int64_t),
		 void *arg);
#endif
