/*
 * tests/viewer/viewer_install_tool.c - installs the viewer and its payload on a medium
 * tree through the public API of core/viewer.h, for the browser tests and the bench.
 *
 * Usage: viewer_install_tool [--dist DIR] MEDIUM MAX_TOTAL [REL_PATH...]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/viewer.h"

int main(int argc, char **argv)
{
	ho_err err = HO_ERR_INIT;
	const char *dist = NULL;
	unsigned long long max;
	char *end = NULL;
	int i = 1;

	if (argc > 2 && strcmp(argv[1], "--dist") == 0) {
		dist = argv[2];
		i = 3;
	}
	if (argc - i < 2) {
		fprintf(stderr, "usage: %s [--dist DIR] MEDIUM MAX_TOTAL [REL_PATH...]\n", argv[0]);
		return 2;
	}
	max = strtoull(argv[i + 1], &end, 10);
	if (end == argv[i + 1] || *end != '\0') {
		fprintf(stderr, "MAX_TOTAL must be a number of bytes\n");
		return 2;
	}
	if (ho_viewer_install(dist, argv[i], &err) < 0 ||
	    ho_viewer_payload_write(argv[i], (const char *const *)argv + i + 2,
	                            (size_t)(argc - i - 2), max, &err) < 0) {
		fprintf(stderr, "viewer_install_tool: %s (%s)\n", err.msg, ho_err_name(err.code));
		return 1;
	}
	return 0;
}
