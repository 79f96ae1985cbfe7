/*
 * tests/unit/burn_manifest_test.c - burn/manifest: golden text for a tiny tree (computed
 * independently with Python's hashlib, tests/unit/burn_manifest_golden.txt), round trip
 * through the parser, a changed byte giving a different digest (the negative case of the
 * golden file), symlinks refused, and a table of non-canonical texts that must not parse.
 *
 * Usage: burn_manifest_test GOLDEN_FILE
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>

#include "burn/manifest.h"
#include "util/fs.h"

static int failures;

#define CHECK(cond)                                                                      \
	do {                                                                             \
		if (!(cond)) {                                                           \
			fprintf(stderr, "%s:%d: CHECK failed: %s\n", __FILE__, __LINE__, #cond); \
			failures++;                                                      \
		}                                                                        \
	} while (0)

static const struct {
	const char *path, *data;
} tree[] = {
	{"DICOMDIR", "DICM golden dicomdir\n"},
	{"DICOM/P0000001/S0000001/SE000001/I0000001", "golden image bytes\n"},
	{"README.TXT", "hello\n"},
	{"VIEWER/EMPTY.JS", ""},
	{"a b", "space in name\n"},
};

static void put(const char *root, const char *rel, const char *data)
{
	char *p = ho_strfmt("%s/%s", root, rel), *slash;
	FILE *f;

	slash = strrchr(p, '/');
	*slash = '\0';
	if (ho_fs_mkdir_p(p, 0700) < 0)
		abort();
	*slash = '/';
	if ((f = fopen(p, "wb")) == NULL)
		abort();
	fwrite(data, 1, strlen(data), f);
	fclose(f);
	free(p);
}

static char *text_of(const ho_manifest *m)
{
	char *t = NULL;
	size_t len = 0;

	if (ho_manifest_text(m, &t, &len) < 0)
		return NULL;
	return t;
}

int main(int argc, char **argv)
{
	char root[] = "/tmp/ho_manifest_XXXXXX";
	ho_err err = HO_ERR_INIT;
	ho_manifest *m = NULL, *m2 = NULL, *m3 = NULL;
	uint8_t *golden = NULL, d1[32], d2[32], dg[32];
	size_t glen = 0;
	char *t1 = NULL, *t2 = NULL, *outp = NULL;
	unsigned int dl = 0;

	if (argc != 2) {
		fprintf(stderr, "usage: burn_manifest_test GOLDEN\n");
		return 2;
	}
	if (ho_fs_read_all(argv[1], 1 << 20, &golden, &glen, &err) < 0) {
		fprintf(stderr, "%s\n", err.msg);
		return 2;
	}
	if (mkdtemp(root) == NULL)
		return 2;
	for (size_t i = 0; i < sizeof(tree) / sizeof(tree[0]); i++)
		put(root, tree[i].path, tree[i].data);

	/* Golden text, byte for byte, and its digest = SHA-256 of that text. */
	CHECK(ho_manifest_from_dir(&m, root, &err) == 0);
	CHECK(m != NULL && ho_manifest_count(m) == 5);
	CHECK(ho_manifest_total_bytes(m) == 21 + 19 + 6 + 0 + 14);
	t1 = text_of(m);
	CHECK(t1 != NULL && strlen(t1) == glen && memcmp(t1, golden, glen) == 0);
	if (t1 != NULL && memcmp(t1, golden, glen) != 0)
		fprintf(stderr, "got:\n%s\nwant:\n%s\n", t1, (const char *)golden);
	CHECK(ho_manifest_digest(m, d1) == 0);
	CHECK(EVP_Digest(golden, glen, dg, &dl, EVP_sha256(), NULL) == 1);
	CHECK(memcmp(d1, dg, 32) == 0);
	CHECK(ho_manifest_find(m, "DICOMDIR") != NULL);
	CHECK(ho_manifest_find(m, "DICOM/P0000001/S0000001/SE000001/I0000001")->size == 19);
	CHECK(ho_manifest_find(m, "dicomdir") == NULL);
	CHECK(ho_manifest_find(m, "NOPE") == NULL);

	/* Round trip: write, read back, same text and digest. */
	outp = ho_strfmt("%s.manifest", root);
	CHECK(ho_manifest_write(m, outp, &err) == 0);
	CHECK(ho_manifest_read(&m2, outp, &err) == 0);
	t2 = m2 ? text_of(m2) : NULL;
	CHECK(t1 != NULL && t2 != NULL && strcmp(t1, t2) == 0);
	CHECK(m2 != NULL && ho_manifest_digest(m2, d2) == 0 && memcmp(d1, d2, 32) == 0);
	unlink(outp);

	/* Negative case: one changed byte => different text and digest. */
	put(root, "README.TXT", "hellp\n");
	CHECK(ho_manifest_from_dir(&m3, root, &err) == 0);
	CHECK(m3 != NULL && ho_manifest_digest(m3, d2) == 0 && memcmp(d1, d2, 32) != 0);
	{
		char *t3 = m3 ? text_of(m3) : NULL;
		CHECK(t3 != NULL && strcmp(t3, (const char *)golden) != 0);
		free(t3);
	}

	/* A symlink in staging is an error, not something skipped or followed. */
	{
		char *l = ho_strfmt("%s/LINK", root);
		ho_manifest *ml = NULL;
		ho_err e2 = HO_ERR_INIT;
		CHECK(symlink("/etc/passwd", l) == 0);
		CHECK(ho_manifest_from_dir(&ml, root, &e2) == HO_EINVAL && ml == NULL);
		CHECK(strstr(e2.msg, "LINK") != NULL);
		unlink(l);
		free(l);
	}
	/* Missing root. */
	{
		ho_manifest *mx = NULL;
		CHECK(ho_manifest_from_dir(&mx, "/nonexistent/ho", NULL) == HO_ENOTFOUND);
	}

	/* Non-canonical texts must not parse (each would give a second spelling of a digest). */
	{
		static const char h[] =
			"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
		char *bad[] = {
			ho_strfmt("%s 0 A\n%s 0 A\n", h, h),               /* duplicate */
			ho_strfmt("%s 0 B\n%s 0 A\n", h, h),               /* unsorted */
			ho_strfmt("%s 00 A\n", h),                         /* leading zero */
			ho_strfmt("%s 0 A", h),                            /* no LF */
			ho_strfmt("%s 0 /A\n", h),                         /* absolute */
			ho_strfmt("%s 0 A/../B\n", h),                     /* dot-dot */
			ho_strfmt("%s 0 A//B\n", h),                       /* empty component */
			ho_strfmt("%s 0 A\tB\n", h),                       /* control char */
			ho_strfmt("%s 0 A\r\n", h),                        /* CR */
			ho_strfmt("E3B0%s 0 A\n", h + 4),                  /* upper-case hex */
			ho_strfmt("%s 18446744073709551616 A\n", h),       /* > 2^64-1 */
			ho_strfmt("%s -1 A\n", h),                         /* sign */
			ho_strfmt("%s 0 \n", h),                           /* empty path */
			ho_strfmt("%.63s 0 A\n", h),                       /* short digest */
		};
		for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
			ho_manifest *mb = NULL;
			int r = ho_manifest_parse(&mb, bad[i], strlen(bad[i]), NULL);
			if (r != HO_EFORMAT || mb != NULL) {
				fprintf(stderr, "bad manifest %zu parsed (rc %d)\n", i, r);
				failures++;
			}
			ho_manifest_free(mb);
			free(bad[i]);
		}
		/* Empty text is the empty manifest; 2^64-1 is accepted. */
		ho_manifest *me = NULL;
		char *ok = ho_strfmt("%s 18446744073709551615 A\n", h);
		CHECK(ho_manifest_parse(&me, "", 0, NULL) == 0 && ho_manifest_count(me) == 0);
		ho_manifest_free(me);
		me = NULL;
		CHECK(ho_manifest_parse(&me, ok, strlen(ok), NULL) == 0 &&
		      ho_manifest_get(me, 0)->size == UINT64_MAX);
		ho_manifest_free(me);
		free(ok);
	}

	ho_manifest_free(m);
	ho_manifest_free(m2);
	ho_manifest_free(m3);
	ho_manifest_free(NULL);
	free(t1);
	free(t2);
	free(outp);
	free(golden);
	CHECK(ho_fs_rm_rf(root) == 0);
	if (failures == 0)
		printf("burn_manifest_test: ok\n");
	return failures ? 1 : 0;
}
