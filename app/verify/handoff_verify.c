/*
 * handoff-verify - the auditor's standalone verifier for a Handoff signed log.
 *
 * Runs on the auditor's own machine against the copy made by `handoff log export`. It
 * needs the kiosk's public key from the asset register (never trust a key found on the
 * stick being audited) and, from the second audit on, the checkpoint kept last time.
 * The format it checks is docs/LOG-FORMAT.md; the code is the kiosk's own reader
 * (core/ledger_verify.c), built statically so it runs without installing anything.
 *
 * Exit status: 0 verified, 1 usage, 2 the log or export does not verify, 3 I/O error.
 */
#include <getopt.h>
#include <inttypes.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <unistd.h>

#include "core/ledger_verify.h"
#include "core/note.h"
#include "util/fs.h"

#define MAX_KEYS 8
#define MANIFEST_MAX (1 << 20)

static const char USAGE[] =
    "usage: handoff-verify --key PUBKEY [--key PUBKEY...] [--checkpoint KEPT]\n"
    "                      [--save-checkpoint FILE] [--all-signatures] DIR\n"
    "DIR is an export made by `handoff log export` (with log/ and MANIFEST) or a log\n"
    "directory. PUBKEY is the kiosk's public key line from the asset register.\n"
    "Exit: 0 verified, 1 usage, 2 does not verify, 3 cannot read.\n";

static int sha256_file(const char *path, uint8_t out[32], uint64_t *size)
{
	FILE *f = fopen(path, "rb");
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned char buf[65536];
	unsigned int dl = 0;
	size_t n;
	int rc = -1;

	*size = 0;
	if (f == NULL || ctx == NULL || EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0) {
		EVP_DigestUpdate(ctx, buf, n);
		*size += n;
	}
	if (!ferror(f) && EVP_DigestFinal_ex(ctx, out, &dl) == 1)
		rc = 0;
out:
	if (f != NULL)
		fclose(f);
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* The export's MANIFEST: a signed note whose text is "handoff-log-export/v1", the
 * checkpoint text (3 lines) and "<sha256> <bytes> <path>" per file. */
static int check_manifest(const char *dir, const ho_ledger_verify_result *r,
                          const ho_note_verifier *keys, size_t nkeys)
{
	char *mpath = ho_strfmt("%s/MANIFEST", dir);
	uint8_t *buf = NULL;
	size_t len = 0, files = 0;
	ho_note n;
	ho_checkpoint c;
	ho_err err = HO_ERR_INIT;
	ho_note_verifier signer;
	const char *p, *end;
	int rc = 2;
	bool sig = false;

	if (mpath == NULL || ho_fs_read_all(mpath, MANIFEST_MAX, &buf, &len, &err) != 0) {
		fprintf(stderr, "cannot read %s: %s\n", mpath ? mpath : "MANIFEST", err.msg);
		rc = 3;
		goto out;
	}
	if (ho_note_parse(&n, (const char *)buf, len, &err) != 0) {
		printf("FAILED: MANIFEST is not a signed note\n");
		goto out;
	}
	/* Signed by the key that signed the log's latest checkpoint (or a given key). */
	if (ho_note_vkey_parse(&signer, r->signer, strlen(r->signer), NULL) == 0 &&
	    ho_note_verify(&n, &signer) == 0)
		sig = true;
	for (size_t i = 0; i < nkeys && !sig; i++)
		sig = ho_note_verify(&n, &keys[i]) == 0;
	if (!sig) {
		printf("FAILED: MANIFEST is not signed by the kiosk's key\n");
		goto out;
	}
	p = n.text;
	end = n.text + n.text_len;
	if ((size_t)(end - p) < 22 || memcmp(p, "handoff-log-export/v1\n", 22) != 0) {
		printf("FAILED: MANIFEST has an unknown format\n");
		goto out;
	}
	p += 22;
	if (ho_checkpoint_parse(&c, p, (size_t)(end - p), NULL) != 0 || c.size != r->tree_size ||
	    memcmp(c.root, r->root, 32) != 0 || strcmp(c.origin, r->origin) != 0) {
		printf("FAILED: MANIFEST names a different log state than the exported log\n");
		goto out;
	}
	for (int i = 0; i < 3; i++)
		p = memchr(p, '\n', (size_t)(end - p)) + 1;
	while (p < end) {
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		char hex[65], rel[512], *path;
		unsigned long long sz;
		uint8_t d[32];
		uint64_t got;
		char dhex[65];
		size_t ll;

		if (nl == NULL || (ll = (size_t)(nl - p)) >= sizeof(rel) + 100)
			break;
		{
			char line[700];
			memcpy(line, p, ll);
			line[ll] = '\0';
			if (sscanf(line, "%64s %llu %511s", hex, &sz, rel) != 3 ||
			    strstr(rel, "..")) {
				printf("FAILED: MANIFEST line malformed: %s\n", line);
				goto out;
			}
		}
		if ((path = ho_strfmt("%s/%s", dir, rel)) == NULL)
			goto out;
		if (sha256_file(path, d, &got) != 0) {
			printf("FAILED: %s is listed in MANIFEST but missing\n", rel);
			free(path);
			goto out;
		}
		free(path);
		for (int i = 0; i < 32; i++)
			snprintf(dhex + 2 * i, 3, "%02x", d[i]);
		if (strcmp(dhex, hex) != 0 || got != sz) {
			printf("FAILED: %s differs from the MANIFEST\n", rel);
			goto out;
		}
		files++;
		p = nl + 1;
	}
	printf("MANIFEST: signature valid, %zu files match\n", files);
	rc = 0;
out:
	free(buf);
	free(mpath);
	return rc;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
	    {"key", required_argument, NULL, 'k'},
	    {"checkpoint", required_argument, NULL, 'c'},
	    {"save-checkpoint", required_argument, NULL, 's'},
	    {"all-signatures", no_argument, NULL, 'A'},
	    {"help", no_argument, NULL, 'h'},
	    {NULL, 0, NULL, 0},
	};
	ho_note_verifier keys[MAX_KEYS];
	size_t nkeys = 0;
	const char *kept_path = NULL, *save = NULL, *dir;
	char *logdir = NULL, *mpath = NULL;
	uint8_t *kept = NULL;
	size_t kl = 0;
	bool all = false;
	ho_err err = HO_ERR_INIT;
	ho_ledger_verify_opts o = HO_LEDGER_VERIFY_OPTS_INIT;
	ho_ledger_verify_result r;
	struct stat st;
	int c, rc, status = 3;

	while ((c = getopt_long(argc, argv, "k:c:s:Ah", opts, NULL)) != -1) {
		switch (c) {
		case 'k':
			if (nkeys == MAX_KEYS) {
				fputs("too many keys\n", stderr);
				return 1;
			}
			if (ho_ledger_read_vkey(&keys[nkeys], optarg, &err) != 0) {
				fprintf(stderr, "%s: %s\n", optarg, err.msg);
				return 1;
			}
			nkeys++;
			break;
		case 'c':
			kept_path = optarg;
			break;
		case 's':
			save = optarg;
			break;
		case 'A':
			all = true;
			break;
		case 'h':
			fputs(USAGE, stdout);
			return 0;
		default:
			fputs(USAGE, stderr);
			return 1;
		}
	}
	if (optind + 1 != argc || nkeys == 0) {
		fputs(USAGE, stderr);
		return 1;
	}
	dir = argv[optind];
	if ((logdir = ho_strfmt("%s/log", dir)) == NULL ||
	    (mpath = ho_strfmt("%s/MANIFEST", dir)) == NULL)
		return 3;
	if (stat(logdir, &st) != 0 || !S_ISDIR(st.st_mode)) {
		free(logdir);
		logdir = strdup(dir);
	}
	if (kept_path != NULL && ho_fs_read_all(kept_path, 65536, &kept, &kl, &err) != 0) {
		fprintf(stderr, "%s: %s\n", kept_path, err.msg);
		goto out;
	}
	o.keys = keys;
	o.n_keys = nkeys;
	o.kept = (const char *)kept;
	o.kept_len = kl;
	o.all_signatures = all;
	rc = ho_ledger_verify(&r, logdir, &o, &err);
	if (rc == HO_EVERIFY) {
		printf("FAILED: %s\n", r.problem);
		status = 2;
		goto done;
	}
	if (rc != 0) {
		fprintf(stderr, "handoff-verify: %s\n", err.msg);
		goto done;
	}
	printf("OK: %" PRIu64 " entries (seq %" PRIu64 "-%" PRIu64 "), %" PRIu64
	       " segment(s), %" PRIu64 " bytes, %" PRIu64 " key rotation(s)\norigin: %s\n"
	       "signed by: %s\n",
	       r.entries, r.first_seq, r.last_seq, r.segments, r.bytes, r.rotations, r.origin,
	       r.signer);
	if (kept != NULL)
		printf("consistent with the kept checkpoint (no truncation, no rewrite)\n");
	status = 0;
	if (access(mpath, R_OK) == 0 && strcmp(logdir, dir) != 0)
		status = check_manifest(dir, &r, keys, nkeys);
	if (status == 0) {
		printf("checkpoint to keep for the next audit:\n");
		fwrite(r.checkpoint, 1, r.checkpoint_len, stdout);
		if (save != NULL &&
		    ho_fs_write_atomic(save, r.checkpoint, r.checkpoint_len, 0644, &err) != 0) {
			fprintf(stderr, "handoff-verify: %s\n", err.msg);
			status = 3;
		}
	}
done:
	ho_ledger_verify_result_free(&r);
out:
	free(kept);
	free(logdir);
	free(mpath);
	return status;
}
