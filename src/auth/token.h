/* Bearer tokens (SPEC §9): their text, the Authorization header that carries them, and
 * the table of issued tokens. A token is 32 random bytes written "jg_" + 64 lowercase hex
 * digits, so a leaked one is easy to grep for. The server keeps only its BLAKE2b hash and
 * compares hashes in constant time (DECISIONS pitfall 7). The table lives on the loop
 * thread; persisting it is the server's business (server/persist.c). */
#ifndef JG_AUTH_TOKEN_H
#define JG_AUTH_TOKEN_H
#include "base/imap.h"
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define TOKEN_BYTES 32
#define TOKEN_TEXT_LEN 67	/* "jg_" + 64 hex digits */
#define TOKEN_NAME_MAX 64

/* text (len bytes, no NUL needed) as a token's 32 bytes: exactly "jg_" and 64 lowercase
 * hex digits. 0, or -1 with *why (static). */
int token_text_parse(const char *text, size_t len, unsigned char raw[TOKEN_BYTES],
		     const char **why);
void token_text_format(const unsigned char raw[TOKEN_BYTES], char out[TOKEN_TEXT_LEN + 1]);

/* The value of an Authorization header: "Bearer TOKEN" (scheme in any case, spaces around
 * the token). 0 with raw filled, or -1 with *why (static) saying what is wrong. */
int bearer_parse(const char *header, unsigned char raw[TOKEN_BYTES], const char **why);

/* A file holding one token (a trailing newline allowed), readable by its owner only.
 * 0 with out filled (NUL-terminated), or -1 with *err (malloc'd) naming the file. */
int token_file_read(const char *path, char out[TOKEN_TEXT_LEN + 1], char **err);
/* The content of such a file (len bytes read, at most TOKEN_TEXT_LEN + 2 of them) as a
 * token's text. 0, or -1 with *why (static). */
int token_file_text(const char *buf, size_t len, char out[TOKEN_TEXT_LEN + 1], const char **why);
/* Write text to path (mode 0600, replacing it atomically). 0, or -1 with errno. */
int token_file_write(const char *path, const char *text);

struct token {
	int64_t id;			/* public: `token revoke ID` */
	const char *name;		/* interned: a label ("login", a worker's name) */
	const char *owner;		/* interned: the principal's name (user or worker) */
	unsigned role;			/* one enum role bit (auth/principal.h) */
	unsigned char hash[TOKEN_BYTES];	/* BLAKE2b of the token's bytes */
	int64_t created_at, expires_at;	/* wall ms; expires_at 0: never */
	int64_t revoked_at;		/* wall ms; 0: live */
	struct token *hash_next;	/* another token whose hash starts the same */
};

struct token_table {
	struct imap by_id;		/* id → struct token (owned) */
	struct imap by_hash;		/* the hash's first 8 bytes → struct token */
	int64_t next_id;
};

void token_table_init(struct token_table *t);
void token_table_free(struct token_table *t);
void token_hash(const unsigned char raw[TOKEN_BYTES], unsigned char out[TOKEN_BYTES]);
/* A new token for owner with role; its text goes to text_out (shown once, never kept).
 * The table owns the result. */
struct token *token_issue(struct token_table *t, const char *owner, const char *name,
			  unsigned role, int64_t now, int64_t expires_at,
			  char text_out[TOKEN_TEXT_LEN + 1]);
/* A stored token, as the store hands it back at start (copied). */
struct token *token_load(struct token_table *t, const struct token *row);
/* The live token with these bytes at now, or NULL with *why (static): unknown, revoked or
 * expired. The hashes are compared in constant time. */
struct token *token_verify(const struct token_table *t, const unsigned char raw[TOKEN_BYTES],
			   int64_t now, const char **why);
struct token *token_by_id(const struct token_table *t, int64_t id);
bool token_live(const struct token *k, int64_t now);
/* Every token in id order (malloc'd array of borrowed pointers, *n of them). */
struct token **token_list(const struct token_table *t, size_t *n);
#endif
