/*
 * dicom/dicom_file.cc - reading instance headers, transcoding to Explicit VR Little Endian,
 * and writing the DICOMDIR of a file-set (PS3.10, PS3.11).
 */
#include "dicom/dicom_priv.hh"

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <sys/stat.h>
#include <unistd.h>

#include "dcmtk/dcmdata/dcddirif.h"
#include "dcmtk/dcmdata/dcdicdir.h"

using namespace ho_dcm;

/* Elements above this size are left on disk while we parse (pixel data, big private blobs):
 * the header facts we want are all short strings. */
static const Uint32 HEADER_MAX_READ = 4096;

static int load_header(DcmFileFormat &ff, const char *path, ho_err *err)
{
	struct stat st;

	if (path == NULL || path[0] == '\0')
		return ho_err_set(err, HO_EINVAL, "No DICOM file name was given.");
	if (stat(path, &st) != 0)
		return ho_err_set(err, errno == ENOENT ? HO_ENOTFOUND : HO_EIO,
				  "Could not open the DICOM file %s: %s.", path, strerror(errno));
	if (!S_ISREG(st.st_mode))
		return ho_err_set(err, HO_EINVAL, "%s is not a regular file.", path);
	/* PS3.10 7.1: a Part 10 file has a 128-byte preamble, "DICM" and a meta header;
	 * ERM_fileOnly refuses anything else. Parsing stops at Pixel Data: nothing after it
	 * is needed here and a damaged pixel stream must not be able to hurt this path. */
	OFCondition c = ff.loadFileUntilTag(path, EXS_Unknown, EGL_noChange, HEADER_MAX_READ,
					    ERM_fileOnly, DCM_PixelData);
	if (c.bad())
		return ho_err_set(err, HO_EFORMAT,
				  "%s is not a readable DICOM file (%s). It may be damaged; "
				  "retrieve it again from the PACS.",
				  path, c.text());
	return 0;
}

extern "C" int ho_dcm_file_info(const char *path, ho_dcm_instance *out, ho_err *err)
{
	DcmFileFormat ff;
	DcmDataset *ds;
	DcmMetaInfo *meta;
	struct stat st;
	int rc;

	if (out == NULL)
		return ho_err_set(err, HO_EINVAL, "ho_dcm_file_info: no output given.");
	memset(out, 0, sizeof(*out));
	if ((rc = init(err)) != 0)
		return rc;
	try {
		if ((rc = load_header(ff, path, err)) != 0)
			return rc;
		ds = ff.getDataset();
		meta = ff.getMetaInfo();
		if ((rc = to_utf8(ds, "DICOM file", err)) != 0)
			return rc;
		if ((rc = copy_str(out->patient_id, sizeof(out->patient_id), ds, DCM_PatientID,
				   "Patient ID", err)) != 0 ||
		    (rc = copy_str(out->issuer, sizeof(out->issuer), ds, DCM_IssuerOfPatientID,
				   "Issuer of Patient ID", err)) != 0 ||
		    (rc = copy_str(out->study_uid, sizeof(out->study_uid), ds,
				   DCM_StudyInstanceUID, "Study Instance UID", err)) != 0 ||
		    (rc = copy_str(out->series_uid, sizeof(out->series_uid), ds,
				   DCM_SeriesInstanceUID, "Series Instance UID", err)) != 0 ||
		    (rc = copy_str(out->sop_class_uid, sizeof(out->sop_class_uid), ds,
				   DCM_SOPClassUID, "SOP Class UID", err)) != 0 ||
		    (rc = copy_str(out->sop_instance_uid, sizeof(out->sop_instance_uid), ds,
				   DCM_SOPInstanceUID, "SOP Instance UID", err)) != 0 ||
		    (rc = copy_str(out->transfer_syntax, sizeof(out->transfer_syntax), meta,
				   DCM_TransferSyntaxUID, "Transfer Syntax UID", err)) != 0 ||
		    (rc = copy_str(out->modality, sizeof(out->modality), ds, DCM_Modality,
				   "Modality", err)) != 0)
			goto fail;
		/* PS3.3 C.12.1, C.7.2.1, C.7.3.1: these identify the instance; without them the
		 * guard and the file-set cannot place it. */
		if (!uid_ok(out->sop_instance_uid) || !uid_ok(out->sop_class_uid) ||
		    !uid_ok(out->study_uid) || !uid_ok(out->series_uid) ||
		    !uid_ok(out->transfer_syntax)) {
			rc = ho_err_set(err, HO_EFORMAT,
					"%s lacks a valid SOP Class, SOP Instance, Study, Series or "
					"Transfer Syntax UID. It cannot be exported; ask the PACS "
					"administrator to check this object.",
					path);
			goto fail;
		}
		if (stat(path, &st) != 0) {
			rc = ho_err_set(err, HO_EIO, "Could not stat %s: %s.", path, strerror(errno));
			goto fail;
		}
		out->size = (uint64_t)st.st_size;
		out->path = path;
		return 0;
	} catch (...) {
		rc = ho_err_set(err, HO_ENOMEM, "Out of memory while reading %s.", path);
	}
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

extern "C" int ho_dcm_file_record(const char *path, ho_dcm_record *out, ho_err *err)
{
	DcmFileFormat ff;
	DcmDataset *ds;
	Sint32 v;
	int rc;

	if (out == NULL)
		return ho_err_set(err, HO_EINVAL, "ho_dcm_file_record: no output given.");
	memset(out, 0, sizeof(*out));
	out->series_number = -1;
	out->num_instances = -1;
	if ((rc = init(err)) != 0)
		return rc;
	try {
		if ((rc = load_header(ff, path, err)) != 0)
			return rc;
		ds = ff.getDataset();
		if ((rc = to_utf8(ds, "DICOM file", err)) != 0)
			return rc;
		out->level = HO_DCM_LEVEL_SERIES;
		if ((rc = copy_str(out->patient_id, sizeof(out->patient_id), ds, DCM_PatientID,
				   "Patient ID", err)) != 0 ||
		    (rc = copy_str(out->issuer, sizeof(out->issuer), ds, DCM_IssuerOfPatientID,
				   "Issuer of Patient ID", err)) != 0 ||
		    (rc = copy_str(out->patient_name, sizeof(out->patient_name), ds,
				   DCM_PatientName, "Patient's Name", err)) != 0 ||
		    (rc = copy_str(out->birth_date, sizeof(out->birth_date), ds,
				   DCM_PatientBirthDate, "Patient's Birth Date", err)) != 0 ||
		    (rc = copy_str(out->sex, sizeof(out->sex), ds, DCM_PatientSex,
				   "Patient's Sex", err)) != 0 ||
		    (rc = copy_str(out->study_uid, sizeof(out->study_uid), ds,
				   DCM_StudyInstanceUID, "Study Instance UID", err)) != 0 ||
		    (rc = copy_str(out->study_date, sizeof(out->study_date), ds, DCM_StudyDate,
				   "Study Date", err)) != 0 ||
		    (rc = copy_str(out->study_time, sizeof(out->study_time), ds, DCM_StudyTime,
				   "Study Time", err)) != 0 ||
		    (rc = copy_str(out->accession, sizeof(out->accession), ds,
				   DCM_AccessionNumber, "Accession Number", err)) != 0 ||
		    (rc = copy_str(out->study_desc, sizeof(out->study_desc), ds,
				   DCM_StudyDescription, "Study Description", err)) != 0 ||
		    (rc = copy_str(out->series_uid, sizeof(out->series_uid), ds,
				   DCM_SeriesInstanceUID, "Series Instance UID", err)) != 0 ||
		    (rc = copy_str(out->modality, sizeof(out->modality), ds, DCM_Modality,
				   "Modality", err)) != 0 ||
		    (rc = copy_str(out->modalities, sizeof(out->modalities), ds, DCM_Modality,
				   "Modality", err)) != 0 ||
		    (rc = copy_str(out->series_desc, sizeof(out->series_desc), ds,
				   DCM_SeriesDescription, "Series Description", err)) != 0)
			goto fail;
		if (ds->findAndGetSint32(DCM_SeriesNumber, v).good())
			out->series_number = (int)v;
		return 0;
	} catch (...) {
		rc = ho_err_set(err, HO_ENOMEM, "Out of memory while reading %s.", path);
	}
fail:
	memset(out, 0, sizeof(*out));
	return rc;
}

extern "C" int ho_dcm_transcode_explicit_le(const char *in, const char *out, ho_err *err)
{
	DcmFileFormat ff;
	std::string tmp;
	int rc;

	if (in == NULL || out == NULL)
		return ho_err_set(err, HO_EINVAL, "ho_dcm_transcode_explicit_le: no file given.");
	if ((rc = init(err)) != 0)
		return rc;
	try {
		tmp = std::string(out) + ".tmp";
		OFCondition c = ff.loadFile(in, EXS_Unknown, EGL_noChange, DCM_MaxReadLength,
					    ERM_fileOnly);
		if (c.bad())
			return ho_err_set(err, HO_EFORMAT,
					  "%s is not a readable DICOM file (%s). Retrieve it again "
					  "from the PACS.",
					  in, c.text());
		DcmDataset *ds = ff.getDataset();
		E_TransferSyntax from = ds->getOriginalXfer();
		DcmXfer fx(from);
		/* The pixel data must really be decoded (not just re-labelled), so make DCMTK
		 * load it now: a decoder error must fail here, not later in a viewer. */
		c = ds->loadAllDataIntoMemory();
		if (c.good())
			c = ds->chooseRepresentation(EXS_LittleEndianExplicit, NULL);
		if (c.bad() || !ds->canWriteXfer(EXS_LittleEndianExplicit, from))
			return ho_err_set(err, HO_EFORMAT,
					  "%s is compressed as %s, which this kiosk cannot decompress "
					  "(%s). Ask the PACS to send it uncompressed or use a "
					  "medium profile that allows this compression.",
					  in, fx.getXferName(), c.bad() ? c.text() : "no decoder");
		/* PS3.10 7.1: the meta header is rebuilt for the new transfer syntax. */
		c = ff.saveFile(tmp.c_str(), EXS_LittleEndianExplicit, EET_ExplicitLength,
				EGL_recalcGL, EPD_noChange, 0, 0, EWM_updateMeta);
		if (c.bad()) {
			unlink(tmp.c_str());
			return ho_err_set(err, HO_EIO,
					  "Could not write %s (%s). Check free space in staging.",
					  tmp.c_str(), c.text());
		}
		if (rename(tmp.c_str(), out) != 0) {
			rc = ho_err_set(err, HO_EIO, "Could not rename %s to %s: %s.", tmp.c_str(),
					out, strerror(errno));
			unlink(tmp.c_str());
			return rc;
		}
		return 0;
	} catch (...) {
		if (!tmp.empty())
			unlink(tmp.c_str());
		return ho_err_set(err, HO_ENOMEM, "Out of memory while transcoding %s.", in);
	}
}

extern "C" const char *ho_dcm_profile_name(int profile)
{
	switch (profile) {
	case HO_DCM_PROFILE_GEN_CD:
		return "STD-GEN-CD";
	case HO_DCM_PROFILE_GEN_DVD_JPEG:
		return "STD-GEN-DVD-JPEG";
	case HO_DCM_PROFILE_GEN_USB_JPEG:
		return "STD-GEN-USB-JPEG";
	default:
		return "unknown";
	}
}

extern "C" int ho_dcm_profile_allows(int profile, const char *ts)
{
	if (ts == NULL)
		return 0;
	/* PS3.11 D.3.2 (STD-GEN-CD): Explicit VR Little Endian only. */
	if (strcmp(ts, UID_LittleEndianExplicitTransferSyntax) == 0)
		return profile == HO_DCM_PROFILE_GEN_CD || profile == HO_DCM_PROFILE_GEN_DVD_JPEG ||
		       profile == HO_DCM_PROFILE_GEN_USB_JPEG;
	/* PS3.11 D.3.3 / D.3.5 (STD-GEN-DVD-JPEG, STD-GEN-USB-JPEG): additionally JPEG
	 * baseline (process 1), extended (2 & 4) and lossless SV1 (process 14). */
	if (profile == HO_DCM_PROFILE_GEN_DVD_JPEG || profile == HO_DCM_PROFILE_GEN_USB_JPEG)
		return strcmp(ts, UID_JPEGProcess1TransferSyntax) == 0 ||
		       strcmp(ts, UID_JPEGProcess2_4TransferSyntax) == 0 ||
		       strcmp(ts, UID_JPEGProcess14SV1TransferSyntax) == 0;
	return 0;
}

static bool file_id_ok(const char *rel)
{
	/* PS3.10 8.2 and 8.5: 1-8 characters of A-Z 0-9 _ per component, at most 8
	 * components, '/' between them here (DCMTK turns it into '\' in the record). */
	size_t comp = 0, levels = 0;

	if (rel == NULL || rel[0] == '\0' || rel[0] == '/')
		return false;
	for (const char *p = rel;; p++) {
		if (*p == '/' || *p == '\0') {
			if (comp == 0)
				return false;
			if (++levels > 8)
				return false;
			comp = 0;
			if (*p == '\0')
				return true;
			continue;
		}
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
		if (++comp > 8)
			return false;
	}
}

static DicomDirInterface::E_ApplicationProfile dcmtk_profile(int profile)
{
	switch (profile) {
	case HO_DCM_PROFILE_GEN_DVD_JPEG:
		return DicomDirInterface::AP_GeneralPurposeDVDJPEG;
	case HO_DCM_PROFILE_GEN_USB_JPEG:
		return DicomDirInterface::AP_USBandFlashJPEG;
	default:
		return DicomDirInterface::AP_GeneralPurpose;
	}
}

/* Counts the records that reference a file (IMAGE, SR, PRESENTATION, ...): every file we
 * were given must be referenced exactly once. */
static size_t count_refs(DcmDirectoryRecord *rec)
{
	size_t n = 0;

	for (unsigned long i = 0; i < rec->cardSub(); i++) {
		DcmDirectoryRecord *sub = rec->getSub(i);
		if (sub == NULL)
			continue;
		if (sub->tagExistsWithValue(DCM_ReferencedFileID))
			n++;
		n += count_refs(sub);
	}
	return n;
}

extern "C" int ho_dcm_dicomdir_write(const char *root, const char *fileset_id, int profile,
				     const char *const *rel_paths, size_t n, ho_err *err)
{
	std::string ddpath, full;
	int rc;

	if (root == NULL || (rel_paths == NULL && n > 0))
		return ho_err_set(err, HO_EINVAL, "ho_dcm_dicomdir_write: bad arguments.");
	if (profile != HO_DCM_PROFILE_GEN_CD && profile != HO_DCM_PROFILE_GEN_DVD_JPEG &&
	    profile != HO_DCM_PROFILE_GEN_USB_JPEG)
		return ho_err_set(err, HO_EINVAL, "Unknown DICOMDIR profile %d.", profile);
	/* PS3.3 F.3.2.1: File-set ID is CS, at most 16 characters. */
	if (fileset_id != NULL && strlen(fileset_id) > 16)
		return ho_err_set(err, HO_EINVAL,
				  "The file-set ID '%s' is longer than 16 characters.", fileset_id);
	if (n == 0)
		return ho_err_set(err, HO_EINVAL,
				  "No files were given for the DICOMDIR; a medium without images "
				  "is not written.");
	if ((rc = init(err)) != 0)
		return rc;
	try {
		ddpath = std::string(root) + "/DICOMDIR";
		/* Check every file first, so the message names the first offending file and
		 * says why, in our words, before DCMTK's more terse checks run. */
		std::map<std::string, size_t> seen;
		for (size_t i = 0; i < n; i++) {
			ho_dcm_instance inst;
			ho_err e2 = HO_ERR_INIT;

			if (!file_id_ok(rel_paths[i]))
				return ho_err_set(err, HO_EFORMAT,
						  "The file name '%s' is not a valid DICOM file ID "
						  "(PS3.10: up to 8 levels of 1-8 characters A-Z, "
						  "0-9, _).",
						  rel_paths[i] ? rel_paths[i] : "(null)");
			full = std::string(root) + "/" + rel_paths[i];
			if ((rc = ho_dcm_file_info(full.c_str(), &inst, &e2)) != 0)
				return ho_err_set(err, rc, "%s", e2.msg);
			if (!ho_dcm_profile_allows(profile, inst.transfer_syntax))
				return ho_err_set(err, HO_EFORMAT,
						  "%s has transfer syntax %s, which profile %s does "
						  "not allow; it would be left out of the DICOMDIR. "
						  "Transcode it to Explicit VR Little Endian first.",
						  rel_paths[i], inst.transfer_syntax,
						  ho_dcm_profile_name(profile));
			/* DCMTK merges records of the same SOP Instance UID (a warning, not
			 * an error): one of the files would silently vanish from the
			 * DICOMDIR. */
			auto ins = seen.emplace(inst.sop_instance_uid, i);
			if (!ins.second)
				return ho_err_set(err, HO_EFORMAT,
						  "%s and %s are the same image (SOP Instance UID "
						  "%s); a file-set may hold each image once.",
						  rel_paths[ins.first->second], rel_paths[i],
						  inst.sop_instance_uid);
		}

		DicomDirInterface dd;
		/* No DICOMDIR.BAK next to the real one on the medium. */
		dd.disableBackupMode(OFTrue);
		/* Real PACS data often lacks Type 1 directory keys (e.g. Study ID, PS3.3
		 * F.5.1); DCMTK then invents them in the record rather than dropping the
		 * file. The instance files themselves are never modified. */
		dd.enableInventMode(OFTrue);
		OFCondition c = dd.createNewDicomDir(dcmtk_profile(profile), ddpath.c_str(),
						     fileset_id ? fileset_id : "");
		if (c.bad())
			return ho_err_set(err, HO_EIO, "Could not start the DICOMDIR in %s (%s).",
					  root, c.text());
		for (size_t i = 0; i < n; i++) {
			c = dd.addDicomFile(rel_paths[i], root);
			if (c.bad()) {
				unlink(ddpath.c_str());
				return ho_err_set(err, HO_EFORMAT,
						  "%s could not be added to the DICOMDIR under "
						  "profile %s (%s). The medium was not finished; "
						  "check this object.",
						  rel_paths[i], ho_dcm_profile_name(profile),
						  c.text());
			}
		}
		c = dd.writeDicomDir(EET_ExplicitLength, EGL_withoutGL);
		if (c.bad()) {
			unlink(ddpath.c_str());
			return ho_err_set(err, HO_EIO, "Could not write %s (%s).", ddpath.c_str(),
					  c.text());
		}
		/* Read it back: every file we were given must be referenced. */
		DcmDicomDir check(ddpath.c_str());
		if (check.error().bad()) {
			unlink(ddpath.c_str());
			return ho_err_set(err, HO_EIO, "The DICOMDIR just written in %s could not "
					  "be read back (%s).", root, check.error().text());
		}
		size_t refs = count_refs(&check.getRootRecord());
		if (refs != n) {
			unlink(ddpath.c_str());
			return ho_err_set(err, HO_EFORMAT,
					  "The DICOMDIR references %zu files but %zu were given; "
					  "the medium was not finished.",
					  refs, n);
		}
		return 0;
	} catch (...) {
		if (!ddpath.empty())
			unlink(ddpath.c_str());
		return ho_err_set(err, HO_ENOMEM, "Out of memory while writing the DICOMDIR.");
	}
}
