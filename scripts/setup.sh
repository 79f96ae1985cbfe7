#!/usr/bin/env bash
# Installs everything Handoff's build, tests and demo need on a fresh Debian 12, as root.
# Idempotent: packages already present are not fetched again.
set -euo pipefail

PKGS=(
	build-essential cmake pkg-config clang
	libburn-dev libisofs-dev libdcmtk-dev dcmtk libqrencode-dev libssl-dev
	libsdl2-dev libsdl2-ttf-dev libzip-dev fonts-dejavu-core
	orthanc dicom3tools zbar-tools mtools dosfstools xorriso genisoimage
	python3 python3-pydicom python3-numpy p7zip-full libarchive-tools
	chromium rsyslog rsyslog-openssl iproute2 util-linux procps curl jq libxml2-utils
	time bc firefox-esr libjpeg-turbo-progs python3-cryptography openssl
)

if [ "$(id -u)" -ne 0 ]; then
	echo "setup: run as root (it installs Debian packages)" >&2
	exit 1
fi

missing=()
for p in "${PKGS[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
done
command -v node >/dev/null 2>&1 || missing+=(nodejs)
command -v npm >/dev/null 2>&1 || missing+=(npm)

if [ ${#missing[@]} -gt 0 ]; then
	echo "setup: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's orthanc package starts a system service listening on every interface; we
# never use it (hw-sim starts its own instance on loopback only).
if command -v systemctl >/dev/null 2>&1 && systemctl is-active --quiet orthanc 2>/dev/null; then
	systemctl stop orthanc || true
fi
pkill -x -f '/usr/sbin/Orthanc /etc/orthanc/' 2>/dev/null || true

# The viewer's npm packages, from the lock file.
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -f "$top/viewer/package-lock.json" ]; then
	if [ ! -d "$top/viewer/node_modules" ] ||
		[ "$top/viewer/package-lock.json" -nt "$top/viewer/node_modules/.package-lock.json" ]; then
		(cd "$top/viewer" && npm ci --no-audit --no-fund --loglevel=error)
	fi
fi
echo "setup: ok"
