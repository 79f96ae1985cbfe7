/*
 * util/json.h - writing JSON strings safely (RFC 8259 escaping) to a stdio stream.
 * Input must be UTF-8; invalid bytes are replaced with U+FFFD so the output is always
 * valid JSON whatever a PACS sends.
 */
#ifndef HO_UTIL_JSON_H
#define HO_UTIL_JSON_H

#include <stdio.h>

#ifdef __cplusplus
extern "C" {
#endif

void ho_json_str(FILE *f, const char *s);

#ifdef __cplusplus
}
#endif

#endif
