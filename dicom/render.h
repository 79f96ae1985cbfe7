/*
 * dicom/render.h - one DICOM image to a baseline JPEG, for pages that need no viewer.
 *
 * Used by core/pdi_html for the IHE_PDI/ pages of unencrypted media: the first frame of
 * an image object, windowed with the object's first VOI window (Window Center/Width,
 * PS3.3 C.11.2) or, when it has none, its min-max range, scaled so that neither side
 * exceeds max_dim, written as a baseline (SOF0) JPEG that every browser shows. The same
 * call returns the header facts a page shows (patient, study, series), converted to
 * UTF-8 from the object's Specific Character Set (0008,0005).
 *
 * Memory: nothing is returned but the caller's struct; the pixel data of one frame is
 * held only during the call. Thread-safe (DCMTK's decoders are registered once).
 */
#ifndef HO_DICOM_RENDER_H
#define HO_DICOM_RENDER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

#ifdef __cplusplus
extern "C" {
#endif

#define HO_RENDER_UID_MAX 65
#define HO_RENDER_TEXT_MAX 1300 /* PN: 3 groups x 64 chars x up to 4 UTF-8 bytes */

/* Header facts for a page; "" when the object does not have them. */
typedef struct ho_dcm_render_info {
	char patient_name[HO_RENDER_TEXT_MAX]; /* UTF-8, DICOM '^' kept */
	char patient_id[HO_RENDER_TEXT_MAX];
	char birth_date[9];
	char study_uid[HO_RENDER_UID_MAX];
	char study_date[9];
	char study_time[17];
	char study_desc[HO_RENDER_TEXT_MAX];
	char series_uid[HO_RENDER_UID_MAX];
	char series_desc[HO_RENDER_TEXT_MAX];
	char modality[17];
	int series_number;   /* -1 if absent */
	int instance_number; /* -1 if absent */
	unsigned rows, cols; /* of the source image; 0 if not an image */
	unsigned frames;     /* 0 if not an image */
	unsigned jpeg_w, jpeg_h; /* of the written JPEG; 0 if none written */
} ho_dcm_render_info;

/* Reads the header facts only (any DICOM object, image or not). */
int ho_dcm_render_info_read(const char *dcm_path, ho_dcm_render_info *info, ho_err *err)
	__attribute__((warn_unused_result));

/* Renders dcm_path's first frame to jpeg_path (created 0644, replaced if present).
 * max_dim 0 = 512; quality 0 = 85. info may be NULL. Objects without pixel data, or with
 * pixel data DCMTK cannot decode, fail with HO_EFORMAT and write nothing. */
int ho_dcm_render_jpeg(const char *dcm_path, const char *jpeg_path, unsigned max_dim,
		       int quality, ho_dcm_render_info *info, ho_err *err)
	__attribute__((warn_unused_result));

#ifdef __cplusplus
}
#endif

#endif
