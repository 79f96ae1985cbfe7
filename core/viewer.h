/*
 * core/viewer.h - puts the browser viewer and its data payload on a medium tree.
 *
 * The viewer (built from viewer/ into HO_VIEWER_DIST: INDEX.HTM + VIEWER/) travels on
 * every medium. A page opened from file:// cannot read sibling files, only load classic
 * <script src> files, so for a small study the medium's data (STUDY.ZIP, or DICOMDIR and
 * the DICOM files) is also written as payload scripts VIEWER/DATA/Dnnnnnnn.JS listed by
 * VIEWER/DATA/INDEX.JS; for a large one INDEX.JS says so and the viewer asks the user to
 * pick the file or folder. The format is described in viewer/README.md.
 *
 * Memory: nothing is allocated that outlives a call; files are streamed through a fixed
 * buffer (a few hundred KiB) whatever their size. Strings passed in are not kept.
 * Names written are ISO 9660 level 1 / 8.3 upper case (PS3.12 F/R, DESIGN.md media).
 */
#ifndef HO_CORE_VIEWER_H
#define HO_CORE_VIEWER_H

#include <stddef.h>
#include <stdint.h>

#include "util/err.h"

/* Payload scripts for studies up to this size by default: beyond it, loading the
 * scripts from a CD takes longer than picking the file, and the browser would hold
 * the study twice in memory. Callers may pass another limit. */
#define HO_VIEWER_PAYLOAD_MAX_DEFAULT (64ULL * 1024 * 1024)

/* Raw bytes per payload script (a multiple of 3 so base64 never pads mid-file). */
#define HO_VIEWER_CHUNK_RAW (768U * 1024)

/* The built viewer this binary was configured with (CMake's HO_VIEWER_DIST), static. */
const char *ho_viewer_dist_default(void);

/* Copies dist_dir/INDEX.HTM and dist_dir/VIEWER/ (recursively) into medium_root,
 * replacing an INDEX.HTM already there (core/media_text's placeholder) and any earlier
 * VIEWER/ tree, payload included: call it before ho_viewer_payload_write. dist_dir NULL
 * means ho_viewer_dist_default(). Refuses names that are not 8.3 upper case (a build
 * mistake would otherwise make an unreadable CD) and symlinks. */
int ho_viewer_install(const char *dist_dir, const char *medium_root, ho_err *err)
    __attribute__((warn_unused_result));

/* Writes VIEWER/DATA/INDEX.JS and, when the files' total size is <= max_total, the
 * payload scripts VIEWER/DATA/D0000001.JS ... holding every byte of the listed files
 * (paths relative to medium_root, e.g. "STUDY.ZIP" or "DICOMDIR", "DICOM/P0000001/...";
 * characters A-Z a-z 0-9 _ . / only, no "..", no leading "/"). Above max_total no
 * payload script is written and INDEX.JS tells the viewer to ask the user to pick the
 * data. Any previous VIEWER/DATA is replaced. */
int ho_viewer_payload_write(const char *medium_root, const char *const *rel_paths, size_t n,
                            uint64_t max_total, ho_err *err) __attribute__((warn_unused_result));

/* Sum of the sizes of dist_dir's INDEX.HTM and VIEWER/ tree (dist_dir NULL: the
 * default), i.e. what ho_viewer_install puts on the medium, for capacity planning. */
int ho_viewer_dist_size(uint64_t *out, const char *dist_dir, ho_err *err)
    __attribute__((warn_unused_result));

/* Bytes the payload scripts take on the medium for files totalling total_bytes (an
 * upper bound, for capacity planning before the payload is written). */
uint64_t ho_viewer_payload_bytes(uint64_t total_bytes, size_t nfiles);

#endif
