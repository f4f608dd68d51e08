/* Fuzz target for the query of an output chunk (POST /v1/attempts/{id}/output?offset=N&
 * at_ms=T): any bytes are parsed as a query string by evhttp, as the server does, and the
 * values go through decode_chunk_params; the bytes are also tried as the offset itself.
 * What is accepted is a number that prints back to itself; nothing may crash or leak. */
#include "api/decode.h"
#include "fuzz.h"
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <inttypes.h>
#include <sys/queue.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void check(const char *offset, const char *at_ms)
{
	struct derr e;
	int64_t off = -1, at = -1, again, at2;
	if (decode_chunk_params(offset, at_ms, &off, &at, &e) != 0) {
		if (e.field[0] == '\0' || api_error_status(e.err) != 400)
			abort();	/* a refusal names the field */
		return;
	}
	char text[32];
	snprintf(text, sizeof text, "%" PRId64, off);
	if (off < 0 || at < 0 || decode_chunk_params(text, NULL, &again, &at2, &e) != 0 || again != off)
		abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *s = fuzz_cstr(data, size);
	if (s == NULL)
		return 0;
	check(s, NULL);
	check("0", s);
	struct evkeyvalq q;
	TAILQ_INIT(&q);
	if (evhttp_parse_query_str(s, &q) == 0)
		check(evhttp_find_header(&q, "offset"), evhttp_find_header(&q, "at_ms"));
	evhttp_clear_headers(&q);
	free(s);
	return 0;
}
