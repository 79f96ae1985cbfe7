/*
 * core/media_text.h - the plain files at the root of every medium: README.TXT (what is
 * on the medium and how to open it) and, until the viewer is installed over it, a
 * minimal INDEX.HTM. Neither names the patient: on encrypted media nothing outside
 * STUDY.ZIP may (DESIGN.md, media layout), and one text for both keeps it simple.
 */
#ifndef HO_CORE_MEDIA_TEXT_H
#define HO_CORE_MEDIA_TEXT_H

#include "util/err.h"

int ho_media_text_write(const char *root, int encrypted, ho_err *err)
	__attribute__((warn_unused_result));

#endif
