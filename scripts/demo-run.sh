#!/usr/bin/env bash
# The demo's body; runs inside scripts/netns.sh (loopback only). See scripts/demo.sh.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$top/out/demo
data=$top/build/hwsim-data
pacs=$out/pacs
cli=$top/build/app/cli/handoff

rm -rf "$out"
mkdir -p "$out"
/usr/bin/python3 "$top/hw-sim/gen/generate.py" --out "$data"
"$top/hw-sim/pacs/pacs.sh" start --dir "$pacs" --data "$data"
trap '"$top/hw-sim/pacs/pacs.sh" stop --dir "$pacs" >/dev/null 2>&1 || true' EXIT

# The clinic's escrow key pair: the kiosk gets only the public half. (On a real site the
# private half lives offline with the privacy officer, never on the kiosk.)
mkdir -p "$out/escrow-officer"
openssl genpkey -algorithm X25519 -out "$out/escrow-officer/escrow-private.pem" 2>/dev/null
openssl pkey -in "$out/escrow-officer/escrow-private.pem" -pubout -out "$out/escrow-public.pem"

cat > "$out/handoff.conf" <<CONF
# The demo kiosk: simulated PACS and drive, state and staging under out/demo.
[kiosk]
state = $out/state
staging = $out/staging
[drive]
address = stdio:$out/HO-0001.iso
media = cd
[export]
encrypt = yes
escrow_key = $out/escrow-public.pem
CONF
export HANDOFF_CONFIG=$out/handoff.conf

echo
echo "== Patients on the simulated PACS"
"$cli" find
echo
echo "== Export: patient HO-0001 (DEMO^ALICE), CR chest, encrypted, to the simulated CD drive"
# The password goes where the receipt's tear-off part would print it (no printer yet).
exec 3>"$out/receipt-password.txt"
"$cli" export --patient HO-0001 --manifest "$out/HO-0001.manifest" --password-fd 3 \
	--staff demo.frontdesk --staff-name "Demo Front Desk" --role "front desk" \
	--identity-check "photo ID" --purpose "right of access"
exec 3>&-
echo
echo "== The signed log"
"$cli" log show
"$cli" log fingerprint --out "$out/log-public.key" >/dev/null
"$cli" log verify --key "$out/log-public.key"
echo
echo "== Results"
echo "Disc image:      $out/HO-0001.iso"
echo "Manifest:        $out/HO-0001.manifest"
echo "Password (tear-off part of the receipt): $out/receipt-password.txt"
echo "Signed log:      $out/state/log (public key $out/log-public.key)"
echo "Look inside:     xorriso -osirrox on -indev $out/HO-0001.iso -extract / $out/disc"
echo "                 then open $out/disc/INDEX.HTM in a browser and type the password"
echo "Check the disc:  xorriso -md5 on -indev $out/HO-0001.iso -check_md5 FAILURE --"
left=$(find "$out/staging" -type f 2>/dev/null | wc -l)
echo "Files left in staging (must be 0): $left"
