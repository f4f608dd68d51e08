/* Fuzz target for what carries a token: the Authorization header's value, a token's text
 * and the content of a token file (--token-file, DATA/admin.token). What parses must be
 * exactly "jg_" and 64 lowercase hex digits, and format back to the same text. */
#include "auth/token.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

static void check_text(const char *text, size_t len)
{
	unsigned char raw[TOKEN_BYTES];
	char again[TOKEN_TEXT_LEN + 1];
	const char *why = NULL;
	if (token_text_parse(text, len, raw, &why) != 0) {
		if (why == NULL)
			abort();	/* a refusal always says why */
		return;
	}
	token_text_format(raw, again);
	if (len != TOKEN_TEXT_LEN || memcmp(again, text, len) != 0)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	unsigned char raw[TOKEN_BYTES];
	char text[TOKEN_TEXT_LEN + 1];
	const char *why = NULL;
	if (bearer_parse(s, raw, &why) == 0) {
		token_text_format(raw, text);
		if (strstr(s, text) == NULL)	/* the token is the header's, as written */
			abort();
	} else if (why == NULL) {
		abort();
	}
	check_text((const char *)data, size);
	if (size <= TOKEN_TEXT_LEN + 2 && token_file_text((const char *)data, size, text, &why) == 0)
		check_text(text, strlen(text));
	free(s);
	return 0;
}
