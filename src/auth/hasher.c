/* The password hasher's thread (hasher.h). */
#include "auth/hasher.h"
#include "base/xalloc.h"
#include <errno.h>
#include <event2/event.h>
#include <pthread.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

struct hjob {
	bool verify;
	char *password;		/* owned, wiped before free */
	char *hash;		/* owned: VERIFY's input, HASH's output */
	bool ok;
	hasher_cb cb;
	void *arg;
	struct hjob *next;
};

struct hasher {
	pthread_t thread;
	pthread_mutex_t mu;
	pthread_cond_t cv;
	struct hjob *todo, *todo_tail;	/* waiting for the thread */
	struct hjob *done, *done_tail;	/* waiting for the loop */
	bool stopping;
	int pending;			/* loop thread: submitted, callback not yet run */
	struct event *done_ev;
	char dummy[crypto_pwhash_STRBYTES];	/* a hash of nothing anyone can type */
};

/* The Argon2id hash, at libsodium's interactive cost, of 32 random bytes that were thrown
 * away: verifying an unknown user against it costs what a known one costs and never
 * succeeds. Fixed, so a start does not spend ~80 ms and 64 MB making one; made afresh only
 * when this libsodium's interactive cost differs (crypto_pwhash_str_needs_rehash). */
static const char DUMMY_HASH[] = "$argon2id$v=19$m=65536,t=2,p=1$6JGia2sQSIbX8AJGacbb2Q"
				 "$S+c40CHttIMHhEiDCjT8kFt/dkNAj85tLihbXDO73Vo";
_Static_assert(sizeof DUMMY_HASH <= crypto_pwhash_STRBYTES, "the dummy hash fits");

static void push(struct hjob **head, struct hjob **tail, struct hjob *j)
{
	j->next = NULL;
	if (*tail)
		(*tail)->next = j;
	else
		*head = j;
	*tail = j;
}

static void run(struct hasher *h, struct hjob *j)
{
	size_t len = strlen(j->password);
	if (j->verify) {
		const char *hash = j->hash && j->hash[0] ? j->hash : h->dummy;
		j->ok = hash[0] && crypto_pwhash_str_verify(hash, j->password, len) == 0 &&
			j->hash && j->hash[0];
		return;
	}
	char out[crypto_pwhash_STRBYTES];
	j->ok = crypto_pwhash_str(out, j->password, len, crypto_pwhash_OPSLIMIT_INTERACTIVE,
				  crypto_pwhash_MEMLIMIT_INTERACTIVE) == 0;
	j->hash = j->ok ? xstrdup(out) : NULL;
}

static void *thread_main(void *arg)
{
	struct hasher *h = arg;
	/* Another cost: random bytes no one knows, hashed here, not at start, so the server
	 * does not wait for it. */
	memcpy(h->dummy, DUMMY_HASH, sizeof DUMMY_HASH);
	if (crypto_pwhash_str_needs_rehash(h->dummy, crypto_pwhash_OPSLIMIT_INTERACTIVE,
					   crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
		unsigned char nobody[32];
		randombytes_buf(nobody, sizeof nobody);
		if (crypto_pwhash_str(h->dummy, (const char *)nobody, sizeof nobody,
				      crypto_pwhash_OPSLIMIT_INTERACTIVE,
				      crypto_pwhash_MEMLIMIT_INTERACTIVE))
			h->dummy[0] = '\0';	/* out of memory: verifying fails anyway */
	}
	pthread_mutex_lock(&h->mu);
	for (;;) {
		while (h->todo == NULL && !h->stopping)
			pthread_cond_wait(&h->cv, &h->mu);
		struct hjob *j = h->todo;
		if (j == NULL)
			break;
		h->todo = j->next;
		if (h->todo == NULL)
			h->todo_tail = NULL;
		pthread_mutex_unlock(&h->mu);
		run(h, j);
		pthread_mutex_lock(&h->mu);
		push(&h->done, &h->done_tail, j);
		event_active(h->done_ev, EV_READ, 0);
	}
	pthread_mutex_unlock(&h->mu);
	return NULL;
}

static void finish(struct hjob *j)
{
	sodium_memzero(j->password, strlen(j->password));
	free(j->password);
	char *hash = j->verify ? NULL : j->hash;
	if (j->verify)
		free(j->hash);
	j->cb(j->arg, j->ok, hash);
	free(j);
}

static void on_done(evutil_socket_t fd, short what, void *arg)
{
	struct hasher *h = arg;
	pthread_mutex_lock(&h->mu);
	struct hjob *j = h->done;
	h->done = h->done_tail = NULL;
	pthread_mutex_unlock(&h->mu);
	for (struct hjob *next; j; j = next) {
		next = j->next;
		h->pending--;
		finish(j);
	}
}

struct hasher *hasher_new(struct event_base *base)
{
	if (sodium_init() < 0) {
		errno = ENOSYS;
		return NULL;
	}
	struct hasher *h = xcalloc(1, sizeof *h);
	pthread_mutex_init(&h->mu, NULL);
	pthread_cond_init(&h->cv, NULL);
	h->done_ev = event_new(base, -1, 0, on_done, h);
	int rc = pthread_create(&h->thread, NULL, thread_main, h);
	if (rc != 0) {
		event_free(h->done_ev);
		pthread_mutex_destroy(&h->mu);
		pthread_cond_destroy(&h->cv);
		free(h);
		errno = rc;
		return NULL;
	}
	return h;
}

static void submit(struct hasher *h, bool verify, const char *hash, const char *password,
		   hasher_cb cb, void *arg)
{
	struct hjob *j = xcalloc(1, sizeof *j);
	j->verify = verify;
	j->password = xstrdup(password);
	j->hash = verify && hash ? xstrdup(hash) : NULL;
	j->cb = cb;
	j->arg = arg;
	h->pending++;
	pthread_mutex_lock(&h->mu);
	push(&h->todo, &h->todo_tail, j);
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
}

void hasher_hash(struct hasher *h, const char *password, hasher_cb cb, void *arg)
{
	submit(h, false, NULL, password, cb, arg);
}

void hasher_verify(struct hasher *h, const char *hash, const char *password, hasher_cb cb,
		   void *arg)
{
	submit(h, true, hash, password, cb, arg);
}

int hasher_pending(const struct hasher *h)
{
	return h->pending;
}

void hasher_free(struct hasher *h)
{
	if (h == NULL)
		return;
	pthread_mutex_lock(&h->mu);
	h->stopping = true;
	pthread_cond_signal(&h->cv);
	pthread_mutex_unlock(&h->mu);
	pthread_join(h->thread, NULL);
	on_done(-1, 0, h);	/* the callbacks of what finished since the last loop turn */
	event_free(h->done_ev);
	pthread_mutex_destroy(&h->mu);
	pthread_cond_destroy(&h->cv);
	free(h);
}
