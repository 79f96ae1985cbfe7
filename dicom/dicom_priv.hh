/*
 * dicom/dicom_priv.hh - internals shared by the .cc files of the DCMTK shim. Not a public
 * header: nothing outside dicom/ includes it, and nothing here crosses the C boundary.
 *
 * Memory: the helpers copy into caller-provided fixed-size buffers and never keep
 * pointers; DCMTK objects stay owned by the function that created them.
 */
#ifndef HO_DICOM_PRIV_HH
#define HO_DICOM_PRIV_HH

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dctk.h"

/* util/ headers are plain C without extern "C" guards: include them as C here, before
 * dicom.h does (their include guards then keep the C linkage). */
extern "C" {
#include "util/err.h"
#include "util/fs.h"
}
#include "dicom/dicom.h"

namespace ho_dcm {

/* Once per process: codecs, data dictionary check, DCMTK logging, TCP_NODELAY.
 * Returns 0 or HO_ECONFIG (with err set) when DCMTK cannot work at all. */
int init(ho_err *err);

/* Copies a string element of item into dst[cap] (NUL-terminated). Absent element = "".
 * A value that does not fit is HO_ETOOBIG, never truncated (dicom.h promise). what names
 * the field in the message. */
int copy_str(char *dst, size_t cap, DcmItem *item, const DcmTagKey &tag, const char *what,
	     ho_err *err);

/* Copies a C string into dst[cap]; HO_ETOOBIG if it does not fit. */
int copy_cstr(char *dst, size_t cap, const char *src, const char *what, ho_err *err);

/* Converts every string value of item to UTF-8 from its Specific Character Set (0008,0005),
 * PS3.5 6.1. A set we cannot convert is HO_EFORMAT naming the set. */
int to_utf8(DcmItem *item, const char *what, ho_err *err);

/* True when s is a well-formed UID: 1-64 chars of digits and dots (PS3.5 9.1). */
bool uid_ok(const char *s);

} // namespace ho_dcm

#endif
