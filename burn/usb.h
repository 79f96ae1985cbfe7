/*
 * burn/usb.h - writing a file-set to a USB stick and reading it back.
 *
 * PS3.12 Annex R (USB and flash media): the file-set lives in the first partition, a FAT32
 * file system. The target is a block device on the kiosk (/dev/sdX) or, in tests and the
 * demo, a stick image file of the stick's size (hw-sim). The stick is never mounted: a
 * one-entry MBR is written here, the FAT32 file system by mformat and the files by mcopy
 * (mtools, run with posix_spawn, no shell), at the partition's byte offset. Whatever was
 * on the stick before is gone.
 *
 * Layout (docs/MEDIA.md): MBR at sector 0, partition 1 from sector 2048 (1 MiB, the
 * alignment every OS partitioner uses) to the end, type 0x0C (FAT32 LBA).
 *
 * Nothing here allocates memory that outlives a call.
 */
#ifndef HO_BURN_USB_H
#define HO_BURN_USB_H

#include <stdint.h>

#include "burn/burn.h"
#include "burn/manifest.h"
#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* Byte offset of the FAT32 partition (sector 2048 of 512 bytes). */
#define HO_USB_PART_OFFSET ((uint64_t)2048 * 512)

/* Partitions and formats target, then copies src_dir's contents into the root of the FAT32
 * partition. label: FAT volume label, 1-11 characters of A-Z 0-9 _ (the file-set ID). The
 * target must already exist (a device or an image file of the stick's size, at least
 * 64 MiB). progress gets bytes copied / total file bytes. */
int ho_usb_write(const char *target, const char *src_dir, const char *label,
		 ho_burn_progress_cb progress, void *ud, ho_err *err)
	__attribute__((warn_unused_result));

/* Reads every file of the partition back (mcopy to a pipe) and checks that the stick holds
 * exactly the files of m with the same sizes and SHA-256; FAT compares names without case,
 * so a path matches if it matches ignoring ASCII case. First difference named in err
 * (HO_EVERIFY). */
int ho_usb_verify(const char *target, const ho_manifest *m, ho_burn_progress_cb progress,
		  void *ud, ho_err *err) __attribute__((warn_unused_result));

/* Bytes the target can hold for files: partition size (approximate free space of a fresh
 * FAT32, i.e. minus FATs and reserved sectors). */
int ho_usb_capacity(const char *target, uint64_t *out, ho_err *err)
	__attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
