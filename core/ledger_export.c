#include "core/ledger_export.h"

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "core/audit.h"
#include "core/ledger_fmt.h"
#include "core/note.h"
#include "util/fs.h"

#ifndef HO_LEDGER_SOURCE_ROOT
#define HO_LEDGER_SOURCE_ROOT "/usr/share/handoff"
#endif
#ifndef HO_LEDGER_VERIFIER_BIN
#define HO_LEDGER_VERIFIER_BIN "/usr/lib/handoff/handoff-verify"
#endif

/* What an auditor needs to build the verifier from source (relative to source_root). */
static const char *const verifier_sources[] = {
    "app/verify/handoff_verify.c",
    "app/verify/CMakeLists.txt",
    "app/verify/Makefile",
    "core/ledger_verify.c",
    "core/ledger_verify.h",
    "core/ledger_fmt.c",
    "core/ledger_fmt.h",
    "core/ledger.h",
    "core/merkle.c",
    "core/merkle.h",
    "core/note.c",
    "core/note.h",
    "core/signer.c",
    "core/signer.h",
    "core/crc32c.c",
    "core/crc32c.h",
    "util/err.c",
    "util/err.h",
    "util/fs.c",
    "util/fs.h",
};

typedef struct manifest {
	char *text;
	size_t len, cap;
} manifest;

static int man_add(manifest *m, const char *line)
{
	size_t n = strlen(line);

	if (m->len + n + 1 > m->cap) {
		size_t nc = m->cap ? m->cap * 2 : 4096;
		char *nt;
		while (nc < m->len + n + 1)
			nc *= 2;
		if ((nt = realloc(m->text, nc)) == NULL)
			return HO_ENOMEM;
		m->text = nt;
		m->cap = nc;
	}
	memcpy(m->text + m->len, line, n + 1);
	m->len += n;
	return 0;
}

/* Copies src to dst (which must not exist), fsyncs it and records its SHA-256. */
static int copy_file(manifest *m, const char *src, const char *dst, const char *rel, mode_t mode,
                     ho_err *err)
{
	int in = -1, out = -1, rc = HO_EIO;
	uint8_t *buf = NULL;
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	uint8_t d[32];
	unsigned int dl = 0;
	uint64_t total = 0;
	char hex[65], *line = NULL;

	if (ctx == NULL || (buf = malloc(1 << 20)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory exporting the log");
		goto out;
	}
	if ((in = open(src, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0) {
		ho_err_set(err, HO_EIO, "cannot read %s: %s", src, strerror(errno));
		goto out;
	}
	if ((out = open(dst, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)) < 0) {
		ho_err_set(err, HO_EIO, "cannot create %s: %s", dst, strerror(errno));
		goto out;
	}
	if (EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) != 1)
		goto out;
	for (;;) {
		ssize_t n = read(in, buf, 1 << 20);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			ho_err_set(err, HO_EIO, "cannot read %s: %s", src, strerror(errno));
			goto out;
		}
		if (n == 0)
			break;
		if (ho_fs_write_full(out, buf, (size_t)n) != 0) {
			ho_err_set(err, HO_EIO, "cannot write %s: %s (is the stick full?)", dst,
			           strerror(errno));
			goto out;
		}
		EVP_DigestUpdate(ctx, buf, (size_t)n);
		total += (uint64_t)n;
	}
	if (fsync(out) != 0) {
		ho_err_set(err, HO_EIO, "cannot flush %s: %s", dst, strerror(errno));
		goto out;
	}
	EVP_DigestFinal_ex(ctx, d, &dl);
	for (int i = 0; i < 32; i++)
		snprintf(hex + 2 * i, 3, "%02x", d[i]);
	if ((line = ho_strfmt("%s %" PRIu64 " %s\n", hex, total, rel)) == NULL ||
	    man_add(m, line) != 0) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory exporting the log");
		goto out;
	}
	rc = 0;
out:
	if (in >= 0)
		close(in);
	if (out >= 0)
		close(out);
	EVP_MD_CTX_free(ctx);
	free(buf);
	free(line);
	return rc;
}

static int copy_rel(manifest *m, const char *srcdir, const char *src, const char *to,
                    const char *rel, mode_t mode, bool optional, ho_err *err)
{
	char *s = srcdir ? ho_strfmt("%s/%s", srcdir, src) : strdup(src);
	char *dst = ho_strfmt("%s/%s", to, rel), *dir = NULL, *slash;
	int rc;

	if (s == NULL || dst == NULL || (dir = strdup(dst)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	if (optional && access(s, R_OK) != 0) {
		rc = 0;
		goto out;
	}
	if ((slash = strrchr(dir, '/')) != NULL)
		*slash = '\0';
	if (ho_fs_mkdir_p(dir, 0755) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot create %s: %s", dir, strerror(errno));
		goto out;
	}
	rc = copy_file(m, s, dst, rel, mode, err);
out:
	free(s);
	free(dst);
	free(dir);
	return rc;
}

int ho_ledger_export(ho_ledger *l, const char *to, const ho_ledger_export_opts *opts, ho_err *err)
{
	manifest m = {0};
	char **segs = NULL, *cp = NULL, *note = NULL, *xml = NULL, *uri = NULL, *mpath = NULL;
	size_t nsegs = 0, cpl = 0, nl = 0, xl = 0;
	const char *root, *bin;
	ho_audit_log_used u;
	int rc;
	struct stat st;

	if (opts == NULL || opts->version != HO_LEDGER_EXPORT_OPTS_VERSION ||
	    opts->staff_id == NULL)
		return ho_err_set(err, HO_EINVAL,
		                  "log export needs the id of the staff member "
		                  "doing it");
	if ((rc = ho_ledger_status(l, err)) != 0)
		return rc;
	root = opts->source_root ? opts->source_root : HO_LEDGER_SOURCE_ROOT;
	bin = opts->verifier_bin ? opts->verifier_bin : HO_LEDGER_VERIFIER_BIN;
	if (lstat(to, &st) == 0) {
		long n = ho_fs_count_files(to);
		if (!S_ISDIR(st.st_mode) || n != 0)
			return ho_err_set(err, HO_EINVAL, "%s must be an empty directory", to);
	}
	if (ho_fs_mkdir_p(to, 0755) != 0)
		return ho_err_set(err, HO_EIO, "cannot create %s: %s", to, strerror(errno));
	/* Record first, so the copy contains the record of its own making. */
	memset(&u, 0, sizeof(u));
	u.src.source_id = ho_ledger_origin(l);
	u.src.site_id = opts->site_id;
	u.user.user_id = opts->staff_id;
	if ((uri = ho_strfmt("file://%s", ho_ledger_dir(l))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	u.log_uri = uri;
	u.purpose = "export for audit";
	if ((rc = ho_audit_log_used_xml(&xml, &xl, &u, err)) != 0 ||
	    (rc = ho_ledger_append(l, HO_LEDGER_AUDIT_LOG_USED, xml, xl, NULL, err)) != 0)
		goto out;
	if ((rc = ho_ledger_checkpoint(l, &cp, &cpl, err)) != 0)
		goto out;
	if ((rc = man_add(&m, "handoff-log-export/v1\n")) != 0 ||
	    (rc = man_add(&m, cp)) != 0) { /* the checkpoint text heads the manifest */
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	/* Keep only the checkpoint's text lines (the signature lines stay in the file). */
	{
		char *sep = strstr(m.text + strlen("handoff-log-export/v1\n"), "\n\n");
		if (sep != NULL) {
			m.len = (size_t)(sep - m.text) + 1;
			m.text[m.len] = '\0';
		}
	}
	if ((rc = ho_seg_list(&segs, &nsegs, ho_ledger_dir(l), err)) != 0)
		goto out;
	for (size_t i = 0; i < nsegs; i++) {
		char rel[64];
		snprintf(rel, sizeof(rel), "log/%s", segs[i]);
		if ((rc = copy_rel(&m, ho_ledger_dir(l), segs[i], to, rel, 0644, false, err)) != 0)
			goto out;
	}
	if ((rc = copy_rel(&m, ho_ledger_dir(l), "checkpoint", to, "log/checkpoint", 0644, false,
	                   err)) != 0 ||
	    (rc = copy_rel(&m, ho_ledger_dir(l), "keys", to, "log/keys", 0644, true, err)) != 0 ||
	    (rc = copy_rel(&m, root, "docs/LOG-FORMAT.md", to, "LOG-FORMAT.md", 0644, true, err)) !=
	        0 ||
	    (rc = copy_rel(&m, root, "docs/AUDITOR.md", to, "AUDITOR.md", 0644, true, err)) != 0)
		goto out;
	for (size_t i = 0; i < sizeof(verifier_sources) / sizeof(verifier_sources[0]); i++) {
		char *rel = ho_strfmt("verifier/src/%s", verifier_sources[i]);
		if (rel == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory");
			goto out;
		}
		rc = copy_rel(&m, root, verifier_sources[i], to, rel, 0644, true, err);
		free(rel);
		if (rc != 0)
			goto out;
	}
	if ((rc = copy_rel(&m, NULL, bin, to, "verifier/handoff-verify", 0755, true, err)) != 0)
		goto out;
	/* The manifest is a signed note: text = header, checkpoint text, one line per file
	 * ("<sha256 hex> <bytes> <path>"). */
	if ((rc = ho_ledger_sign_note(l, &note, &nl, m.text, m.len, err)) != 0)
		goto out;
	if ((mpath = ho_strfmt("%s/MANIFEST", to)) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory");
		goto out;
	}
	if ((rc = ho_fs_write_atomic(mpath, note, nl, 0644, err)) != 0)
		goto out;
	rc = ho_fs_fsync_dir(to) == 0 ? 0 : ho_err_set(err, HO_EIO, "cannot flush %s", to);
out:
	ho_seg_list_free(segs, nsegs);
	free(m.text);
	free(cp);
	free(note);
	free(xml);
	free(uri);
	free(mpath);
	return rc;
}
