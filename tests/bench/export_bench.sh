#!/usr/bin/env bash
# Benchmark: `handoff export` beside the best pipeline an administrator could script with
# stock tools on the same data, in the same run (DESIGN.md "Figures"):
#   getscu (TCP_NODELAY) -> PDI names -> dcmmkdir -> xorriso -md5 on -> xorriso -check_md5
# Prints wall time and peak RSS of each and the ratios. Not a pass/fail timing test: it
# fails only if either pipeline fails. Needs the simulated PACS (ctest fixture `pacs`).
# Env: HO_CLI, HO_HWSIM_DATA, HO_PACS_PORT, HO_WORK; HO_BENCH_PATIENTS (default
# "HO-0001 HO-0002", add HO-0099 when the ~1 GB CT is loaded).
set -euo pipefail
cli=$HO_CLI
port=${HO_PACS_PORT:-4242}
work=${HO_WORK:?}
patients=${HO_BENCH_PATIENTS:-HO-0001 HO-0002}
rm -rf "$work"
mkdir -p "$work"

now() { date +%s.%N; }

# Peak RSS (KiB) of a command and its children as GNU time reports it (max over the tree
# is approximated by the largest single process, which is what matters for a kiosk).
rss_of() { awk '/Maximum resident/ {print $6}' "$1"; }

series_of() { # patient -> "study series" lines, from patients.json
	/usr/bin/python3 - "$HO_HWSIM_DATA/patients.json" "$1" <<'PY'
import json, sys
doc = json.load(open(sys.argv[1]))
for p in doc["patients"]:
    if p["patient_id"] != sys.argv[2]:
        continue
    for st in p["studies"]:
        for se in st["series"]:
            print(st["study_uid"], se["series_uid"])
PY
}

baseline() { # patient dir -> prints peak rss
	local pid=$1 d=$2 peak=0 r
	mkdir -p "$d/get" "$d/tree"
	while read -r study series; do
		TCP_NODELAY=1 /usr/bin/time -v -o "$d/t" getscu -aet HANDOFF -aec ORTHANC \
			127.0.0.1 "$port" -S -k QueryRetrieveLevel=SERIES -k "PatientID=$pid" \
			-k "StudyInstanceUID=$study" -k "SeriesInstanceUID=$series" -od "$d/get" \
			>/dev/null 2>&1
		r=$(rss_of "$d/t"); [ "$r" -gt "$peak" ] && peak=$r
	done < <(series_of "$pid")
	# PS3.10 file IDs, the way an administrator would rename them.
	local n=0 dir="$d/tree/DICOM/P0000001/S0000001/SE000001"
	mkdir -p "$dir"
	for f in "$d"/get/*; do
		n=$((n + 1))
		mv "$f" "$dir/$(printf 'I%07d' "$n")"
	done
	(cd "$d/tree" && /usr/bin/time -v -o "$d/t" dcmmkdir -Pgp +r +id . +F BASELINE >/dev/null 2>&1)
	r=$(rss_of "$d/t"); [ "$r" -gt "$peak" ] && peak=$r
	/usr/bin/time -v -o "$d/t" xorriso -outdev "stdio:$d/disc.iso" -md5 on -volid BASELINE \
		-joliet on -map "$d/tree" / -commit >/dev/null 2>&1
	r=$(rss_of "$d/t"); [ "$r" -gt "$peak" ] && peak=$r
	/usr/bin/time -v -o "$d/t" xorriso -md5 on -indev "$d/disc.iso" -check_md5 FAILURE -- \
		>/dev/null 2>&1
	r=$(rss_of "$d/t"); [ "$r" -gt "$peak" ] && peak=$r
	echo "$peak"
}

ours() {
	local pid=$1 d=$2
	mkdir -p "$d"
	/usr/bin/time -v -o "$d/t" "$cli" --set "pacs.port=$port" --set "kiosk.staging=$d/staging" \
		--set "kiosk.state=$d/state" export --patient "$pid" --drive "stdio:$d/disc.iso" \
		--manifest "$d/manifest" >/dev/null 2>"$d/err" || { cat "$d/err" >&2; return 1; }
	rss_of "$d/t"
}

printf '%-8s %10s %10s %8s %12s %12s %8s\n' patient ours_s base_s ratio ours_rssKiB base_rssKiB ratio
declare -A RSS
for pid in $patients; do
	# Warm the PACS's own caches once so neither side pays for Orthanc's first read.
	ours "$pid" "$work/warm-$pid" >/dev/null
	t0=$(now); rb=$(baseline "$pid" "$work/base-$pid"); t1=$(now)
	t2=$(now); ro=$(ours "$pid" "$work/ours-$pid"); t3=$(now)
	tb=$(echo "$t1 - $t0" | bc -l); to=$(echo "$t3 - $t2" | bc -l)
	printf '%-8s %10.2f %10.2f %8.2f %12d %12d %8.2f\n' "$pid" "$to" "$tb" \
		"$(echo "$to / $tb" | bc -l)" "$ro" "$rb" "$(echo "$ro / $rb" | bc -l)"
	RSS[$pid]=$ro
	rm -rf "$work/base-$pid" "$work/ours-$pid" "$work/warm-$pid"
done
set -- $patients
if [ $# -ge 2 ]; then
	first=$1
	shift $(($# - 1))
	echo "peak RSS of ours, largest study / smallest study: $(echo "${RSS[$1]} / ${RSS[$first]}" | bc -l | cut -c1-5)"
fi

# DESIGN figure: from "burn" to verified medium, log entry and receipt on a drive
# throttled to CD 52x, against the time the drive alone needs to write and read back.
if [ "${HO_BENCH_SIM:-1}" = 1 ]; then
	d=$work/sim
	mkdir -p "$d"
	"$cli" --set "pacs.port=$port" --set "kiosk.staging=$d/staging" --set "kiosk.state=$d/state" \
		export --patient HO-0002 --drive "sim:$d/disc.iso?media=cd&speed=52" \
		--manifest "$d/manifest" >/dev/null 2>"$d/err" || { cat "$d/err" >&2; exit 1; }
	t_write=$(awk -F'[][]' '/\[write\]/ {gsub(/ s/,"",$2); print $2; exit}' "$d/err")
	t_end=$(awk -F'[][]' '/\[wipe\]/ {gsub(/ s/,"",$2); v=$2} END {print v}' "$d/err")
	bytes=$(stat -c %s "$d/disc.iso")
	drive=$(echo "2 * $bytes / (52 * 153600)" | bc -l)
	took=$(echo "$t_end - $t_write" | bc -l)
	printf 'CD 52x (simulated), HO-0002: %d bytes; drive alone %.2f s; burn->verified+logged %.2f s; ratio %.3f (target <= 1.15)\n' \
		"$bytes" "$drive" "$took" "$(echo "$took / $drive" | bc -l)"
fi
