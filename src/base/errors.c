/* The table of errors.def as arrays indexed by enum api_error. */
#include "base/errors.h"

static const struct {
	const char *code, *message;
	int status;
} rows[ERR_COUNT] = {
#define ERR(name, code_, status_, exit, message_) [ERR_##name] = {code_, message_, status_},
#include "base/errors.def"
#undef ERR
};

const char *api_error_code(enum api_error e)
{
	return rows[e].code;
}

int api_error_status(enum api_error e)
{
	return rows[e].status;
}

const char *api_error_message(enum api_error e)
{
	return rows[e].message;
}
