/* Fuzz target for the client's tokens file (~/.config/jobgrid/tokens: "URL TOKEN" lines):
 * any text is found good or refused with a message naming the file and a line, and a
 * token found is a valid one. */
#include "cli/credentials.h"
#include "fuzz.h"
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	static const char *const urls[] = {"http://127.0.0.1:7370", "https://grid.example:7370", ""};
	for (size_t i = 0; i < sizeof urls / sizeof urls[0]; i++) {
		char out[TOKEN_TEXT_LEN + 1], err[300] = "";
		unsigned char raw[TOKEN_BYTES];
		const char *why;
		int rc = cred_tokens_find(s, "tokens", urls[i], out, err, sizeof err);
		if (rc < -1 || rc > 1 || (rc < 0 && strncmp(err, "tokens, line ", 13) != 0))
			abort();
		if (rc == 1 && token_text_parse(out, strlen(out), raw, &why) != 0)
			abort();
	}
	free(s);
	return 0;
}
