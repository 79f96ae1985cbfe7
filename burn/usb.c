/*
 * burn/usb.c - USB stick writing with mtools (burn/usb.h).
 */
#include "burn/usb.h"

int ho_usb_write(const char *target, const char *src_dir, const char *label,
		 ho_burn_progress_cb progress, void *ud, ho_err *err)
{
	(void)target, (void)src_dir, (void)label, (void)progress, (void)ud;
	return ho_err_set(err, HO_EDEVICE, "USB writing is not available yet");
}

int ho_usb_verify(const char *target, const ho_manifest *m, ho_burn_progress_cb progress,
		  void *ud, ho_err *err)
{
	(void)target, (void)m, (void)progress, (void)ud;
	return ho_err_set(err, HO_EDEVICE, "USB verification is not available yet");
}

int ho_usb_capacity(const char *target, uint64_t *out, ho_err *err)
{
	(void)target;
	*out = 0;
	return ho_err_set(err, HO_EDEVICE, "USB is not available yet");
}
