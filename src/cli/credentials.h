/* The credentials a client sends (SPEC §9): `Authorization: Bearer TOKEN` with the token
 * from, in order, --token-file F, $JOBGRID_TOKEN, or the line for the server's URL in
 * the tokens file that `jobgrid login` writes ($XDG_CONFIG_HOME/jobgrid/tokens, else
 * ~/.config/jobgrid/tokens: one "URL TOKEN" a line; '#' lines and blank ones ignored). */
#ifndef JG_CREDENTIALS_H
#define JG_CREDENTIALS_H
#include "auth/token.h"
#include <stddef.h>

/* The token to send to url: 1 found (out filled), 0 none, -1 with err. token_file: the
 * --token-file given, or NULL. */
int cred_token_for(const char *url, const char *token_file, char out[TOKEN_TEXT_LEN + 1],
		   char *err, size_t errlen);
#endif
