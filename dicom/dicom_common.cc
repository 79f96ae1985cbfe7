/*
 * dicom/dicom_common.cc - one-time DCMTK set-up and the string helpers every part of the
 * shim uses (bounded copies, character-set conversion to UTF-8).
 */
#include "dicom/dicom_priv.hh"

#include <cstdlib>
#include <cstring>
#include <mutex>

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/oflog/oflog.h"

namespace ho_dcm {

static std::once_flag init_flag;
static int init_rc;

static void init_process()
{
	/*
	 * DCMTK 3.6.7 as built by Debian leaves the Nagle algorithm on for every socket it
	 * opens (dul.cc/dulfsm.cc: default tcpNoDelay = 0 unless DISABLE_NAGLE_ALGORITHM was
	 * defined at build time) and reads the TCP_NODELAY environment variable each time it
	 * connects or accepts. With Nagle on, the small PDVs of each DIMSE command wait for
	 * the peer's delayed ACK (~40 ms on Linux) and a C-GET of small instances from
	 * Orthanc crawls (dicom/README.md has the figures). There is no API switch, so we set
	 * the variable once, before any association, and overwrite a value from outside: the
	 * kiosk must not depend on how it was started.
	 */
	if (setenv("TCP_NODELAY", "1", 1) != 0) {
		init_rc = HO_ENOMEM;
		return;
	}
	/*
	 * DCMTK logs to stderr at WARN by default. Its messages can quote attribute values
	 * (patient names) and our callers get the facts through ho_err, so keep it quiet
	 * unless someone debugging asks for it.
	 */
	const char *dbg = getenv("HO_DCM_DEBUG");
	if (dbg != NULL && dbg[0] == '2')
		OFLog::configure(OFLogger::TRACE_LOG_LEVEL);
	else if (dbg != NULL && dbg[0] == '1')
		OFLog::configure(OFLogger::DEBUG_LOG_LEVEL);
	else
		OFLog::configure(OFLogger::FATAL_LOG_LEVEL);

	if (!dcmDataDict.isDictionaryLoaded()) {
		init_rc = HO_ECONFIG;
		return;
	}
	/*
	 * Decoders only: we never compress. EUC_never / pCreateSOPInstanceUID false keep the
	 * SOP Instance UID of a decompressed copy, because the pixel values are exactly the
	 * ones the sender had (lossy or not) and the guard, the manifest and the log all
	 * identify the instance by that UID.
	 */
	DJDecoderRegistration::registerCodecs(EDC_photometricInterpretation, EUC_never);
	DcmRLEDecoderRegistration::registerCodecs(OFFalse, OFFalse);
	DJLSDecoderRegistration::registerCodecs(EJLSUC_never);
	init_rc = 0;
}

int init(ho_err *err)
{
	std::call_once(init_flag, init_process);
	if (init_rc == HO_ECONFIG)
		return ho_err_set(err, HO_ECONFIG,
				  "The DICOM data dictionary could not be loaded. Reinstall the "
				  "libdcmtk17 package or set DCMDICTPATH to its dicom.dic.");
	if (init_rc != 0)
		return ho_err_set(err, init_rc, "Could not set up the DICOM library (out of memory).");
	return 0;
}

int copy_cstr(char *dst, size_t cap, const char *src, const char *what, ho_err *err)
{
	size_t n = src == NULL ? 0 : strlen(src);

	if (cap == 0)
		return HO_EINVAL;
	if (n >= cap) {
		dst[0] = '\0';
		return ho_err_set(err, HO_ETOOBIG,
				  "The %s received is %zu bytes long, more than the %zu allowed; "
				  "the data is probably corrupt. Check the object on the PACS.",
				  what, n, cap - 1);
	}
	if (n > 0)
		memcpy(dst, src, n);
	dst[n] = '\0';
	return 0;
}

int copy_str(char *dst, size_t cap, DcmItem *item, const DcmTagKey &tag, const char *what,
	     ho_err *err)
{
	OFString v;

	/* getOFStringArray: the whole multi-valued string (ModalitiesInStudy "CT\PT"),
	 * with leading/trailing padding removed (PS3.5 6.2). Absent or empty = "". */
	if (item->findAndGetOFStringArray(tag, v, OFFalse).bad())
		v.clear();
	return copy_cstr(dst, cap, v.c_str(), what, err);
}

int to_utf8(DcmItem *item, const char *what, ho_err *err)
{
	OFString cs;

	if (item->findAndGetOFStringArray(DCM_SpecificCharacterSet, cs).bad() || cs.empty())
		/* PS3.5 6.1.2.2: absent = default repertoire (ASCII), already UTF-8. */
		return 0;
	if (cs == "ISO_IR 192")
		return 0;
	OFCondition c = item->convertToUTF8();
	if (c.bad())
		return ho_err_set(err, HO_EFORMAT,
				  "The %s uses the character set '%s', which could not be "
				  "converted to Unicode (%s). Ask the PACS administrator to check "
				  "the Specific Character Set of this object.",
				  what, cs.c_str(), c.text());
	return 0;
}

bool uid_ok(const char *s)
{
	size_t n = 0;

	if (s == NULL || s[0] == '\0')
		return false;
	for (; s[n] != '\0'; n++)
		if (!((s[n] >= '0' && s[n] <= '9') || s[n] == '.'))
			return false;
	return n <= 64;
}

} // namespace ho_dcm
