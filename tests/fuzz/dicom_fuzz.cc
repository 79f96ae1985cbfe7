/*
 * tests/fuzz/dicom_fuzz.cc - libFuzzer target over the header parsing path of dicom/:
 * ho_dcm_file_info and ho_dcm_file_record (Part 10 parsing up to Pixel Data, character set
 * conversion including our ISO 2022 decoder). The input is written to a private temp file
 * because DCMTK reads from files. Built with -DHO_FUZZ=ON (clang); ctest replays
 * tests/fuzz/corpus/dicom through tests/fuzz/fuzz_replay.c on every build.
 */
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>
#include <unistd.h>

extern "C" {
#include "util/err.h"
}
#include "dicom/dicom.h"

static const char *input_path()
{
	static std::string path;
	if (path.empty()) {
		const char *dir = getenv("TMPDIR");
		char tmpl[4096];
		snprintf(tmpl, sizeof(tmpl), "%s/ho-dicom-fuzz.XXXXXX", dir ? dir : "/tmp");
		int fd = mkstemp(tmpl);
		if (fd < 0)
			abort();
		close(fd);
		path = tmpl;
		atexit([] { unlink(path.c_str()); });
	}
	return path.c_str();
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const char *p = input_path();
	FILE *f = fopen(p, "wb");
	if (f == NULL)
		abort();
	if (size > 0 && fwrite(data, 1, size, f) != size)
		abort();
	fclose(f);

	ho_dcm_instance inst;
	ho_dcm_record rec;
	ho_err err = HO_ERR_INIT;
	if (ho_dcm_file_info(p, &inst, &err) == 0) {
		/* Promises of dicom.h: NUL-terminated, within the fixed sizes. */
		if (strlen(inst.sop_instance_uid) >= sizeof(inst.sop_instance_uid) ||
		    strlen(inst.patient_id) >= sizeof(inst.patient_id))
			abort();
	} else if (err.msg[0] == '\0') {
		abort(); /* every failure says why */
	}
	ho_err_clear(&err);
	if (ho_dcm_file_record(p, &rec, &err) == 0) {
		if (strlen(rec.patient_name) >= sizeof(rec.patient_name))
			abort();
	}
	return 0;
}
