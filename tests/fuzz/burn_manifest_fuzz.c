/*
 * tests/fuzz/burn_manifest_fuzz.c - ho_manifest_parse on arbitrary bytes (a manifest can
 * come back from an auditor's stick). Whatever parses must re-emit to exactly the input:
 * the canonical form has one spelling.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "burn/manifest.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ho_manifest *m = NULL;
	char *t = NULL;
	size_t len = 0;

	if (ho_manifest_parse(&m, (const char *)data, size, NULL) == 0) {
		if (ho_manifest_text(m, &t, &len) != 0 || len != size || memcmp(t, data, size) != 0)
			abort();
		free(t);
	}
	ho_manifest_free(m);
	return 0;
}
