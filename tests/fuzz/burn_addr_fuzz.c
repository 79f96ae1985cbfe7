/*
 * tests/fuzz/burn_addr_fuzz.c - ho_drive_addr_parse on arbitrary bytes (the drive address
 * comes from the configuration file and the command line). A parsed address must be one
 * of the documented forms and its libburn address NUL-terminated and in bounds.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "burn/sim.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ho_drive_addr a;
	ho_err err = HO_ERR_INIT;
	char *s = malloc(size + 1);

	if (s == NULL)
		return 0;
	memcpy(s, data, size);
	s[size] = '\0';
	if (ho_drive_addr_parse(&a, s, &err) == 0) {
		size_t n = strnlen(a.adr, sizeof(a.adr));
		if (n == sizeof(a.adr) || strnlen(a.path, sizeof(a.path)) == sizeof(a.path))
			abort();
		if (strncmp(a.adr, "/dev/", 5) != 0 && strncmp(a.adr, "stdio:/", 7) != 0)
			abort();
		if (a.is_file && a.path[0] != '/')
			abort();
		if (a.is_sim && a.capacity == 0)
			abort();
		int loaded = ho_drive_addr_check_loaded(&a, &err);
		int empty = a.fault == HO_SIM_FAULT_TRAY_OPEN || a.fault == HO_SIM_FAULT_NO_DISC;
		if ((loaded == 0) == empty)
			abort();
	} else if (err.code == 0 || err.msg[0] == '\0') {
		abort(); /* every refusal says why */
	}
	free(s);
	return 0;
}
