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

cat > "$out/handoff.conf" <<CONF
# The demo kiosk: simulated PACS and drive, state and staging under out/demo.
[kiosk]
state = $out/state
staging = $out/staging
[drive]
address = stdio:$out/HO-0001.iso
media = cd
CONF
export HANDOFF_CONFIG=$out/handoff.conf

echo
echo "== Patients on the simulated PACS"
"$cli" find
echo
echo "== Export: patient HO-0001 (DEMO^ALICE), CR chest, to the simulated CD drive"
"$cli" export --patient HO-0001 --manifest "$out/HO-0001.manifest"
echo
echo "== Results"
echo "Disc image:  $out/HO-0001.iso"
echo "Manifest:    $out/HO-0001.manifest"
echo "Check it yourself:  xorriso -md5 on -indev $out/HO-0001.iso -check_md5 FAILURE --"
left=$(find "$out/staging" -type f 2>/dev/null | wc -l)
echo "Files left in staging: $left"
