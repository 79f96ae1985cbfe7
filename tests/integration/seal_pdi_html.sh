#!/usr/bin/env bash
# IHE_PDI/ pages for unencrypted media: every page parses as XML (xmllint), names are
# 8.3 upper case, every JPEG decodes (djpeg) as baseline and shows the phantom (pixel
# values checked), compressed sources (RLE, JPEG lossless) render the same as the
# uncompressed original, text is escaped and non-ASCII names survive as UTF-8, an
# object without pixels is listed, not dropped. Negative cases: a broken page fails
# xmllint, a truncated JPEG fails djpeg, an existing IHE_PDI/ is refused.
# Env: SEAL_TOOL, HO_PYTHON, SEAL_TESTS.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seal_pdi.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

"$HO_PYTHON" "$SEAL_TESTS/integration/seal_mkdata.py" root > list
se1=DICOM/P0000001/S0000001/SE000001
# same slices again, RLE and JPEG lossless encoded, in a third series
mkdir -p root/DICOM/P0000001/S0000001/SE000003
cp root/$se1/I0000001 base.dcm
dcmodify -q -nb -m "SeriesInstanceUID=1.2.826.0.1.3680043.9.7433.2.3" -m "SeriesNumber=3" \
	-m "SeriesDescription=Compressed" base.dcm
dcmcrle base.dcm root/DICOM/P0000001/S0000001/SE000003/I0000001
dcmcjpeg base.dcm jl.dcm
dcmodify -q -nb -m "InstanceNumber=2" jl.dcm
cp jl.dcm root/DICOM/P0000001/S0000001/SE000003/I0000002
# an object with no pixel data in series 1
cp root/$se1/I0000003 root/$se1/I0000004
dcmodify -q -nb -ea "(7fe0,0010)" -m "InstanceNumber=4" root/$se1/I0000004
printf '%s\n' DICOM/P0000001/S0000001/SE000003/I0000001 DICOM/P0000001/S0000001/SE000003/I0000002 \
	$se1/I0000004 >> list

"$SEAL_TOOL" pdi root < list || fail "pdi_html"
pdi=root/IHE_PDI

# names: 8.3 upper case, at most 8 levels
find "$pdi" -mindepth 1 | sed "s|^$pdi/||" | while read -r p; do
	IFS=/ read -ra parts <<< "$p"
	for c in "${parts[@]}"; do
		[[ "$c" =~ ^[A-Z0-9_]{1,8}(\.[A-Z0-9_]{1,3})?$ ]] || fail "not 8.3 upper case: $p"
	done
done
test -f $pdi/INDEX.HTM -a -f $pdi/ST000001.HTM || fail "pages missing"
test "$(find $pdi -name '*.HTM' | wc -l)" = 5 || fail "expected 5 pages (index, study, 3 series)"

# XML well-formedness of every page, and its negative twin
for f in $(find $pdi -name '*.HTM'); do xmllint --noout "$f" || fail "not XML: $f"; done
sed 's/&amp;/\&/' $pdi/ST000001.HTM > broken.htm
if xmllint --noout broken.htm 2> /dev/null; then fail "xmllint accepted a broken page"; fi
if grep -q -r '<script' $pdi; then fail "a page has a script"; fi

# escaping and character set
grep -q 'Knee &amp; &lt;Hip&gt; &quot;test&quot;' $pdi/ST000001.HTM || fail "escaping"
grep -q 'Müller, Zoë = 山田, 太郎' $pdi/INDEX.HTM || fail "UTF-8 name lost"
grep -q 'not a picture' $pdi/ST000001/SE000001.HTM || fail "pixel-less object not listed"
test "$(grep -c '<img' $pdi/ST000001/SE000001.HTM)" = 3 || fail "series 1 should show 3 images"

# every link and image reference resolves
for f in $(find $pdi -name '*.HTM'); do
	d=$(dirname "$f")
	for ref in $(grep -o -E '(href|src)="[^"]+"' "$f" | sed -E 's/^(href|src)="//; s/"$//'); do
		test -f "$d/$ref" || fail "$f: broken reference $ref"
	done
done

# JPEGs: baseline (SOF0), decode, and show the phantom
for j in $(find $pdi -name '*.JPG'); do
	djpeg -pnm -outfile "${j##*/}.pgm" "$j" || fail "djpeg: $j"
	od -An -tx1 -N 4096 "$j" | tr -d ' \n' | grep -q 'ffc0' || fail "not baseline: $j"
done
"$HO_PYTHON" - "$pdi" <<'PY' || fail "pixel content"
import subprocess, sys
pdi = sys.argv[1]
def pgm(path):
	d = subprocess.run(["djpeg", "-pnm", path], check=True, capture_output=True).stdout
	fields, pos = [], 0
	while len(fields) < 4:
		while d[pos:pos + 1].isspace(): pos += 1
		end = pos
		while not d[end:end + 1].isspace(): end += 1
		fields.append(d[pos:end]); pos = end
	pos += 1
	w, h = int(fields[1]), int(fields[2])
	assert fields[0] == b"P5", fields[0]
	return w, h, d[pos:pos + w * h]
w, h, px = pgm(pdi + "/ST000001/SE000001/IM000001.JPG")
assert (w, h) == (256, 256), (w, h)
centre, corner = px[128 * w + 128], px[5 * w + 5]
assert 100 <= centre <= 160, centre   # 40 HU in a 40/400 window: 50% grey
assert corner <= 10, corner           # air: black
w, h, px = pgm(pdi + "/ST000001/SE000002/IM000001.JPG")
assert (w, h) == (320, 200), (w, h)   # wider than tall, under 512: not scaled
assert px[100 * w + 160] >= 235, px[100 * w + 160]  # bright block in min-max window
print("pixels ok")
PY
# lossless sources render exactly like the original
cmp -s $pdi/ST000001/SE000001/IM000001.JPG $pdi/ST000001/SE000003/IM000001.JPG ||
	fail "RLE source renders differently"
cmp -s $pdi/ST000001/SE000001/IM000001.JPG $pdi/ST000001/SE000003/IM000002.JPG ||
	fail "JPEG lossless source renders differently"

# negative: truncated JPEG must not decode cleanly
head -c 600 $pdi/ST000001/SE000001/IM000001.JPG > trunc.jpg
if djpeg -outfile /dev/null trunc.jpg 2> /dev/null; then fail "djpeg accepted a truncated JPEG"; fi

# an existing IHE_PDI/ is refused and left alone
if "$SEAL_TOOL" pdi root < list 2> err.txt; then fail "existing IHE_PDI overwritten"; fi
test -f $pdi/INDEX.HTM || fail "existing IHE_PDI damaged"

# scaling and subset: a series of more images than max_per_series keeps an even spread
rm -rf $pdi
"$SEAL_TOOL" pdi root 2 < list || fail "pdi_html with max 2"
test "$(grep -c '<img' $pdi/ST000001/SE000001.HTM)" = 2 || fail "subset of 2 expected"
# two studies: ordered by date (the older first), each with its page and series
mkdir -p root3/DICOM/P0000001/S0000002/SE000001
cp -r root/DICOM/P0000001/S0000001 root3/DICOM/P0000001/S0000001
cp root/$se1/I0000001 root3/DICOM/P0000001/S0000002/SE000001/I0000001
dcmodify -q -nb -m "StudyInstanceUID=1.2.826.0.1.3680043.9.7433.1.2" -m "StudyDate=20250505" \
	-m "StudyDescription=Older study" -m "SeriesInstanceUID=1.2.826.0.1.3680043.9.7433.2.9" \
	root3/DICOM/P0000001/S0000002/SE000001/I0000001
(cd root3 && find DICOM -type f | LC_ALL=C sort) > list3
"$SEAL_TOOL" pdi root3 < list3 || fail "pdi_html with two studies"
grep -q 'Older study' root3/IHE_PDI/ST000001.HTM || fail "older study should be first"
grep -q 'Knee &amp;' root3/IHE_PDI/ST000002.HTM || fail "newer study should be second"
test "$(grep -c 'href="ST00000' root3/IHE_PDI/INDEX.HTM)" = 2 || fail "index lists 2 studies"
test -f root3/IHE_PDI/ST000001/SE000001.HTM -a -f root3/IHE_PDI/ST000002/SE000003.HTM ||
	fail "series pages of both studies"

# an unknown character set with bytes that are not UTF-8: the pages are still written,
# still XML, the bad bytes shown as U+FFFD (never a failed export for a name)
mkdir -p root2/DICOM/P0000001/S0000001/SE000001
cp root/DICOM/P0000001/S0000001/SE000002/I0000001 root2/DICOM/P0000001/S0000001/SE000001/I0000001
"$HO_PYTHON" -W ignore - root2/DICOM/P0000001/S0000001/SE000001/I0000001 <<'PY'
import sys, pydicom
ds = pydicom.dcmread(sys.argv[1])
ds.SpecificCharacterSet = "ISO_IR 999"
ds.PatientName = "M\xfcller^Ren\xe9"          # Latin-1 bytes, invalid as UTF-8
ds["PatientName"].value = b"M\xfcller^Ren\xe9"
ds.save_as(sys.argv[1])
PY
echo DICOM/P0000001/S0000001/SE000001/I0000001 | "$SEAL_TOOL" pdi root2 ||
	fail "pdi_html gave up on an unknown character set"
for f in $(find root2/IHE_PDI -name '*.HTM'); do xmllint --noout "$f" || fail "not XML: $f"; done
grep -q $'M\xef\xbf\xbdller, Ren\xef\xbf\xbd' root2/IHE_PDI/INDEX.HTM || fail "U+FFFD replacement"
echo "seal_pdi_html: ok"
