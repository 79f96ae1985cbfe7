#!/usr/bin/env bash
# Unit tests of dicom/ file functions: makes the inputs (pydicom + DCMTK's compressors), runs
# dicom_unit, then re-checks what it wrote with independent tools:
#   - every transcoded copy has the same pixels as the original (pydicom; lossless inputs
#     exactly, the JPEG baseline one against DCMTK's own decompression)
#   - the DICOMDIR passes `dcmmkdir -w` (re-check, no write) and `dciodvfy` without errors
#   - the DICOMDIR keeps the patients' character sets (no folding to ASCII)
#   - negative: a DICOMDIR whose referenced file was swapped for a compressed one fails the
#     same `dcmmkdir -w` re-check, so the re-check really checks.
# Usage: dicom_unit.sh DICOM_UNIT_BINARY
set -euo pipefail
bin=$1
py=${HO_PYTHON:-/usr/bin/python3}
here=$(cd "$(dirname "$0")" && pwd)
w=$(mktemp -d /tmp/ho-dicom-unit.XXXXXX)
[ -n "${HO_KEEP:-}" ] || trap 'rm -rf "$w"' EXIT
"$py" "$here/dicom_mkfiles.py" "$w" 2>/dev/null
# Character-set cases of the fuzz corpus (PS3.5 annexes H, I, J; ISO_IR 126).
for f in ir13 ir149 ir58 greek; do cp "$here/../fuzz/corpus/dicom/$f.dcm" "$w/"; done
dcmcjpeg "$w/le.dcm" "$w/jpll.dcm"          # JPEG lossless SV1 (process 14, default)
dcmcjpeg +eb "$w/sc8.dcm" "$w/jpb.dcm"      # JPEG baseline (process 1)
dcmcrle "$w/le.dcm" "$w/rle.dcm"
dcmcjpls "$w/le.dcm" "$w/jpls.dcm" 2>/dev/null || rm -f "$w/jpls.dcm"
dcmdjpeg "$w/jpb.dcm" "$w/jpb.ref.dcm"      # reference decompression for the lossy one

"$bin" "$w"

# Pixels identical after transcoding (PS3.5 8.2: decompression must not alter values).
"$py" - "$w" <<'PY'
import sys, pydicom
w = sys.argv[1]
pairs = [("le.dcm", "jpll.dcm.le.dcm"), ("le.dcm", "rle.dcm.le.dcm"),
         ("le.dcm", "le.dcm.le.dcm"), ("il.dcm", "il.dcm.le.dcm"),
         ("jpb.ref.dcm", "jpb.dcm.le.dcm")]
import os
if os.path.exists(os.path.join(w, "jpls.dcm.le.dcm")):
    pairs.append(("le.dcm", "jpls.dcm.le.dcm"))
bad = 0
for a, b in pairs:
    da = pydicom.dcmread(os.path.join(w, a))
    db = pydicom.dcmread(os.path.join(w, b))
    if db.file_meta.TransferSyntaxUID != "1.2.840.10008.1.2.1":
        print("FAIL", b, "is", db.file_meta.TransferSyntaxUID); bad += 1
    if da.PixelData != db.PixelData:
        print("FAIL pixels differ:", a, b); bad += 1
    if da.SOPInstanceUID != db.SOPInstanceUID:
        print("FAIL uid changed:", b); bad += 1
sys.exit(1 if bad else 0)
PY

m=$w/media
files=$(cd "$m" && find DICOM -type f | sort)
# dcmmkdir -w: re-check every referenced file against STD-GEN-CD. It writes nothing but still
# removes an existing DICOMDIR (it "replaces" it), so it runs on a copy of the file-set.
recheck() {
	rm -rf "$w/recheck"
	cp -a "$m" "$w/recheck"
	# dcmmkdir exits 0 even when it leaves files out ("W: 1 file(s) cannot be added"), so
	# any error or warning line counts as a failure.
	(cd "$w/recheck" && dcmmkdir -w -Pgp $files) >"$w/dcmmkdir.log" 2>&1 || return 1
	if grep -qE '^(E|W|F):' "$w/dcmmkdir.log"; then
		cat "$w/dcmmkdir.log" >&2
		return 1
	fi
}
recheck
# dciodvfy: the DICOMDIR IOD itself (PS3.3 F.2); "Error" lines fail the test.
if dciodvfy "$m/DICOMDIR" 2>&1 | tee "$w/dciodvfy.log" | grep -q '^Error'; then
	grep '^Error' "$w/dciodvfy.log" >&2
	echo "FAIL dciodvfy reports errors" >&2
	exit 1
fi
# Character sets kept on the patient records (PS3.3 F.5: 0008,0005 in each record).
"$py" - "$m/DICOMDIR" <<'PY'
import sys, pydicom
dd = pydicom.dcmread(sys.argv[1])
names = {}
for r in dd.DirectoryRecordSequence:
    if r.DirectoryRecordType == "PATIENT":
        r.decode()
        names[r.PatientID] = (str(r.PatientName), r.get("SpecificCharacterSet"))
ok = names.get("HO-U-1", ("", ""))[0] == "Müller^Jürgen" and \
    names.get("HO-U-1")[1] == "ISO_IR 100" and \
    names.get("HO-U-2", ("", ""))[0].endswith("やまだ^たろう")
refs = [r.ReferencedFileID for r in dd.DirectoryRecordSequence if "ReferencedFileID" in r]
if len(refs) != 7:
    print("FAIL DICOMDIR references", len(refs), "files, want 7"); ok = False
if not ok:
    print("FAIL names in DICOMDIR:", names)
sys.exit(0 if ok else 1)
PY

# Negative: swap a referenced file for its JPEG-compressed twin; the re-check must fail.
cp "$w/jpll.dcm" "$m/DICOM/P0000001/S0000001/SE000001/I0000001"
if recheck 2>/dev/null; then
	echo "FAIL dcmmkdir -w accepted a compressed file under STD-GEN-CD" >&2
	exit 1
fi
echo "dicom_unit.sh: all checks passed"
