/* The user table (users.h). */
#include "auth/users.h"
#include "auth/principal.h"
#include "base/intern.h"
#include "base/xalloc.h"
#include <stdlib.h>
#include <string.h>

/* Users whose names hash alike share a chain. */
struct user_slot {
	struct user u;
	struct user_slot *next;
};

void user_table_init(struct user_table *t)
{
	imap_init(&t->by_name);
	t->n = 0;
}

void user_table_free(struct user_table *t)
{
	for (size_t i = 0; i < t->by_name.cap; i++) {
		struct user_slot *s = t->by_name.slots[i].key ? t->by_name.slots[i].val : NULL, *next;
		for (; s; s = next) {
			next = s->next;
			free(s->u.hash);
			free(s);
		}
	}
	imap_free(&t->by_name);
}

struct user *user_find(const struct user_table *t, const char *name)
{
	for (struct user_slot *s = imap_get(&t->by_name, imap_hash_str(name)); s; s = s->next)
		if (strcmp(s->u.name, name) == 0)
			return &s->u;
	return NULL;
}

struct user *user_put(struct user_table *t, const char *name, unsigned role, const char *hash,
		      int64_t created_at)
{
	struct user *u = user_find(t, name);
	if (u == NULL) {
		uint64_t k = imap_hash_str(name);
		struct user_slot *s = xcalloc(1, sizeof *s);
		s->next = imap_get(&t->by_name, k);
		imap_put(&t->by_name, k, s);
		t->n++;
		u = &s->u;
		u->name = intern(name);
	}
	free(u->hash);
	u->hash = xstrdup(hash ? hash : "");
	u->role = role;
	u->created_at = created_at;
	return u;
}

bool user_del(struct user_table *t, const char *name)
{
	uint64_t k = imap_hash_str(name);
	struct user_slot *head = imap_get(&t->by_name, k), **pp = &head;
	while (*pp && strcmp((*pp)->u.name, name) != 0)
		pp = &(*pp)->next;
	struct user_slot *s = *pp;
	if (s == NULL)
		return false;
	*pp = s->next;
	if (head)
		imap_put(&t->by_name, k, head);
	else
		imap_del(&t->by_name, k);
	free(s->u.hash);
	free(s);
	t->n--;
	return true;
}

static int by_name(const void *a, const void *b)
{
	return strcmp((*(struct user *const *)a)->name, (*(struct user *const *)b)->name);
}

struct user **user_list(const struct user_table *t, size_t *n)
{
	struct user **out = xcalloc(t->n + 1, sizeof *out);
	*n = 0;
	for (size_t i = 0; i < t->by_name.cap; i++)
		if (t->by_name.slots[i].key)
			for (struct user_slot *s = t->by_name.slots[i].val; s; s = s->next)
				out[(*n)++] = &s->u;
	qsort(out, *n, sizeof *out, by_name);
	return out;
}

const char *role_name(unsigned role)
{
	if (role & ROLE_ADMIN)
		return "admin";
	if (role & ROLE_USER)
		return "user";
	if (role & ROLE_WORKER)
		return "worker";
	return "anonymous";
}

unsigned role_parse(const char *name)
{
	if (strcmp(name, "admin") == 0)
		return ROLE_ADMIN;
	if (strcmp(name, "user") == 0)
		return ROLE_USER;
	if (strcmp(name, "worker") == 0)
		return ROLE_WORKER;
	return 0;
}
