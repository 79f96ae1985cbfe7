/*
 * tests/viewer/viewer_unit_test.c - core/viewer.c without a browser: install refuses
 * names that are not 8.3 and symlinks, payload paths are validated, the size limit
 * switches the payload off, chunk boundaries are exact.
 * (The byte-exact round trip is checked by payload_check.mjs in the browser tests.)
 *
 * Usage: viewer_unit_test WORKDIR
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/viewer.h"
#include "util/fs.h"

static int failures, passes;

#define CHECK(cond, what)                                                                          \
	do {                                                                                       \
		if (cond) {                                                                        \
			passes++;                                                                  \
		} else {                                                                           \
			failures++;                                                                \
			fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, what);             \
		}                                                                                  \
	} while (0)

static void put(const char *dir, const char *name, size_t len, int seed)
{
	char *p = ho_strfmt("%s/%s", dir, name);
	uint8_t *b = malloc(len ? len : 1);
	ho_err err = HO_ERR_INIT;

	for (size_t i = 0; i < len; i++)
		b[i] = (uint8_t)(i * 31 + (size_t)seed);
	if (p == NULL || b == NULL || ho_fs_write_atomic(p, b, len, 0644, &err) < 0) {
		fprintf(stderr, "setup failed: %s\n", err.msg);
		exit(2);
	}
	free(p);
	free(b);
}

static int exists(const char *dir, const char *name)
{
	char *p = ho_strfmt("%s/%s", dir, name);
	int r = p != NULL && access(p, F_OK) == 0;

	free(p);
	return r;
}

static long fsize(const char *dir, const char *name)
{
	char *p = ho_strfmt("%s/%s", dir, name);
	struct stat st;
	long r = p != NULL && stat(p, &st) == 0 ? (long)st.st_size : -1;

	free(p);
	return r;
}

int main(int argc, char **argv)
{
	ho_err err = HO_ERR_INIT;
	char *dist, *vdir, *medium, *m2, *data, *bad;
	const char *work = argc > 1 ? argv[1] : "viewer-unit";

	if (ho_fs_rm_rf(work) < 0 || ho_fs_mkdir_p(work, 0755) < 0)
		return 2;
	dist = ho_strfmt("%s/dist", work);
	vdir = ho_strfmt("%s/dist/VIEWER", work);
	medium = ho_strfmt("%s/medium", work);
	m2 = ho_strfmt("%s/medium2", work);
	data = ho_strfmt("%s/medium/VIEWER/DATA", work);
	bad = ho_strfmt("%s/dist/VIEWER/viewer.js", work);
	if (!dist || !vdir || !medium || !m2 || !data || !bad)
		return 2;
	if (ho_fs_mkdir_p(vdir, 0755) < 0 || ho_fs_mkdir_p(medium, 0755) < 0 ||
	    ho_fs_mkdir_p(m2, 0755) < 0)
		return 2;
	put(dist, "INDEX.HTM", 100, 1);
	put(vdir, "VIEWER.JS", 5000, 2);
	put(vdir, "VIEWER.CSS", 50, 3);

	/* install copies INDEX.HTM and VIEWER/ */
	CHECK(ho_viewer_install(dist, medium, &err) == 0, err.msg);
	CHECK(fsize(medium, "INDEX.HTM") == 100, "INDEX.HTM copied");
	CHECK(fsize(medium, "VIEWER/VIEWER.JS") == 5000, "VIEWER.JS copied");
	{
		uint64_t sz = 0;
		ho_err_clear(&err);
		CHECK(ho_viewer_dist_size(&sz, dist, &err) == 0 && sz == 100 + 5000 + 50,
		      "dist size is INDEX.HTM + VIEWER/");
	}
	/* installing again replaces INDEX.HTM (media_text's placeholder) and VIEWER/ */
	put(medium, "INDEX.HTM", 7, 9);
	put(medium, "VIEWER/OLD.JS", 7, 9);
	ho_err_clear(&err);
	CHECK(ho_viewer_install(dist, medium, &err) == 0, err.msg);
	CHECK(fsize(medium, "INDEX.HTM") == 100, "placeholder INDEX.HTM replaced");
	CHECK(!exists(medium, "VIEWER/OLD.JS"), "earlier VIEWER/ tree replaced");

	/* a lower-case name in the dist is a build mistake: refused */
	put(vdir, "viewer.js", 10, 4);
	ho_err_clear(&err);
	CHECK(ho_viewer_install(dist, m2, &err) == HO_EINVAL, "lower-case name refused");
	CHECK(strstr(err.msg, "8.3") != NULL, "message names the 8.3 rule");
	unlink(bad);
	/* a symlink in the dist is refused */
	CHECK(symlink("/etc/passwd", bad) == 0, "symlink made");
	if (ho_fs_rm_rf(m2) < 0 || ho_fs_mkdir_p(m2, 0755) < 0)
		return 2;
	ho_err_clear(&err);
	CHECK(ho_viewer_install(dist, m2, &err) < 0, "symlink in the viewer refused");
	unlink(bad);

	/* payload: sizes across the chunk boundary */
	if (ho_fs_mkdir_p(medium, 0755) < 0)
		return 2;
	{
		char *dd = ho_strfmt("%s/DICOM/P0000001", medium);
		if (dd == NULL || ho_fs_mkdir_p(dd, 0755) < 0)
			return 2;
		free(dd);
	}
	put(medium, "DICOMDIR", 0, 5);
	put(medium, "DICOM/P0000001/I0000001", HO_VIEWER_CHUNK_RAW - 1, 6);
	put(medium, "DICOM/P0000001/I0000002", 2, 7);
	put(medium, "DICOM/P0000001/I0000003", HO_VIEWER_CHUNK_RAW + 5, 8);
	{
		const char *files[] = {"DICOMDIR", "DICOM/P0000001/I0000001",
		                       "DICOM/P0000001/I0000002", "DICOM/P0000001/I0000003"};
		uint64_t total = 2ULL * HO_VIEWER_CHUNK_RAW + 6;

		ho_err_clear(&err);
		CHECK(ho_viewer_payload_write(medium, files, 4, total, &err) == 0, err.msg);
		/* 2*CHUNK+6 bytes fill two scripts exactly and 6 bytes spill into a third */
		CHECK(exists(data, "D0000001.JS") && exists(data, "D0000002.JS") &&
		          exists(data, "D0000003.JS") && !exists(data, "D0000004.JS"),
		      "three chunk scripts");
		CHECK(exists(data, "INDEX.JS"), "INDEX.JS written");
		CHECK(fsize(data, "D0000001.JS") < (long)(HO_VIEWER_CHUNK_RAW / 3 * 4 + 200),
		      "chunk size bounded");
		CHECK(ho_viewer_payload_bytes(total, 4) >=
		          (uint64_t)(fsize(data, "D0000001.JS") + fsize(data, "D0000002.JS") +
		                     fsize(data, "D0000003.JS") + fsize(data, "INDEX.JS")),
		      "payload_bytes is an upper bound");

		/* one byte over the limit: no chunks, INDEX.JS says too-large */
		ho_err_clear(&err);
		CHECK(ho_viewer_payload_write(medium, files, 4, total - 1, &err) == 0, err.msg);
		CHECK(!exists(data, "D0000001.JS") && exists(data, "INDEX.JS"),
		      "over the limit: only INDEX.JS");
	}
	/* bad paths */
	{
		const char *bads[] = {"../etc/passwd", "/etc/passwd", "DICOM//X", "A\"B",
		                      "A B",           "DICOM/./X",   "",         "NOSUCHFILE"};
		for (size_t i = 0; i < sizeof(bads) / sizeof(bads[0]); i++) {
			const char *one[] = {bads[i]};
			ho_err_clear(&err);
			CHECK(ho_viewer_payload_write(medium, one, 1, 1 << 20, &err) < 0, bads[i]);
		}
	}
	ho_err_clear(&err);
	CHECK(ho_viewer_payload_write(medium, NULL, 0, 0, &err) == 0, "empty payload");

	printf("%d passed, %d failed\n", passes, failures);
	if (ho_fs_rm_rf(work) < 0)
		failures++;
	free(dist);
	free(vdir);
	free(medium);
	free(m2);
	free(data);
	free(bad);
	return failures ? 1 : 0;
}
