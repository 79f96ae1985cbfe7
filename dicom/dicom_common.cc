/*
 * dicom/dicom_common.cc - one-time DCMTK set-up and the string helpers every part of the
 * shim uses (bounded copies, character-set conversion to UTF-8).
 */
#include "dicom/dicom_priv.hh"

#include <cstdlib>
#include <iconv.h>
#include <string>
#include <cstring>
#include <mutex>

#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpls/djdecode.h"
#include "dcmtk/dcmnet/dul.h"
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

	/* The move SCP would otherwise reverse-resolve every PACS that connects; on a kiosk
	 * without working DNS that stalls each C-MOVE by the resolver's timeout, and we
	 * compare the numeric address anyway. */
	dcmDisableGethostbyaddr.set(OFTrue);

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

/*
 * ISO 2022 code extension (PS3.5 6.1.2.5) decoded here, because DCMTK 3.6.7 built on
 * glibc iconv refuses "ISO 2022 IR 87" (and IR 159, IR 149, IR 58) outright. We track the
 * G0/G1 designations ourselves and hand each run of bytes in one coded set to iconv (or a
 * table for the two trivial sets). PS3.5 6.1.2.5.3: the designations in force go back to
 * the initial ones at the start of a value and after each delimiter, so we reset there.
 */
enum cset {
	CS_ASCII,     /* ESC ( B, ISO-IR 6 */
	CS_ROMAJI,    /* ESC ( J, ISO-IR 14 (JIS X 0201 Roman) */
	CS_JIS0208,   /* ESC $ B, ISO-IR 87 */
	CS_JIS0212,   /* ESC $ ( D, ISO-IR 159 */
	CS_KATAKANA,  /* ESC ) I, ISO-IR 13 (G1) */
	CS_KSX1001,   /* ESC $ ) C, ISO-IR 149 (G1) */
	CS_GB2312,    /* ESC $ ) A, ISO-IR 58 (G1) */
	CS_LATIN_G1,  /* ESC - x, one of the ISO 8859 parts (G1), iconv name in latin */
	CS_NONE,
};

struct iso2022_state {
	cset g0, g1;
	const char *latin; /* iconv name for CS_LATIN_G1 */
	cset init_g0, init_g1;
	const char *init_latin;
};

static int iconv_append(std::string &out, const char *from, const std::string &in)
{
	iconv_t cd = iconv_open("UTF-8", from);
	if (cd == (iconv_t)-1)
		return -1;
	std::string buf(in);
	char *ip = &buf[0];
	size_t il = buf.size();
	std::string o(in.size() * 4 + 16, '\0');
	char *op = &o[0];
	size_t ol = o.size();
	size_t r = iconv(cd, &ip, &il, &op, &ol);
	iconv_close(cd);
	if (r == (size_t)-1)
		return -1;
	out.append(o.data(), o.size() - ol);
	return 0;
}

/* Appends the UTF-8 of one run of bytes coded in one set. */
static int flush_run(std::string &out, cset s, const char *latin, const std::string &run)
{
	if (run.empty())
		return 0;
	switch (s) {
	case CS_ASCII:
		out += run;
		return 0;
	case CS_ROMAJI:
		/* JIS X 0201 Roman differs from ASCII in two places. */
		for (char ch : run) {
			if (ch == 0x5c)
				out += "\xc2\xa5"; /* YEN SIGN */
			else if (ch == 0x7e)
				out += "\xe2\x80\xbe"; /* OVERLINE */
			else
				out += ch;
		}
		return 0;
	case CS_KATAKANA:
		/* 0xA1-0xDF map 1:1 onto U+FF61-U+FF9F (half-width katakana). */
		for (unsigned char ch : run) {
			if (ch < 0xa1 || ch > 0xdf)
				return -1;
			unsigned cp = 0xff61 + (ch - 0xa1);
			out += (char)(0xe0 | (cp >> 12));
			out += (char)(0x80 | ((cp >> 6) & 0x3f));
			out += (char)(0x80 | (cp & 0x3f));
		}
		return 0;
	case CS_JIS0208:
		return iconv_append(out, "ISO-2022-JP", "\x1b$B" + run + "\x1b(B");
	case CS_JIS0212:
		return iconv_append(out, "ISO-2022-JP-2", "\x1b$(D" + run + "\x1b(B");
	case CS_KSX1001:
		return iconv_append(out, "EUC-KR", run);
	case CS_GB2312:
		return iconv_append(out, "GB2312", run);
	case CS_LATIN_G1:
		return iconv_append(out, latin, run);
	default:
		return -1;
	}
}

static const char *latin_final(char f)
{
	switch (f) {
	case 'A': return "ISO-8859-1";
	case 'B': return "ISO-8859-2";
	case 'C': return "ISO-8859-3";
	case 'D': return "ISO-8859-4";
	case 'F': return "ISO-8859-7";
	case 'G': return "ISO-8859-6";
	case 'H': return "ISO-8859-8";
	case 'L': return "ISO-8859-5";
	case 'M': return "ISO-8859-9";
	case 'T': return "TIS-620";
	default: return NULL;
	}
}

/* Decodes one element value; delim says which bytes reset the designations (PN adds ^ =). */
static int iso2022_decode(const std::string &in, iso2022_state st, bool pn, std::string &out)
{
	std::string run;
	cset cur = CS_NONE;
	const char *cur_latin = NULL;

	out.clear();
	for (size_t i = 0; i < in.size();) {
		unsigned char ch = (unsigned char)in[i];
		if (ch == 0x1b) {
			/* ESC I... F: the designation sequences of PS3.3 C.12.1.1.2 tables. */
			std::string esc = in.substr(i + 1, 3);
			size_t len = 0;
			cset *slot = NULL, set = CS_NONE;
			const char *lat = NULL;
			if (esc.compare(0, 2, "(B") == 0)
				slot = &st.g0, set = CS_ASCII, len = 2;
			else if (esc.compare(0, 2, "(J") == 0)
				slot = &st.g0, set = CS_ROMAJI, len = 2;
			else if (esc.compare(0, 2, "$B") == 0)
				slot = &st.g0, set = CS_JIS0208, len = 2;
			else if (esc.compare(0, 3, "$(D") == 0)
				slot = &st.g0, set = CS_JIS0212, len = 3;
			else if (esc.compare(0, 2, ")I") == 0)
				slot = &st.g1, set = CS_KATAKANA, len = 2;
			else if (esc.compare(0, 3, "$)C") == 0)
				slot = &st.g1, set = CS_KSX1001, len = 3;
			else if (esc.compare(0, 3, "$)A") == 0)
				slot = &st.g1, set = CS_GB2312, len = 3;
			else if (esc.size() >= 2 && esc[0] == '-' && (lat = latin_final(esc[1])))
				slot = &st.g1, set = CS_LATIN_G1, len = 2;
			if (slot == NULL)
				return -1;
			*slot = set;
			if (set == CS_LATIN_G1)
				st.latin = lat;
			i += 1 + len;
			continue;
		}
		/* Delimiters only count in a single-byte G0 set: inside JIS X 0208 a 0x5E is
		 * half of a character (encoders switch back to ASCII before a delimiter). */
		bool sb = st.g0 == CS_ASCII || st.g0 == CS_ROMAJI;
		bool delim = ch < 0x80 && sb &&
			     (ch == '\\' || ch == '\r' || ch == '\n' || ch == '\t' || ch == '\f' ||
			      (pn && (ch == '^' || ch == '=')));
		cset want = ch >= 0x80 ? st.g1 : st.g0;
		const char *want_latin = ch >= 0x80 ? st.latin : NULL;
		if (delim)
			want = CS_ASCII;
		if (want != cur || want_latin != cur_latin) {
			if (flush_run(out, cur, cur_latin, run) != 0)
				return -1;
			run.clear();
			cur = want;
			cur_latin = want_latin;
		}
		if (want == CS_NONE)
			return -1;
		run += (char)ch;
		i++;
		if (delim) {
			st.g0 = st.init_g0;
			st.g1 = st.init_g1;
			st.latin = st.init_latin;
		}
	}
	return flush_run(out, cur, cur_latin, run);
}

/* The initial designations from the first value of (0008,0005) (PS3.3 C.12.1.1.2). */
static bool iso2022_init(const OFString &cs, iso2022_state &st)
{
	std::string first(cs.c_str());
	size_t bs = first.find('\\');
	if (bs != std::string::npos)
		first.resize(bs);
	st.g0 = CS_ASCII;
	st.g1 = CS_NONE;
	st.latin = NULL;
	if (first == "" || first == "ISO 2022 IR 6") {
	} else if (first == "ISO 2022 IR 13") {
		st.g0 = CS_ROMAJI, st.g1 = CS_KATAKANA;
	} else if (first == "ISO 2022 IR 149") {
		st.g1 = CS_KSX1001;
	} else if (first == "ISO 2022 IR 58") {
		st.g1 = CS_GB2312;
	} else if (first.compare(0, 12, "ISO 2022 IR ") == 0) {
		static const struct {
			const char *term, *name;
		} l[] = {{"100", "ISO-8859-1"}, {"101", "ISO-8859-2"}, {"109", "ISO-8859-3"},
			 {"110", "ISO-8859-4"}, {"144", "ISO-8859-5"}, {"127", "ISO-8859-6"},
			 {"126", "ISO-8859-7"}, {"138", "ISO-8859-8"}, {"148", "ISO-8859-9"},
			 {"166", "TIS-620"}};
		for (auto &x : l)
			if (first.substr(12) == x.term)
				st.g1 = CS_LATIN_G1, st.latin = x.name;
		if (st.g1 == CS_NONE)
			return false;
	} else {
		return false;
	}
	st.init_g0 = st.g0;
	st.init_g1 = st.g1;
	st.init_latin = st.latin;
	return true;
}

static int iso2022_item(DcmItem *item, const OFString &cs)
{
	iso2022_state st;

	if (!iso2022_init(cs, st))
		return -1;
	for (unsigned long i = 0; i < item->card(); i++) {
		DcmElement *e = item->getElement(i);
		if (e == NULL)
			continue;
		DcmEVR vr = e->ident();
		/* PS3.5 6.1.2.3: the VRs whose values the character set applies to. */
		if (vr != EVR_PN && vr != EVR_LO && vr != EVR_SH && vr != EVR_ST && vr != EVR_LT &&
		    vr != EVR_UT && vr != EVR_UC)
			continue;
		char *raw = NULL;
		Uint32 len = e->getLength();
		if (e->getString(raw).bad() || raw == NULL)
			continue;
		std::string in(raw, len), out;
		while (!in.empty() && (in.back() == ' ' || in.back() == '\0'))
			in.pop_back();
		if (iso2022_decode(in, st, vr == EVR_PN, out) != 0)
			return -1;
		if (e->putString(out.c_str(), (Uint32)out.size()).bad())
			return -1;
	}
	if (item->putAndInsertString(DCM_SpecificCharacterSet, "ISO_IR 192").bad())
		return -1;
	return 0;
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
	if (c.bad() && cs.find("ISO 2022") != OFString_npos && iso2022_item(item, cs) == 0)
		return 0;
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

extern "C" int ho_dcm_global_init(ho_err *err)
{
	return ho_dcm::init(err);
}
