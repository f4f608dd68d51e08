/* Map from a non-zero 64-bit key to a pointer: open addressing with backward-shift
 * deletion, so lookups stay O(1) however many keys come and go. Values are not owned.
 * The table grows when 3/4 full and halves when under 1/8 full (down to 64 slots).
 * Walks over slots[0..cap) must not put or delete: both move slots (collect the keys,
 * then delete). */
#ifndef JG_IMAP_H
#define JG_IMAP_H
#include <stddef.h>
#include <stdint.h>

struct imap {
	struct imap_slot { uint64_t key; void *val; } *slots;	/* owned; key 0 = empty */
	size_t cap, len;
};

void imap_init(struct imap *m);
void imap_free(struct imap *m);
void *imap_get(const struct imap *m, uint64_t key);
void imap_put(struct imap *m, uint64_t key, void *val);	/* key != 0; replaces */
void *imap_del(struct imap *m, uint64_t key);		/* the old value or NULL; may shrink */
uint64_t imap_hash_str(const char *s);			/* a non-zero key for a string */
#endif
