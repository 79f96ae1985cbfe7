/*
 * core/seal.h - the encrypted container of an encrypted medium (STUDY.ZIP).
 *
 * The PDI file-set (DICOMDIR + DICOM/...) is packed into one ZIP whose every entry is
 * encrypted with AES-256 in the WinZip AE-2 format (the format 7-Zip, WinZip, bsdtar,
 * macOS Archive Utility with 7-Zip-compatible helpers and the viewer's zip.js read),
 * written by libzip. Entry names are the relative paths given, which the caller keeps
 * neutral (DICOMDIR, DICOM/P0000001/...): nothing outside the encryption names the
 * patient. Store vs deflate is a measured, per-file choice (HO_SEAL_AUTO), see
 * docs/ENCRYPTION.md.
 *
 * Memory: libzip reads each source file from disk while it writes the archive
 * (zip_source_file), so the peak memory does not depend on the study size. The
 * archive is written to a temporary file beside zip_path and renamed, then fsync'ed.
 * Nothing passed in is kept after ho_seal_zip returns; the password is read from the
 * ho_password and libzip's own copies are wiped by libzip when the archive is closed.
 */
#ifndef HO_CORE_SEAL_H
#define HO_CORE_SEAL_H

#include <stddef.h>
#include <stdint.h>

#include "core/password.h"
#include "util/err.h"

enum ho_seal_method {
	/* Per entry, by what the file holds (measured, docs/ENCRYPTION.md "Store or
	 * deflate"): deflate level 1 for uncompressed DICOM (Implicit/Explicit VR Little
	 * or Big Endian: CT, MR and CR pixels shrink to about half) and for files that are
	 * not DICOM Part 10; store for DICOM whose pixel data is already compressed (JPEG,
	 * JPEG-LS, JPEG 2000, RLE, Deflated), where deflate only burns CPU. */
	HO_SEAL_AUTO = 0,
	HO_SEAL_STORE = 1,   /* every entry stored */
	HO_SEAL_DEFLATE = 2, /* every entry deflated at opts->deflate_level */
};

#define HO_SEAL_OPTS_VERSION 1
#define HO_SEAL_DEFLATE_LEVEL_DEFAULT 1 /* measured: level 6 saves 2% more at 7x the time */

typedef struct ho_seal_opts {
	unsigned version;  /* HO_SEAL_OPTS_VERSION */
	int method;        /* enum ho_seal_method */
	int deflate_level; /* 1..9; 0 = HO_SEAL_DEFLATE_LEVEL_DEFAULT */
} ho_seal_opts;

#define HO_SEAL_OPTS_INIT {HO_SEAL_OPTS_VERSION, HO_SEAL_AUTO, 0}

/* Progress: fraction 0..1 of the archive written, and the same in source bytes.
 * Return 0 to go on, non-zero to cancel (ho_seal_zip then fails with HO_ECANCEL and
 * leaves no file behind). Called on the sealing thread. */
typedef int (*ho_seal_progress_cb)(void *ud, double fraction, uint64_t done_bytes,
				   uint64_t total_bytes);

/* The archive size when every entry is stored (exact below 4 GiB: sizes + ZIP and AE-2
 * overheads; tested), for planning media before sealing. It bounds what AUTO and
 * DEFLATE produce too, up to zlib's worst case for data that does not compress (5 bytes
 * per 16 KiB, which AUTO avoids by storing compressed DICOM). names are the entry
 * names, sizes their bytes. */
uint64_t ho_seal_stored_size(const char *const *names, const uint64_t *sizes, size_t n);

/* Packs src_root/rel_paths[i] as entry rel_paths[i] into zip_path (which must not
 * exist), every entry AES-256 (AE-2) with pw's ZIP form. opts may be NULL (AUTO). progress may be NULL. Relative paths must be '/'-separated, with no "..",
 * no leading '/', at most 255 bytes. On failure no zip_path (or temporary) is left. */
int ho_seal_zip(const char *src_root, const char *const *rel_paths, size_t n,
		const char *zip_path, const ho_password *pw, const ho_seal_opts *opts,
		ho_seal_progress_cb progress, void *ud, ho_err *err)
	__attribute__((warn_unused_result));

/* The method AUTO picks for one file (HO_SEAL_STORE or HO_SEAL_DEFLATE), from the
 * Transfer Syntax UID in its Part 10 meta header (PS3.10 7.1); a file that is not
 * Part 10, or cannot be read, is deflated. */
int ho_seal_auto_method(const char *path);

#endif
