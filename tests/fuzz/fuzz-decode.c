/* Fuzz target for request decoding: any bytes are parsed as JSON and run through every
 * decoder the API uses on request bodies. Nothing may crash, leak or read out of bounds. */
#include "api/decode.h"
#include <stdint.h>
#include <stdlib.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	json_error_t err;
	json_t *j = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, &err);
	if (j == NULL)
		return 0;
	struct derr e;
	struct job_req *reqs = NULL;
	size_t n = 0;
	if (decode_job_batch(j, "fuzzer", 1000, &reqs, &n, &e) == 0) {
		for (size_t i = 0; i < n; i++)
			job_req_free(&reqs[i]);
		free(reqs);
	}
	struct job_spec mod;
	unsigned mask;
	if (decode_job_patch(j, 1000, &mod, &mask, &e) == 0)
		job_ext_free(mod.x);
	json_t *ids;
	bool force;
	(void)decode_remove(j, &ids, &force, &e);
	struct finish f;
	(void)decode_finish(j, "", true, &f, &e);
	(void)decode_finish(j, "x.", false, &f, &e);
	size_t i;
	json_t *item;
	json_array_foreach(j, i, item) {
		(void)decode_finish(item, "[].", true, &f, &e);
		if (decode_job_patch(item, 1000, &mod, &mask, &e) == 0)
			job_ext_free(mod.x);
	}
	json_decref(j);
	return 0;
}
