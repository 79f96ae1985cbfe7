// dicom/render.cc - DICOM image to baseline JPEG (see render.h). C++ only inside.
// util/err.h is a C header without extern "C" guards: include it with C linkage first.
extern "C" {
#include "util/err.h"
}
#include "dicom/render.h"

#include <cstdio>
#include <cstring>
#include <mutex>
#include <string>

#include <unistd.h>

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcfilefo.h"
#include "dcmtk/dcmdata/dcdeftag.h"
#include "dcmtk/dcmdata/dcrledrg.h"
#include "dcmtk/dcmimgle/dcmimage.h"
#include "dcmtk/dcmjpeg/djdecode.h"
#include "dcmtk/dcmjpeg/dipijpeg.h"
#include "dcmtk/dcmjpls/djdecode.h"

#include "dicom/dicom_priv.hh"

namespace {

// Header of at most this size is parsed; elements larger than 4 KiB (pixel data) are
// read only when DicomImage asks for them, so big objects do not sit in memory twice.
const Uint32 kMaxReadLength = 4096;
const unsigned kMaxDimCap = 4096;

std::once_flag codecs_once;

void register_codecs()
{
	std::call_once(codecs_once, [] {
		DJDecoderRegistration::registerCodecs();     // JPEG baseline/extended/lossless
		DJLSDecoderRegistration::registerCodecs();   // JPEG-LS
		DcmRLEDecoderRegistration::registerCodecs(); // RLE (PS3.5 Annex G)
	});
}

// Copies a string attribute into a fixed buffer; too long is an error, never a cut.
bool get_str(DcmDataset *ds, const DcmTagKey &tag, char *out, size_t cap)
{
	OFString v;

	out[0] = '\0';
	if (ds->findAndGetOFStringArray(tag, v).bad())
		return true; // absent: ""
	if (v.length() >= cap)
		return false;
	std::memcpy(out, v.c_str(), v.length() + 1);
	return true;
}

int get_int(DcmDataset *ds, const DcmTagKey &tag)
{
	Sint32 v = -1;
	if (ds->findAndGetSint32(tag, v).bad())
		return -1;
	return v;
}

int fill_info(DcmDataset *ds, ho_dcm_render_info *info, const char *path, ho_err *err)
{
	std::memset(info, 0, sizeof(*info));
	// Keep the patient's character set: convert to UTF-8 for the UTF-8 pages rather than
	// fold names to ASCII (DESIGN.md media layout).
	// The shim's own converter: it also decodes ISO 2022 sets that DCMTK's iconv cannot.
	// An unknown or broken character set must not cost the patient the whole preview:
	// the values then stay as they are and the page writer replaces whatever is not
	// UTF-8 with U+FFFD (core/pdi_html.c esc()); the error stays local.
	{
		ho_err cs_err = HO_ERR_INIT;
		(void)ho_dcm::to_utf8(ds, "image", &cs_err);
	}
	(void)err;
	if (!get_str(ds, DCM_PatientName, info->patient_name, sizeof(info->patient_name)) ||
	    !get_str(ds, DCM_PatientID, info->patient_id, sizeof(info->patient_id)) ||
	    !get_str(ds, DCM_PatientBirthDate, info->birth_date, sizeof(info->birth_date)) ||
	    !get_str(ds, DCM_StudyInstanceUID, info->study_uid, sizeof(info->study_uid)) ||
	    !get_str(ds, DCM_StudyDate, info->study_date, sizeof(info->study_date)) ||
	    !get_str(ds, DCM_StudyTime, info->study_time, sizeof(info->study_time)) ||
	    !get_str(ds, DCM_StudyDescription, info->study_desc, sizeof(info->study_desc)) ||
	    !get_str(ds, DCM_SeriesInstanceUID, info->series_uid, sizeof(info->series_uid)) ||
	    !get_str(ds, DCM_SeriesDescription, info->series_desc, sizeof(info->series_desc)) ||
	    !get_str(ds, DCM_Modality, info->modality, sizeof(info->modality)))
		return ho_err_set(err, HO_EFORMAT, "%s has an over-long header value; the file is "
			"not valid DICOM", path);
	info->series_number = get_int(ds, DCM_SeriesNumber);
	info->instance_number = get_int(ds, DCM_InstanceNumber);
	return 0;
}

int load(DcmFileFormat &ff, const char *path, ho_err *err)
{
	OFCondition c = ff.loadFile(path, EXS_Unknown, EGL_noChange, kMaxReadLength,
				    ERM_autoDetect);
	if (c.bad())
		return ho_err_set(err, HO_EFORMAT, "cannot read %s as DICOM: %s", path, c.text());
	return 0;
}

// Sets the display window of a monochrome image: first stored VOI window (PS3.3
// C.11.2), else the full range of the pixel values actually present.
void set_window(DicomImage *img)
{
	if (!img->isMonochrome())
		return;
	if (img->getWindowCount() > 0 && img->setWindow(0))
		return;
	img->setMinMaxWindow(0);
}

} // namespace

extern "C" int ho_dcm_render_info_read(const char *dcm_path, ho_dcm_render_info *info,
				       ho_err *err)
{
	DcmFileFormat ff;
	int rc;

	if (dcm_path == nullptr || info == nullptr)
		return ho_err_set(err, HO_EINVAL, "render: missing argument (program error)");
	if ((rc = load(ff, dcm_path, err)) != 0)
		return rc;
	return fill_info(ff.getDataset(), info, dcm_path, err);
}

extern "C" int ho_dcm_render_jpeg(const char *dcm_path, const char *jpeg_path,
				  unsigned max_dim, int quality, ho_dcm_render_info *info,
				  ho_err *err)
{
	ho_dcm_render_info local;
	DcmFileFormat ff;
	DicomImage *img = nullptr, *scaled = nullptr;
	std::string tmp;
	FILE *f = nullptr;
	int rc;

	if (dcm_path == nullptr || jpeg_path == nullptr)
		return ho_err_set(err, HO_EINVAL, "render: missing argument (program error)");
	if (info == nullptr)
		info = &local;
	if (max_dim == 0)
		max_dim = 512;
	if (max_dim > kMaxDimCap)
		max_dim = kMaxDimCap;
	if (quality <= 0 || quality > 100)
		quality = 85;
	register_codecs();
	if ((rc = load(ff, dcm_path, err)) != 0)
		return rc;
	if ((rc = fill_info(ff.getDataset(), info, dcm_path, err)) != 0)
		return rc;
	if (!ff.getDataset()->tagExists(DCM_PixelData))
		return ho_err_set(err, HO_EFORMAT, "%s has no image to show", dcm_path);

	// Only the first frame is decoded (partial access keeps multi-frame objects small).
	img = new (std::nothrow) DicomImage(&ff, ff.getDataset()->getOriginalXfer(),
					    CIF_UsePartialAccessToPixelData, 0, 1);
	if (img == nullptr) {
		rc = ho_err_set(err, HO_ENOMEM, "out of memory rendering %s", dcm_path);
		goto out;
	}
	if (img->getStatus() != EIS_Normal) {
		rc = ho_err_set(err, HO_EFORMAT, "cannot decode the image in %s: %s", dcm_path,
				DicomImage::getString(img->getStatus()));
		goto out;
	}
	info->cols = (unsigned)img->getWidth();
	info->rows = (unsigned)img->getHeight();
	info->frames = (unsigned)img->getNumberOfFrames();
	set_window(img);
	if (info->cols > max_dim || info->rows > max_dim) {
		unsigned long w, h;

		if (info->cols >= info->rows) {
			w = max_dim;
			h = (unsigned long)info->rows * max_dim / info->cols;
		} else {
			h = max_dim;
			w = (unsigned long)info->cols * max_dim / info->rows;
		}
		if (w == 0)
			w = 1;
		if (h == 0)
			h = 1;
		scaled = img->createScaledImage(w, h, 1 /* interpolate */, 0);
		if (scaled == nullptr || scaled->getStatus() != EIS_Normal) {
			rc = ho_err_set(err, HO_EFORMAT, "cannot scale the image in %s", dcm_path);
			goto out;
		}
		set_window(scaled);
	}
	{
		DicomImage *src = scaled != nullptr ? scaled : img;
		DiJPEGPlugin plugin;

		plugin.setQuality((unsigned)quality);
		plugin.setSampling(ESS_444);
		tmp = std::string(jpeg_path) + ".tmp";
		if ((f = std::fopen(tmp.c_str(), "wb")) == nullptr) {
			rc = ho_err_set(err, HO_EIO, "cannot create %s; check the staging space",
					tmp.c_str());
			goto out;
		}
		if (!src->writePluginFormat(&plugin, f, 0)) {
			rc = ho_err_set(err, HO_EFORMAT, "cannot encode a JPEG of %s", dcm_path);
			goto out;
		}
		if (std::fclose(f) != 0) {
			f = nullptr;
			rc = ho_err_set(err, HO_EIO, "cannot write %s", tmp.c_str());
			goto out;
		}
		f = nullptr;
		if (std::rename(tmp.c_str(), jpeg_path) != 0) {
			rc = ho_err_set(err, HO_EIO, "cannot write %s", jpeg_path);
			goto out;
		}
		info->jpeg_w = (unsigned)src->getWidth();
		info->jpeg_h = (unsigned)src->getHeight();
	}
	rc = 0;
out:
	if (f != nullptr)
		std::fclose(f);
	if (rc != 0 && !tmp.empty())
		unlink(tmp.c_str());
	delete scaled;
	delete img;
	return rc;
}
