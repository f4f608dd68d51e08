/* The recent events, kept in memory so that a stream that dropped resumes where it stopped
 * (Last-Event-ID, or ?after=) without reading the store. Each event has an id "EPOCH-N":
 * EPOCH is the store's identity, N the store-global id the server gave it before its
 * commit (server.h: struct kept_events). The ring holds the last RECALL_MAX events
 * published, with consecutive ids: an id skipped (a gap: events were not built) empties it,
 * so a resume from before a gap goes to the store, which says so. Older events than the
 * ring's are read from the store (api/stream.c). */
#ifndef JG_RECALL_H
#define JG_RECALL_H
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RECALL_MAX 10000

struct recall {
	json_t **ring;		/* owned: cap slots, each an owned reference or NULL */
	size_t cap;
	int64_t lo;		/* the id of the oldest kept event; lo == next: none kept */
	int64_t next;		/* the id after the last one published */
	int64_t epoch;		/* the store's identity */
};

/* A ring of cap events, the next published one having id next. */
void recall_init(struct recall *r, size_t cap, int64_t epoch, int64_t next);
void recall_free(struct recall *r);
/* Keep e with id n >= next (a new reference is taken); e NULL: n is a gap. After a gap,
 * or ids skipped, the ring starts again. */
void recall_push(struct recall *r, int64_t n, json_t *e);
/* Write "EPOCH-N" for n into out. */
void recall_format_id(const struct recall *r, int64_t n, char *out, size_t size);

enum recall_from {
	RECALL_RESUME,		/* *after: send the kept events after it */
	RECALL_STORE,		/* *after: older than the ring: the store may hold what follows */
	RECALL_LOST,		/* another store's id, or one not given yet: re-read state */
	RECALL_BAD,		/* not an id of the form EPOCH-N */
};
/* Where a stream resumes from the id text: RECALL_RESUME or RECALL_STORE with *after = N. */
enum recall_from recall_parse(const struct recall *r, const char *text, int64_t *after);
/* Call fn for each kept event after `after`, oldest first, with its N. */
void recall_each(const struct recall *r, int64_t after, void (*fn)(void *, json_t *, int64_t),
		 void *arg);
#endif
