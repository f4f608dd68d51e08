/* The dashboard (docs/DASHBOARD.md): its files, compiled in (web.h), at GET / and
 * GET /ui/NAME. They carry no data, so they are open to every caller like /healthz; the
 * page then calls the API with the bearer token in a header, never a cookie. */
#include "api/call.h"
#include "api/handlers.h"
#include "api/web.h"
#include <string.h>

/* Scripts and styles only from the server's own files (no inline ones, no eval), calls
 * only to this server, never framed: an injected string can run nothing. */
#define UI_CSP "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " \
	"connect-src 'self'; object-src 'none'; base-uri 'none'; form-action 'self'; " \
	"frame-ancestors 'none'"

const struct web_asset *web_asset_find(const char *name)
{
	for (const struct web_asset *a = jg_web_assets; a->name; a++)
		if (strcmp(a->name, name) == 0)
			return a;
	return NULL;
}

/* Does If-None-Match name etag ("*", or one of a comma-separated list, weak or strong)? */
static bool etag_matches(const char *header, const char *etag)
{
	size_t n = strlen(etag);
	for (const char *p = header; *p;) {
		p += strspn(p, " \t,");
		if (*p == '*')
			return true;
		if (strncmp(p, "W/", 2) == 0)
			p += 2;
		if (strncmp(p, etag, n) == 0 && (p[n] == '\0' || p[n] == ',' || p[n] == ' '))
			return true;
		p += strcspn(p, ",");
	}
	return false;
}

static void serve(struct call *c, const struct web_asset *a)
{
	struct evkeyvalq *h = evhttp_request_get_output_headers(c->req);
	evhttp_add_header(h, "Content-Security-Policy", UI_CSP);
	evhttp_add_header(h, "X-Content-Type-Options", "nosniff");
	evhttp_add_header(h, "Referrer-Policy", "no-referrer");
	evhttp_add_header(h, "X-Frame-Options", "DENY");
	/* Asked again each time (a new binary may serve new files), answered 304 when same. */
	evhttp_add_header(h, "Cache-Control", "no-cache");
	evhttp_add_header(h, "ETag", a->etag);
	const char *inm = evhttp_find_header(evhttp_request_get_input_headers(c->req),
					     "If-None-Match");
	if (inm && etag_matches(inm, a->etag)) {
		call_reply_text(c, 304, a->ctype, "", 0);
		return;
	}
	call_reply_text(c, 200, a->ctype, (const char *)a->bytes, a->len);
}

void api_ui_index(struct call *c)
{
	const struct web_asset *a = web_asset_find("index.html");
	if (a == NULL) {
		call_error(c, ERR_NOT_FOUND, "", "this build has no dashboard");
		return;
	}
	serve(c, a);
}

void api_ui_file(struct call *c)
{
	const struct web_asset *a = web_asset_find(c->params[0]);
	if (a == NULL) {
		call_error(c, ERR_NOT_FOUND, "name", "no dashboard file %s", c->params[0]);
		return;
	}
	serve(c, a);
}
