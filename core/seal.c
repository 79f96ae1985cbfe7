#include "core/seal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <zip.h>

#include "util/fs.h"

/* Caps on what the caller hands us: a PDI file-set has at most a few tens of thousands
 * of instances (PS3.10 8.2 IDs give far more, a medium holds far fewer). */
#define SEAL_MAX_ENTRIES 1000000u
#define SEAL_MAX_NAME 255u

/* Byte counts of the ZIP format (APPNOTE 6.3.x 4.3.7, 4.3.12, 4.3.16) and of WinZip
 * AE-x (https://www.winzip.com/en/support/aes-encryption/): AES-256 adds a 16-byte
 * salt and a 2-byte password verifier before the data and a 10-byte HMAC after it, and
 * an 11-byte 0x9901 extra field in both headers. */
#define ZIP_LOCAL_HDR 30u
#define ZIP_CENTRAL_HDR 46u
#define ZIP_EOCD 22u
#define AES_EXTRA 11u
#define AES256_SALT 16u
#define AES_PWV 2u
#define AES_MAC 10u
/* Zip64 (APPNOTE 4.5.3, 4.3.14/15): libzip adds an extra field once an offset or a size
 * passes 4 GiB, plus the Zip64 end record and locator. */
#define ZIP64_EXTRA_MAX 28u
#define ZIP64_EOCD 56u
#define ZIP64_LOCATOR 20u

struct seal_state {
	ho_seal_progress_cb cb;
	void *ud;
	uint64_t total;
	int cancel;
};

uint64_t ho_seal_stored_size(const char *const *names, const uint64_t *sizes, size_t n)
{
	uint64_t total = ZIP_EOCD, data = 0;
	size_t i;

	for (i = 0; i < n; i++) {
		uint64_t name = strlen(names[i]);

		total += ZIP_LOCAL_HDR + ZIP_CENTRAL_HDR + 2 * (name + AES_EXTRA);
		total += AES256_SALT + AES_PWV + sizes[i] + AES_MAC;
		data += sizes[i];
	}
	/* Beyond 4 GiB libzip switches to Zip64; count the worst case per entry so that the
	 * figure stays an upper bound there (below 4 GiB it is exact). */
	if (total > 0xffffffffu || data > 0xffffffffu || n >= 0xffffu)
		total += (uint64_t)n * 2 * ZIP64_EXTRA_MAX + ZIP64_EOCD + ZIP64_LOCATOR;
	return total;
}

/* PS3.5 Annex A: the transfer syntaxes whose pixel data is not compressed. */
static const char *const uncompressed_ts[] = {
	"1.2.840.10008.1.2",   /* Implicit VR Little Endian */
	"1.2.840.10008.1.2.1", /* Explicit VR Little Endian */
	"1.2.840.10008.1.2.2", /* Explicit VR Big Endian (retired) */
};

/* PS3.5 7.1.2: these VRs have 2 reserved bytes and a 32-bit length. */
static int long_vr(const uint8_t vr[static 2])
{
	static const char l[][3] = {"OB", "OD", "OF", "OL", "OV", "OW", "SQ",
				    "SV", "UC", "UN", "UR", "UT", "UV"};

	for (size_t i = 0; i < sizeof(l) / sizeof(l[0]); i++)
		if (vr[0] == l[i][0] && vr[1] == l[i][1])
			return 1;
	return 0;
}

/* Reads the Transfer Syntax UID (0002,0010) from a Part 10 file meta header (PS3.10
 * 7.1: 128-byte preamble, "DICM", group 0002 in Explicit VR Little Endian). Returns 0
 * and fills ts, or -1 when the file is not Part 10 or the element is not in the first
 * 4 KiB (our own staged files; the cap keeps this a bounded read). */
static int sniff_ts(const char *path, char ts[static 65])
{
	uint8_t b[4096];
	size_t len = 0, pos = 132;
	int fd, rc = -1;

	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	while (len < sizeof(b)) {
		ssize_t n = read(fd, b + len, sizeof(b) - len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	close(fd);
	if (len < 132 || memcmp(b + 128, "DICM", 4) != 0)
		return -1;
	while (pos + 8 <= len) {
		uint16_t group = (uint16_t)(b[pos] | b[pos + 1] << 8);
		uint16_t elem = (uint16_t)(b[pos + 2] | b[pos + 3] << 8);
		const uint8_t *vr = b + pos + 4;
		size_t vlen, hdr;

		if (group != 0x0002)
			break;
		if (long_vr(vr)) {
			if (pos + 12 > len)
				break;
			vlen = (size_t)b[pos + 8] | (size_t)b[pos + 9] << 8 |
			       (size_t)b[pos + 10] << 16 | (size_t)b[pos + 11] << 24;
			hdr = 12;
		} else {
			vlen = (size_t)(b[pos + 6] | b[pos + 7] << 8);
			hdr = 8;
		}
		if (vlen > len - pos - hdr)
			break;
		if (elem == 0x0010) {
			if (vlen == 0 || vlen > 64)
				break;
			memcpy(ts, b + pos + hdr, vlen);
			/* UI values are padded with NUL to even length (PS3.5 9.1) */
			while (vlen > 0 && (ts[vlen - 1] == '\0' || ts[vlen - 1] == ' '))
				vlen--;
			ts[vlen] = '\0';
			rc = 0;
			break;
		}
		pos += hdr + vlen;
	}
	return rc;
}

int ho_seal_auto_method(const char *path)
{
	char ts[65];
	size_t i;

	if (sniff_ts(path, ts) != 0)
		return HO_SEAL_DEFLATE; /* DICOMDIR-less text, README...: deflate */
	for (i = 0; i < sizeof(uncompressed_ts) / sizeof(uncompressed_ts[0]); i++)
		if (strcmp(ts, uncompressed_ts[i]) == 0)
			return HO_SEAL_DEFLATE;
	return HO_SEAL_STORE;
}

/* PS3.10 8.2 file IDs joined by '/': we accept any bytes but the ones that would
 * escape the archive root or make an ambiguous name for an extractor. */
static int name_ok(const char *s)
{
	size_t len = strlen(s);
	const char *p;

	if (len == 0 || len > SEAL_MAX_NAME || s[0] == '/' || s[len - 1] == '/')
		return 0;
	for (p = s; *p != '\0'; p++) {
		if (*p == '\\' || (unsigned char)*p < 0x20)
			return 0;
		if (*p == '/' && p[1] == '/')
			return 0;
	}
	/* no "." or ".." component */
	p = s;
	while (*p != '\0') {
		const char *e = strchr(p, '/');
		size_t cl = e ? (size_t)(e - p) : strlen(p);

		if ((cl == 1 && p[0] == '.') || (cl == 2 && p[0] == '.' && p[1] == '.'))
			return 0;
		p += cl;
		if (*p == '/')
			p++;
	}
	return 1;
}

static uint16_t le16(const uint8_t *p)
{
	return (uint16_t)(p[0] | p[1] << 8);
}

static uint32_t le32(const uint8_t *p)
{
	return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

static uint64_t le64(const uint8_t *p)
{
	return (uint64_t)le32(p) | (uint64_t)le32(p + 4) << 32;
}

static int pread_full(int fd, void *buf, size_t len, uint64_t off)
{
	uint8_t *b = buf;

	while (len > 0) {
		ssize_t n = pread(fd, b, len, (off_t)off);
		if (n <= 0) {
			if (n < 0 && errno == EINTR)
				continue;
			return -1;
		}
		b += n;
		len -= (size_t)n;
		off += (uint64_t)n;
	}
	return 0;
}

static int pwrite_zero32(int fd, uint64_t off)
{
	static const uint8_t zero[4];
	return pwrite(fd, zero, 4, (off_t)off) == 4 ? 0 : -1;
}

/*
 * WinZip AE-2 (https://www.winzip.com/en/support/aes-encryption/, "AE-2"): the CRC
 * field is not used and must be 0, because a CRC of the plaintext leaks information
 * about it (here: lets someone holding a candidate DICOM file confirm that it is in
 * the archive). libzip 1.7 marks its entries AE-2 (vendor version 2 in the 0x9901 extra
 * field) but still stores the CRC, so we clear it in both headers after zip_close.
 * Readers (7-Zip, libarchive, zip.js) ignore the CRC of AE-2 entries and rely on the
 * HMAC-SHA1 tag instead. The archive is our own output, read with strict bounds.
 */
static int ae2_clear_crc(const char *zip_path, size_t expect_entries)
{
	uint8_t tail[22], loc[20], e64[56], h[46], lh[30], *extra = NULL;
	uint64_t size, eocd, cd_off, cd_size, n_entries, pos, i;
	struct stat sb;
	int fd, rc = -1;

	if ((fd = open(zip_path, O_RDWR | O_NOFOLLOW | O_CLOEXEC)) < 0)
		return -1;
	if (fstat(fd, &sb) != 0 || sb.st_size < 22)
		goto out;
	size = (uint64_t)sb.st_size;
	/* libzip writes no archive comment, so the end record is the last 22 bytes. */
	eocd = size - 22;
	if (pread_full(fd, tail, 22, eocd) != 0 || le32(tail) != 0x06054b50u || le16(tail + 20))
		goto out;
	n_entries = le16(tail + 10);
	cd_size = le32(tail + 12);
	cd_off = le32(tail + 16);
	if (n_entries == 0xffff || cd_size == 0xffffffffu || cd_off == 0xffffffffu) {
		/* APPNOTE 4.3.14-15: Zip64 end record, found through its locator */
		if (eocd < 20 || pread_full(fd, loc, 20, eocd - 20) != 0 ||
		    le32(loc) != 0x07064b50u || le64(loc + 8) > size - 56 ||
		    pread_full(fd, e64, 56, le64(loc + 8)) != 0 || le32(e64) != 0x06064b50u)
			goto out;
		n_entries = le64(e64 + 32);
		cd_size = le64(e64 + 40);
		cd_off = le64(e64 + 48);
	}
	if (n_entries != expect_entries || cd_off > size || cd_size > size - cd_off)
		goto out;
	if ((extra = malloc(65536)) == NULL)
		goto out;
	for (i = 0, pos = cd_off; i < n_entries; i++) {
		uint64_t local, end;
		size_t nlen, xlen, clen, k;
		int ae2 = 0;

		if (pos + 46 > cd_off + cd_size || pread_full(fd, h, 46, pos) != 0 ||
		    le32(h) != 0x02014b50u)
			goto out;
		nlen = le16(h + 28);
		xlen = le16(h + 30);
		clen = le16(h + 32);
		end = pos + 46 + nlen + xlen + clen;
		if (end > cd_off + cd_size || pread_full(fd, extra, xlen, pos + 46 + nlen) != 0)
			goto out;
		local = le32(h + 42);
		for (k = 0; k + 4 <= xlen;) {
			size_t id = le16(extra + k), len = le16(extra + k + 2);
			const uint8_t *d = extra + k + 4;

			if (k + 4 + len > xlen)
				goto out;
			if (id == 0x9901 && len >= 7 && le16(d) == 2 && d[2] == 'A' && d[3] == 'E')
				ae2 = 1;
			if (id == 0x0001 && local == 0xffffffffu) {
				/* Zip64 extra: the sizes come first when they overflowed */
				size_t off = (le32(h + 24) == 0xffffffffu ? 8 : 0) +
					     (le32(h + 20) == 0xffffffffu ? 8 : 0);
				if (off + 8 > len)
					goto out;
				local = le64(d + off);
			}
			k += 4 + len;
		}
		if (le16(h + 10) != 99 || !ae2)
			goto out; /* every entry we write is AES; anything else is a bug */
		if (local + 30 > cd_off || pread_full(fd, lh, 30, local) != 0 ||
		    le32(lh) != 0x04034b50u || le16(lh + 8) != 99 || le32(lh + 14) != le32(h + 16))
			goto out;
		if (pwrite_zero32(fd, local + 14) != 0 || pwrite_zero32(fd, pos + 16) != 0)
			goto out;
		pos = end;
	}
	rc = fsync(fd) == 0 ? 0 : -1;
out:
	free(extra);
	close(fd);
	return rc;
}

static void on_progress(zip_t *za, double fraction, void *ud)
{
	struct seal_state *st = ud;

	(void)za;
	if (st->cb != NULL && !st->cancel &&
	    st->cb(st->ud, fraction, (uint64_t)(fraction * (double)st->total), st->total) != 0)
		st->cancel = 1;
}

static int on_cancel(zip_t *za, void *ud)
{
	struct seal_state *st = ud;

	(void)za;
	return st->cancel;
}

int ho_seal_zip(const char *src_root, const char *const *rel_paths, size_t n,
		const char *zip_path, const ho_password *pw, const ho_seal_opts *opts,
		ho_seal_progress_cb progress, void *ud, ho_err *err)
{
	struct seal_state st = {progress, ud, 0, 0};
	zip_t *za = NULL;
	zip_error_t zerr;
	uint64_t *sizes = NULL;
	char *path = NULL;
	int zerrno = 0, rc = HO_EINVAL, method, level, fd = -1, created = 0;
	size_t i;

	zip_error_init(&zerr);
	if (src_root == NULL || zip_path == NULL || pw == NULL || (n > 0 && rel_paths == NULL)) {
		rc = ho_err_set(err, HO_EINVAL, "sealing was called without its inputs (program "
			"error); report this to the kiosk's administrator");
		goto out;
	}
	if (opts != NULL && opts->version != HO_SEAL_OPTS_VERSION) {
		rc = ho_err_set(err, HO_EINVAL, "sealing options of version %u are not "
			"supported (program error)", opts->version);
		goto out;
	}
	if (n == 0 || n > SEAL_MAX_ENTRIES) {
		rc = ho_err_set(err, HO_EINVAL, "cannot seal %zu files: there must be between 1 "
			"and %u", n, SEAL_MAX_ENTRIES);
		goto out;
	}
	if ((sizes = calloc(n, sizeof(*sizes))) == NULL) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the encrypted archive");
		goto out;
	}
	/* Check every source first: a missing file must stop the job before any output. */
	for (i = 0; i < n; i++) {
		struct stat sb;

		if (!name_ok(rel_paths[i])) {
			rc = ho_err_set(err, HO_EINVAL, "the file name \"%.255s\" cannot go into the "
				"encrypted archive (empty, absolute or with \"..\"); this is a "
				"program error", rel_paths[i]);
			goto out;
		}
		free(path);
		if ((path = ho_strfmt("%s/%s", src_root, rel_paths[i])) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the encrypted "
				"archive");
			goto out;
		}
		/* lstat: a symlink in staging is never followed into the archive. */
		if (lstat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
			rc = ho_err_set(err, HO_ENOTFOUND, "the staged file %s is missing or not a "
				"regular file; the export must be started again", rel_paths[i]);
			goto out;
		}
		sizes[i] = (uint64_t)sb.st_size;
		st.total += sizes[i];
	}
	method = opts != NULL ? opts->method : HO_SEAL_AUTO;
	level = opts != NULL && opts->deflate_level > 0 ? opts->deflate_level
							: HO_SEAL_DEFLATE_LEVEL_DEFAULT;
	if (method != HO_SEAL_AUTO && method != HO_SEAL_STORE && method != HO_SEAL_DEFLATE) {
		rc = ho_err_set(err, HO_EINVAL, "unknown compression choice %d (program error)",
				method);
		goto out;
	}
	if (level < 1 || level > 9) {
		rc = ho_err_set(err, HO_EINVAL, "deflate level %d is outside 1..9; fix the "
			"kiosk configuration", level);
		goto out;
	}

	/* ZIP_EXCL: never overwrite an archive that is already there (an earlier job's). */
	if ((za = zip_open(zip_path, ZIP_CREATE | ZIP_EXCL, &zerrno)) == NULL) {
		zip_error_init_with_code(&zerr, zerrno);
		rc = ho_err_set(err, HO_EIO, "cannot create the encrypted archive %s: %s; check "
			"the staging space", zip_path, zip_error_strerror(&zerr));
		goto out;
	}
	for (i = 0; i < n; i++) {
		zip_source_t *src;
		zip_int64_t idx;
		int m = method;

		free(path);
		if ((path = ho_strfmt("%s/%s", src_root, rel_paths[i])) == NULL) {
			rc = ho_err_set(err, HO_ENOMEM, "out of memory preparing the encrypted "
				"archive");
			goto out;
		}
		/* zip_source_file opens the file only while libzip copies it in zip_close, so
		 * memory and open descriptors stay constant whatever the number of files. */
		if ((src = zip_source_file_create(path, 0, 0, &zerr)) == NULL) {
			rc = ho_err_set(err, HO_EIO, "cannot read the staged file %s: %s",
					rel_paths[i], zip_error_strerror(&zerr));
			goto out;
		}
		if (m == HO_SEAL_AUTO)
			m = ho_seal_auto_method(path);
		idx = zip_file_add(za, rel_paths[i], src, ZIP_FL_ENC_UTF_8);
		if (idx < 0) {
			zip_source_free(src);
			rc = ho_err_set(err, HO_EIO, "cannot add %s to the encrypted archive: %s",
					rel_paths[i], zip_strerror(za));
			goto out;
		}
		/* WinZip AES-256 (libzip writes vendor version AE-2: CRC field 0, integrity
		 * from the HMAC-SHA1 tag), the password libzip copies and wipes itself. */
		if (zip_file_set_encryption(za, (zip_uint64_t)idx, ZIP_EM_AES_256,
					    ho_password_zip(pw)) != 0 ||
		    zip_set_file_compression(za, (zip_uint64_t)idx,
					     m == HO_SEAL_STORE ? ZIP_CM_STORE : ZIP_CM_DEFLATE,
					     m == HO_SEAL_STORE ? 0 : (zip_uint32_t)level) != 0) {
			rc = ho_err_set(err, HO_ECRYPTO, "cannot set AES-256 encryption for %s: %s",
					rel_paths[i], zip_strerror(za));
			goto out;
		}
	}
	if (zip_register_progress_callback_with_state(za, 0.001, on_progress, NULL, &st) != 0 ||
	    zip_register_cancel_callback_with_state(za, on_cancel, NULL, &st) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot follow the progress of sealing: %s",
				zip_strerror(za));
		goto out;
	}
	/* zip_close streams every source through AES into a temporary file beside zip_path
	 * and renames it; on failure it removes the temporary. */
	if (zip_close(za) != 0) {
		zip_error_t *ze = zip_get_error(za);

		if (st.cancel || zip_error_code_zip(ze) == ZIP_ER_CANCELLED)
			rc = ho_err_set(err, HO_ECANCEL, "sealing was cancelled; nothing was written");
		else
			rc = ho_err_set(err, HO_EIO, "writing the encrypted archive %s failed: %s; "
				"check the staging space and try again", zip_path,
				zip_error_strerror(ze));
		goto out;
	}
	za = NULL;
	created = 1;
	if (ae2_clear_crc(zip_path, n) != 0) {
		rc = ho_err_set(err, HO_EIO, "the encrypted archive %s could not be finished (AE-2 "
			"headers); check the staging space and try again", zip_path);
		goto out;
	}
	/* STYLE.md 6: the archive is what gets burned and verified; make it durable. */
	if ((fd = open(zip_path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC)) < 0 ||
	    fchmod(fd, 0600) != 0 || fsync(fd) != 0 || ho_fs_fsync_dir(zip_path) != 0) {
		rc = ho_err_set(err, HO_EIO, "cannot save the encrypted archive %s: %s", zip_path,
				strerror(errno));
		goto out;
	}
	rc = 0;
out:
	if (fd >= 0)
		close(fd);
	if (za != NULL)
		zip_discard(za); /* also wipes the password copies libzip holds */
	if (rc != 0 && created)
		unlink(zip_path);
	zip_error_fini(&zerr);
	free(path);
	free(sizes);
	return rc;
}
