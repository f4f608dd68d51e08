/* Which token a client sends (credentials.h). */
#include "cli/credentials.h"
#include "tls/pins.h"
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The token `jobgrid login` stored for url: 1 found (out filled), 0 none, -1 with err.
 * The file is read by the same parser that login and logout write it with, so a line one
 * of them accepts the others accept too. */
static int stored_token(const char *url, char out[TOKEN_TEXT_LEN + 1], char *err, size_t errlen)
{
	char *path = pins_path("tokens"), *why = NULL;
	if (path == NULL)
		return 0;
	struct pins p;
	int rc = pins_load(&p, path, PINS_TOKEN, &why) ? -1 : 0;
	const char *tok = rc == 0 ? pins_find(&p, url, NULL) : NULL;
	if (rc)
		snprintf(err, errlen, "%s", why);
	else if (tok) {
		snprintf(out, TOKEN_TEXT_LEN + 1, "%s", tok);
		rc = 1;
	}
	free(why);
	pins_free(&p);
	free(path);
	return rc;
}

int cred_token_for(const char *url, const char *token_file, char out[TOKEN_TEXT_LEN + 1],
		   char *err, size_t errlen)
{
	if (token_file) {
		char *why = NULL;
		if (token_file_read(token_file, out, &why) == 0)
			return 1;
		snprintf(err, errlen, "--token-file: %s", why);
		free(why);
		return -1;
	}
	const char *env = getenv("JOBGRID_TOKEN");
	if (env && *env) {
		unsigned char raw[TOKEN_BYTES];
		const char *why;
		if (token_text_parse(env, strlen(env), raw, &why)) {
			snprintf(err, errlen, "JOBGRID_TOKEN: %s", why);
			return -1;
		}
		snprintf(out, TOKEN_TEXT_LEN + 1, "%s", env);
		return 1;
	}
	return stored_token(url, out, err, errlen);
}
