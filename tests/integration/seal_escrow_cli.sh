#!/usr/bin/env bash
# Escrow end to end with keys made by the openssl CLI: the kiosk side (seal_tool escrow,
# public key only) produces the text blob; the offline tool handoff-escrow-recover with
# the private key gives the password back; a wrong key fails; and an independent reader
# written from docs/ENCRYPTION.md alone (Python "cryptography") decrypts the same blobs.
# Env: SEAL_TOOL, SEAL_RECOVER, HO_PYTHON, SEAL_TESTS.
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seal_escrow.XXXXXX")
trap 'rm -rf "$work"' EXIT
cd "$work"

openssl genpkey -algorithm X25519 -out x.key 2> /dev/null
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:3072 -out r.key 2> /dev/null
openssl genpkey -algorithm X25519 -out other.key 2> /dev/null
for k in x r other; do openssl pkey -in $k.key -pubout -out $k.pub; done

# a private key configured as the escrow key is refused
if "$SEAL_TOOL" escrow x.key > /dev/null 2> err.txt; then fail "private key accepted"; fi
grep -q PRIVATE err.txt || fail "refusal does not say why: $(cat err.txt)"

for k in x r; do
	"$SEAL_TOOL" escrow $k.pub > out.txt
	pw=$(sed -n 1p out.txt)
	sed -n 2p out.txt > blob.txt
	grep -q '^ho-escrow-v1:' blob.txt || fail "$k: text form"
	if grep -q -F "${pw//-/}" blob.txt; then fail "$k: password in the blob"; fi

	got=$("$SEAL_RECOVER" -k $k.key blob.txt) || fail "$k: recovery failed"
	test "$got" = "$pw" || fail "$k: recovered $got, expected $pw"
	got=$("$SEAL_RECOVER" -k $k.key - < blob.txt) || fail "$k: recovery from stdin"
	test "$got" = "$pw" || fail "$k: stdin recovery differs"
	# binary form as the log might store it
	sed 's/^ho-escrow-v1://' blob.txt | base64 -d > blob.bin
	got=$("$SEAL_RECOVER" -k $k.key blob.bin) || fail "$k: binary recovery"
	test "$got" = "$pw" || fail "$k: binary recovery differs"

	# wrong key: refused, nothing on stdout
	if out=$("$SEAL_RECOVER" -k other.key blob.txt 2> err.txt); then fail "$k: wrong key"; fi
	test -z "$out" || fail "$k: wrong key printed something"
	grep -q 'different key' err.txt || fail "$k: wrong-key message: $(cat err.txt)"

	# independent reader from the documented format
	indep=$("$HO_PYTHON" - $k.key blob.bin <<'PY'
import hashlib, struct, sys
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, x25519
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
key = serialization.load_pem_private_key(open(sys.argv[1], "rb").read(), None)
b = open(sys.argv[2], "rb").read()
assert b[:8] == b"HOESCROW" and b[8] == 1
alg, kid = b[9], b[10:42]
(blen,) = struct.unpack(">H", b[42:44])
body = b[44:]
assert len(body) == blen
spki = key.public_key().public_bytes(serialization.Encoding.DER,
	serialization.PublicFormat.SubjectPublicKeyInfo)
assert hashlib.sha256(spki).digest() == kid
hdr = b[:42]
if alg == 1:
	pw = key.decrypt(body, padding.OAEP(mgf=padding.MGF1(hashes.SHA256()),
		algorithm=hashes.SHA256(), label=hdr))
else:
	eph, nonce, ct = body[:32], body[32:44], body[44:]
	shared = key.exchange(x25519.X25519PublicKey.from_public_bytes(eph))
	mine = key.public_key().public_bytes(serialization.Encoding.Raw,
		serialization.PublicFormat.Raw)
	k = HKDF(hashes.SHA256(), 32, eph + mine,
		b"handoff escrow v1 X25519-HKDF-SHA256-AES-256-GCM").derive(shared)
	pw = AESGCM(k).decrypt(nonce, ct, hdr)
s = pw.decode()
print("-".join(s[i:i + 4] for i in range(0, 16, 4)))
PY
) || fail "$k: independent reader failed"
	test "$indep" = "$pw" || fail "$k: independent reader got $indep"
	echo "$k: ok ($(stat -c %s blob.bin) bytes)"
done
echo "seal_escrow_cli: ok"
