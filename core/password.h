/*
 * core/password.h - the one-time password that opens an encrypted medium.
 *
 * A password is 80 bits from OpenSSL's RNG written as 16 characters of Crockford
 * base32 (alphabet 0-9 A-Z without I L O U). People see it in four groups of four,
 * "XXXX-XXXX-XXXX-XXXX" (receipt, screen); the ZIP password given to libzip is the 16
 * characters alone, upper case, without dashes (see docs/ENCRYPTION.md, which also
 * states the lenient rule a reader applies when a person types it back).
 *
 * Memory: an ho_password owns one page of memory that is mlock()ed (never swapped),
 * excluded from core dumps (MADV_DONTDUMP) and wiped with OPENSSL_cleanse by
 * ho_password_free. The strings returned by ho_password_zip / ho_password_display
 * point into that page: valid until ho_password_free, never to be copied into a log,
 * a command line or a file. ho_password_free(NULL) is a no-op.
 */
#ifndef HO_CORE_PASSWORD_H
#define HO_CORE_PASSWORD_H

#include <stddef.h>

#include "util/err.h"

#define HO_PASSWORD_CHARS 16   /* characters of the ZIP password */
#define HO_PASSWORD_DISPLAY 19 /* XXXX-XXXX-XXXX-XXXX */
#define HO_PASSWORD_BITS 80

typedef struct ho_password ho_password;

/* A fresh random password (RAND_bytes, 10 bytes = 80 bits). */
int ho_password_new(ho_password **out, ho_err *err) __attribute__((warn_unused_result));

/* Parses a password typed or read back by a person (recovery tool, tests): dashes and
 * spaces are ignored, letters are case-insensitive, I and L read as 1, O reads as 0
 * (Crockford). Anything else, or not exactly 16 symbols, fails with HO_EINVAL. */
int ho_password_parse(ho_password **out, const char *text, size_t len, ho_err *err)
	__attribute__((warn_unused_result));

/* The ZIP password: 16 characters [0-9A-HJKMNP-TV-Z], NUL-terminated. */
const char *ho_password_zip(const ho_password *pw);

/* The form shown to people: "XXXX-XXXX-XXXX-XXXX", NUL-terminated. */
const char *ho_password_display(const ho_password *pw);

/* 1 if the page holding the password is locked in RAM (mlock succeeded). mlock can fail
 * when RLIMIT_MEMLOCK is exhausted; the password still works, it is then only kept out
 * of core dumps. */
int ho_password_is_locked(const ho_password *pw);

/* Wipes and frees. */
void ho_password_free(ho_password *pw);

#endif
