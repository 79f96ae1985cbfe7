/*
 * handoff-escrow-recover - recover a medium's password from its escrow blob.
 *
 *   handoff-escrow-recover -k ESCROW-PRIVATE.pem [BLOB-FILE | -]
 *
 * BLOB-FILE holds the blob as the signed log stores it: binary, or the text form
 * "ho-escrow-v1:<base64>". The private key never lives on a kiosk; run this on the
 * clinic's offline recovery machine. An encrypted key's passphrase is asked for on the
 * terminal (never taken from the command line). The password is printed on stdout in
 * the grouped form XXXX-XXXX-XXXX-XXXX.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "core/escrow.h"
#include "util/fs.h"

static int usage(void)
{
	fputs("usage: handoff-escrow-recover -k ESCROW-PRIVATE.pem [BLOB-FILE | -]\n", stderr);
	return 2;
}

static int read_stdin(uint8_t **out, size_t *len)
{
	size_t cap = HO_ESCROW_BLOB_MAX * 2, n = 0;
	uint8_t *b = malloc(cap + 1);

	if (b == NULL)
		return HO_ENOMEM;
	while (n <= cap) {
		size_t r = fread(b + n, 1, cap + 1 - n, stdin);
		if (r == 0)
			break;
		n += r;
	}
	if (n > cap || ferror(stdin)) {
		free(b);
		return HO_ETOOBIG;
	}
	*out = b;
	*len = n;
	return 0;
}

int main(int argc, char **argv)
{
	ho_err err = HO_ERR_INIT;
	ho_password *pw = NULL;
	uint8_t *in = NULL, *key = NULL, *blob = NULL;
	size_t in_len = 0, key_len = 0, blob_len = 0;
	const char *key_path = NULL, *blob_path = "-";
	int c, rc = 1;

	/* The recovered password must not end up in a core file. */
	(void)prctl(PR_SET_DUMPABLE, 0);
	while ((c = getopt(argc, argv, "k:h")) != -1) {
		if (c == 'k')
			key_path = optarg;
		else
			return usage();
	}
	if (key_path == NULL || argc - optind > 1)
		return usage();
	if (argc - optind == 1)
		blob_path = argv[optind];

	if (strcmp(blob_path, "-") == 0 ? read_stdin(&in, &in_len) != 0
	    : ho_fs_read_all(blob_path, HO_ESCROW_BLOB_MAX * 2, &in, &in_len, &err) != 0) {
		fprintf(stderr, "handoff-escrow-recover: cannot read the blob %s %s\n", blob_path,
			err.msg);
		goto out;
	}
	if (in_len >= strlen(HO_ESCROW_TEXT_PREFIX) &&
	    memmem(in, in_len, HO_ESCROW_TEXT_PREFIX, strlen(HO_ESCROW_TEXT_PREFIX)) != NULL) {
		if (ho_escrow_from_text(&blob, &blob_len, (const char *)in, in_len, &err) != 0)
			goto fail;
	} else {
		blob = in;
		blob_len = in_len;
		in = NULL;
	}
	if (ho_fs_read_all(key_path, HO_ESCROW_PEM_MAX, &key, &key_len, &err) != 0)
		goto fail;
	if (ho_escrow_recover(&pw, blob, blob_len, key, key_len, NULL, &err) != 0)
		goto fail;
	printf("%s\n", ho_password_display(pw));
	rc = fflush(stdout) == 0 ? 0 : 1;
	goto out;
fail:
	fprintf(stderr, "handoff-escrow-recover: %s\n", err.msg);
out:
	ho_password_free(pw);
	if (key != NULL)
		OPENSSL_cleanse(key, key_len);
	free(key);
	free(in);
	free(blob);
	return rc;
}
