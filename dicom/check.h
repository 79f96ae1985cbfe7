/*
 * dicom/check.h - is a received object whole enough to hand to a patient?
 *
 * The PACS can serve an object whose header and pixel data disagree (a damaged file in
 * its storage, a broken modality). Such an object would reach the medium and fail in
 * the receiving hospital's viewer, so the job checks every instance as it arrives.
 * Only the header is parsed; Pixel Data is measured, not loaded, so memory stays small
 * whatever the image size.
 */
#ifndef HO_DICOM_CHECK_H
#define HO_DICOM_CHECK_H

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

/* 0 if the file parses to the end and, when it has Pixel Data, the pixel module is
 * consistent (PS3.3 C.7.6.3): Rows, Columns, Bits Allocated and Samples per Pixel
 * present and non-zero, and native Pixel Data exactly as long as Rows x Columns x
 * Samples x Frames x Bits Allocated / 8 (rounded up to even); encapsulated Pixel Data
 * (PS3.5 A.4) holds at least one fragment after the Basic Offset Table. Otherwise
 * HO_EFORMAT with a message naming what is wrong. */
int ho_dcm_check_instance(const char *path, ho_err *err) __attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
