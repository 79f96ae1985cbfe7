/*
 * core/pdi_html.h - IHE_PDI/ web pages for unencrypted media.
 *
 * IHE PDI (ITI TF-1 15, TF-3 4.47) lets a medium carry web content so that a person with
 * only a browser sees what is on it. For unencrypted media (policy allows, patient
 * asked) we write, under root/IHE_PDI/:
 *
 *   INDEX.HTM                   patient and the list of studies
 *   ST000001.HTM                one page per study: date, description, series list
 *   ST000001/SE000001.HTM       one page per series: every image
 *   ST000001/SE000001/IM000001.JPG   baseline JPEG renderings (dicom/render.h)
 *
 * Pages are XHTML 1.0 Strict in UTF-8, without scripts, with relative links only, so any
 * browser shows them from file://. File names are 8.3 upper case (ISO 9660 level 1).
 * All text from DICOM is escaped; names keep their character set (UTF-8).
 *
 * Memory: nothing returned; the per-file records held during the call are small and
 * bounded by the number of files (pixel data is never kept).
 */
#ifndef HO_CORE_PDI_HTML_H
#define HO_CORE_PDI_HTML_H

#include <stddef.h>

#include "util/err.h"

#define HO_PDI_HTML_OPTS_VERSION 1

typedef struct ho_pdi_html_opts {
	unsigned version;           /* HO_PDI_HTML_OPTS_VERSION */
	unsigned max_dim;           /* JPEG longest side; 0 = 512 */
	int quality;                /* JPEG quality 1..100; 0 = 85 */
	unsigned max_per_series;    /* images rendered per series, evenly spread; 0 = all */
	const char *institution;    /* shown in the page footer; NULL = none */
} ho_pdi_html_opts;

#define HO_PDI_HTML_OPTS_INIT {HO_PDI_HTML_OPTS_VERSION, 0, 0, 0, NULL}

/* Items done / total (one item per DICOM file). Return non-zero to cancel. */
typedef int (*ho_pdi_html_progress_cb)(void *ud, size_t done, size_t total);

/* Writes root/IHE_PDI/ for the DICOM files root/rel_paths[i] (the file-set's instances;
 * DICOMDIR itself must not be listed). root/IHE_PDI must not exist yet. Objects that
 * are not images (SR, presentation states) are listed without a picture; an image that
 * cannot be decoded is listed with a note instead of a picture, never silently left
 * out. On failure root/IHE_PDI is removed. opts may be NULL. */
int ho_pdi_html_write(const char *root, const char *const *rel_paths, size_t n,
		      const ho_pdi_html_opts *opts, ho_pdi_html_progress_cb progress, void *ud,
		      ho_err *err) __attribute__((warn_unused_result));

#endif
