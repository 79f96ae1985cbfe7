/*
 * util/utf8.h - decoding one UTF-8 sequence strictly (RFC 3629): no overlong forms, no
 * surrogates, nothing above U+10FFFF. Writers of JSON and XML use it to keep text from
 * the outside (a PACS, a config file) from breaking their output.
 */
#ifndef HO_UTIL_UTF8_H
#define HO_UTIL_UTF8_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Length (1-4) of the valid sequence at s, with its code point in *cp; 0 if s does not
 * start a valid sequence. s must be NUL-terminated (a NUL ends any sequence early). */
size_t ho_utf8_next(const unsigned char *s, uint32_t *cp);

#ifdef __cplusplus
}
#endif

#endif
