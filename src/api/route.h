/* Which route answers a request: the lookup in the route table of http.c, kept apart from
 * evhttp so that tests call the real matcher. */
#ifndef JG_ROUTE_H
#define JG_ROUTE_H

struct route;

enum route_match {
	ROUTE_FOUND,		/* *found answers it */
	ROUTE_WRONG_METHOD,	/* the path is known, not with this method: 405 */
	ROUTE_UNKNOWN,		/* no route has this path: 404 */
};

/* Look METHOD PATH up (PATH without its query, still percent-encoded; one trailing '/' is
 * allowed). On ROUTE_FOUND, params[0..1] get the route's '*' segments, percent-decoded
 * ("a%2Fb" is "a/b"), owned by the caller (free()); unused ones and every one on a miss are
 * left NULL. */
enum route_match route_find(const char *method, const char *path, struct route **found,
			    char *params[2]);
#endif
