/* The API's OpenAPI 3.1 document (docs/openapi.json), compiled into the binary by CMake
 * (openapi-doc.c in the build directory): GET /v1/openapi.json serves it, and
 * tests/unit/test-openapi.c checks it against the route table. */
#ifndef JG_OPENAPI_H
#define JG_OPENAPI_H
#include <stddef.h>

extern const unsigned char jg_openapi_json[];	/* the file's bytes, not NUL-terminated */
extern const size_t jg_openapi_json_len;
#endif
