#!/usr/bin/env bash
# The simulated PACS: Debian's Orthanc 1.10 with its own configuration in DIR, loaded with the
# synthetic patients of hw-sim/gen/generate.py. See hw-sim/README.md.
#
#   pacs.sh start  --dir DIR --data GENDIR [--dicom-port 4242] [--http-port 8042]
#                  [--move-port 11112] [--tls] [--with-big]
#   pacs.sh stop   --dir DIR
#   pacs.sh status --dir DIR
#   pacs.sh corrupt --dir DIR [--mode rows|pixels|truncate|header] SOPInstanceUID
#
# corrupt damages the file Orthanc stores for that instance (StorageCompression false and no
# storage cache, so the file is read again on every retrieve):
#   rows (default)   Rows := 65535: served as is, Pixel Data no longer matches the header
#   pixels           4 KiB of 0xA5 in Pixel Data: served; a compressed stream no longer decodes
#   truncate, header the file no longer parses: Orthanc answers the C-GET sub-operation with
#                    a failure status ("UnableToProcess") and sends nothing for it
#
# Orthanc listens on every interface and has no bind-address option, so `start` refuses to run
# unless this network namespace holds only loopback (scripts/netns.sh makes one);
# HO_PACS_ALLOW_ANY_INTERFACE=1 overrides that on a developer machine.
set -euo pipefail

ORTHANC=${HO_ORTHANC:-/usr/sbin/Orthanc}
PY=/usr/bin/python3
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
AET=ORTHANC
KIOSK_AET=HANDOFF
NOGET_AET=NOGET
LOADER_AET=HWSIM
HTTP_USER=hwsim
# Orthanc's default PDU size; HO_PACS_MAX_PDU (4096..131072) lets a benchmark try others.
pdu=${HO_PACS_MAX_PDU:-16384}

die() {
	echo "pacs.sh: $*" >&2
	exit 1
}

check_netns() {
	[ "${HO_PACS_ALLOW_ANY_INTERFACE:-}" = 1 ] && return 0
	local others
	others=$(ip -o link | awk -F': ' '{ sub(/@.*/, "", $2); if ($2 != "lo") print $2 }' |
		tr '\n' ' ')
	if [ -n "$others" ]; then
		die "this network namespace has interfaces besides loopback (${others% }) and" \
			"Orthanc would listen on all of them: run inside scripts/netns.sh" \
			"(or set HO_PACS_ALLOW_ANY_INTERFACE=1 on a developer machine)"
	fi
}

usage() {
	sed -n '5,17p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
	exit 2
}

cmd=${1:-}
case "$cmd" in
''|-h|--help) usage ;;
check-netns)
	# For tests: exit 0 if `start` would accept this network namespace.
	dir=/nonexistent
	;;
esac
shift
dir='' data='' dport=4242 hport=8042 mport=11112 tls=0 big=0 mode=rows sop=''
while [ $# -gt 0 ]; do
	case "$1" in
	--dir) dir=$2; shift 2 ;;
	--data) data=$2; shift 2 ;;
	--dicom-port) dport=$2; shift 2 ;;
	--http-port) hport=$2; shift 2 ;;
	--move-port) mport=$2; shift 2 ;;
	--tls) tls=1; shift ;;
	--with-big) big=1; shift ;;
	--mode) mode=$2; shift 2 ;;
	-h|--help) usage ;;
	-*) die "unknown option $1 (see pacs.sh --help)" ;;
	*) sop=$1; shift ;;
	esac
done
if [ "$cmd" = check-netns ]; then
	check_netns
	echo "pacs.sh: this network namespace has only loopback (or the override is set)"
	exit 0
fi
[ -n "$dir" ] || die "--dir DIR is required"
if ! [[ "$pdu" =~ ^[0-9]+$ ]] || [ "$pdu" -lt 4096 ] || [ "$pdu" -gt 131072 ]; then
	die "HO_PACS_MAX_PDU must be 4096..131072"
fi
for p in "$dport" "$hport" "$mport"; do
	if ! [[ "$p" =~ ^[0-9]+$ ]] || [ "$p" -lt 1 ] || [ "$p" -gt 65535 ]; then
		die "bad port '$p'"
	fi
done
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
pidfile=$dir/orthanc.pid

running() {
	[ -f "$pidfile" ] || return 1
	local pid
	pid=$(cat "$pidfile")
	[[ "$pid" =~ ^[0-9]+$ ]] || return 1
	# Only our Orthanc: a recycled PID of another program is not ours to signal.
	[ "$(readlink "/proc/$pid/exe" 2>/dev/null)" = "$(readlink -f "$ORTHANC")" ] || return 1
	return 0
}

do_stop() {
	if ! running; then
		rm -f "$pidfile"
		return 0
	fi
	local pid
	pid=$(cat "$pidfile")
	kill -TERM "$pid" 2>/dev/null || true
	for _ in $(seq 1 100); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.1
	done
	if kill -0 "$pid" 2>/dev/null; then
		echo "pacs.sh: Orthanc (pid $pid) did not stop in 10 s; killing it" >&2
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	rm -f "$pidfile"
}


make_tls() {
	# A private CA and one server and one client certificate (EC P-256, 2 days: test only).
	local t=$dir/tls
	rm -rf "$t"
	mkdir -m 700 "$t"
	(
		cd "$t"
		umask 077
		openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 \
			-subj "/CN=Handoff hw-sim test CA" -keyout ca.key -out ca.pem \
			-addext basicConstraints=critical,CA:TRUE \
			-addext keyUsage=critical,keyCertSign,cRLSign 2>/dev/null
		for who in server client; do
			local cn=localhost san="subjectAltName=DNS:localhost,IP:127.0.0.1"
			[ "$who" = client ] && cn=$KIOSK_AET san="subjectAltName=DNS:handoff.invalid"
			openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
				-subj "/CN=$cn" -keyout "$who.key" -out "$who.csr" 2>/dev/null
			printf '%s\nbasicConstraints=CA:FALSE\nextendedKeyUsage=serverAuth,clientAuth\n' \
				"$san" >"$who.ext"
			openssl x509 -req -in "$who.csr" -CA ca.pem -CAkey ca.key -CAcreateserial \
				-days 2 -extfile "$who.ext" -out "$who.pem" 2>/dev/null
			rm -f "$who.csr" "$who.ext"
		done
		rm -f ca.srl
		chmod 644 ca.pem server.pem client.pem
	)
}

write_config() {
	local pw=$1 tlsjson
	if [ "$tls" = 1 ]; then
		tlsjson="\"DicomTlsEnabled\": true,
	\"DicomTlsCertificate\": \"$dir/tls/server.pem\",
	\"DicomTlsPrivateKey\": \"$dir/tls/server.key\",
	\"DicomTlsTrustedCertificates\": \"$dir/tls/ca.pem\",
	\"DicomTlsRemoteCertificateRequired\": true,"
	else
		tlsjson="\"DicomTlsEnabled\": false,"
	fi
	local usetls=false
	[ "$tls" = 1 ] && usetls=true
	(
		umask 077
		cat >"$dir/orthanc.json" <<-EOF
		{
			"Name": "HWSIM-PACS",
			"StorageDirectory": "$dir/storage",
			"IndexDirectory": "$dir/storage",
			"StorageCompression": false,
			"MaximumStorageCacheSize": 0,
			"Plugins": [],
			"ConcurrentJobs": 2,
			"SaveJobs": false,
			"HttpServerEnabled": true,
			"HttpPort": $hport,
			"RemoteAccessAllowed": false,
			"AuthenticationEnabled": true,
			"RegisteredUsers": { "$HTTP_USER": "$pw" },
			"WebDavEnabled": false,
			"HttpDescribeErrors": true,
			"KeepAlive": true,
			"TcpNoDelay": true,
			"DicomServerEnabled": true,
			"DicomAet": "$AET",
			"DicomCheckCalledAet": true,
			"DicomPort": $dport,
			"DefaultEncoding": "Utf8",
			"UnknownSopClassAccepted": false,
			"DicomScpTimeout": 30,
			"DicomAssociationCloseDelay": 0,
			"MaximumPduLength": $pdu,
			$tlsjson
			"DicomAlwaysAllowEcho": false,
			"DicomAlwaysAllowStore": false,
			"DicomAlwaysAllowFind": false,
			"DicomAlwaysAllowFindWorklist": false,
			"DicomAlwaysAllowGet": false,
			"DicomAlwaysAllowMove": false,
			"DicomCheckModalityHost": true,
			"DicomModalities": {
				"handoff": { "AET": "$KIOSK_AET", "Host": "127.0.0.1", "Port": $mport,
					"AllowEcho": true, "AllowFind": true, "AllowGet": true, "AllowMove": true,
					"AllowStore": false, "AllowStorageCommitment": false,
					"UseDicomTls": $usetls },
				"noget": { "AET": "$NOGET_AET", "Host": "127.0.0.1", "Port": $((mport + 1)),
					"AllowEcho": true, "AllowFind": true, "AllowGet": false, "AllowMove": false,
					"AllowStore": false, "AllowStorageCommitment": false,
					"UseDicomTls": $usetls },
				"hwsim": { "AET": "$LOADER_AET", "Host": "127.0.0.1", "Port": $((mport + 2)),
					"AllowEcho": true, "AllowFind": true, "AllowGet": true, "AllowMove": false,
					"AllowStore": true, "AllowStorageCommitment": false,
					"UseDicomTls": $usetls }
			},
			"DicomModalitiesInDatabase": false,
			"OrthancPeersInDatabase": false,
			"OverwriteInstances": false,
			"StableAge": 60,
			"SyncStorageArea": false,
			"MetricsEnabled": false,
			"DeidentifyLogs": true,
			"ExecuteLuaEnabled": false,
			"RestApiWriteToFileSystemEnabled": false
		}
		EOF
	)
}

http_get() {
	# $1 = path; credentials via a curl config file so the password is never on a command line
	curl -sf --max-time 10 -K "$dir/.curlrc" "http://127.0.0.1:$hport$1"
}

do_start() {
	[ -n "$data" ] || die "--data GENDIR is required (output of hw-sim/gen/generate.py)"
	[ -f "$data/patients.json" ] || die "$data/patients.json is missing: run" \
		"hw-sim/gen/generate.py --out $data first"
	[ -x "$ORTHANC" ] || die "$ORTHANC not found: apt-get install orthanc"
	check_netns
	local t0 pw pid n
	t0=$(date +%s%N)
	do_stop
	chmod 700 "$dir"
	rm -rf "$dir/storage" "$dir/tls"
	rm -f "$dir/orthanc.log"
	pw=$(openssl rand -hex 16)
	(
		umask 077
		printf '%s:%s\n' "$HTTP_USER" "$pw" >"$dir/http-credentials"
		printf 'user = "%s:%s"\n' "$HTTP_USER" "$pw" >"$dir/.curlrc"
	)
	[ "$tls" = 1 ] && make_tls
	write_config "$pw"
	printf '%s\n' "$hport" >"$dir/http-port"
	# DCMTK (Orthanc's DICOM layer) disables Nagle on its sockets unless TCP_NODELAY=0;
	# "TcpNoDelay" above does the same for the HTTP server (CivetWeb).
	TCP_NODELAY=1 setsid "$ORTHANC" --no-jobs "$dir/orthanc.json" \
		</dev/null >"$dir/orthanc.log" 2>&1 &
	pid=$!
	echo "$pid" >"$pidfile"
	for _ in $(seq 1 300); do
		if ! kill -0 "$pid" 2>/dev/null; then
			tail -n 20 "$dir/orthanc.log" >&2
			rm -f "$pidfile"
			die "Orthanc exited at start (log above, full log in $dir/orthanc.log);" \
				"is port $dport or $hport in use?"
		fi
		http_get /system >/dev/null 2>&1 && break
		sleep 0.1
	done
	http_get /system >/dev/null || { do_stop; die "Orthanc did not answer on HTTP port $hport" \
		"within 30 s; see $dir/orthanc.log"; }
	local bigarg=()
	[ "$big" = 1 ] && bigarg=(--with-big)
	if ! n=$("$PY" "$HERE/load.py" --port "$hport" --credentials "$dir/http-credentials" \
		--data "$data" "${bigarg[@]}"); then
		do_stop
		die "loading $data into Orthanc failed; see $dir/orthanc.log"
	fi
	local echo_tls=()
	[ "$tls" = 1 ] && echo_tls=(+tls "$dir/tls/client.key" "$dir/tls/client.pem" \
		+cf "$dir/tls/ca.pem")
	if ! echoscu -aet "$KIOSK_AET" -aec "$AET" "${echo_tls[@]}" 127.0.0.1 "$dport" \
		>"$dir/echoscu.log" 2>&1; then
		cat "$dir/echoscu.log" >&2
		do_stop
		die "Orthanc is up but does not answer C-ECHO on port $dport"
	fi
	local ms=$((($(date +%s%N) - t0) / 1000000))
	# For scripts and other tests: where this PACS is and how to reach it (no secrets).
	printf '{"aet": "%s", "host": "127.0.0.1", "dicom_port": %s, "http_port": %s, %s\n' \
		"$AET" "$dport" "$hport" "\"move_port\": $mport, \"kiosk_aet\": \"$KIOSK_AET\"," \
		>"$dir/pacs.json"
	printf ' "tls": %s, "tls_dir": "%s", "instances": %s, "credentials": "%s"}\n' \
		"$([ "$tls" = 1 ] && echo true || echo false)" "$dir/tls" "$n" \
		"$dir/http-credentials" >>"$dir/pacs.json"
	printf 'pacs.sh: Orthanc pid %s: DICOM%s 127.0.0.1:%s AET %s (kiosk %s, move port %s;' \
		"$pid" "$([ "$tls" = 1 ] && echo "-TLS")" "$dport" "$AET" "$KIOSK_AET" "$mport"
	printf ' %s find-only; %s store), HTTP 127.0.0.1:%s user %s (password in %s),' \
		"$NOGET_AET" "$LOADER_AET" "$hport" "$HTTP_USER" "$dir/http-credentials"
	printf ' %s instances loaded in %d.%01d s\n' "$n" $((ms / 1000)) $((ms % 1000 / 100))
}

do_status() {
	if running; then
		local hp
		hp=$(cat "$dir/http-port" 2>/dev/null || echo "$hport")
		hport=$hp
		if http_get /statistics >"$dir/.stats" 2>/dev/null; then
			echo "pacs.sh: running, pid $(cat "$pidfile"), HTTP port $hp, $("$PY" -c \
				'import json,sys; print(json.load(open(sys.argv[1]))["CountInstances"])' \
				"$dir/.stats") instances"
		else
			echo "pacs.sh: running, pid $(cat "$pidfile"), HTTP port $hp not answering"
		fi
		rm -f "$dir/.stats"
		return 0
	fi
	echo "pacs.sh: not running ($dir)"
	return 3
}

do_corrupt() {
	[ -n "$sop" ] || die "corrupt needs a SOPInstanceUID"
	[[ "$sop" =~ ^[0-9.]{1,64}$ ]] || die "'$sop' is not a UID"
	running || die "the PACS in $dir is not running"
	hport=$(cat "$dir/http-port")
	local id uuid file size
	id=$(curl -sf --max-time 10 -K "$dir/.curlrc" -X POST --data-binary "$sop" \
		"http://127.0.0.1:$hport/tools/lookup" |
		"$PY" -c 'import json,sys; r=[x["ID"] for x in json.load(sys.stdin)
if x["Type"]=="Instance"]; print(r[0] if r else "")')
	[ -n "$id" ] || die "no instance $sop in the PACS"
	uuid=$(http_get "/instances/$id/attachments/dicom/info" |
		"$PY" -c 'import json,sys; print(json.load(sys.stdin)["Uuid"])') || uuid=
	[ "$(http_get "/instances/$id/attachments/dicom/is-compressed")" = 0 ] ||
		die "Orthanc stores $sop compressed; corrupt needs StorageCompression false"
	[[ "$uuid" =~ ^[0-9a-f-]{36}$ ]] || die "could not find the attachment of $sop"
	# Orthanc's filesystem storage layout: storage/<uuid 0-1>/<uuid 2-3>/<uuid>
	file=$dir/storage/${uuid:0:2}/${uuid:2:2}/$uuid
	[ -f "$file" ] || die "attachment file $file is missing"
	size=$(stat -c %s "$file")
	case "$mode" in
	truncate)
		# Cut inside the data set: the file no longer parses.
		truncate -s $((size / 2)) "$file" ;;
	header)
		# Overwrite 64 bytes right after the File Meta Information group with 0xFF:
		# tag (FFFF,FFFF) and a huge length; parsers must refuse it.
		local meta
		meta=$("$PY" -c 'import sys,struct
b=open(sys.argv[1],"rb").read(1024)
assert b[128:132]==b"DICM"
print(132+12+struct.unpack("<I",b[140:144])[0])' "$file")
		head -c 64 /dev/zero | tr '\0' '\377' |
			dd of="$file" bs=1 seek="$meta" conv=notrunc status=none ;;
	rows)
		# Rows (0028,0010) := 65535 (explicit VR LE, PS3.5 7.1.2): the file parses and Orthanc
		# serves it, but Pixel Data no longer matches Rows x Columns (PS3.3 C.7.6.3.1).
		"$PY" -c 'import sys
f=open(sys.argv[1],"r+b"); b=f.read(); i=b.find(b"\x28\x00\x10\x00US\x02\x00", 132)
assert i > 0, "no Rows element"
f.seek(i+8); f.write(b"\xff\xff"); f.close()' "$file" ;;
	pixels)
		# Overwrite 4 KiB at 3/4 of the file (inside Pixel Data) with a fixed pattern: the
		# file still parses, the image (or the compressed stream) is garbage.
		head -c 4096 /dev/zero | tr '\0' '\245' |
			dd of="$file" bs=1 seek=$((size * 3 / 4)) conv=notrunc status=none ;;
	*) die "unknown --mode '$mode' (rows, pixels, truncate or header)" ;;
	esac
	echo "pacs.sh: corrupted ($mode) instance $sop (Orthanc id $id) in $file"
}

case "$cmd" in
start) do_start ;;
stop) do_stop; echo "pacs.sh: stopped ($dir)" ;;
status) do_status ;;
corrupt) do_corrupt ;;
*) usage ;;
esac
