/* The identity pieces of src/auth/: token text and the Authorization header, the token
 * table (issue, verify, revoke, expire, never the text kept), users, the login back-off,
 * and the hasher thread posting results back to a real event loop. */
#include "auth/backoff.h"
#include "auth/hasher.h"
#include "auth/principal.h"
#include "auth/token.h"
#include "auth/users.h"
#include <criterion/criterion.h>
#include <event2/event.h>
#include <event2/thread.h>
#include <stdlib.h>
#include <string.h>

Test(auth, token_text_round_trips_and_bad_text_is_refused)
{
	unsigned char raw[TOKEN_BYTES], again[TOKEN_BYTES];
	char text[TOKEN_TEXT_LEN + 1];
	const char *why = NULL;
	for (int i = 0; i < TOKEN_BYTES; i++)
		raw[i] = (unsigned char)(i * 37);
	token_text_format(raw, text);
	cr_assert_eq(strlen(text), TOKEN_TEXT_LEN);
	cr_assert_eq(strncmp(text, "jg_", 3), 0);
	cr_assert_eq(token_text_parse(text, strlen(text), again, &why), 0);
	cr_assert_eq(memcmp(raw, again, TOKEN_BYTES), 0);
	char upper[TOKEN_TEXT_LEN + 1];
	strcpy(upper, text);
	upper[10] = 'A';
	cr_assert_eq(token_text_parse(upper, strlen(upper), again, &why), -1, "upper case hex");
	cr_assert_eq(token_text_parse(text, strlen(text) - 1, again, &why), -1, "short");
	cr_assert_eq(token_text_parse("xx_", 3, again, &why), -1);
	char header[128];
	snprintf(header, sizeof header, "bearer   %s  ", text);
	cr_assert_eq(bearer_parse(header, again, &why), 0, "scheme in any case, spaces around");
	cr_assert_eq(bearer_parse("Basic YTpi", again, &why), -1);
	cr_assert_str_eq(why, "Authorization: only the Bearer scheme is accepted");
	snprintf(header, sizeof header, "Bearer %s extra", text);
	cr_assert_eq(bearer_parse(header, again, &why), -1, "one token only");
	cr_assert_eq(bearer_parse("Bearer", again, &why), -1);
}

Test(auth, tokens_verify_until_revoked_or_expired)
{
	struct token_table t;
	token_table_init(&t);
	char text[TOKEN_TEXT_LEN + 1], text2[TOKEN_TEXT_LEN + 1];
	unsigned char raw[TOKEN_BYTES];
	const char *why;
	struct token *k = token_issue(&t, "alice", "login", ROLE_USER, 1000, 5000, text);
	struct token *k2 = token_issue(&t, "w1", "w1", ROLE_WORKER, 1000, 0, text2);
	cr_assert_neq(k->id, k2->id);
	cr_assert_neq(strcmp(text, text2), 0, "random tokens differ");
	cr_assert_eq(token_text_parse(text, TOKEN_TEXT_LEN, raw, &why), 0);
	cr_assert_eq(token_verify(&t, raw, 4999, &why), k);
	cr_assert_null(token_verify(&t, raw, 5000, &why), "expired at its expiry");
	cr_assert_str_eq(why, "the token has expired");
	k->revoked_at = 2000;
	cr_assert_null(token_verify(&t, raw, 3000, &why));
	cr_assert_str_eq(why, "the token was revoked");
	raw[0] ^= 1;
	cr_assert_null(token_verify(&t, raw, 3000, &why));
	cr_assert_str_eq(why, "the token is not known");
	/* Only the hash is kept: the text appears nowhere in the token. */
	cr_assert_eq(memmem(k, sizeof *k, raw + 1, 16), NULL);
	cr_assert_eq(token_text_parse(text2, TOKEN_TEXT_LEN, raw, &why), 0);
	cr_assert_eq(token_verify(&t, raw, 1LL << 60, &why), k2, "no expiry");
	/* A reloaded table (the store's rows) verifies the same and issues after the last id. */
	struct token_table t2;
	token_table_init(&t2);
	token_load(&t2, k2);
	cr_assert_not_null(token_verify(&t2, raw, 3000, &why));
	cr_assert_gt(token_issue(&t2, "bob", "x", ROLE_USER, 1, 0, text)->id, k2->id);
	size_t n;
	struct token **ks = token_list(&t, &n);
	cr_assert_eq(n, 2);
	cr_assert_eq(ks[0], k);
	free(ks);
	token_table_free(&t);
	token_table_free(&t2);
}

Test(auth, users_put_find_delete_in_name_order)
{
	struct user_table t;
	user_table_init(&t);
	user_put(&t, "carol", ROLE_USER, "h1", 1);
	user_put(&t, "alice", ROLE_ADMIN, "", 2);
	user_put(&t, "carol", ROLE_ADMIN, "h2", 3);
	cr_assert_eq(t.n, 2);
	cr_assert_str_eq(user_find(&t, "carol")->hash, "h2");
	size_t n;
	struct user **us = user_list(&t, &n);
	cr_assert_eq(n, 2);
	cr_assert_str_eq(us[0]->name, "alice");
	free(us);
	cr_assert(user_del(&t, "alice"));
	cr_assert_not(user_del(&t, "alice"));
	cr_assert_null(user_find(&t, "alice"));
	cr_assert_eq(role_parse(role_name(ROLE_WORKER)), ROLE_WORKER);
	cr_assert_eq(role_parse("root"), 0);
	user_table_free(&t);
}

Test(auth, backoff_blocks_from_the_third_failure_doubling_and_clears)
{
	struct backoff b;
	backoff_init(&b);
	cr_assert_eq(backoff_fail(&b, "user:x", 0), 0);
	cr_assert_eq(backoff_fail(&b, "user:x", 10), 0);
	cr_assert_eq(backoff_fail(&b, "user:x", 20), BACKOFF_FIRST_MS);
	cr_assert_eq(backoff_wait(&b, "user:x", 520), BACKOFF_FIRST_MS - 500);
	cr_assert_eq(backoff_wait(&b, "user:y", 520), 0, "keys apart");
	cr_assert_eq(backoff_fail(&b, "user:x", 2000), 2 * BACKOFF_FIRST_MS);
	cr_assert_eq(backoff_fail(&b, "user:x", 5000), 4 * BACKOFF_FIRST_MS);
	for (int i = 0; i < 30; i++)
		backoff_fail(&b, "user:x", 10000);
	cr_assert_eq(backoff_wait(&b, "user:x", 10000), BACKOFF_MAX_MS, "capped");
	backoff_clear(&b, "user:x");
	cr_assert_eq(backoff_wait(&b, "user:x", 10000), 0);
	cr_assert_eq(backoff_fail(&b, "user:x", 10000), 0, "a success starts the count again");
	backoff_free(&b);
}

struct got {
	int n;
	bool ok[4];
	char *hash;
	struct event_base *base;
};

static void on_result(void *arg, bool ok, char *hash)
{
	struct got *g = arg;
	g->ok[g->n++] = ok;
	if (hash) {
		free(g->hash);
		g->hash = hash;
	}
	event_base_loopbreak(g->base);
}

static void idle(evutil_socket_t fd, short what, void *arg)
{
}

Test(auth, the_hasher_hashes_and_verifies_off_the_loop)
{
	struct got g = {0};
	evthread_use_pthreads();	/* the hasher's thread wakes the loop, as in the server */
	g.base = event_base_new();
	struct hasher *h = hasher_new(g.base);
	cr_assert_not_null(h);
	/* Something to wait on, so the loop sleeps until the hasher wakes it. */
	struct event *keep = event_new(g.base, -1, EV_PERSIST, idle, NULL);
	event_add(keep, &(struct timeval){60, 0});
	hasher_hash(h, "s3cret", on_result, &g);
	while (g.n < 1)
		event_base_dispatch(g.base);
	cr_assert(g.ok[0]);
	/* The cost of the fixed hash an unknown user is checked against (hasher.c): a real
	 * hash costs the same, so the two take as long. */
	const char cost[] = "$argon2id$v=19$m=65536,t=2,p=1$";
	cr_assert_eq(strncmp(g.hash, cost, sizeof cost - 1), 0, "Argon2id at %s: %s", cost, g.hash);
	hasher_verify(h, g.hash, "s3cret", on_result, &g);
	hasher_verify(h, g.hash, "wrong", on_result, &g);
	hasher_verify(h, NULL, "", on_result, &g);
	while (g.n < 4)
		event_base_dispatch(g.base);
	cr_assert(g.ok[1], "the right password");
	cr_assert_not(g.ok[2], "a wrong one");
	cr_assert_not(g.ok[3], "an unknown user, even with an empty password");
	cr_assert_eq(hasher_pending(h), 0);
	hasher_free(h);
	free(g.hash);
	event_free(keep);
	event_base_free(g.base);
}
