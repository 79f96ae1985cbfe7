#include "core/media_text.h"

#include <stdlib.h>
#include <string.h>

#include "util/fs.h"

/* CRLF line ends: README.TXT is opened with Notepad on Windows as often as not. */
static const char README_PLAIN[] =
	"MEDICAL IMAGES - PLEASE KEEP THIS MEDIUM SAFE\r\n"
	"\r\n"
	"This medium holds medical images in the standard DICOM format (IHE Portable Data\r\n"
	"for Imaging). It contains personal health information.\r\n"
	"\r\n"
	"To look at the images:\r\n"
	"  Open INDEX.HTM in a web browser (Chrome, Edge, Firefox or Safari). Nothing is\r\n"
	"  installed and nothing is sent over the internet.\r\n"
	"\r\n"
	"For a doctor or hospital:\r\n"
	"  DICOMDIR at the root lists every image; the images are in the DICOM folder.\r\n"
	"  Any DICOM viewer or PACS import tool can read them.\r\n";

static const char README_SEALED[] =
	"MEDICAL IMAGES - PLEASE KEEP THIS MEDIUM SAFE\r\n"
	"\r\n"
	"This medium holds medical images in the standard DICOM format (IHE Portable Data\r\n"
	"for Imaging). They are encrypted in STUDY.ZIP. The password is on the paper\r\n"
	"receipt you were given with this medium; it is not written anywhere on the medium.\r\n"
	"\r\n"
	"To look at the images:\r\n"
	"  Open INDEX.HTM in a web browser (Chrome, Edge, Firefox or Safari) and type the\r\n"
	"  password. Nothing is installed and nothing is sent over the internet.\r\n"
	"\r\n"
	"To copy the images (for a doctor or hospital):\r\n"
	"  Open STUDY.ZIP with 7-Zip (www.7-zip.org) or another tool that supports AES-256\r\n"
	"  ZIP files and extract everything. 7-Zip wants the password as its 16 letters\r\n"
	"  and digits in capitals WITHOUT the dashes (XXXX-XXXX-... becomes XXXXXXXX...).\r\n"
	"  The extracted folder holds DICOMDIR and the DICOM folder, readable by any\r\n"
	"  DICOM viewer or PACS.\r\n";

static const char INDEX_HTM[] =
	"<!DOCTYPE html>\r\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
	"<title>Medical images</title></head>\r\n<body><h1>Medical images</h1>"
	"<p>This medium holds DICOM images. See README.TXT for how to open them.</p>"
	"</body></html>\r\n";

int ho_media_text_write(const char *root, int encrypted, ho_err *err)
{
	char *readme = ho_strfmt("%s/README.TXT", root), *index = ho_strfmt("%s/INDEX.HTM", root);
	const char *text = encrypted ? README_SEALED : README_PLAIN;
	int rc = HO_ENOMEM;

	if (readme == NULL || index == NULL) {
		ho_err_set(err, rc, "Out of memory.");
		goto out;
	}
	if ((rc = ho_fs_write_atomic(readme, text, strlen(text), 0600, err)) < 0)
		goto out;
	rc = ho_fs_write_atomic(index, INDEX_HTM, sizeof(INDEX_HTM) - 1, 0600, err);
out:
	free(readme);
	free(index);
	return rc;
}
