/*
 * dicom/dicom_net.cc - C-FIND, C-GET and C-MOVE (Patient Root, PS3.4 C.4) over DCMTK's
 * ASC/DIMSE layer, with optional DICOM TLS (PS3.15 B.1).
 *
 * We talk to the ASC/DIMSE functions directly rather than through DcmSCU because the
 * user needs to hear *why* an association failed (called vs calling AE title, PS3.8
 * 9.3.4) and DcmSCU keeps the A-ASSOCIATE-RJ parameters private; and because the retrieve
 * loops must stream each C-STORE straight to disk, stop on the caller's word and poll the
 * move SCP's progress.
 */
#include "dicom/dicom_priv.hh"

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <fcntl.h>
#include <memory>
#include <arpa/inet.h>
#include <poll.h>
#include <mutex>
#include <string>
#include <sys/stat.h>
#include <thread>
#include <unistd.h>
#include <vector>

#include "dcmtk/dcmdata/dcostrmf.h"
#include "dcmtk/dcmnet/assoc.h"
#include "dcmtk/dcmnet/dimse.h"
#include "dcmtk/dcmnet/diutil.h"
#include "dcmtk/dcmnet/dcmtrans.h"
#include "dcmtk/dcmnet/dul.h"
#include "dcmtk/dcmtls/tlslayer.h"

#include <openssl/ssl.h>
#include <openssl/x509v3.h>

using namespace ho_dcm;

namespace {

const long MAX_PDU = ASC_MAXIMUMPDUSIZE;
/* A PACS that answers a query with more rows than this is misbehaving or the query was
 * far too broad; either way the kiosk's list could not show them. */
const long MAX_FIND_RESPONSES = 100000;
/* Granularity of the retrieve loops: how often they look at the cancel flag. */
const int POLL_S = 1;

const char *const TS_UNCOMPRESSED[] = {UID_LittleEndianExplicitTransferSyntax,
				       UID_LittleEndianImplicitTransferSyntax};

/* One presentation context per compressed transfer syntax, so the PACS can send each
 * object as it holds it and never has to re-encode (a re-encode into a lossy syntax would
 * lose information; PS3.5 8.2 and 10). */
const char *const TS_COMPRESSED[] = {
	UID_JPEGProcess14SV1TransferSyntax, UID_JPEGProcess1TransferSyntax,
	UID_RLELosslessTransferSyntax,	    UID_JPEG2000LosslessOnlyTransferSyntax,
	UID_JPEG2000TransferSyntax,
};

/* Image storage SOP classes (PS3.4 B.5) we retrieve; each gets the uncompressed context
 * plus one per compressed syntax. */
const char *const SOP_IMAGE[] = {
	UID_CTImageStorage,
	UID_EnhancedCTImageStorage,
	UID_MRImageStorage,
	UID_EnhancedMRImageStorage,
	UID_ComputedRadiographyImageStorage,
	UID_DigitalXRayImageStorageForPresentation,
	UID_DigitalXRayImageStorageForProcessing,
	UID_DigitalMammographyXRayImageStorageForPresentation,
	UID_UltrasoundImageStorage,
	UID_UltrasoundMultiframeImageStorage,
	UID_SecondaryCaptureImageStorage,
	UID_MultiframeGrayscaleWordSecondaryCaptureImageStorage,
	UID_MultiframeTrueColorSecondaryCaptureImageStorage,
	UID_NuclearMedicineImageStorage,
	UID_PositronEmissionTomographyImageStorage,
	UID_XRayAngiographicImageStorage,
};

/* Non-image objects that belong with a study on a patient's medium; uncompressed only. */
const char *const SOP_OTHER[] = {
	UID_BasicTextSRStorage,
	UID_EnhancedSRStorage,
	UID_ComprehensiveSRStorage,
	UID_KeyObjectSelectionDocumentStorage,
	UID_GrayscaleSoftcopyPresentationStateStorage,
	UID_EncapsulatedPDFStorage,
	UID_XRayRadiationDoseSRStorage,
};

/* For the move SCP (acceptor): lossless before lossy, so that a PACS that offers both
 * never gets asked to compress lossily; uncompressed before the lossy ones. */
const char *const TS_ACCEPT[] = {
	UID_LittleEndianExplicitTransferSyntax, UID_JPEGProcess14SV1TransferSyntax,
	UID_RLELosslessTransferSyntax,		UID_JPEG2000LosslessOnlyTransferSyntax,
	UID_LittleEndianImplicitTransferSyntax, UID_JPEGProcess1TransferSyntax,
	UID_JPEG2000TransferSyntax,
};

template <typename T, size_t N> constexpr int count_of(T (&)[N]) { return (int)N; }

struct peer_cfg {
	std::string host, called, calling;
	int port = 0;
	int connect_s = 10, dimse_s = 30;
	std::string ca, cert, key;
	int move_port = 0;
	std::string where; /* "127.0.0.1:4242" for messages */
};

bool ae_ok(const char *ae)
{
	/* PS3.5 6.2 AE: 1-16 characters, no backslash or control characters, not all
	 * spaces. */
	size_t n = ae == NULL ? 0 : strlen(ae);
	bool nonspace = false;

	if (n == 0 || n > 16)
		return false;
	for (size_t i = 0; i < n; i++) {
		if (ae[i] == '\\' || (unsigned char)ae[i] < 0x20 || (unsigned char)ae[i] > 0x7e)
			return false;
		if (ae[i] != ' ')
			nonspace = true;
	}
	return nonspace;
}

int check_peer(peer_cfg &pc, const ho_dcm_peer *p, ho_err *err)
{
	if (p == NULL || p->host == NULL || p->host[0] == '\0')
		return ho_err_set(err, HO_ECONFIG, "No PACS host is configured (pacs.host).");
	if (p->port <= 0 || p->port > 65535)
		return ho_err_set(err, HO_ECONFIG,
				  "The PACS port %d is not a valid TCP port (pacs.port).", p->port);
	if (!ae_ok(p->called_ae))
		return ho_err_set(err, HO_ECONFIG,
				  "The PACS AE title '%s' is not valid: it must be 1-16 printable "
				  "characters without backslash (pacs.called_ae).",
				  p->called_ae ? p->called_ae : "");
	if (!ae_ok(p->calling_ae))
		return ho_err_set(err, HO_ECONFIG,
				  "The kiosk's AE title '%s' is not valid: it must be 1-16 "
				  "printable characters without backslash (pacs.calling_ae).",
				  p->calling_ae ? p->calling_ae : "");
	if (p->move_port < 0 || p->move_port > 65535)
		return ho_err_set(err, HO_ECONFIG, "The move port %d is not a valid TCP port.",
				  p->move_port);
	if ((p->tls_cert_file == NULL) != (p->tls_key_file == NULL))
		return ho_err_set(err, HO_ECONFIG,
				  "A TLS client certificate needs both the certificate and its "
				  "private key file.");
	if (p->tls_ca_file == NULL && p->tls_cert_file != NULL)
		return ho_err_set(err, HO_ECONFIG,
				  "A TLS client certificate is configured but no CA file to check "
				  "the PACS against (pacs.tls_ca).");
	pc.host = p->host;
	pc.port = p->port;
	pc.called = p->called_ae;
	pc.calling = p->calling_ae;
	pc.connect_s = p->connect_timeout_s > 0 ? p->connect_timeout_s : 10;
	pc.dimse_s = p->dimse_timeout_s > 0 ? p->dimse_timeout_s : 30;
	if (p->tls_ca_file)
		pc.ca = p->tls_ca_file;
	if (p->tls_cert_file)
		pc.cert = p->tls_cert_file;
	if (p->tls_key_file)
		pc.key = p->tls_key_file;
	pc.move_port = p->move_port;
	pc.where = pc.host + ":" + std::to_string(pc.port);
	return 0;
}

/* One association as requestor and everything it owns. */
struct conn {
	T_ASC_Network *net = nullptr;
	T_ASC_Association *assoc = nullptr;
	DcmTLSTransportLayer *tls = nullptr;
	bool open = false;

	~conn()
	{
		if (assoc != nullptr) {
			if (open)
				ASC_abortAssociation(assoc);
			ASC_destroyAssociation(&assoc);
		}
		if (net != nullptr)
			ASC_dropNetwork(&net);
		delete tls; /* after the network: ASC_setTransportLayer did not take it */
	}

	/* Orderly end (A-RELEASE); falls back to A-ABORT. */
	void release()
	{
		if (assoc != nullptr && open) {
			if (ASC_releaseAssociation(assoc).bad())
				ASC_abortAssociation(assoc);
			open = false;
		}
	}

	void abort()
	{
		if (assoc != nullptr && open) {
			ASC_abortAssociation(assoc);
			open = false;
		}
	}

	/* For a peer that stopped answering or a broken connection: A-ABORT would wait
	 * for the peer to close (DUL's ARTIM timer, up to the connect timeout), so just
	 * close the TCP connection. */
	void kill()
	{
		if (assoc != nullptr && open) {
			ASC_closeTransportConnection(assoc);
			open = false;
		}
	}
};

int setup_tls(conn &c, const peer_cfg &pc, ho_err *err)
{
	c.tls = new DcmTLSTransportLayer(NET_REQUESTOR, NULL, OFTrue);
	/* PS3.15 B.9 (BCP 195): TLS 1.2+ with the recommended cipher suites. */
	if (c.tls->setTLSProfile(TSP_Profile_BCP195).bad() ||
	    c.tls->activateCipherSuites().bad())
		return ho_err_set(err, HO_ECRYPTO, "The TLS library could not be set up for "
				  "DICOM TLS (BCP 195 profile).");
	if (c.tls->addTrustedCertificateFile(pc.ca.c_str(), DCF_Filetype_PEM).bad())
		return ho_err_set(err, HO_ECONFIG,
				  "The CA file %s could not be read as PEM certificates "
				  "(pacs.tls_ca).",
				  pc.ca.c_str());
	if (!pc.cert.empty()) {
		if (c.tls->setPrivateKeyFile(pc.key.c_str(), DCF_Filetype_PEM).bad())
			return ho_err_set(err, HO_ECONFIG,
					  "The TLS private key %s could not be read (PEM, without "
					  "passphrase).",
					  pc.key.c_str());
		/* Straight into OpenSSL: DCMTK 3.6.7's setCertificateFile leaks the
		 * certificate's public key (EVP_PKEY) on every association (found by
		 * LeakSanitizer in the TLS export test). */
		SSL_CTX *cctx = c.tls->getNativeHandle();
		if (cctx == NULL ||
		    SSL_CTX_use_certificate_chain_file(cctx, pc.cert.c_str()) != 1)
			return ho_err_set(err, HO_ECONFIG,
					  "The TLS certificate %s could not be read (PEM).",
					  pc.cert.c_str());
		if (!c.tls->checkPrivateKeyMatchesCertificate())
			return ho_err_set(err, HO_ECONFIG,
					  "The TLS private key %s does not belong to the "
					  "certificate %s.",
					  pc.key.c_str(), pc.cert.c_str());
	}
	c.tls->setCertificateVerification(DCV_requireCertificate);
	/* DCMTK checks the chain but not the name: bind the certificate to the host we
	 * were configured to talk to (RFC 6125), as an IP address or a DNS name. */
	SSL_CTX *ctx = c.tls->getNativeHandle();
	X509_VERIFY_PARAM *vp = ctx ? SSL_CTX_get0_param(ctx) : NULL;
	if (vp == NULL)
		return ho_err_set(err, HO_ECRYPTO, "The TLS library could not be set up.");
	X509_VERIFY_PARAM_set_hostflags(vp, X509_CHECK_FLAG_NO_PARTIAL_WILDCARDS);
	if (X509_VERIFY_PARAM_set1_ip_asc(vp, pc.host.c_str()) != 1 &&
	    X509_VERIFY_PARAM_set1_host(vp, pc.host.c_str(), 0) != 1)
		return ho_err_set(err, HO_ECRYPTO, "The TLS library could not be set up.");
	return 0;
}

struct ctx_spec {
	const char *abstract;
	const char *const *ts;
	int nts;
	T_ASC_SC_ROLE role;
};

/* Opens the association; maps every failure to HO_ENET / HO_EREFUSED with a sentence. */
int open_assoc(conn &c, const peer_cfg &pc, const std::vector<ctx_spec> &ctxs, ho_err *err)
{
	T_ASC_Parameters *params = nullptr;
	OFCondition cond;
	int rc;

	/* TCP connect timeout; a process-wide DCMTK setting read at connect time. */
	dcmConnectionTimeout.set(pc.connect_s);
	cond = ASC_initializeNetwork(NET_REQUESTOR, 0, pc.connect_s, &c.net);
	if (cond.bad())
		return ho_err_set(err, HO_ENET, "The network could not be set up for DICOM (%s).",
				  cond.text());
	if (!pc.ca.empty()) {
		if ((rc = setup_tls(c, pc, err)) != 0)
			return rc;
		if (ASC_setTransportLayer(c.net, c.tls, 0).bad())
			return ho_err_set(err, HO_ECRYPTO, "DICOM TLS could not be enabled.");
	}
	cond = ASC_createAssociationParameters(&params, MAX_PDU);
	if (cond.bad())
		return ho_err_set(err, HO_ENOMEM, "Out of memory setting up the association.");
	ASC_setAPTitles(params, pc.calling.c_str(), pc.called.c_str(), NULL);
	ASC_setTransportLayerType(params, !pc.ca.empty());
	ASC_setPresentationAddresses(params, "localhost", pc.where.c_str());
	int id = 1;
	for (const ctx_spec &s : ctxs) {
		/* PS3.8 9.3.2.2: odd IDs 1..255, so at most 128 contexts. */
		if (id > 255)
			break;
		cond = ASC_addPresentationContext(params, (T_ASC_PresentationContextID)id, s.abstract,
						  const_cast<const char **>(s.ts), s.nts, s.role);
		if (cond.bad()) {
			ASC_destroyAssociationParameters(&params);
			return ho_err_set(err, HO_EINVAL, "Could not propose presentation "
					  "contexts (%s).", cond.text());
		}
		id += 2;
	}
	cond = ASC_requestAssociation(c.net, params, &c.assoc);
	if (c.assoc == nullptr)
		ASC_destroyAssociationParameters(&params);
	if (cond == DUL_ASSOCIATIONREJECTED) {
		T_ASC_RejectParameters rej;
		ASC_getRejectParameters(params, &rej);
		switch (rej.reason) {
		case ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED:
			return ho_err_set(err, HO_EREFUSED,
					  "The PACS at %s rejected the association: called AE "
					  "title '%s' is not recognised. Check pacs.called_ae in the "
					  "configuration.",
					  pc.where.c_str(), pc.called.c_str());
		case ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED:
			return ho_err_set(err, HO_EREFUSED,
					  "The PACS at %s rejected the association: it does not know "
					  "this kiosk's AE title '%s'. Ask the PACS administrator to "
					  "add it, or check pacs.calling_ae in the configuration.",
					  pc.where.c_str(), pc.calling.c_str());
		case ASC_REASON_SP_PRES_TEMPORARYCONGESTION:
		case ASC_REASON_SP_PRES_LOCALLIMITEXCEEDED:
			return ho_err_set(err, HO_ENET,
					  "The PACS at %s is busy and rejected the association for "
					  "now. Try again in a few minutes.",
					  pc.where.c_str());
		default:
			return ho_err_set(err, HO_EREFUSED,
					  "The PACS at %s rejected the association (reason 0x%04x). "
					  "Ask the PACS administrator whether AE title '%s' may "
					  "connect.",
					  pc.where.c_str(), (unsigned)rej.reason, pc.calling.c_str());
		}
	}
	if (cond.bad()) {
		const char *t = cond.text();
		if (!pc.ca.empty() && (strstr(t, "TLS") != NULL || strstr(t, "SSL") != NULL ||
				       strstr(t, "certificate") != NULL))
			return ho_err_set(err, HO_ENET,
					  "The secure connection to the PACS at %s failed (%s). "
					  "Check that the PACS uses TLS on this port and that its "
					  "certificate is signed by the CA in pacs.tls_ca and "
					  "names this host.",
					  pc.where.c_str(), t);
		return ho_err_set(err, HO_ENET,
				  "Could not reach the PACS at %s (%s). Check the network cable "
				  "and that the PACS is running; then try again.",
				  pc.where.c_str(), t);
	}
	c.open = true;
	if (ASC_countAcceptedPresentationContexts(c.assoc->params) == 0)
		return ho_err_set(err, HO_EREFUSED,
				  "The PACS at %s accepted the connection but none of the "
				  "requested services. Ask the PACS administrator to allow AE '%s' "
				  "to query and retrieve.",
				  pc.where.c_str(), pc.calling.c_str());
	return 0;
}

int net_fail(const peer_cfg &pc, OFCondition cond, const char *what, ho_err *err,
	     conn *c = nullptr)
{
	if (c != nullptr)
		c->kill();
	if (cond == DIMSE_NODATAAVAILABLE)
		return ho_err_set(err, HO_ENET,
				  "The PACS at %s stopped answering during the %s (no reply in %d "
				  "seconds). Try again; if it keeps happening, raise "
				  "pacs.dimse_timeout_s.",
				  pc.where.c_str(), what, pc.dimse_s);
	if (cond == DUL_PEERABORTEDASSOCIATION)
		return ho_err_set(err, HO_ENET,
				  "The PACS at %s broke off the connection during the %s. Try "
				  "again.",
				  pc.where.c_str(), what);
	return ho_err_set(err, HO_ENET, "The %s with the PACS at %s failed (%s). Try again.",
			  what, pc.where.c_str(), cond.text());
}

bool has_non_ascii(const char *s)
{
	for (; s && *s; s++)
		if ((unsigned char)*s >= 0x80)
			return true;
	return false;
}

/* ---- C-FIND ---------------------------------------------------------------------- */

int fill_record(ho_dcm_record *r, int level, DcmDataset *ds, ho_err *err)
{
	int rc;
	Sint32 v;

	memset(r, 0, sizeof(*r));
	r->level = level;
	r->series_number = -1;
	r->num_instances = -1;
	if ((rc = to_utf8(ds, "query answer", err)) != 0)
		return rc;
	struct {
		char *dst;
		size_t cap;
		DcmTagKey tag;
		const char *what;
	} f[] = {
		{r->patient_id, sizeof(r->patient_id), DCM_PatientID, "Patient ID"},
		{r->issuer, sizeof(r->issuer), DCM_IssuerOfPatientID, "Issuer of Patient ID"},
		{r->patient_name, sizeof(r->patient_name), DCM_PatientName, "Patient's Name"},
		{r->birth_date, sizeof(r->birth_date), DCM_PatientBirthDate, "Birth Date"},
		{r->sex, sizeof(r->sex), DCM_PatientSex, "Patient's Sex"},
		{r->study_uid, sizeof(r->study_uid), DCM_StudyInstanceUID, "Study UID"},
		{r->study_date, sizeof(r->study_date), DCM_StudyDate, "Study Date"},
		{r->study_time, sizeof(r->study_time), DCM_StudyTime, "Study Time"},
		{r->accession, sizeof(r->accession), DCM_AccessionNumber, "Accession Number"},
		{r->study_desc, sizeof(r->study_desc), DCM_StudyDescription, "Study Description"},
		{r->modalities, sizeof(r->modalities), DCM_ModalitiesInStudy, "Modalities"},
		{r->series_uid, sizeof(r->series_uid), DCM_SeriesInstanceUID, "Series UID"},
		{r->modality, sizeof(r->modality), DCM_Modality, "Modality"},
		{r->series_desc, sizeof(r->series_desc), DCM_SeriesDescription,
		 "Series Description"},
	};
	for (auto &x : f)
		if ((rc = copy_str(x.dst, x.cap, ds, x.tag, x.what, err)) != 0)
			return rc;
	if (ds->findAndGetSint32(DCM_SeriesNumber, v).good())
		r->series_number = (int)v;
	const DcmTagKey &cnt = level == HO_DCM_LEVEL_SERIES ? DCM_NumberOfSeriesRelatedInstances
			       : level == HO_DCM_LEVEL_STUDY ? DCM_NumberOfStudyRelatedInstances
							     : DCM_NumberOfPatientRelatedInstances;
	if (ds->findAndGetSint32(cnt, v).good() && v >= 0)
		r->num_instances = (int)v;
	return 0;
}

void put(DcmDataset &q, const DcmTagKey &tag, const char *v)
{
	q.putAndInsertString(tag, v ? v : "");
}

int build_query(DcmDataset &q, int level, const ho_dcm_query *qq, ho_err *err)
{
	const char *pid = qq ? qq->patient_id : NULL, *name = qq ? qq->patient_name : NULL;
	const char *study = qq ? qq->study_uid : NULL, *birth = qq ? qq->birth_date : NULL;

	/* Matching keys come from outside (the staff's search box): bound them here. */
	if ((pid && strlen(pid) > 64) || (name && strlen(name) > 3 * 64 * 4) ||
	    (birth && strlen(birth) > 17) || (study && study[0] && !uid_ok(study)))
		return ho_err_set(err, HO_EINVAL, "The search terms are too long or malformed.");
	if (has_non_ascii(pid) || has_non_ascii(name))
		/* PS3.5 6.1.2.3: our matching strings are UTF-8; say so (ISO_IR 192). */
		put(q, DCM_SpecificCharacterSet, "ISO_IR 192");
	else
		put(q, DCM_SpecificCharacterSet, "");
	/* Return keys are empty (universal) elements; matching keys carry values. */
	put(q, DCM_PatientID, pid);
	put(q, DCM_IssuerOfPatientID, NULL);
	put(q, DCM_PatientName, name);
	put(q, DCM_PatientBirthDate, birth);
	put(q, DCM_PatientSex, NULL);
	switch (level) {
	case HO_DCM_LEVEL_PATIENT:
		put(q, DCM_QueryRetrieveLevel, "PATIENT");
		put(q, DCM_NumberOfPatientRelatedInstances, NULL);
		break;
	case HO_DCM_LEVEL_STUDY:
		put(q, DCM_QueryRetrieveLevel, "STUDY");
		put(q, DCM_StudyInstanceUID, study);
		put(q, DCM_StudyDate, NULL);
		put(q, DCM_StudyTime, NULL);
		put(q, DCM_AccessionNumber, NULL);
		put(q, DCM_StudyDescription, NULL);
		put(q, DCM_ModalitiesInStudy, NULL);
		put(q, DCM_NumberOfStudyRelatedInstances, NULL);
		break;
	case HO_DCM_LEVEL_SERIES:
		if (study == NULL || study[0] == '\0')
			return ho_err_set(err, HO_EINVAL,
					  "A series search needs the study it belongs to.");
		put(q, DCM_QueryRetrieveLevel, "SERIES");
		put(q, DCM_StudyInstanceUID, study);
		put(q, DCM_SeriesInstanceUID, NULL);
		put(q, DCM_Modality, NULL);
		put(q, DCM_SeriesDescription, NULL);
		put(q, DCM_SeriesNumber, NULL);
		put(q, DCM_NumberOfSeriesRelatedInstances, NULL);
		break;
	default:
		return ho_err_set(err, HO_EINVAL, "Unknown query level %d.", level);
	}
	return 0;
}

int status_refused(const peer_cfg &pc, const char *what, unsigned status, ho_err *err)
{
	return ho_err_set(err, HO_EREFUSED,
			  "The PACS at %s refused the %s (DICOM status 0x%04x). Ask the PACS "
			  "administrator to check its log for AE title '%s'.",
			  pc.where.c_str(), what, status, pc.calling.c_str());
}

} // namespace

extern "C" int ho_dcm_find(const ho_dcm_peer *peer, int level, const ho_dcm_query *q,
			   ho_dcm_record_cb cb, void *ud, ho_err *err)
{
	peer_cfg pc;
	int rc;

	if (cb == NULL)
		return ho_err_set(err, HO_EINVAL, "ho_dcm_find: no callback.");
	if ((rc = init(err)) != 0 || (rc = check_peer(pc, peer, err)) != 0)
		return rc;
	try {
		conn c;
		DcmDataset query;
		if ((rc = build_query(query, level, q, err)) != 0)
			return rc;
		std::vector<ctx_spec> ctxs = {{UID_FINDPatientRootQueryRetrieveInformationModel,
					       TS_UNCOMPRESSED, count_of(TS_UNCOMPRESSED),
					       ASC_SC_ROLE_DEFAULT}};
		if ((rc = open_assoc(c, pc, ctxs, err)) != 0)
			return rc;
		T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(
			c.assoc, UID_FINDPatientRootQueryRetrieveInformationModel);
		if (pid == 0)
			return ho_err_set(err, HO_EREFUSED,
					  "The PACS at %s does not offer Patient Root queries to "
					  "AE '%s'.",
					  pc.where.c_str(), pc.calling.c_str());

		T_DIMSE_Message msg;
		memset(&msg, 0, sizeof(msg));
		msg.CommandField = DIMSE_C_FIND_RQ;
		T_DIMSE_C_FindRQ &req = msg.msg.CFindRQ;
		req.MessageID = c.assoc->nextMsgID++;
		OFStandard::strlcpy(req.AffectedSOPClassUID,
				    UID_FINDPatientRootQueryRetrieveInformationModel,
				    sizeof(req.AffectedSOPClassUID));
		req.Priority = DIMSE_PRIORITY_MEDIUM;
		req.DataSetType = DIMSE_DATASET_PRESENT;
		OFCondition cond = DIMSE_sendMessageUsingMemoryData(c.assoc, pid, &msg, NULL,
								    &query, NULL, NULL);
		if (cond.bad())
			return net_fail(pc, cond, "query", err, &c);

		long n = 0;
		for (;;) {
			T_DIMSE_Message rsp;
			T_ASC_PresentationContextID rpid = 0;
			DcmDataset *sd = nullptr;
			memset(&rsp, 0, sizeof(rsp));
			cond = DIMSE_receiveCommand(c.assoc, DIMSE_NONBLOCKING, pc.dimse_s, &rpid,
						    &rsp, &sd);
			delete sd;
			if (cond.bad())
				return net_fail(pc, cond, "query", err, &c);
			if (rsp.CommandField != DIMSE_C_FIND_RSP) {
				c.abort();
				return ho_err_set(err, HO_ENET,
						  "The PACS at %s sent an unexpected message "
						  "during the query.",
						  pc.where.c_str());
			}
			unsigned st = rsp.msg.CFindRSP.DimseStatus;
			if (!DICOM_PENDING_STATUS(st)) {
				if (st == STATUS_Success) {
					c.release();
					return 0;
				}
				c.release();
				return status_refused(pc, "query", st, err);
			}
			if (rsp.msg.CFindRSP.DataSetType == DIMSE_DATASET_NULL)
				continue;
			DcmDataset *ds = nullptr;
			cond = DIMSE_receiveDataSetInMemory(c.assoc, DIMSE_NONBLOCKING, pc.dimse_s,
							    &rpid, &ds, NULL, NULL);
			std::unique_ptr<DcmDataset> own(ds);
			if (cond.bad())
				return net_fail(pc, cond, "query", err, &c);
			if (++n > MAX_FIND_RESPONSES) {
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				c.abort();
				return ho_err_set(err, HO_ETOOBIG,
						  "The search matched more than %ld entries. "
						  "Narrow it down (more of the name, or the "
						  "patient ID).",
						  MAX_FIND_RESPONSES);
			}
			ho_dcm_record rec;
			if ((rc = fill_record(&rec, level, ds, err)) != 0) {
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				c.abort();
				return rc;
			}
			int u = cb(ud, &rec);
			if (u != 0) {
				/* PS3.7 9.3.2.3: C-CANCEL, then we do not wait for the
				 * stragglers. */
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				c.abort();
				return u;
			}
		}
	} catch (...) {
		return ho_err_set(err, HO_ENOMEM, "Out of memory during the query.");
	}
}

/* ---- Retrieve ---------------------------------------------------------------------- */

namespace {

/* State shared by the C-GET loop or the move SCP thread with ho_dcm_retrieve_series. */
struct retrieve_state {
	peer_cfg pc;
	std::string dest, series_uid;
	ho_dcm_instance_cb cb = nullptr;
	void *ud = nullptr;
	unsigned seq = 0;
	long received = 0;
	int rc = 0;	  /* first failure of a sub-operation or the callback's value */
	ho_err err = HO_ERR_INIT;
	std::atomic<bool> stop{false};
	std::atomic<bool> failed{false};
	bool dead = false; /* the failure was the connection itself: no goodbyes */
	std::string rejected; /* move SCP: who we turned away, for the message */
	std::atomic<long> last_activity{0};
};

long now_s()
{
	return (long)std::chrono::duration_cast<std::chrono::seconds>(
		       std::chrono::steady_clock::now().time_since_epoch())
		.count();
}

/* A fresh, neutral file name (never derived from what the peer sent: a UID is not a
 * safe path component to trust), created 0600 so PHI is not world-readable. */
int new_file(retrieve_state &st, std::string &path)
{
	for (int tries = 0; tries < 1000; tries++) {
		char name[32];
		snprintf(name, sizeof(name), "/ho%06u.dcm", st.seq++);
		path = st.dest + name;
		int fd = open(path.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
			      0600);
		if (fd >= 0) {
			close(fd);
			return 0;
		}
		if (errno != EEXIST)
			return ho_err_set(&st.err, HO_EIO, "Could not create a file in %s: %s.",
					  st.dest.c_str(), strerror(errno));
	}
	return ho_err_set(&st.err, HO_EIO, "Could not find a free file name in %s.",
			  st.dest.c_str());
}

/* Receives the data set of one C-STORE-RQ straight into a file, checks it and hands it
 * to the callback. Returns the C-STORE-RSP status to send; sets st.rc/st.failed when
 * the retrieve must stop. */
Uint16 store_one(retrieve_state &st, T_ASC_Association *assoc, T_ASC_PresentationContextID pid,
		 T_DIMSE_C_StoreRQ &req, int timeout_s)
{
	std::string path;
	DcmOutputFileStream *fs = nullptr;
	int rc;

	st.last_activity = now_s();
	if ((rc = new_file(st, path)) != 0) {
		st.rc = rc;
		st.failed = true;
		DIC_UL b = 0, p = 0;
		DIMSE_ignoreDataSet(assoc, DIMSE_NONBLOCKING, timeout_s, &b, &p);
		return STATUS_STORE_Refused_OutOfResources;
	}
	/* Bit-preserving: the PDVs go to disk as received behind a Part 10 meta header built
	 * from the request and the context's transfer syntax; the object is never held
	 * whole in memory. */
	OFCondition cond = DIMSE_createFilestream(path.c_str(), &req, assoc, pid, OFTrue, &fs);
	if (cond.bad()) {
		unlink(path.c_str());
		st.rc = ho_err_set(&st.err, HO_EIO,
				   "Could not write an image to the staging area %s (%s). Check "
				   "that it is mounted and has free space.",
				   st.dest.c_str(), cond.text());
		st.failed = true;
		DIC_UL b = 0, p = 0;
		DIMSE_ignoreDataSet(assoc, DIMSE_NONBLOCKING, timeout_s, &b, &p);
		return STATUS_STORE_Refused_OutOfResources;
	}
	cond = DIMSE_receiveDataSetInFile(assoc, DIMSE_NONBLOCKING, timeout_s, &pid, fs, NULL,
					  NULL);
	bool disk_bad = fs->status().bad() || strstr(cond.text(), "write to file") != NULL;
	delete fs;
	st.last_activity = now_s();
	if (cond.bad()) {
		unlink(path.c_str());
		/* Either side can fail mid-object: the file stream (disk full) or the
		 * network. The association is unusable in both cases. */
		if (disk_bad)
			st.rc = ho_err_set(&st.err, HO_EIO,
					   "Could not write an image to the staging area %s (%s). "
					   "Check that it has free space.",
					   st.dest.c_str(), cond.text());
		else
			st.rc = net_fail(st.pc, cond, "transfer of an image", &st.err);
		st.dead = true;
		st.failed = true;
		return STATUS_STORE_Refused_OutOfResources;
	}
	ho_dcm_instance inst;
	ho_err e2 = HO_ERR_INIT;
	if ((rc = ho_dcm_file_info(path.c_str(), &inst, &e2)) != 0) {
		unlink(path.c_str());
		st.rc = ho_err_set(&st.err, rc == HO_ETOOBIG ? HO_ETOOBIG : HO_EFORMAT,
				   "The PACS sent a damaged object (SOP Instance %s): %s",
				   req.AffectedSOPInstanceUID, e2.msg);
		st.failed = true;
		return STATUS_STORE_Error_CannotUnderstand;
	}
	/* The data set must be the object the C-STORE request announced (PS3.7 9.3.1.1).
	 * Whether it belongs to the requested series and patient is the caller's guard to
	 * decide (core/job.c turns that into a security stop), so it is not judged here. */
	if (strcmp(inst.sop_instance_uid, req.AffectedSOPInstanceUID) != 0) {
		unlink(path.c_str());
		st.rc = ho_err_set(&st.err, HO_EFORMAT,
				   "The PACS sent an object whose content (SOP Instance %s) does not "
				   "match what it announced (%s). The retrieve was stopped; report "
				   "this to the PACS administrator.",
				   inst.sop_instance_uid, req.AffectedSOPInstanceUID);
		st.failed = true;
		return STATUS_STORE_Error_CannotUnderstand;
	}
	st.received++;
	int u = st.cb(st.ud, &inst);
	if (u != 0) {
		st.rc = u;
		st.failed = true;
		ho_err_set(&st.err, u, "The retrieve was stopped.");
		return STATUS_STORE_Refused_OutOfResources;
	}
	return STATUS_Success;
}

Uint16 send_store_rsp(T_ASC_Association *assoc, T_ASC_PresentationContextID pid,
		      const T_DIMSE_C_StoreRQ &req, Uint16 status)
{
	T_DIMSE_C_StoreRSP rsp;
	memset(&rsp, 0, sizeof(rsp));
	rsp.MessageIDBeingRespondedTo = req.MessageID;
	rsp.DimseStatus = status;
	rsp.DataSetType = DIMSE_DATASET_NULL;
	OFStandard::strlcpy(rsp.AffectedSOPClassUID, req.AffectedSOPClassUID,
			    sizeof(rsp.AffectedSOPClassUID));
	OFStandard::strlcpy(rsp.AffectedSOPInstanceUID, req.AffectedSOPInstanceUID,
			    sizeof(rsp.AffectedSOPInstanceUID));
	rsp.opts = O_STORE_AFFECTEDSOPCLASSUID | O_STORE_AFFECTEDSOPINSTANCEUID;
	T_DIMSE_C_StoreRQ r = req;
	return DIMSE_sendStoreResponse(assoc, pid, &r, &rsp, NULL).good() ? 0 : 1;
}

void add_storage_contexts(std::vector<ctx_spec> &v, T_ASC_SC_ROLE role)
{
	for (const char *sop : SOP_IMAGE) {
		v.push_back({sop, TS_UNCOMPRESSED, count_of(TS_UNCOMPRESSED), role});
		for (const char *const &ts : TS_COMPRESSED)
			v.push_back({sop, &ts, 1, role});
	}
	for (const char *sop : SOP_OTHER)
		v.push_back({sop, TS_UNCOMPRESSED, count_of(TS_UNCOMPRESSED), role});
}

DcmDataset *retrieve_ids(const char *patient_id, const char *study, const char *series)
{
	DcmDataset *ds = new DcmDataset;
	put(*ds, DCM_QueryRetrieveLevel, "SERIES");
	put(*ds, DCM_PatientID, patient_id);
	put(*ds, DCM_StudyInstanceUID, study);
	put(*ds, DCM_SeriesInstanceUID, series);
	return ds;
}

/* Final status of a C-GET/C-MOVE (PS3.4 C.4.2.1.4, C.4.3.1.4) to our codes. */
int final_status(retrieve_state &st, const char *op, unsigned status, unsigned completed,
		 unsigned failed, unsigned warning, ho_err *err)
{
	const peer_cfg &pc = st.pc;

	if (st.failed)
		return ho_err_set(err, st.rc, "%s", st.err.msg);
	if (status == STATUS_Success || status == 0xB000 /* warning: some failed */) {
		/* Our side accepted everything it was sent (st.failed is false), so failed
		 * sub-operations are objects the PACS could not read or send: most often a
		 * damaged copy in its storage. */
		if (failed > 0 || status == 0xB000)
			return ho_err_set(err, HO_EFORMAT,
					  "The PACS at %s could not send %u of the %u images of "
					  "the series (%s); its copy may be damaged. Nothing from "
					  "this series can be exported; ask the PACS administrator "
					  "to check it.",
					  pc.where.c_str(), failed, completed + failed + warning, op);
		if (st.received == 0)
			return ho_err_set(err, HO_ENOTFOUND,
					  "The PACS at %s has no images for this series. It may "
					  "have been deleted or moved; search again.",
					  pc.where.c_str());
		return 0;
	}
	if (status == STATUS_MOVE_Refused_MoveDestinationUnknown)
		return ho_err_set(err, HO_EREFUSED,
				  "The PACS at %s does not know where to send the images: it has "
				  "no address for this kiosk's AE title '%s'. Ask the PACS "
				  "administrator to add it with port %d, or use C-GET "
				  "(pacs.retrieve = get).",
				  pc.where.c_str(), pc.calling.c_str(), pc.move_port);
	if (status == STATUS_GET_Cancel_SubOperationsTerminatedDueToCancelIndication)
		return ho_err_set(err, HO_ECANCEL, "The retrieve was cancelled.");
	if (!st.rejected.empty() && st.received == 0)
		return ho_err_set(err, HO_EREFUSED,
				  "The images for this retrieve came from %s, but only AE title "
				  "'%s' at %s may send to '%s', so they were refused. Check "
				  "pacs.host and pacs.called_ae, or ask the PACS administrator "
				  "which address and AE title it sends from.",
				  st.rejected.c_str(), pc.called.c_str(), pc.host.c_str(),
				  pc.calling.c_str());
	/* A failure status after sub-operations ran (Orthanc: 0xC000 when it cannot read
	 * a stored file) is a damaged object, not a refusal of the request. */
	if (failed > 0 || st.received > 0)
		return ho_err_set(err, HO_EFORMAT,
				  "The PACS at %s stopped sending the series after %ld images "
				  "(%s status 0x%04x, %u failed); its copy may be damaged. "
				  "Nothing from this series can be exported; ask the PACS "
				  "administrator to check it.",
				  pc.where.c_str(), st.received, op, status, failed);
	return status_refused(pc, op, status, err);
}

/* Asks the PACS whether the series exists (SERIES-level C-FIND), to tell "nothing there"
 * (HO_ENOTFOUND) from "refused" after a retrieve failed without sending anything. */
int series_exists(const ho_dcm_peer *peer, const char *study, const char *series)
{
	struct ctx {
		const char *uid;
		bool found;
	} x = {series, false};
	ho_dcm_query q = {NULL, NULL, study, NULL};
	ho_err e = HO_ERR_INIT;
	int rc = ho_dcm_find(
		peer, HO_DCM_LEVEL_SERIES, &q,
		[](void *ud, const ho_dcm_record *r) -> int {
			ctx *c = (ctx *)ud;
			if (strcmp(r->series_uid, c->uid) == 0)
				c->found = true;
			return 0;
		},
		&x, &e);
	return rc != 0 ? -1 : x.found ? 1 : 0;
}

int do_get(retrieve_state &st, const char *patient_id, const char *study, const char *series,
	   ho_err *err)
{
	const peer_cfg &pc = st.pc;
	conn c;
	int rc;
	std::vector<ctx_spec> ctxs = {{UID_GETPatientRootQueryRetrieveInformationModel,
				       TS_UNCOMPRESSED, count_of(TS_UNCOMPRESSED),
				       ASC_SC_ROLE_DEFAULT}};
	/* PS3.4 C.4.3.1: with C-GET the sub-operations come back on this association, so we
	 * propose the storage contexts ourselves with the SCP role (PS3.7 D.3.3.4). */
	add_storage_contexts(ctxs, ASC_SC_ROLE_SCP);
	if ((rc = open_assoc(c, pc, ctxs, err)) != 0)
		return rc;
	T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(
		c.assoc, UID_GETPatientRootQueryRetrieveInformationModel);
	if (pid == 0)
		return ho_err_set(err, HO_EREFUSED,
				  "The PACS at %s does not allow retrieval by C-GET for AE title "
				  "'%s'. Ask the PACS administrator to allow it, or configure "
				  "C-MOVE (pacs.retrieve = move).",
				  pc.where.c_str(), pc.calling.c_str());

	std::unique_ptr<DcmDataset> ids(retrieve_ids(patient_id, study, series));
	T_DIMSE_Message msg;
	memset(&msg, 0, sizeof(msg));
	msg.CommandField = DIMSE_C_GET_RQ;
	T_DIMSE_C_GetRQ &req = msg.msg.CGetRQ;
	req.MessageID = c.assoc->nextMsgID++;
	OFStandard::strlcpy(req.AffectedSOPClassUID,
			    UID_GETPatientRootQueryRetrieveInformationModel,
			    sizeof(req.AffectedSOPClassUID));
	req.Priority = DIMSE_PRIORITY_MEDIUM;
	req.DataSetType = DIMSE_DATASET_PRESENT;
	OFCondition cond =
		DIMSE_sendMessageUsingMemoryData(c.assoc, pid, &msg, NULL, ids.get(), NULL, NULL);
	if (cond.bad())
		return net_fail(pc, cond, "retrieve", err, &c);

	for (;;) {
		T_DIMSE_Message rsp;
		T_ASC_PresentationContextID rpid = 0;
		DcmDataset *sd = nullptr;
		memset(&rsp, 0, sizeof(rsp));
		cond = DIMSE_receiveCommand(c.assoc, DIMSE_NONBLOCKING, pc.dimse_s, &rpid, &rsp,
					    &sd);
		delete sd;
		if (cond == DUL_PEERABORTEDASSOCIATION && st.received == 0) {
			/* Orthanc, among others, answers a C-GET it will not serve for this AE
			 * with an A-ABORT instead of a failure status. */
			c.open = false;
			return ho_err_set(err, HO_EREFUSED,
					  "The PACS at %s refused the retrieve by C-GET for AE "
					  "title '%s' (it broke off the connection). Ask the PACS "
					  "administrator to allow C-GET for this AE, or configure "
					  "C-MOVE (pacs.retrieve = move).",
					  pc.where.c_str(), pc.calling.c_str());
		}
		if (cond.bad())
			return net_fail(pc, cond, "retrieve", err, &c);
		if (rsp.CommandField == DIMSE_C_STORE_RQ) {
			Uint16 s = store_one(st, c.assoc, rpid, rsp.msg.CStoreRQ, pc.dimse_s);
			if (st.failed && st.dead) {
				c.kill();
				return ho_err_set(err, st.rc, "%s", st.err.msg);
			}
			if (st.failed) {
				/* PS3.7 9.3.3.3: C-CANCEL the C-GET, then abort rather than
				 * wait for the PACS to wind down. */
				send_store_rsp(c.assoc, rpid, rsp.msg.CStoreRQ, s);
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				c.abort();
				return ho_err_set(err, st.rc, "%s", st.err.msg);
			}
			if (send_store_rsp(c.assoc, rpid, rsp.msg.CStoreRQ, s) != 0)
				return ho_err_set(err, HO_ENET,
						  "The connection to the PACS at %s failed during "
						  "the retrieve. Try again.",
						  pc.where.c_str());
			continue;
		}
		if (rsp.CommandField != DIMSE_C_GET_RSP) {
			c.abort();
			return ho_err_set(err, HO_ENET,
					  "The PACS at %s sent an unexpected message during the "
					  "retrieve.",
					  pc.where.c_str());
		}
		T_DIMSE_C_GetRSP &g = rsp.msg.CGetRSP;
		if (g.DataSetType != DIMSE_DATASET_NULL) {
			/* Failed SOP Instance UID List (PS3.4 C.4.3.1.3.1); not needed. */
			DcmDataset *x = nullptr;
			DIMSE_receiveDataSetInMemory(c.assoc, DIMSE_NONBLOCKING, pc.dimse_s, &rpid,
						     &x, NULL, NULL);
			delete x;
		}
		if (DICOM_PENDING_STATUS(g.DimseStatus))
			continue;
		c.release();
		return final_status(st, "C-GET", g.DimseStatus, g.NumberOfCompletedSubOperations,
				    g.NumberOfFailedSubOperations, g.NumberOfWarningSubOperations,
				    err);
	}
}

/* DcmTransportConnection::getSocket() is protected; a pointer to the member taken in a
 * derived class may be applied to any connection (C++17 [class.protected]). We only
 * poll() the descriptor; all reading stays with DCMTK. */
struct socket_of : DcmTransportConnection {
	static DcmNativeSocketType (DcmTransportConnection::*get())()
	{
		return &socket_of::getSocket;
	}
};

/* The storage SCP that receives C-MOVE sub-operations (PS3.4 C.4.2.1.3: a separate
 * association from the PACS to our AE title). Runs on its own thread for the duration of
 * one retrieve; accepts only the PACS's AE title calling ours. */
struct move_scp {
	retrieve_state &st;
	T_ASC_Network *net = nullptr;
	std::thread thr;

	explicit move_scp(retrieve_state &s) : st(s) {}
	~move_scp()
	{
		st.stop = true;
		if (thr.joinable())
			thr.join();
		if (net != nullptr)
			ASC_dropNetwork(&net);
	}

	int start(ho_err *err)
	{
		OFCondition c = ASC_initializeNetwork(NET_ACCEPTOR, st.pc.move_port,
						      st.pc.connect_s, &net);
		if (c.bad())
			return ho_err_set(err, HO_ECONFIG,
					  "Could not listen on port %d for the images (%s). Is "
					  "another retrieve or program using it? Check "
					  "pacs.move_port.",
					  st.pc.move_port, c.text());
		thr = std::thread([this] { run(); });
		return 0;
	}

	/* Waits up to 50 ms for fd to become readable; DCMTK's own timeouts count whole
	 * seconds, which would add a second to every C-MOVE when we stop the SCP. */
	static bool readable(int fd)
	{
		struct pollfd p = {fd, POLLIN, 0};
		return poll(&p, 1, 50) > 0;
	}

	void run()
	{
		try {
			int lfd = (int)DUL_networkSocket(net->network);
			while (!st.stop) {
				if (lfd >= 0 && !readable(lfd))
					continue;
				T_ASC_Association *a = nullptr;
				OFCondition c = ASC_receiveAssociation(net, &a, MAX_PDU, NULL, NULL,
								       OFFalse, DUL_NOBLOCK, POLL_S);
				if (c.bad()) {
					if (a != nullptr)
						ASC_destroyAssociation(&a);
					continue;
				}
				serve(a);
				ASC_dropSCPAssociation(a);
				ASC_destroyAssociation(&a);
			}
		} catch (...) {
			st.rc = HO_ENOMEM;
			ho_err_set(&st.err, HO_ENOMEM, "Out of memory receiving images.");
			st.failed = true;
		}
	}

	bool from_peer(T_ASC_Association *a)
	{
		struct in6_addr b6;
		struct in_addr b4;
		const char *h = st.pc.host.c_str();
		/* A host name would need a lookup we do not want here (see init). */
		if (inet_pton(AF_INET, h, &b4) != 1 && inet_pton(AF_INET6, h, &b6) != 1)
			return true;
		std::string from(a->params->DULparams.callingPresentationAddress);
		/* DCMTK writes "address" or "address:port". */
		size_t colon = from.rfind(':');
		if (colon != std::string::npos && from.find(':') == colon)
			from.resize(colon);
		return from == st.pc.host;
	}

	void serve(T_ASC_Association *a)
	{
		char called[DIC_AE_LEN + 1] = {0}, calling[DIC_AE_LEN + 1] = {0};
		ASC_getAPTitles(a->params, calling, sizeof(calling), called, sizeof(called), NULL,
				0);
		OFString cd(called), cg(calling);
		/* PS3.8 9.3.4: reject with the reason a peer can act on. */
		T_ASC_RejectParameters rej = {ASC_RESULT_REJECTEDPERMANENT,
					      ASC_SOURCE_SERVICEUSER, ASC_REASON_SU_NOREASON};
		bool ok = true;
		if (cd != OFString(st.pc.calling.c_str())) {
			rej.reason = ASC_REASON_SU_CALLEDAETITLENOTRECOGNIZED;
			ok = false;
		} else if (cg != OFString(st.pc.called.c_str()) || !from_peer(a)) {
			/* Only the PACS we asked may store into this retrieve: its AE title
			 * and, when configured as an IP address, that address. */
			rej.reason = ASC_REASON_SU_CALLINGAETITLENOTRECOGNIZED;
			ok = false;
		}
		const char *sops[count_of(SOP_IMAGE) + count_of(SOP_OTHER)];
		int n = 0;
		for (const char *s : SOP_IMAGE)
			sops[n++] = s;
		for (const char *s : SOP_OTHER)
			sops[n++] = s;
		if (ok) {
			ASC_acceptContextsWithPreferredTransferSyntaxes(
				a->params, sops, n, const_cast<const char **>(TS_ACCEPT),
				count_of(TS_ACCEPT));
			const char *echo_ts[] = {UID_LittleEndianImplicitTransferSyntax};
			const char *echo[] = {UID_VerificationSOPClass};
			ASC_acceptContextsWithPreferredTransferSyntaxes(a->params, echo, 1,
									echo_ts, 1);
		}
		if (!ok || st.stop) {
			if (!ok && st.rejected.empty())
				st.rejected = "AE title '" + std::string(cg.c_str()) + "' calling '" +
					      std::string(cd.c_str()) + "' from " +
					      a->params->DULparams.callingPresentationAddress;
			ASC_rejectAssociation(a, &rej);
			return;
		}
		if (ASC_acknowledgeAssociation(a).bad())
			return;
		st.last_activity = now_s();
		DcmTransportConnection *tc = DUL_getTransportConnection(a->DULassociation);
		int fd = tc != nullptr ? (int)(tc->*socket_of::get())() : -1;
		for (;;) {
			T_DIMSE_Message m;
			T_ASC_PresentationContextID pid = 0;
			memset(&m, 0, sizeof(m));
			/* Data already buffered by DUL, or on the socket: read the command.
			 * Otherwise look at the stop flag every 50 ms. */
			if (!ASC_dataWaiting(a, 0) && fd >= 0 && !readable(fd)) {
				if (st.stop)
					break;
				continue;
			}
			OFCondition c = DIMSE_receiveCommand(a, DIMSE_NONBLOCKING, st.pc.dimse_s,
							     &pid, &m, NULL);
			if (c == DIMSE_NODATAAVAILABLE) {
				if (st.stop)
					break;
				continue;
			}
			if (c == DUL_PEERREQUESTEDRELEASE) {
				ASC_acknowledgeRelease(a);
				return;
			}
			if (c.bad())
				return;
			if (m.CommandField == DIMSE_C_ECHO_RQ) {
				DIMSE_sendEchoResponse(a, pid, &m.msg.CEchoRQ, STATUS_Success,
						       NULL);
				continue;
			}
			if (m.CommandField != DIMSE_C_STORE_RQ)
				break;
			Uint16 s = store_one(st, a, pid, m.msg.CStoreRQ, st.pc.dimse_s);
			if (st.dead)
				break;
			send_store_rsp(a, pid, m.msg.CStoreRQ, s);
			if (st.failed)
				break;
		}
		/* After our own failure the PACS is alive and gets an A-ABORT. When the
		 * retrieve is over (stop) or the PACS went silent, just close: A-ABORT
		 * would wait for a frozen peer to close (ARTIM, up to the connect
		 * timeout), and every sub-operation has already been answered. */
		if (st.failed && !st.dead)
			ASC_abortAssociation(a);
		else
			ASC_closeTransportConnection(a);
	}
};

int do_move(retrieve_state &st, const char *patient_id, const char *study, const char *series,
	    ho_err *err)
{
	const peer_cfg &pc = st.pc;
	int rc;

	if (!pc.ca.empty())
		/* The PACS would connect back in the clear: PHI must not travel that way. */
		return ho_err_set(err, HO_ECONFIG,
				  "C-MOVE cannot be used with DICOM TLS on this kiosk (the images "
				  "would come back unencrypted). Set pacs.move_port to 0 to use "
				  "C-GET.");
	move_scp scp(st);
	if ((rc = scp.start(err)) != 0)
		return rc;
	conn c;
	std::vector<ctx_spec> ctxs = {{UID_MOVEPatientRootQueryRetrieveInformationModel,
				       TS_UNCOMPRESSED, count_of(TS_UNCOMPRESSED),
				       ASC_SC_ROLE_DEFAULT}};
	if ((rc = open_assoc(c, pc, ctxs, err)) != 0)
		return rc;
	T_ASC_PresentationContextID pid = ASC_findAcceptedPresentationContextID(
		c.assoc, UID_MOVEPatientRootQueryRetrieveInformationModel);
	if (pid == 0)
		return ho_err_set(err, HO_EREFUSED,
				  "The PACS at %s does not allow retrieval by C-MOVE for AE title "
				  "'%s'. Ask the PACS administrator, or use C-GET "
				  "(pacs.retrieve = get).",
				  pc.where.c_str(), pc.calling.c_str());
	std::unique_ptr<DcmDataset> ids(retrieve_ids(patient_id, study, series));
	T_DIMSE_Message msg;
	memset(&msg, 0, sizeof(msg));
	msg.CommandField = DIMSE_C_MOVE_RQ;
	T_DIMSE_C_MoveRQ &req = msg.msg.CMoveRQ;
	req.MessageID = c.assoc->nextMsgID++;
	OFStandard::strlcpy(req.AffectedSOPClassUID,
			    UID_MOVEPatientRootQueryRetrieveInformationModel,
			    sizeof(req.AffectedSOPClassUID));
	OFStandard::strlcpy(req.MoveDestination, pc.calling.c_str(), sizeof(req.MoveDestination));
	req.Priority = DIMSE_PRIORITY_MEDIUM;
	req.DataSetType = DIMSE_DATASET_PRESENT;
	OFCondition cond =
		DIMSE_sendMessageUsingMemoryData(c.assoc, pid, &msg, NULL, ids.get(), NULL, NULL);
	if (cond.bad())
		return net_fail(pc, cond, "retrieve", err, &c);
	st.last_activity = now_s();
	bool cancelled = false;
	for (;;) {
		T_DIMSE_Message rsp;
		T_ASC_PresentationContextID rpid = 0;
		DcmDataset *sd = nullptr;
		memset(&rsp, 0, sizeof(rsp));
		/* Poll so that a stop from the SCP thread (callback, damaged object) turns
		 * into a C-CANCEL promptly; the DIMSE timeout counts from the last sign of
		 * life on either association, since a PACS need not send pending responses
		 * (PS3.4 C.4.2.3.1). */
		cond = DIMSE_receiveCommand(c.assoc, DIMSE_NONBLOCKING, POLL_S, &rpid, &rsp, &sd);
		delete sd;
		if (cond == DIMSE_NODATAAVAILABLE) {
			if (st.failed && !cancelled) {
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				cancelled = true;
				st.last_activity = now_s();
			}
			if (now_s() - st.last_activity > pc.dimse_s) {
				if (st.failed) {
					c.kill();
					break;
				}
				return net_fail(pc, cond, "retrieve", err, &c);
			}
			continue;
		}
		if (cond.bad()) {
			if (st.failed)
				break;
			return net_fail(pc, cond, "retrieve", err, &c);
		}
		if (rsp.CommandField != DIMSE_C_MOVE_RSP) {
			c.abort();
			return ho_err_set(err, HO_ENET,
					  "The PACS at %s sent an unexpected message during the "
					  "retrieve.",
					  pc.where.c_str());
		}
		st.last_activity = now_s();
		T_DIMSE_C_MoveRSP &m = rsp.msg.CMoveRSP;
		if (m.DataSetType != DIMSE_DATASET_NULL) {
			DcmDataset *x = nullptr;
			DIMSE_receiveDataSetInMemory(c.assoc, DIMSE_NONBLOCKING, pc.dimse_s, &rpid,
						     &x, NULL, NULL);
			delete x;
		}
		if (DICOM_PENDING_STATUS(m.DimseStatus)) {
			if (st.failed && !cancelled) {
				DIMSE_sendCancelRequest(c.assoc, pid, req.MessageID);
				cancelled = true;
			}
			continue;
		}
		c.release();
		/* The final response comes after the last C-STORE-RSP, so every callback
		 * has run; stop the SCP before reading the shared state. */
		st.stop = true;
		if (scp.thr.joinable())
			scp.thr.join();
		return final_status(st, "C-MOVE", m.DimseStatus, m.NumberOfCompletedSubOperations,
				    m.NumberOfFailedSubOperations, m.NumberOfWarningSubOperations,
				    err);
	}
	st.stop = true;
	if (scp.thr.joinable())
		scp.thr.join();
	return ho_err_set(err, st.rc, "%s", st.err.msg);
}

} // namespace

extern "C" int ho_dcm_retrieve_series(const ho_dcm_peer *peer, const char *patient_id,
				      const char *study_uid, const char *series_uid,
				      const char *dest_dir, ho_dcm_instance_cb cb, void *ud,
				      ho_err *err)
{
	int rc;
	struct stat sb;

	if (cb == NULL || dest_dir == NULL || dest_dir[0] == '\0')
		return ho_err_set(err, HO_EINVAL, "ho_dcm_retrieve_series: bad arguments.");
	if (!uid_ok(study_uid) || !uid_ok(series_uid))
		return ho_err_set(err, HO_EINVAL,
				  "The study or series to retrieve is not identified by a valid "
				  "UID.");
	if (patient_id != NULL && strlen(patient_id) > 64)
		return ho_err_set(err, HO_EINVAL, "The patient ID is longer than 64 characters.");
	if (stat(dest_dir, &sb) != 0 || !S_ISDIR(sb.st_mode))
		return ho_err_set(err, HO_EIO, "The staging directory %s does not exist.",
				  dest_dir);
	if ((rc = init(err)) != 0)
		return rc;
	try {
		retrieve_state st;
		if ((rc = check_peer(st.pc, peer, err)) != 0)
			return rc;
		st.dest = dest_dir;
		st.series_uid = series_uid;
		st.cb = cb;
		st.ud = ud;
		ho_err e2 = HO_ERR_INIT;
		if (st.pc.move_port != 0)
			rc = do_move(st, patient_id, study_uid, series_uid, &e2);
		else
			rc = do_get(st, patient_id, study_uid, series_uid, &e2);
		/* A refusal with nothing received may just mean there is no such series;
		 * ask, so the user hears the right story. */
		if (rc == HO_EREFUSED && st.received == 0 && !st.failed &&
		    series_exists(peer, study_uid, series_uid) == 0)
			return ho_err_set(err, HO_ENOTFOUND,
					  "The PACS at %s has no series %s in this study. It may "
					  "have been deleted or moved; search again.",
					  st.pc.where.c_str(), series_uid);
		if (rc != 0)
			return ho_err_set(err, rc, "%s", e2.msg);
		return 0;
	} catch (...) {
		return ho_err_set(err, HO_ENOMEM, "Out of memory during the retrieve.");
	}
}
