/* Fuzz target: what the offline recovery tool and the kiosk read from outside.
 *  - an escrow blob (binary or text form, from a log copied off a stick) decrypted with
 *    a fixed test key (ho_escrow_from_text, ho_escrow_recover);
 *  - a typed password (ho_password_parse);
 *  - a staged file's Part 10 header (ho_seal_auto_method's transfer-syntax sniffer).
 * The key below is a throwaway made for this test only. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "core/escrow.h"
#include "core/seal.h"
#include "util/fs.h"

static const char test_key[] = "-----BEGIN PRIVATE KEY-----\n"
			       "MC4CAQAwBQYDK2VuBCIEIFiJwB35tuqgbd/l16+gVwGnJCiNdyNsbvspABUCsQpO\n"
			       "-----END PRIVATE KEY-----\n";

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	ho_password *pw = NULL;
	uint8_t *blob = NULL;
	size_t len = 0;
	char path[] = "/tmp/seal_escrow_fuzz.XXXXXX";
	int fd;

	if (size > 8192)
		return 0;
	if (ho_escrow_from_text(&blob, &len, (const char *)data, size, NULL) == 0) {
		if (ho_escrow_recover(&pw, blob, len, test_key, sizeof(test_key) - 1, NULL,
				      NULL) == 0)
			ho_password_free(pw);
		pw = NULL;
		free(blob);
	}
	if (ho_escrow_recover(&pw, data, size, test_key, sizeof(test_key) - 1, NULL, NULL) == 0)
		ho_password_free(pw);
	pw = NULL;
	if (ho_password_parse(&pw, (const char *)data, size, NULL) == 0) {
		if (strlen(ho_password_zip(pw)) != HO_PASSWORD_CHARS)
			abort();
		ho_password_free(pw);
	}
	if ((fd = mkstemp(path)) >= 0) {
		int m = -1;

		if (ho_fs_write_full(fd, data, size) == 0)
			m = ho_seal_auto_method(path);
		close(fd);
		unlink(path);
		if (m != -1 && m != HO_SEAL_STORE && m != HO_SEAL_DEFLATE)
			abort();
	}
	return 0;
}
