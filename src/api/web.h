/* The dashboard's files (web/), compiled into the binary by CMake (web-assets.c in the
 * build directory), so the server serves them with nothing to find at run time and no
 * internet: GET / is index.html, GET /ui/NAME the file NAME. */
#ifndef JG_WEB_H
#define JG_WEB_H
#include <stddef.h>

struct web_asset {
	const char *name;		/* the file's name in web/, "app.js" */
	const unsigned char *bytes;	/* its bytes (NUL after the last, not counted) */
	size_t len;
	const char *ctype;		/* Content-Type, from the file's extension */
	const char *etag;		/* "\"…\"": part of the file's SHA-256, a strong validator */
};

/* Every file, ended by a row whose name is NULL. */
extern const struct web_asset jg_web_assets[];

/* The asset called name, or NULL. */
const struct web_asset *web_asset_find(const char *name);
#endif
