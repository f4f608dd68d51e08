/* Route matching (src/api/route.h, the table of src/api/http.c): every route is found by
 * its own pattern, '*' takes one segment and decodes it (an id holding '/' arrives as
 * %2F), a known path with another method is 405 and an unknown one 404. */
#include "api/route.h"
#include "api/call.h"
#include <criterion/criterion.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Look METHOD PATH up; frees the params, returns the route (NULL unless found) and the
 * result in *m. p0/p1 (may be NULL) receive copies of the params for checking. */
static const struct route *find(const char *method, const char *path, enum route_match *m,
				char *p0, char *p1)
{
	struct route *r = NULL;
	char *params[2] = {NULL, NULL};
	*m = route_find(method, path, &r, params);
	if (p0)
		snprintf(p0, 200, "%s", params[0] ? params[0] : "(null)");
	if (p1)
		snprintf(p1, 200, "%s", params[1] ? params[1] : "(null)");
	if (*m != ROUTE_FOUND)
		cr_assert(params[0] == NULL && params[1] == NULL, "%s %s: no params on a miss",
			  method, path);
	free(params[0]);
	free(params[1]);
	return r;
}

/* The pattern with each '*' replaced by seg, into out. */
static void fill(const char *pattern, const char *seg, char *out, size_t len)
{
	size_t at = 0;
	for (const char *p = pattern; *p && at + strlen(seg) + 1 < len; p++) {
		if (*p == '*')
			at += (size_t)snprintf(out + at, len - at, "%s", seg);
		else
			out[at++] = *p;
	}
	out[at] = '\0';
}

struct every {
	int n;
};

static void check_route(void *arg, const struct route *rt)
{
	struct every *e = arg;
	char path[300], p0[200];
	enum route_match m;
	e->n++;
	fill(rt->pattern, "alice.build.7%2F3", path, sizeof path);
	const struct route *got = find(rt->method, path, &m, p0, NULL);
	cr_assert_eq(m, ROUTE_FOUND, "%s %s is found", rt->method, path);
	cr_assert_eq(got, rt, "%s %s finds %s, not %s", rt->method, path, rt->name,
		     got ? got->name : "nothing");
	if (strchr(rt->pattern, '*'))
		cr_assert_str_eq(p0, "alice.build.7/3", "%s: the segment is decoded", rt->name);
	else
		cr_assert_str_eq(p0, "(null)", "%s takes no segment", rt->name);
}

Test(route, every_route_is_found_by_its_pattern)
{
	struct every e = {0};
	http_route_counters(check_route, &e);
	cr_assert_gt(e.n, 30, "the whole table was walked (%d routes)", e.n);
}

Test(route, segments_are_percent_decoded)
{
	char p0[200];
	enum route_match m;
	const struct route *r = find("GET", "/v1/jobs/a%2Fb%20c+d%25/log", &m, p0, NULL);
	cr_assert_eq(m, ROUTE_FOUND);
	cr_assert_str_eq(r->name, "job_log");
	cr_assert_str_eq(p0, "a/b c+d%", "%%2F, %%20 and %%25 decoded, '+' kept as it is");
	r = find("POST", "/v1/definitions/nightly%2Fbuild/runs", &m, p0, NULL);
	cr_assert_str_eq(r->name, "def_run");
	cr_assert_str_eq(p0, "nightly/build", "a definition's path name");
}

Test(route, literal_segments_win_over_their_method)
{
	enum route_match m;
	/* POST /v1/jobs/remove is its own route, though GET /v1/jobs/ * comes first. */
	cr_assert_str_eq(find("POST", "/v1/jobs/remove", &m, NULL, NULL)->name, "jobs_remove");
	char p0[200];
	const struct route *r = find("GET", "/v1/jobs/remove", &m, p0, NULL);
	cr_assert_str_eq(r->name, "job_get", "GET of a job whose id is 'remove'");
	cr_assert_str_eq(p0, "remove");
}

Test(route, one_trailing_slash_is_allowed)
{
	enum route_match m;
	cr_assert_str_eq(find("GET", "/v1/jobs/", &m, NULL, NULL)->name, "jobs_list");
	cr_assert_str_eq(find("GET", "/v1/jobs/12/", &m, NULL, NULL)->name, "job_get");
	cr_assert_null(find("GET", "/v1/jobs//", &m, NULL, NULL));
	cr_assert_eq(m, ROUTE_UNKNOWN, "an empty segment matches no '*'");
}

Test(route, a_known_path_with_another_method_is_405)
{
	enum route_match m;
	cr_assert_null(find("DELETE", "/v1/workers", &m, NULL, NULL));
	cr_assert_eq(m, ROUTE_WRONG_METHOD);
	cr_assert_null(find("GET", "/v1/jobs/12/cancel", &m, NULL, NULL));
	cr_assert_eq(m, ROUTE_WRONG_METHOD);
	cr_assert_null(find("HEAD", "/healthz", &m, NULL, NULL));
	cr_assert_eq(m, ROUTE_WRONG_METHOD);
}

Test(route, an_unknown_path_is_404)
{
	static const char *const paths[] = {
		"/x", "/v1", "/v1/job", "/ui", "/ui/", "/ui/a/b", "/v1/jobsx", "/v1/jobs/12/cancel/now", "/v1/jobs/12/log//",
		"/v2/jobs", "/V1/JOBS", "/v1/jobs/a/b", "/healthz/x",
	};
	enum route_match m;
	for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
		cr_assert_null(find("GET", paths[i], &m, NULL, NULL), "%s", paths[i]);
		cr_assert_eq(m, ROUTE_UNKNOWN, "%s is unknown", paths[i]);
	}
}

/* Every route says who may call it (SPEC §9). Only the health check, the API document,
 * the dashboard's files, logging in and asking who you are are open to callers without
 * credentials; logging out is for anyone with a token; workers never reach users' routes
 * nor users the workers'; and what changes the server for everyone (deploy, limits, clock,
 * drain, shutdown, backup, prune, users) is for admins alone. */
static bool is(const struct route *r, const char *method, const char *pattern)
{
	return strcmp(r->method, method) == 0 && strcmp(r->pattern, pattern) == 0;
}

static void check_roles(void *arg, const struct route *r)
{
	(void)arg;
	unsigned users = ROLE_USER | ROLE_ADMIN;
	bool open = strcmp(r->pattern, "/healthz") == 0 || is(r, "POST", "/v1/login") ||
		    is(r, "GET", "/v1/whoami") || is(r, "GET", "/v1/openapi.json") ||
		    is(r, "GET", "/") || is(r, "GET", "/ui/*");
	cr_assert(r->roles != 0, "%s %s admits nobody", r->method, r->pattern);
	cr_assert((r->roles & ROLE_ANON) == 0 || open, "%s %s is open to anonymous callers",
		  r->method, r->pattern);
	if (open) {
		cr_assert_eq(r->roles, ROLE_ANON | ROLES_TRUSTED, "%s %s is open", r->method, r->pattern);
		return;
	}
	if (is(r, "POST", "/v1/logout")) {
		cr_assert_eq(r->roles, ROLES_TRUSTED, "any token may log itself out");
		return;
	}
	bool worker = strncmp(r->pattern, "/v1/attempts/", 13) == 0 ||
		      (strncmp(r->pattern, "/v1/workers", 11) == 0 && strcmp(r->method, "GET") != 0);
	if (worker)
		cr_assert_eq(r->roles, ROLE_WORKER, "%s %s is a worker's route", r->method, r->pattern);
	else
		cr_assert((r->roles & ROLE_WORKER) == 0, "%s %s admits workers", r->method, r->pattern);
	bool admin_only = strncmp(r->pattern, "/v1/drain", 9) == 0 ||
			  strncmp(r->pattern, "/v1/shutdown", 12) == 0 ||
			  strncmp(r->pattern, "/v1/backup", 10) == 0 ||
			  strncmp(r->pattern, "/v1/prune", 9) == 0 ||
			  strcmp(r->pattern, "/metrics") == 0 ||
			  (strncmp(r->pattern, "/v1/users", 9) == 0 &&
			   strstr(r->pattern, "/password") == NULL) ||
			  (strcmp(r->method, "GET") != 0 &&
			   (strncmp(r->pattern, "/v1/limits", 10) == 0 ||
			    strncmp(r->pattern, "/v1/clock", 9) == 0 ||
			    (strncmp(r->pattern, "/v1/definitions", 15) == 0 &&
			     strstr(r->pattern, "/runs") == NULL)));
	if (admin_only)
		cr_assert_eq(r->roles, ROLE_ADMIN, "%s %s is for admins alone", r->method, r->pattern);
	else if (!worker)
		cr_assert_eq(r->roles, users, "%s %s is for users (their own things) and admins",
			     r->method, r->pattern);
}

Test(route, every_route_names_its_roles)
{
	http_route_counters(check_roles, NULL);
}
