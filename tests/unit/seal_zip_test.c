/* Unit tests for core/seal on a small tree made here: exact stored-size estimate,
 * refusal of bad names / missing files / an existing archive, cancellation leaves
 * nothing, AUTO chooses by capacity, the password is not in the archive. */
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/seal.h"
#include "util/fs.h"

static int failures;
#define CHECK(c)                                                                           \
	do {                                                                               \
		if (!(c)) {                                                                \
			fprintf(stderr, "%s:%d: FAILED %s\n", __FILE__, __LINE__, #c);     \
			failures++;                                                        \
		}                                                                          \
	} while (0)

static char root[256], out[256];
static const char *names[] = {"DICOMDIR", "DICOM/P0000001/S0000001/SE000001/I0000001",
			      "DICOM/P0000001/S0000001/SE000001/I0000002"};
static uint64_t sizes[3];

static void make_tree(void)
{
	char tmpl[] = "/tmp/seal_zip_test.XXXXXX";
	char *d = mkdtemp(tmpl);

	if (d == NULL)
		exit(1);
	snprintf(root, sizeof(root), "%s/src", d);
	snprintf(out, sizeof(out), "%s/out", d);
	char *sub = ho_strfmt("%s/DICOM/P0000001/S0000001/SE000001", root);
	if (ho_fs_mkdir_p(sub, 0700) != 0 || ho_fs_mkdir_p(out, 0700) != 0)
		exit(1);
	free(sub);
	for (int i = 0; i < 3; i++) {
		size_t len = 1000 + (size_t)i * 300000;
		unsigned char *b = malloc(len);
		char *p = ho_strfmt("%s/%s", root, names[i]);

		/* half compressible, half noise: deflate must shrink it, not erase it */
		for (size_t k = 0; k < len; k++)
			b[k] = k < len / 2 ? (unsigned char)(k % 7) : (unsigned char)rand();
		if (ho_fs_write_atomic(p, b, len, 0600, NULL) != 0)
			exit(1);
		sizes[i] = len;
		free(p);
		free(b);
	}
}

static long file_size(const char *p)
{
	struct stat sb;
	return stat(p, &sb) == 0 ? (long)sb.st_size : -1;
}

static int count_dir(const char *d)
{
	DIR *dir = opendir(d);
	struct dirent *e;
	int n = 0;

	while (dir != NULL && (e = readdir(dir)) != NULL)
		n += e->d_name[0] != '.';
	if (dir != NULL)
		closedir(dir);
	return n;
}

static int cancel_at_half(void *ud, double f, uint64_t done, uint64_t total)
{
	(void)ud;
	(void)done;
	(void)total;
	return f >= 0.5;
}

static int calls;
static int count_progress(void *ud, double f, uint64_t done, uint64_t total)
{
	(void)ud;
	CHECK(f >= 0.0 && f <= 1.0 && done <= total);
	calls++;
	return 0;
}

static int contains(const char *path, const char *needle)
{
	uint8_t *b = NULL;
	size_t len = 0;
	int found;

	if (ho_fs_read_all(path, 64 << 20, &b, &len, NULL) != 0)
		return -1;
	found = memmem(b, len, needle, strlen(needle)) != NULL;
	free(b);
	return found;
}

int main(void)
{
	ho_password *pw = NULL;
	ho_seal_opts o = HO_SEAL_OPTS_INIT;
	ho_err err = HO_ERR_INIT;
	char *z1, *z2, *z3;
	uint64_t est;

	make_tree();
	CHECK(ho_password_new(&pw, NULL) == 0);
	z1 = ho_strfmt("%s/STORE.ZIP", out);
	z2 = ho_strfmt("%s/DEFL.ZIP", out);
	z3 = ho_strfmt("%s/CANCEL.ZIP", out);

	/* store: size estimate is exact */
	o.method = HO_SEAL_STORE;
	CHECK(ho_seal_zip(root, names, 3, z1, pw, &o, count_progress, NULL, &err) == 0);
	est = ho_seal_stored_size(names, sizes, 3);
	printf("stored: estimate %llu, actual %ld, progress calls %d\n",
	       (unsigned long long)est, file_size(z1), calls);
	CHECK((long)est == file_size(z1));
	CHECK(calls > 0);
	CHECK(contains(z1, ho_password_zip(pw)) == 0);
	CHECK(contains(z1, ho_password_display(pw)) == 0);
	/* entry names are in the archive as given (they are neutral by construction) */
	CHECK(contains(z1, names[1]) == 1);

	/* an existing archive is never overwritten */
	ho_err_clear(&err);
	CHECK(ho_seal_zip(root, names, 3, z1, pw, &o, NULL, NULL, &err) == HO_EIO);
	CHECK(err.msg[0] != '\0');

	/* deflate is smaller on this half-compressible data */
	o.method = HO_SEAL_DEFLATE;
	CHECK(ho_seal_zip(root, names, 3, z2, pw, &o, NULL, NULL, NULL) == 0);
	printf("deflate level 1: %ld\n", file_size(z2));
	CHECK(file_size(z2) > 0 && file_size(z2) < file_size(z1) * 3 / 4);

	/* AUTO: by transfer syntax in the Part 10 header (non-DICOM files are deflated) */
	{
		static const struct {
			const char *ts;
			int want;
		} cases[] = {
			{"1.2.840.10008.1.2.1", HO_SEAL_DEFLATE}, {"1.2.840.10008.1.2", HO_SEAL_DEFLATE},
			{"1.2.840.10008.1.2.2", HO_SEAL_DEFLATE}, {"1.2.840.10008.1.2.4.50", HO_SEAL_STORE},
			{"1.2.840.10008.1.2.4.70", HO_SEAL_STORE}, {"1.2.840.10008.1.2.5", HO_SEAL_STORE},
			{"1.2.840.10008.1.2.4.90", HO_SEAL_STORE}, {"1.2.840.10008.1.2.1.99", HO_SEAL_STORE},
		};
		char *p = ho_strfmt("%s/P10", out);

		for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
			uint8_t f[512] = {0};
			size_t pos = 132, l = strlen(cases[i].ts), lp = (l + 1) & ~(size_t)1;

			memcpy(f + 128, "DICM", 4);
			/* (0002,0001) OB first: a long-form VR before the one we look for */
			memcpy(f + pos, "\x02\x00\x01\x00OB\x00\x00\x02\x00\x00\x00\x00\x01", 14);
			pos += 14;
			memcpy(f + pos, "\x02\x00\x10\x00UI", 6);
			f[pos + 6] = (uint8_t)lp;
			memcpy(f + pos + 8, cases[i].ts, l);
			pos += 8 + lp;
			CHECK(ho_fs_write_atomic(p, f, pos, 0600, NULL) == 0);
			CHECK(ho_seal_auto_method(p) == cases[i].want);
		}
		CHECK(ho_seal_auto_method(z1) == HO_SEAL_DEFLATE);        /* not DICOM */
		CHECK(ho_seal_auto_method("/nonexistent") == HO_SEAL_DEFLATE);
		unlink(p);
		free(p);
	}

	/* cancel: HO_ECANCEL and no file (nor libzip temporary) left */
	unlink(z2);
	o.method = HO_SEAL_STORE;
	ho_err_clear(&err);
	CHECK(ho_seal_zip(root, names, 3, z3, pw, &o, cancel_at_half, NULL, &err) == HO_ECANCEL);
	CHECK(file_size(z3) == -1);
	CHECK(count_dir(out) == 1); /* only STORE.ZIP */

	/* refused inputs, each before anything is written */
	static const char *bad[][1] = {{"../etc/passwd"}, {"/abs"}, {"A//B"}, {""}, {"A/./B"},
				       {"DICOM/"}, {"MISSING"}};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		ho_err e = HO_ERR_INIT;
		CHECK(ho_seal_zip(root, bad[i], 1, z3, pw, &o, NULL, NULL, &e) < 0);
		CHECK(e.msg[0] != '\0');
	}
	CHECK(ho_seal_zip(root, names, 0, z3, pw, &o, NULL, NULL, NULL) == HO_EINVAL);
	o.version = 99;
	CHECK(ho_seal_zip(root, names, 3, z3, pw, &o, NULL, NULL, NULL) == HO_EINVAL);
	o.version = HO_SEAL_OPTS_VERSION;
	o.method = HO_SEAL_DEFLATE;
	o.deflate_level = 12;
	CHECK(ho_seal_zip(root, names, 3, z3, pw, &o, NULL, NULL, NULL) == HO_EINVAL);
	/* a symlink in staging is not followed */
	{
		char *l = ho_strfmt("%s/LINK", root);
		const char *ln[] = {"LINK"};
		CHECK(symlink("/etc/passwd", l) == 0);
		CHECK(ho_seal_zip(root, ln, 1, z3, pw, NULL, NULL, NULL, NULL) == HO_ENOTFOUND);
		free(l);
	}
	CHECK(count_dir(out) == 1);

	ho_password_free(pw);
	{
		char *top = ho_strfmt("%.*s", (int)(strlen(root) - 4), root);
		CHECK(ho_fs_rm_rf(top) == 0);
		free(top);
	}
	free(z1);
	free(z2);
	free(z3);
	if (failures == 0)
		puts("seal_zip_test: ok");
	return failures == 0 ? 0 : 1;
}
