/*
 * burn/burn.h - writing a file-set to a medium and reading it back.
 *
 * Optical: libisofs masters ISO 9660 level 1 + Joliet + Rock Ridge straight into
 * libburn (no intermediate image file), with MD5 tags (record_md5 + AAIP) so that
 * `xorriso -check_md5` can check the result. The drive is an address: "/dev/sr0" on
 * the kiosk, "stdio:/path/to/image.iso" in tests and the demo.
 *
 * USB: a partitioned image or block device with one FAT32 partition (PS3.12 Annex R),
 * written with mtools, never mounted.
 *
 * Nothing here knows about patients or jobs; core/ decides what goes on the medium.
 */
#ifndef HO_BURN_BURN_H
#define HO_BURN_BURN_H

#include <stddef.h>
#include <stdint.h>

#include "burn/manifest.h"
#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Called from the writing thread with bytes done/total; total may grow once known. */
typedef void (*ho_burn_progress_cb)(void *ud, uint64_t done, uint64_t total);

typedef struct ho_burn_opts {
	const char *drive;     /* "/dev/sr0", "stdio:/path" (optical) */
	const char *src_dir;   /* the tree to master; its contents become the medium root */
	const char *volume_id; /* ISO volume ID = file-set ID (<= 16 d-characters) */
	ho_burn_progress_cb progress;
	void *ud;
} ho_burn_opts;

/* Bytes the ISO image of src_dir will take (for capacity checks / spanning). */
int ho_burn_iso_size(const char *src_dir, const char *volume_id, uint64_t *out, ho_err *err)
	__attribute__((warn_unused_result));

/* Capacity in bytes of the blank medium in drive (stdio: the simulator's set size). */
int ho_burn_capacity(const char *drive, uint64_t *out, ho_err *err)
	__attribute__((warn_unused_result));

/* Masters src_dir and writes it as one closed session. */
int ho_burn_write(const ho_burn_opts *o, ho_err *err) __attribute__((warn_unused_result));

/* Reads the medium back and checks that it holds exactly the files of m (same paths,
 * sizes and SHA-256) and nothing else. The first difference is named in err
 * (HO_EVERIFY). */
int ho_burn_verify(const char *drive, const ho_manifest *m, ho_burn_progress_cb progress,
		   void *ud, ho_err *err) __attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
