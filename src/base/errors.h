/* The API's errors (the table is errors.def): each has a wire code, an HTTP status and a
 * default message; handlers name one, never a free status. */
#ifndef JG_ERRORS_H
#define JG_ERRORS_H

enum api_error {
#define ERR(name, code, status, exit, message) ERR_##name,
#include "base/errors.def"
#undef ERR
	ERR_COUNT
};

const char *api_error_code(enum api_error e);		/* "bad_request"; static */
int api_error_status(enum api_error e);			/* 400 */
const char *api_error_message(enum api_error e);	/* its default message; static */
#endif
