/* Fuzz target for the configuration parser. Built as a libFuzzer target with
 * -DHO_FUZZ=ON (clang); otherwise linked with fuzz_replay.c to replay the corpus. */
#include <stddef.h>
#include <stdint.h>

#include "core/config.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ho_config *cfg = NULL;
	ho_err err = HO_ERR_INIT;

	if (ho_config_new(&cfg) < 0)
		return 0;
	if (ho_config_parse(cfg, (const char *)data, size, "fuzz", &err) == 0 &&
	    ho_config_get(cfg, "pacs.host") == NULL)
		__builtin_trap(); /* a known key must always have a value */
	ho_config_free(cfg);
	return 0;
}
