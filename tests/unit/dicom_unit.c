/*
 * tests/unit/dicom_unit.c - table-driven checks of dicom/dicom.h on files that
 * tests/unit/dicom_unit.sh makes first (dicom_mkfiles.py + dcmcjpeg/dcmcrle).
 *
 *   dicom_unit DIR      runs every check on the .dcm files in DIR; builds DIR/media/ (a file-set with
 *                       a DICOMDIR) for the shell script's dcmmkdir/dciodvfy re-check.
 * Exit status 0 when every check passed; each failure is printed.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "dicom/dicom.h"
#include "util/fs.h"

static int failures;

#define CHECK(cond, ...)                                                                   \
	do {                                                                               \
		if (!(cond)) {                                                             \
			failures++;                                                        \
			fprintf(stderr, "FAIL %s:%d: %s: ", __FILE__, __LINE__, #cond);   \
			fprintf(stderr, __VA_ARGS__);                                      \
			fputc('\n', stderr);                                               \
		}                                                                          \
	} while (0)

static char *path(const char *dir, const char *name)
{
	char *p = ho_strfmt("%s/%s", dir, name);
	if (p == NULL)
		abort();
	return p;
}

struct info_case {
	const char *file;
	int rc;
	const char *ts;
	const char *pid;
	const char *modality;
};

static void test_info(const char *dir)
{
	static const struct info_case cases[] = {
		{"le.dcm", 0, "1.2.840.10008.1.2.1", "HO-U-1", "CT"},
		{"il.dcm", 0, "1.2.840.10008.1.2", "HO-U-1", "CT"},
		{"jpll.dcm", 0, "1.2.840.10008.1.2.4.70", "HO-U-1", "CT"},
		{"jpb.dcm", 0, "1.2.840.10008.1.2.4.50", "HO-U-2", "OT"},
		{"rle.dcm", 0, "1.2.840.10008.1.2.5", "HO-U-1", "CT"},
		{"jp.dcm", 0, "1.2.840.10008.1.2.1", "HO-U-2", "OT"},
		{"bad.dcm", HO_EFORMAT, NULL, NULL, NULL},
		{"long.dcm", HO_ETOOBIG, NULL, NULL, NULL},
		{"nouid.dcm", HO_EFORMAT, NULL, NULL, NULL},
		{"missing.dcm", HO_ENOTFOUND, NULL, NULL, NULL},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		const struct info_case *c = &cases[i];
		ho_dcm_instance inst;
		ho_err err = HO_ERR_INIT;
		char *p = path(dir, c->file);
		int rc = ho_dcm_file_info(p, &inst, &err);

		CHECK(rc == c->rc, "%s: rc %s, want %s (%s)", c->file, ho_err_name(rc),
		      ho_err_name(c->rc), err.msg);
		if (rc == 0 && c->rc == 0) {
			CHECK(!strcmp(inst.transfer_syntax, c->ts), "%s: ts %s", c->file,
			      inst.transfer_syntax);
			CHECK(!strcmp(inst.patient_id, c->pid), "%s: pid %s", c->file,
			      inst.patient_id);
			CHECK(!strcmp(inst.modality, c->modality), "%s: modality %s", c->file,
			      inst.modality);
			CHECK(!strcmp(inst.issuer, "HOSP"), "%s: issuer %s", c->file, inst.issuer);
			CHECK(inst.size > 1000 && inst.path == p, "%s: size/path", c->file);
			CHECK(strlen(inst.sop_instance_uid) > 10, "%s: sop", c->file);
		}
		if (rc != 0)
			CHECK(err.msg[0] != '\0' && err.code == rc, "%s: no message", c->file);
		free(p);
	}
}

static void test_record(const char *dir)
{
	/* ISO_IR 100 and ISO 2022 IR 87 (PS3.5 H.3.1) names come back as UTF-8. */
	static const struct {
		const char *file, *name;
	} cases[] = {
		{"le.dcm", "M\xc3\xbcller^J\xc3\xbcrgen"},
		{"jp.dcm", "Yamada^Tarou=\xe5\xb1\xb1\xe7\x94\xb0^\xe5\xa4\xaa\xe9\x83\x8e="
			   "\xe3\x82\x84\xe3\x81\xbe\xe3\x81\xa0^\xe3\x81\x9f\xe3\x82\x8d\xe3\x81\x86"},
		/* PS3.5 H.2 (ISO 2022 IR 13, half-width katakana in G1) */
		{"ir13.dcm", "\xef\xbe\x94\xef\xbe\x8f\xef\xbe\x80\xef\xbe\x9e^"
			     "\xef\xbe\x80\xef\xbe\x9b\xef\xbd\xb3"},
		/* PS3.5 I.2 (ISO 2022 IR 149, KS X 1001 in G1) */
		{"ir149.dcm", "Hong^Gildong=\xe6\xb4\xaa^\xe5\x90\x89\xe6\xb4\x9e="
			      "\xed\x99\x8d^\xea\xb8\xb8\xeb\x8f\x99"},
		/* PS3.5 J.3 (ISO 2022 IR 58, GB 2312 in G1) */
		{"ir58.dcm", "Zhang^XiaoDong=\xe5\xbc\xa0^\xe5\xb0\x8f\xe4\xb8\x9c"},
		{"greek.dcm", "\xce\xa0\xce\xb1\xcf\x80\xce\xb1\xce\xb4\xcf\x8c\xcf\x80"
			      "\xce\xbf\xcf\x85\xce\xbb\xce\xbf\xcf\x82^\xce\x9d\xce\xaf\xce\xba"
			      "\xce\xbf\xcf\x82"},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ho_dcm_record r;
		ho_err err = HO_ERR_INIT;
		char *p = path(dir, cases[i].file);
		int rc = ho_dcm_file_record(p, &r, &err);

		CHECK(rc == 0, "%s: %s", cases[i].file, err.msg);
		CHECK(!strcmp(r.patient_name, cases[i].name), "%s: name '%s'", cases[i].file,
		      r.patient_name);
		CHECK(r.series_number >= 1 && r.num_instances == -1 && r.level == HO_DCM_LEVEL_SERIES,
		      "%s: numbers",
		      cases[i].file);
		free(p);
	}
}

static void test_profiles(void)
{
	static const struct {
		int profile;
		const char *ts;
		int ok;
	} cases[] = {
		{HO_DCM_PROFILE_GEN_CD, "1.2.840.10008.1.2.1", 1},
		{HO_DCM_PROFILE_GEN_CD, "1.2.840.10008.1.2", 0},
		{HO_DCM_PROFILE_GEN_CD, "1.2.840.10008.1.2.4.50", 0},
		{HO_DCM_PROFILE_GEN_CD, "1.2.840.10008.1.2.4.70", 0},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.1", 1},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.4.50", 1},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.4.51", 1},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.4.70", 1},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.5", 0},
		{HO_DCM_PROFILE_GEN_DVD_JPEG, "1.2.840.10008.1.2.4.90", 0},
		{HO_DCM_PROFILE_GEN_USB_JPEG, "1.2.840.10008.1.2.4.70", 1},
		{HO_DCM_PROFILE_GEN_USB_JPEG, "1.2.840.10008.1.2", 0},
		{99, "1.2.840.10008.1.2.1", 0},
		{HO_DCM_PROFILE_GEN_CD, NULL, 0},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		CHECK(ho_dcm_profile_allows(cases[i].profile, cases[i].ts) == cases[i].ok,
		      "profile %d ts %s", cases[i].profile, cases[i].ts ? cases[i].ts : "NULL");
	CHECK(!strcmp(ho_dcm_profile_name(HO_DCM_PROFILE_GEN_CD), "STD-GEN-CD"), "name");
	CHECK(!strcmp(ho_dcm_profile_name(HO_DCM_PROFILE_GEN_DVD_JPEG), "STD-GEN-DVD-JPEG"),
	      "name");
	CHECK(!strcmp(ho_dcm_profile_name(HO_DCM_PROFILE_GEN_USB_JPEG), "STD-GEN-USB-JPEG"),
	      "name");
}

/* Transcodes into out/<name>.le.dcm; the shell script compares the pixels with pydicom. */
static void test_transcode(const char *dir)
{
	static const struct {
		const char *file;
		int rc;
	} cases[] = {
		{"jpll.dcm", 0}, {"rle.dcm", 0}, {"jpb.dcm", 0},	  {"il.dcm", 0},
		{"le.dcm", 0},	 {"jpls.dcm", 0}, {"bad.dcm", HO_EFORMAT}, {"j2k.dcm", HO_EFORMAT},
	};
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		ho_err err = HO_ERR_INIT;
		ho_dcm_instance a, b;
		char *in = path(dir, cases[i].file);
		char *out = ho_strfmt("%s/%s.le.dcm", dir, cases[i].file);
		struct stat st;

		if (stat(in, &st) != 0) {
			/* j2k.dcm and jpls.dcm exist only if the tools could make them. */
			fprintf(stderr, "skip transcode %s: not made\n", cases[i].file);
			free(in);
			free(out);
			continue;
		}
		int rc = ho_dcm_transcode_explicit_le(in, out, &err);
		CHECK(rc == cases[i].rc, "transcode %s: %s (%s)", cases[i].file, ho_err_name(rc),
		      err.msg);
		if (rc == 0) {
			ho_err e2 = HO_ERR_INIT;
			CHECK(ho_dcm_file_info(out, &b, &e2) == 0, "%s", e2.msg);
			CHECK(ho_dcm_file_info(in, &a, &e2) == 0, "%s", e2.msg);
			CHECK(!strcmp(b.transfer_syntax, "1.2.840.10008.1.2.1"), "%s: ts %s",
			      cases[i].file, b.transfer_syntax);
			/* identity kept: no new SOP Instance UID for a decompressed copy */
			CHECK(!strcmp(a.sop_instance_uid, b.sop_instance_uid), "%s: uid changed",
			      cases[i].file);
		} else {
			CHECK(access(out, F_OK) != 0, "%s: output left behind", cases[i].file);
			char *tmp = ho_strfmt("%s.tmp", out);
			CHECK(access(tmp, F_OK) != 0, "%s: temp left behind", cases[i].file);
			free(tmp);
		}
		free(in);
		free(out);
	}
}

static int copy_file(const char *from, const char *to)
{
	uint8_t *buf = NULL;
	size_t len = 0;
	int rc = ho_fs_read_all(from, 64u << 20, &buf, &len, NULL);

	if (rc == 0)
		rc = ho_fs_write_atomic(to, buf, len, 0644, NULL);
	free(buf);
	return rc;
}

static void test_dicomdir(const char *dir)
{
	/* IHE PDI layout (DESIGN.md): DICOM/Pnnnnnnn/Snnnnnnn/SEnnnnnn/Innnnnnn */
	static const struct {
		const char *src, *rel;
	} files[] = {
		{"le.dcm", "DICOM/P0000001/S0000001/SE000001/I0000001"},
		{"il.dcm.le.dcm", "DICOM/P0000001/S0000001/SE000002/I0000001"},
		{"mr1.dcm", "DICOM/P0000001/S0000001/SE000003/I0000001"},
		{"mr2.dcm", "DICOM/P0000001/S0000001/SE000003/I0000002"},
		{"mr3.dcm", "DICOM/P0000001/S0000001/SE000003/I0000003"},
		{"jp.dcm", "DICOM/P0000002/S0000001/SE000001/I0000001"},
		{"jpb.dcm.le.dcm", "DICOM/P0000002/S0000001/SE000002/I0000001"},
	};
	const size_t n = sizeof(files) / sizeof(files[0]);
	const char *rels[16];
	char *media = path(dir, "media");
	ho_err err = HO_ERR_INIT;
	int rc;

	CHECK(ho_fs_rm_rf(media) == 0, "rm media");
	for (size_t i = 0; i < n; i++) {
		char *to = ho_strfmt("%s/%s", media, files[i].rel);
		char *from = path(dir, files[i].src);
		char *slash = strrchr(to, '/');
		*slash = '\0';
		CHECK(ho_fs_mkdir_p(to, 0755) == 0, "mkdir %s", to);
		*slash = '/';
		CHECK(copy_file(from, to) == 0, "copy %s", from);
		rels[i] = files[i].rel;
		free(to);
		free(from);
	}
	rc = ho_dcm_dicomdir_write(media, "HANDOFF_TEST", HO_DCM_PROFILE_GEN_CD, rels, n, &err);
	CHECK(rc == 0, "dicomdir: %s", err.msg);

	/* Negative cases: each must fail, name the file and leave no DICOMDIR behind. */
	char *neg = path(dir, "neg");
	CHECK(ho_fs_rm_rf(neg) == 0, "rm neg");
	char *d = ho_strfmt("%s/DICOM/P1", neg);
	CHECK(ho_fs_mkdir_p(d, 0755) == 0, "mkdir");
	free(d);
	static const struct {
		const char *src, *rel;
		int profile, rc;
	} bad[] = {
		/* compressed under STD-GEN-CD: the profile would leave it out */
		{"jpll.dcm", "DICOM/P1/I1", HO_DCM_PROFILE_GEN_CD, HO_EFORMAT},
		/* RLE is not in STD-GEN-DVD-JPEG */
		{"rle.dcm", "DICOM/P1/I2", HO_DCM_PROFILE_GEN_DVD_JPEG, HO_EFORMAT},
		/* not a PS3.10 file ID (lower case, over 8 characters) */
		{"le.dcm", "DICOM/P1/image0001", HO_DCM_PROFILE_GEN_CD, HO_EFORMAT},
		/* not DICOM */
		{"bad.dcm", "DICOM/P1/I3", HO_DCM_PROFILE_GEN_CD, HO_EFORMAT},
		/* missing */
		{NULL, "DICOM/P1/I4", HO_DCM_PROFILE_GEN_CD, HO_ENOTFOUND},
		/* the same image twice (DCMTK would merge the records) */
		{"le.dcm", "DICOM/P1/I5", HO_DCM_PROFILE_GEN_CD, HO_EFORMAT},
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		const char *two[2] = {"DICOM/P1/I0", bad[i].rel};
		char *ok = ho_strfmt("%s/DICOM/P1/I0", neg);
		char *from = path(dir, "le.dcm");
		ho_err e = HO_ERR_INIT;
		CHECK(copy_file(from, ok) == 0, "copy");
		free(from);
		free(ok);
		if (bad[i].src != NULL) {
			char *to = ho_strfmt("%s/%s", neg, bad[i].rel);
			from = path(dir, bad[i].src);
			CHECK(copy_file(from, to) == 0, "copy %s", bad[i].src);
			free(to);
			free(from);
		}
		rc = ho_dcm_dicomdir_write(neg, "NEG", bad[i].profile, two, 2, &e);
		CHECK(rc == bad[i].rc, "neg %s: %s (%s)", bad[i].rel, ho_err_name(rc), e.msg);
		CHECK(strstr(e.msg, bad[i].rel) != NULL || strstr(e.msg, "/I4") != NULL,
		      "neg %s: message does not name the file: %s", bad[i].rel, e.msg);
		char *dd = path(neg, "DICOMDIR");
		CHECK(access(dd, F_OK) != 0, "neg %s: DICOMDIR left behind", bad[i].rel);
		free(dd);
	}
	/* JPEG lossless and baseline are fine under STD-GEN-DVD-JPEG. */
	{
		const char *two[2] = {"DICOM/P1/I6", "DICOM/P1/I7"};
		char *a = ho_strfmt("%s/DICOM/P1/I6", neg), *b = ho_strfmt("%s/DICOM/P1/I7", neg);
		char *fa = path(dir, "jpll.dcm"), *fb = path(dir, "jpb.dcm");
		CHECK(copy_file(fa, a) == 0 && copy_file(fb, b) == 0, "copy");
		free(a), free(b), free(fa), free(fb);
		ho_err e = HO_ERR_INIT;
		rc = ho_dcm_dicomdir_write(neg, "DVD", HO_DCM_PROFILE_GEN_DVD_JPEG, two, 2, &e);
		CHECK(rc == 0, "dvd jpeg: %s", e.msg);
	}
	/* Bad arguments. */
	{
		const char *one[1] = {"DICOM/P1/I0"};
		ho_err e = HO_ERR_INIT;
		CHECK(ho_dcm_dicomdir_write(neg, "WAY_TOO_LONG_FILESET_ID", HO_DCM_PROFILE_GEN_CD,
					    one, 1, &e) == HO_EINVAL,
		      "long fileset id");
		CHECK(ho_dcm_dicomdir_write(neg, "X", 7, one, 1, NULL) == HO_EINVAL, "profile");
		CHECK(ho_dcm_dicomdir_write(neg, "X", HO_DCM_PROFILE_GEN_CD, one, 0, NULL) ==
			      HO_EINVAL,
		      "empty");
	}
	free(neg);
	free(media);
}

int main(int argc, char **argv)
{
	if (argc != 2) {
		fprintf(stderr, "usage: dicom_unit DIR\n");
		return 2;
	}
	test_info(argv[1]);
	test_record(argv[1]);
	test_profiles();
	test_transcode(argv[1]);
	test_dicomdir(argv[1]);
	if (failures) {
		fprintf(stderr, "%d check(s) failed\n", failures);
		return 1;
	}
	printf("dicom_unit: all checks passed\n");
	return 0;
}
