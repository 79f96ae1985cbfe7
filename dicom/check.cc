#include "dicom/check.h"

#include "dcmtk/config/osconfig.h"
#include "dcmtk/dcmdata/dcpixel.h"
#include "dcmtk/dcmdata/dcpixseq.h"
#include "dcmtk/dcmdata/dcxfer.h"

#include "dicom/dicom_priv.hh"

using namespace ho_dcm;

/* Elements longer than this stay on disk while the header is checked. */
static const Uint32 MAX_READ = 4096;

/* The message is only the reason: the caller knows which study and image it was. */
static int fail(ho_err *err, const char *path, const char *why)
{
	(void)path;
	return ho_err_set(err, HO_EFORMAT, "%s", why);
}

extern "C" int ho_dcm_check_instance(const char *path, ho_err *err)
{
	DcmFileFormat ff;
	int rc;

	if ((rc = init(err)) != 0)
		return rc;
	try {
		OFCondition c = ff.loadFile(path, EXS_Unknown, EGL_noChange, MAX_READ);
		DcmDataset *ds = ff.getDataset();
		DcmElement *pix = NULL;
		Uint16 rows = 0, cols = 0, bits = 0, spp = 0;
		Sint32 frames = 1;

		if (c.bad() || ds == NULL)
			return fail(err, path, "it is not a readable DICOM file");
		if (ds->findAndGetElement(DCM_PixelData, pix).bad() || pix == NULL)
			return 0; /* no image: structured reports, presentation states, ... */
		if (ds->findAndGetUint16(DCM_Rows, rows).bad() || rows == 0 ||
		    ds->findAndGetUint16(DCM_Columns, cols).bad() || cols == 0 ||
		    ds->findAndGetUint16(DCM_BitsAllocated, bits).bad() || bits == 0 ||
		    ds->findAndGetUint16(DCM_SamplesPerPixel, spp).bad() || spp == 0)
			return fail(err, path,
				    "Rows, Columns, Bits Allocated or Samples per Pixel is missing");
		{
			OFString s;
			if (ds->findAndGetOFString(DCM_NumberOfFrames, s).good() && !s.empty()) {
				char *end = NULL;
				long v = strtol(s.c_str(), &end, 10);
				if (end == s.c_str() || v < 1 || v > 100000)
					return fail(err, path, "Number of Frames is not valid");
				frames = (Sint32)v;
			}
		}
		DcmXfer xfer(ds->getOriginalXfer());
		if (xfer.isEncapsulated()) {
			DcmPixelData *pd = OFstatic_cast(DcmPixelData *, pix);
			DcmPixelSequence *seq = NULL;
			E_TransferSyntax ts = EXS_Unknown;
			const DcmRepresentationParameter *rp = NULL;
			pd->getOriginalRepresentationKey(ts, rp);
			if (pd->getEncapsulatedRepresentation(ts, rp, seq).bad() || seq == NULL ||
			    seq->card() < 2)
				return fail(err, path, "its compressed Pixel Data holds no image");
			return 0;
		}
		/* PS3.5 8.1.1: native Pixel Data is padded to an even length. */
		unsigned long long want =
			((unsigned long long)rows * cols * spp * (unsigned long long)frames * bits + 7) / 8;
		want += want & 1;
		unsigned long long have = pix->getLengthField();
		if (have != want) {
			char why[200];
			snprintf(why, sizeof(why),
				 "its Pixel Data holds %llu bytes where its header (%ux%u, %u bits, %u "
				 "samples, %d frames) needs %llu",
				 have, rows, cols, bits, spp, (int)frames, want);
			return fail(err, path, why);
		}
		return 0;
	} catch (...) {
		return ho_err_set(err, HO_ENOMEM, "Out of memory checking %s.", path);
	}
}
