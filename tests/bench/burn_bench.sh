#!/usr/bin/env bash
# burn/ benchmark (ctest -L bench; not part of the normal test run).
#
# 1. Against the script a skilled administrator would write on the same tree and machine:
#      sha256sum (manifest) + xorriso -outdev stdio:IMG -md5 on -joliet on -map DIR / -commit
#      + xorriso -md5 on -indev IMG -check_md5 FAILURE --
#    versus ours: manifest + ho_burn_write + ho_burn_verify (burn_tool), stdio: drive.
#    Best of N runs each, interleaved; prints the ratio (ours / theirs; < 1 means faster).
# 2. On the simulated CD 52x drive: write + read-back time versus what the drive alone needs
#    (image size / rate, twice). DESIGN.md holds us to 1.15x for the whole job.
#
# Usage: burn_bench.sh BURN_TOOL WORKDIR [MB] [RUNS]
set -euo pipefail
tool=$1
work=$2
mb=${3:-200}
runs=${4:-3}
rm -rf "$work"
mkdir -p "$work/tree"
tree=$work/tree

# A PDI-shaped tree: DICOMDIR + 4 series of 512 KB instances, random (incompressible) data.
n=$((mb * 2))
head -c 4096 /dev/urandom >"$tree/DICOMDIR"
printf 'README\r\n' >"$tree/README.TXT"
for ((i = 1; i <= n; i++)); do
	se=$(printf 'SE%06d' $(((i - 1) / 100 + 1)))
	d=$tree/DICOM/P0000001/S0000001/$se
	mkdir -p "$d"
	head -c 524288 /dev/urandom >"$d/$(printf 'I%07d' "$i")"
done
bytes=$(du -sb "$tree" | cut -f1)
echo "tree: $bytes bytes, $((n + 2)) files"

now() { date +%s.%N; }
best() { python3 -c "import sys; print(min(float(x) for x in sys.argv[1:]))" "$@"; }

ours=()
theirs=()
for ((r = 1; r <= runs; r++)); do
	rm -f "$work/ours.iso" "$work/theirs.iso" "$work/m.txt" "$work/sums"
	sync
	t0=$(now)
	"$tool" manifest "$tree" "$work/m.txt"
	ta=$(now)
	"$tool" write "stdio:$work/ours.iso" "$tree" BENCH
	tb=$(now)
	"$tool" verify "stdio:$work/ours.iso" "@$work/m.txt"
	t1=$(now)
	ours+=("$(python3 -c "print($t1 - $t0)")")
	po=$(python3 -c "print('manifest %.2f, write %.2f, verify %.2f' % ($ta - $t0, $tb - $ta, $t1 - $tb))")
	sync
	t0=$(now)
	(cd "$tree" && find . -type f -print0 | sort -z | xargs -0 sha256sum >"$work/sums")
	ta=$(now)
	xorriso -report_about SORRY -outdev "stdio:$work/theirs.iso" -md5 on -joliet on \
		-volid BENCH -map "$tree" / -commit >/dev/null 2>&1
	tb=$(now)
	xorriso -report_about SORRY -md5 on -indev "$work/theirs.iso" \
		-check_md5 FAILURE -- >/dev/null 2>&1
	t1=$(now)
	theirs+=("$(python3 -c "print($t1 - $t0)")")
	pt=$(python3 -c "print('sha256sum %.2f, write %.2f, check_md5 %.2f' % ($ta - $t0, $tb - $ta, $t1 - $tb))")
	echo "run $r: ours ${ours[-1]} s ($po); xorriso script ${theirs[-1]} s ($pt)"
done
bo=$(best "${ours[@]}")
bt=$(best "${theirs[@]}")
python3 -c "print('best: ours %.2f s, xorriso script %.2f s, ratio ours/theirs = %.2f' % ($bo, $bt, $bo / $bt))"

# Simulated CD 52x: the time the drive alone needs is image/rate for writing plus the same
# for reading back.
img=$("$tool" isosize "$tree" BENCH)
rm -f "$work/sim.iso"
t0=$(now)
"$tool" write "sim:$work/sim.iso?media=cd&speed=52" "$tree" BENCH
t1=$(now)
"$tool" verify "sim:$work/sim.iso?media=cd&speed=52" "@$work/m.txt"
t2=$(now)
python3 -c "
img = $img; rate = 52 * 153600.0
need = img / rate
w = $t1 - $t0; v = $t2 - $t1
print('sim CD 52x: image %d bytes; write %.2f s, verify %.2f s; drive alone %.2f s each' % (img, w, v, need))
print('sim CD 52x: (write + verify) / drive alone = %.3f' % ((w + v) / (2 * need)))
"
rm -rf "$work"
