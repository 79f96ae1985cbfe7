#!/usr/bin/env bash
# Seal throughput beside 7-Zip on the same files in the same run, and the store-vs-deflate
# measurement behind docs/ENCRYPTION.md.
#   data: the hw-sim CT (HO-0002, 300 slices, ~150 MB) and CR (HO-0001) from
#         $HO_HWSIM_DATA if generated, else generated here with hw-sim/gen/generate.py
#   (and HO-0008: JPEG baseline, JPEG lossless and RLE series, for AUTO)
#   runs: ho_seal_zip store / deflate 1 / deflate 6 / auto, and
#         7z a -tzip -mem=AES256 -mx=0 (store) / -mx=1 / -mx=5, same password
# Prints one line per run (bytes, ratio to input, seconds, MB/s, peak RSS) and the
# time ratios ours/7z. Env: SEAL_TOOL, HO_PYTHON, SEAL_TESTS, HO_HWSIM_DATA (optional).
set -euo pipefail
fail() { echo "FAIL: $*" >&2; exit 1; }
work=$(mktemp -d "${TMPDIR:-/tmp}/seal_bench.XXXXXX")
trap 'rm -rf "$work"' EXIT
top=$(cd "$SEAL_TESTS/.." && pwd)
data=${HO_HWSIM_DATA:-}
if [ -z "$data" ] || [ ! -f "$data/patients.json" ]; then
	data=$work/hwsim
	"$HO_PYTHON" "$top/hw-sim/gen/generate.py" --out "$data" > /dev/null || fail "generate"
fi
pw=$("$HO_PYTHON" -c 'import secrets; a="0123456789ABCDEFGHJKMNPQRSTVWXYZ"; print("".join(secrets.choice(a) for _ in range(16)))')

# A PDI-shaped tree of hard links (or copies) for one patient's files.
make_tree() { # patient dest
	local n=0
	mkdir -p "$2"
	jq -r --arg p "$1" '.patients[] | select(.patient_id == $p) | .studies[].series[].instances[].path' \
		"$data/patients.json" | while read -r f; do
		n=$((n + 1))
		d=$(printf 'DICOM/P0000001/S0000001/SE000001/I%07d' "$n")
		mkdir -p "$2/$(dirname "$d")"
		ln "$data/$f" "$2/$d" 2> /dev/null || cp "$data/$f" "$2/$d"
		echo "$d"
	done > "$2.list"
	test -s "$2.list" || fail "no files for $1"
}

# Runs a command, prints "seconds maxrss_kb" of the child.
# (The script goes in with -c: stdin stays the caller's, for seal_tool's file list.)
measure_py='
import resource, subprocess, sys, time
t = time.monotonic()
r = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
dt = time.monotonic() - t
if r.returncode != 0:
	sys.stderr.write(r.stderr.decode()); sys.exit(1)
print("%.3f %d" % (dt, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss))
'
# The machine is shared (other builds run beside us): each run is repeated REPS times
# and the fastest is reported, for ours and 7z alike.
REPS=${SEAL_BENCH_REPS:-3}
measure() { # out-file cmd... ; prints "min-seconds max-rss"
	local out=$1 best="" rss=0 s r i
	shift
	for i in $(seq "$REPS"); do
		rm -f "$out"
		read -r s r < <("$HO_PYTHON" -c "$measure_py" "$@" < "${MEASURE_STDIN:-/dev/null}") ||
			return 1
		best=$(awk -v a="$best" -v b="$s" 'BEGIN { print (a == "" || b < a) ? b : a }')
		rss=$((r > rss ? r : rss))
	done
	echo "$best $rss"
}

report() { # label bytes input seconds rss
	awk -v l="$1" -v b="$2" -v i="$3" -v s="$4" -v r="$5" 'BEGIN {
		printf "%-26s %12d bytes  ratio %.3f  %7.3f s  %7.1f MB/s  rss %6d KB\n",
			l, b, b / i, s, i / 1e6 / s, r }'
}

printf 'input: %s\n' "$data"
for pat in HO-0002 HO-0001 HO-0008; do
	tree=$work/$pat
	make_tree "$pat" "$tree"
	input=$(cd "$tree" && xargs -a "$tree.list" stat -L -c %s | awk '{s += $1} END {print s}')
	files=$(wc -l < "$tree.list")
	echo "== $pat: $files files, $input bytes"
	cat $(sed "s|^|$tree/|" "$tree.list") > /dev/null # same warm page cache for everyone
	declare -A T=()
	for run in "store 0" "deflate 1" "auto 1" "deflate 6"; do
		set -- $run
		out=$work/ours-$1-$2.zip
		read -r s r < <(cd "$tree" && MEASURE_STDIN=$tree.list measure "$out" \
			"$SEAL_TOOL" zip-pw "$pw" . "$out" "$1" "$2") || fail "seal $run"
		T["ours $1 $2"]=$s
		report "handoff $1 $2" "$(stat -c %s "$out")" "$input" "$s" "$r"
	done
	for mx in 0 1 5; do
		out=$work/7z-$mx.zip
		read -r s r < <(cd "$tree" && measure "$out" 7z a -bd -tzip -mem=AES256 -mx=$mx \
			-p"$pw" "$out" "@$tree.list") || fail "7z -mx=$mx"
		T["7z $mx"]=$s
		report "7z -mx=$mx" "$(stat -c %s "$out")" "$input" "$s" "$r"
	done
	# the two archives hold the same files: 7z opens ours with the same password
	7z t -p"$pw" "$work/ours-store-0.zip" > /dev/null || fail "7z cannot open our archive"
	awk -v a="${T[ours store 0]}" -v b="${T[7z 0]}" -v c="${T[ours deflate 1]}" \
		-v d="${T[7z 1]}" 'BEGIN {
		printf "ratio time handoff/7z: store %.2f, deflate-1 %.2f (below 1 = faster)\n",
			a / b, c / d }'
	rm -f "$work"/*.zip
done
