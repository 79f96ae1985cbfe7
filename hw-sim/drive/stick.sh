#!/usr/bin/env bash
# Simulated USB stick images (see README.md). The partition starts at 1 MiB (burn/usb.h).
#   stick.sh IMG MIB        create a zeroed stick image of MIB MiB (>= 64)
#   stick.sh --list IMG     list its files (mdir, no mount)
#   stick.sh --fsck IMG     fsck.fat -n on the partition
set -euo pipefail
off=1048576
export MTOOLS_SKIP_CHECK=1
case "${1:-}" in
--list)
	mdir -i "$2@@$off" -/ -b -a ::
	;;
--fsck)
	tmp=$(mktemp)
	trap 'rm -f "$tmp"' EXIT
	dd if="$2" of="$tmp" bs=1M skip=1 status=none
	fsck.fat -n "$tmp"
	;;
"" | -h | --help)
	sed -n '2,6p' "$0"
	;;
*)
	mib=${2:?size in MiB}
	if [ "$mib" -lt 64 ]; then
		echo "a stick must be at least 64 MiB" >&2
		exit 2
	fi
	rm -f "$1"
	truncate -s "${mib}M" "$1"
	;;
esac
