/* Bearer tokens: text, header, file and table (token.h). */
#include "auth/token.h"
#include "auth/principal.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <errno.h>
#include <fcntl.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

int token_text_parse(const char *text, size_t len, unsigned char raw[TOKEN_BYTES],
		     const char **why)
{
	if (len != TOKEN_TEXT_LEN || memcmp(text, "jg_", 3) != 0) {
		*why = "a token is jg_ followed by 64 lowercase hex digits";
		return -1;
	}
	for (size_t i = 0; i < TOKEN_BYTES; i++) {
		int hi = hexval(text[3 + 2 * i]), lo = hexval(text[4 + 2 * i]);
		if (hi < 0 || lo < 0) {
			*why = "a token is jg_ followed by 64 lowercase hex digits";
			return -1;
		}
		raw[i] = (unsigned char)(hi << 4 | lo);
	}
	return 0;
}

void token_text_format(const unsigned char raw[TOKEN_BYTES], char out[TOKEN_TEXT_LEN + 1])
{
	static const char digits[] = "0123456789abcdef";
	memcpy(out, "jg_", 3);
	for (size_t i = 0; i < TOKEN_BYTES; i++) {
		out[3 + 2 * i] = digits[raw[i] >> 4];
		out[4 + 2 * i] = digits[raw[i] & 15];
	}
	out[TOKEN_TEXT_LEN] = '\0';
}

int bearer_parse(const char *header, unsigned char raw[TOKEN_BYTES], const char **why)
{
	const char *p = header;
	while (*p == ' ' || *p == '\t')
		p++;
	if (strncasecmp(p, "bearer", 6) != 0 || (p[6] != ' ' && p[6] != '\t')) {
		*why = "Authorization: only the Bearer scheme is accepted";
		return -1;
	}
	p += 6;
	while (*p == ' ' || *p == '\t')
		p++;
	size_t n = strcspn(p, " \t");
	const char *rest = p + n;
	while (*rest == ' ' || *rest == '\t')
		rest++;
	if (*rest != '\0') {
		*why = "Authorization: Bearer takes one token";
		return -1;
	}
	return token_text_parse(p, n, raw, why);
}

int token_file_read(const char *path, char out[TOKEN_TEXT_LEN + 1], char **err)
{
	char buf[TOKEN_TEXT_LEN + 3];
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	struct stat st;
	if (fd < 0 || fstat(fd, &st) != 0) {
		*err = xasprintf("token file %s: %s", path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (st.st_mode & (S_IRWXG | S_IRWXO)) {
		close(fd);
		*err = xasprintf("token file %s: others may read it (mode %04o): chmod 600 it",
				 path, (unsigned)(st.st_mode & 07777));
		return -1;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	close(fd);
	if (n < 0) {
		*err = xasprintf("token file %s: %s", path, strerror(errno));
		return -1;
	}
	const char *why;
	int rc = token_file_text(buf, (size_t)n, out, &why);
	sodium_memzero(buf, sizeof buf);
	if (rc)
		*err = xasprintf("token file %s: %s", path, why);
	return rc;
}

int token_file_text(const char *buf, size_t len, char out[TOKEN_TEXT_LEN + 1], const char **why)
{
	if (len > 0 && buf[len - 1] == '\n')
		len--;
	if (len > 0 && buf[len - 1] == '\r')
		len--;
	unsigned char raw[TOKEN_BYTES];
	if (token_text_parse(buf, len, raw, why))
		return -1;
	memcpy(out, buf, TOKEN_TEXT_LEN);
	out[TOKEN_TEXT_LEN] = '\0';
	return 0;
}

int token_file_write(const char *path, const char *text)
{
	char *tmp = xasprintf("%s.tmp", path);
	int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
	int rc = -1, saved = 0;
	if (fd >= 0) {
		size_t len = strlen(text);
		bool ok = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len &&
			  write(fd, "\n", 1) == 1 && fsync(fd) == 0;
		saved = errno;
		if (close(fd) == 0 && ok && rename(tmp, path) == 0)
			rc = 0;
		else if (saved == 0)
			saved = errno;
		if (rc)
			unlink(tmp);
	} else {
		saved = errno;
	}
	free(tmp);
	errno = saved;
	return rc;
}

/* ---- the table ---------------------------------------------------------------------- */

void token_table_init(struct token_table *t)
{
	imap_init(&t->by_id);
	imap_init(&t->by_hash);
	t->next_id = 1;
}

void token_table_free(struct token_table *t)
{
	for (size_t i = 0; i < t->by_id.cap; i++)
		if (t->by_id.slots[i].key)
			free(t->by_id.slots[i].val);
	imap_free(&t->by_id);
	imap_free(&t->by_hash);
}

void token_hash(const unsigned char raw[TOKEN_BYTES], unsigned char out[TOKEN_BYTES])
{
	crypto_generichash(out, TOKEN_BYTES, raw, TOKEN_BYTES, NULL, 0);
}

static uint64_t hash_key(const unsigned char hash[TOKEN_BYTES])
{
	uint64_t k;
	memcpy(&k, hash, sizeof k);
	return k ? k : 1;
}

static struct token *add(struct token_table *t, struct token *k)
{
	uint64_t hk = hash_key(k->hash);
	k->hash_next = imap_get(&t->by_hash, hk);
	imap_put(&t->by_hash, hk, k);
	imap_put(&t->by_id, (uint64_t)k->id, k);
	if (k->id >= t->next_id)
		t->next_id = k->id + 1;
	return k;
}

struct token *token_issue(struct token_table *t, const char *owner, const char *name,
			  unsigned role, int64_t now, int64_t expires_at,
			  char text_out[TOKEN_TEXT_LEN + 1])
{
	unsigned char raw[TOKEN_BYTES];
	randombytes_buf(raw, sizeof raw);
	struct token *k = xcalloc(1, sizeof *k);
	k->id = t->next_id;
	k->name = intern(name);
	k->owner = intern(owner);
	k->role = role;
	k->created_at = now;
	k->expires_at = expires_at;
	token_hash(raw, k->hash);
	token_text_format(raw, text_out);
	sodium_memzero(raw, sizeof raw);
	return add(t, k);
}

struct token *token_load(struct token_table *t, const struct token *row)
{
	struct token *k = xmalloc(sizeof *k);
	*k = *row;
	k->name = intern(row->name);
	k->owner = intern(row->owner);
	return add(t, k);
}

bool token_live(const struct token *k, int64_t now)
{
	return k->revoked_at == 0 && (k->expires_at == 0 || now < k->expires_at);
}

struct token *token_verify(const struct token_table *t, const unsigned char raw[TOKEN_BYTES],
			   int64_t now, const char **why)
{
	unsigned char h[TOKEN_BYTES];
	token_hash(raw, h);
	struct token *k = imap_get(&t->by_hash, hash_key(h));
	while (k && sodium_memcmp(k->hash, h, TOKEN_BYTES) != 0)
		k = k->hash_next;
	if (k == NULL)
		*why = "the token is not known";
	else if (k->revoked_at)
		*why = "the token was revoked";
	else if (k->expires_at && now >= k->expires_at)
		*why = "the token has expired";
	else
		return k;
	return NULL;
}

struct token *token_by_id(const struct token_table *t, int64_t id)
{
	return id > 0 ? imap_get(&t->by_id, (uint64_t)id) : NULL;
}

static int by_id(const void *a, const void *b)
{
	const struct token *x = *(struct token *const *)a, *y = *(struct token *const *)b;
	return (x->id > y->id) - (x->id < y->id);
}

struct token **token_list(const struct token_table *t, size_t *n)
{
	struct token **out = xcalloc(t->by_id.len + 1, sizeof *out);
	*n = 0;
	for (size_t i = 0; i < t->by_id.cap; i++)
		if (t->by_id.slots[i].key)
			out[(*n)++] = t->by_id.slots[i].val;
	qsort(out, *n, sizeof *out, by_id);
	return out;
}
