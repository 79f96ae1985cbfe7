/*
 * util/err.h - error codes and the human message that travels with them.
 *
 * Every fallible function in Handoff returns int: 0 on success, a negative HO_E*
 * code on failure. Functions that can say more take an `ho_err *` (may be NULL) and
 * fill it with a sentence for the user: what happened and what to do. The message
 * lives inside the caller's ho_err; nothing is allocated.
 *
 * util/ is the one layer below dicom/, burn/ and core/; it knows nothing of them.
 */
#ifndef HO_UTIL_ERR_H
#define HO_UTIL_ERR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

enum {
	HO_OK = 0,
	HO_EINVAL = -1,    /* bad argument or bad input from outside */
	HO_ENOMEM = -2,    /* allocation failed */
	HO_EIO = -3,       /* file or device I/O failed */
	HO_ENET = -4,      /* network / association failure */
	HO_EREFUSED = -5,  /* peer refused (association rejected, C-GET refused) */
	HO_ENOTFOUND = -6, /* asked-for patient/study/series/file does not exist */
	HO_EGUARD = -7,    /* another patient's data was seen: security stop */
	HO_EFORMAT = -8,   /* corrupt or unsupported data */
	HO_ETOOBIG = -9,   /* exceeds a size cap or the medium's capacity */
	HO_EDEVICE = -10,  /* drive / printer / stick unusable */
	HO_EVERIFY = -11,  /* read-back does not match what was written */
	HO_ECRYPTO = -12,  /* crypto library failure or bad signature */
	HO_ECANCEL = -13,  /* cancelled by the user */
	HO_ECONFIG = -14,  /* configuration invalid */
	HO_ESTATE = -15,   /* operation not allowed now (e.g. log unwritable) */
	HO_EAUTH = -16,    /* authentication failed */
};

#define HO_ERR_MSG_MAX 512

typedef struct ho_err {
	int code;
	char msg[HO_ERR_MSG_MAX];
} ho_err;

#define HO_ERR_INIT {0, {0}}

/* Sets err (if not NULL) and returns code, so callers can write
 * `rc = ho_err_set(err, HO_EIO, "...")`. Keeps the first error: a later call does not
 * overwrite a message already set, because the first failure is the cause. */
int ho_err_set(ho_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* Like ho_err_set but always overwrites. */
int ho_err_reset(ho_err *err, int code, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

void ho_err_clear(ho_err *err);

/* Short symbolic name of a code ("HO_EIO"), static storage. */
const char *ho_err_name(int code);

#ifdef __cplusplus
}
#endif

#endif
