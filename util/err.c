#include "util/err.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static int vset(ho_err *err, int code, const char *fmt, va_list ap)
{
	if (err == NULL)
		return code;
	err->code = code;
	vsnprintf(err->msg, sizeof(err->msg), fmt, ap);
	return code;
}

int ho_err_set(ho_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	if (err != NULL && err->code != 0)
		return code;
	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

int ho_err_reset(ho_err *err, int code, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vset(err, code, fmt, ap);
	va_end(ap);
	return code;
}

void ho_err_clear(ho_err *err)
{
	if (err == NULL)
		return;
	err->code = 0;
	err->msg[0] = '\0';
}

const char *ho_err_name(int code)
{
	static const char *const names[] = {
		"HO_OK",	"HO_EINVAL",  "HO_ENOMEM",   "HO_EIO",	    "HO_ENET",
		"HO_EREFUSED",	"HO_ENOTFOUND", "HO_EGUARD", "HO_EFORMAT", "HO_ETOOBIG",
		"HO_EDEVICE",	"HO_EVERIFY", "HO_ECRYPTO",  "HO_ECANCEL", "HO_ECONFIG",
		"HO_ESTATE",	"HO_EAUTH",
	};
	int i = -code;

	if (i < 0 || (size_t)i >= sizeof(names) / sizeof(names[0]))
		return "HO_E?";
	return names[i];
}
