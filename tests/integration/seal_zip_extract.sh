#!/usr/bin/env bash
# Seal a small PDI tree (made here with pydicom + dcmmkdir) into STUDY.ZIP, then open it
# with the tools a recipient has: 7-Zip and bsdtar (libarchive). Checks: same tree (cmp),
# DICOMDIR passes dciodvfy, every entry is AES-256 in AE-2 form (vendor version 2, CRC 0),
# wrong password and a tampered archive fail in both tools, the password is nowhere in
# the archive or in the work dir, deflate and store both work.
# Env: SEAL_TOOL, HO_PYTHON, SEAL_TESTS (set by tests/cmake/seal.cmake).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seal_zip_extract.XXXXXX")
secret=$(mktemp -d "${TMPDIR:-/tmp}/seal_zip_secret.XXXXXX") # outside the work dir
trap 'rm -rf "$work" "$secret"' EXIT
cd "$work"

"$HO_PYTHON" "$SEAL_TESTS/integration/seal_mkdata.py" src > /dev/null
(cd src && dcmmkdir -q +r -Pgp +id . DICOM) || fail "dcmmkdir"
(cd src && find DICOMDIR DICOM -type f | LC_ALL=C sort) > list
test "$(wc -l < list)" = 5 || fail "expected 5 files"

for method in store deflate; do
	zip="out-$method/STUDY.ZIP"
	mkdir "out-$method"
	"$SEAL_TOOL" zip src "$zip" "$method" < list > "$secret/pw" 2> "$secret/log" ||
		{ cat "$secret/log"; fail "seal $method"; }
	grpd=$(cat "$secret/pw")
	[[ "$grpd" =~ ^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$ ]] ||
		fail "password form: $grpd"
	pw=${grpd//-/}

	# every entry: AES-256, and AE-2 (vendor version 2, CRC 0)
	n_aes=$(7z l -slt -p"$pw" "$zip" | grep -c '^Method = AES-256' || true)
	test "$n_aes" = 5 || fail "$method: $n_aes of 5 entries say Method = AES-256"
	"$HO_PYTHON" - "$zip" "$method" <<'PY' || fail "$method: AE-2 header check"
import struct, sys, zipfile
z = zipfile.ZipFile(sys.argv[1])
names = set()
for i in z.infolist():
	assert i.compress_type == 99, i.filename
	assert i.flag_bits & 1, i.filename
	assert i.CRC == 0, (i.filename, hex(i.CRC))
	ex, k, seen = i.extra, 0, False
	while k + 4 <= len(ex):
		hid, ln = struct.unpack_from("<HH", ex, k)
		if hid == 0x9901:
			ver, vid, strength, method = struct.unpack_from("<H2sBH", ex, k + 4)
			assert ver == 2 and vid == b"AE" and strength == 3, (ver, vid, strength)
			want = 0 if sys.argv[2] == "store" else 8
			assert method == want, (i.filename, method)
			seen = True
		k += 4 + ln
	assert seen, i.filename
	names.add(i.filename)
assert "DICOMDIR" in names and len(names) == 5, names
PY

	# the right password opens it in both tools, byte for byte
	mkdir "x7-$method" "xb-$method"
	7z x -bd -p"$pw" -o"x7-$method" "$zip" > /dev/null || fail "$method: 7z x"
	bsdtar -x -C "xb-$method" --passphrase "$pw" -f "$zip" || fail "$method: bsdtar -x"
	while read -r f; do
		cmp -s "src/$f" "x7-$method/$f" || fail "$method: 7z gave a different $f"
		cmp -s "src/$f" "xb-$method/$f" || fail "$method: bsdtar gave a different $f"
	done < list
	test "$(find "x7-$method" -type f | wc -l)" = 5 || fail "$method: extra files from 7z"
	dciodvfy "x7-$method/DICOMDIR" > "dciodvfy-$method.txt" 2>&1 || true
	if grep -q '^Error' "dciodvfy-$method.txt"; then
		cat "dciodvfy-$method.txt"; fail "$method: dciodvfy reports errors"
	fi
	grep -q 'BasicDirectory' "dciodvfy-$method.txt" || fail "$method: dciodvfy did not run"

	# wrong password fails in both
	wrong=$( [ "$pw" = "0000000000000000" ] && echo 1111111111111111 || echo 0000000000000000)
	mkdir "w7-$method" "wb-$method"
	if 7z x -bd -p"$wrong" -o"w7-$method" "$zip" > /dev/null 2>&1; then
		fail "$method: 7z accepted a wrong password"
	fi
	if bsdtar -x -C "wb-$method" --passphrase "$wrong" -f "$zip" 2> /dev/null; then
		fail "$method: bsdtar accepted a wrong password"
	fi
	# the grouped form is not the ZIP password (docs/ENCRYPTION.md: tools need the 16)
	if 7z t -p"$grpd" "$zip" > /dev/null 2>&1; then
		fail "$method: grouped form opened the archive"
	fi

	# a flipped bit inside the first entry's data is caught by the HMAC (AE-2 has no CRC)
	cp "$zip" tampered.zip
	"$HO_PYTHON" - tampered.zip <<'PY'
import struct, sys
with open(sys.argv[1], "r+b") as f:
	h = f.read(30)
	nlen, xlen = struct.unpack_from("<HH", h, 26)
	off = 30 + nlen + xlen + 18 + 40  # past salt and verifier, into the data
	f.seek(off); b = f.read(1); f.seek(off); f.write(bytes([b[0] ^ 1]))
PY
	if 7z t -p"$pw" tampered.zip > /dev/null 2>&1; then
		fail "$method: 7z accepted a tampered archive"
	fi
	if bsdtar -x -O --passphrase "$pw" -f tampered.zip > /dev/null 2>&1; then
		fail "$method: bsdtar accepted a tampered archive"
	fi
	rm -f tampered.zip

	# the password is nowhere in the archive or the work dir, in either form
	for form in "$pw" "$grpd"; do
		c=$(grep -c -F -- "$form" "$zip" || true)
		test "$c" = 0 || fail "$method: password found in the archive"
		if grep -r -l -F -- "$form" . ; then fail "$method: password left in the work dir"; fi
	done
	echo "$method: $(stat -c %s "$zip") bytes, $(grep -o 'seconds=[0-9.]*' "$secret/log")"
done
echo "seal_zip_extract: ok"
