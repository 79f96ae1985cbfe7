#!/bin/sh
# Every audit message kind the kiosk emits must validate against the DICOM audit message
# schema (PS3.15 A.5.1, tests/unit/ledger_audit.rng); a broken message must not.
# Usage: ledger_audit_schema.sh LEDGER_UNIT_BIN SCHEMA SCRATCH
set -eu
bin=$1 schema=$2 dir=$3
rm -rf "$dir"
"$bin" audit "$dir" >/dev/null
n=0
for f in "$dir"/audit-*.xml; do
	xmllint --noout --relaxng "$schema" "$f" 2>"$dir/err" || { cat "$dir/err"; echo "FAIL: $f"; exit 1; }
	n=$((n + 1))
done
[ "$n" -ge 16 ] || { echo "only $n messages"; exit 1; }
# Negative cases: the schema must reject a message without AuditSourceIdentification, with
# a bad outcome code, or with a non-base64 detail value.
sed 's|<AuditSourceIdentification[^>]*>.*</AuditSourceIdentification>||' "$dir/audit-export.xml" >"$dir/neg1.xml"
sed 's|EventOutcomeIndicator="0"|EventOutcomeIndicator="3"|' "$dir/audit-export.xml" >"$dir/neg2.xml"
sed 's|value="[^"]*"|value="not base64!"|' "$dir/audit-alert-guard.xml" >"$dir/neg3.xml"
for f in "$dir"/neg1.xml "$dir"/neg2.xml "$dir"/neg3.xml; do
	if xmllint --noout --relaxng "$schema" "$f" 2>/dev/null; then
		echo "FAIL: negative case $f validated"; exit 1
	fi
done
echo "ok: $n messages valid, 3 broken messages rejected"
