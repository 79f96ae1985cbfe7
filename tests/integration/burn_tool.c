/*
 * tests/integration/burn_tool.c - a thin command line over the public burn/ API so that shell
 * and Python tests can drive it and judge the result with tools we did not write (xorriso,
 * isoinfo, mtools, fsck.fat). Exit status: 0 on success, else the negated HO_E* code; the
 * error name and message go to stderr as "HO_EXXX: message".
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "burn/burn.h"
#include "burn/manifest.h"
#include "burn/usb.h"

static uint64_t g_calls, g_last;

static void progress(void *ud, uint64_t done, uint64_t total)
{
	(void)ud;
	(void)total;
	/* Progress must never go backwards. */
	if (done < g_last) {
		fprintf(stderr, "progress went backwards: %" PRIu64 " < %" PRIu64 "\n", done, g_last);
		exit(100);
	}
	g_last = done;
	g_calls++;
}

static int usage(void)
{
	fprintf(stderr, "usage: burn_tool write DRIVE SRC VOLID\n"
			"       burn_tool verify DRIVE SRC|@MANIFEST\n"
			"       burn_tool capacity DRIVE\n"
			"       burn_tool isosize SRC VOLID\n"
			"       burn_tool manifest SRC OUT\n"
			"       burn_tool digest SRC|@MANIFEST\n"
			"       burn_tool usb-write TARGET SRC LABEL\n"
			"       burn_tool usb-verify TARGET SRC|@MANIFEST\n");
	return 2;
}

static int load_manifest(ho_manifest **m, const char *arg, ho_err *err)
{
	if (arg[0] == '@')
		return ho_manifest_read(m, arg + 1, err);
	return ho_manifest_from_dir(m, arg, err);
}

int main(int argc, char **argv)
{
	ho_err err = HO_ERR_INIT;
	ho_manifest *m = NULL;
	uint64_t v = 0;
	int rc = 0;

	if (argc < 3)
		return usage();
	if (strcmp(argv[1], "write") == 0 && argc == 5) {
		ho_burn_opts o = {.drive = argv[2], .src_dir = argv[3], .volume_id = argv[4],
				  .progress = progress};
		rc = ho_burn_write(&o, &err);
	} else if (strcmp(argv[1], "verify") == 0 && argc == 4) {
		if ((rc = load_manifest(&m, argv[3], &err)) == 0)
			rc = ho_burn_verify(argv[2], m, progress, NULL, &err);
	} else if (strcmp(argv[1], "capacity") == 0 && argc == 3) {
		if ((rc = ho_burn_capacity(argv[2], &v, &err)) == 0)
			printf("%" PRIu64 "\n", v);
	} else if (strcmp(argv[1], "isosize") == 0 && argc == 4) {
		if ((rc = ho_burn_iso_size(argv[2], argv[3], &v, &err)) == 0)
			printf("%" PRIu64 "\n", v);
	} else if (strcmp(argv[1], "manifest") == 0 && argc == 4) {
		if ((rc = ho_manifest_from_dir(&m, argv[2], &err)) == 0)
			rc = ho_manifest_write(m, argv[3], &err);
	} else if (strcmp(argv[1], "digest") == 0 && argc == 3) {
		uint8_t d[32];
		if ((rc = load_manifest(&m, argv[2], &err)) == 0 &&
		    (rc = ho_manifest_digest(m, d)) == 0) {
			for (int i = 0; i < 32; i++)
				printf("%02x", d[i]);
			printf("\n");
		}
	} else if (strcmp(argv[1], "usb-write") == 0 && argc == 5) {
		rc = ho_usb_write(argv[2], argv[3], argv[4], progress, NULL, &err);
	} else if (strcmp(argv[1], "usb-verify") == 0 && argc == 4) {
		if ((rc = load_manifest(&m, argv[3], &err)) == 0)
			rc = ho_usb_verify(argv[2], m, progress, NULL, &err);
	} else {
		return usage();
	}
	ho_manifest_free(m);
	if (rc != 0) {
		fprintf(stderr, "%s: %s\n", ho_err_name(rc), err.msg);
		return -rc;
	}
	if (getenv("BURN_TOOL_PROGRESS") != NULL)
		fprintf(stderr, "progress calls: %" PRIu64 ", last %" PRIu64 "\n", g_calls, g_last);
	return 0;
}
